"""The ASGI application of ``make run`` (one uvicorn process): the live transport for ``/live/`` and every
WebSocket (``live/transport.py``), Django for everything else. In production the same application runs in
the uvicorn processes behind the proxy's ``/live/`` location (docs/operations.md)."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "summit.settings")
django_application = get_asgi_application()

from summit.live.transport import application as with_live_transport  # noqa: E402  (after django.setup())

application = with_live_transport(django_application)

# The garbage collector of a serving process. A full collection walks every object alive, and a live
# connection keeps about a hundred (uvicorn's protocol, the handshake, tasks, the subscription): with ten
# thousand viewers one takes over half a second, during which no room gets a message. So what was loaded at
# start-up (Django, the URLconf, the settings) is moved out of the collector's sight (``gc.freeze``), and
# the collector runs every 10,000 new objects instead of every 700, which makes full collections rare
# (benchmarks/live_fanout.py --gc-log shows them). Cyclic garbage is still collected: a closed connection
# leaves a few objects of it.
gc.collect()
gc.freeze()
gc.set_threshold(10_000, 10, 10)
