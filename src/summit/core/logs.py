"""Logging filters of the serving processes (``LOGGING`` in settings)."""

import logging

# What uvicorn (and the websockets library under it) log at INFO for every WebSocket that opens.
_CONNECTION_LINES = ('%s - "WebSocket %s" [accepted]', "connection open")


class WithoutConnectionLines(logging.Filter):
    """Drops the two INFO lines logged for every WebSocket that opens: a live room of ten thousand viewers
    would write twenty thousand of them, on the event loop that serves them. A refused WebSocket (403)
    and every warning or error are still logged; the connections themselves are counted per session
    (``live/attendance.py``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno == logging.INFO and record.msg in _CONNECTION_LINES)
