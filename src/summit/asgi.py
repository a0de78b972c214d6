"""The ASGI application of ``make run`` (one uvicorn process): the live transport for ``/live/`` and every
WebSocket (``live/transport.py``), Django for everything else. In production the same application runs in
the uvicorn processes behind the proxy's ``/live/`` location (docs/operations.md)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "summit.settings")
django_application = get_asgi_application()

from summit.live.transport import application as with_live_transport  # noqa: E402  (after django.setup())

application = with_live_transport(django_application)
