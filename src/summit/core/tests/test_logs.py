"""The serving processes' log leaves out a line per WebSocket opened, and keeps the rest."""

import logging

from summit.core.logs import WithoutConnectionLines


def _record(level, msg, *args):
    return logging.LogRecord("uvicorn.error", level, __file__, 1, msg, args, None)


def test_uvicorn_logs_no_line_per_websocket_but_refusals_and_problems():
    logger = logging.getLogger("uvicorn.error")
    assert any(isinstance(f, WithoutConnectionLines) for f in logger.filters)  # settings.LOGGING put it there
    lines = [
        _record(logging.INFO, '%s - "WebSocket %s" [accepted]', "127.0.0.1:5000", "/live/sessions/1/socket"),
        _record(logging.INFO, "connection open"),
        _record(logging.INFO, '%s - "WebSocket %s" 403', "127.0.0.1:5001", "/live/sessions/1/socket"),
        _record(logging.INFO, "Uvicorn running on %s", "http://127.0.0.1:8000"),
        _record(logging.WARNING, "connection open"),
    ]
    assert [r.getMessage() for r in lines if logger.filter(r)] == [
        '127.0.0.1:5001 - "WebSocket /live/sessions/1/socket" 403',
        "Uvicorn running on http://127.0.0.1:8000",
        "connection open",
    ]
