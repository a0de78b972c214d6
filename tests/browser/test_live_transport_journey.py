"""A live room in Chromium, served as ``make run`` serves it: the whole ASGI application (Django and the live
transport) on a uvicorn server. A question asked meanwhile appears on the page through the WebSocket, and,
in a browser without WebSocket, through Server-Sent Events; the signed-in participant's socket passes the
transport's Origin check as a real browser sends it."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import uvicorn
from django.conf import settings as django_settings
from django.test import Client

from summit.core import live
from summit.live import access, services
from summit.live.models import Stage
from summit.program.testing import make_session
from summit.registration.models import Participant
from summit.registration.testing import make_participant

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def asgi_server(settings, monkeypatch):
    """summit.asgi's application (static files from the apps) on uvicorn in a thread of its own."""
    from django.core.asgi import get_asgi_application

    from summit.live.transport import application

    settings.WHITENOISE_USE_FINDERS = True  # read when the middleware is built, just below
    monkeypatch.setattr(live, "_hub", live.LocalHub())
    port = free_port()
    settings.SITE_URL = f"http://127.0.0.1:{port}"
    app = application(get_asgi_application())
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on", log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="uvicorn-browser-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield settings.SITE_URL
    server.should_exit = True
    thread.join(15)


@pytest.fixture
def room(event, categories):
    session = make_session(event)
    Stage.objects.create(session=session, access=Stage.APPROVED)
    return session


def _page(chromium, base_url, user, *, without_websocket=False):
    context = chromium.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15000)
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    context.add_cookies([{"name": name, "value": client.cookies[name].value, "url": base_url}])
    if without_websocket:
        context.add_init_script("delete window.WebSocket;")
    return context, context.new_page()


@pytest.mark.parametrize("without_websocket", [False, True], ids=["websocket", "sse"])
def test_a_question_appears_live(chromium, asgi_server, room, event, categories, without_websocket):
    watcher = make_participant(event, categories["company"], status=Participant.APPROVED)
    asker = make_participant(event, categories["company"], status=Participant.APPROVED)
    context, page = _page(chromium, asgi_server, watcher.user, without_websocket=without_websocket)
    sockets = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    try:
        page.goto(f"/events/{event.slug}/sessions/{room.pk}/live/")
        page.locator("#live-room[data-connection='live']").wait_for()
        assert page.locator("#viewer-count").inner_text() == "1 watching"

        text = "Is the recording published afterwards? 会后有录像吗？"
        services.ask(viewer=access.viewer(room, asker.user), text=text)
        page.locator("#questions li", has_text=text).wait_for()
        assert page.locator("#live-connection").inner_text() == "Live: updates appear as they happen."
    finally:
        context.close()
    live_sockets = [url for url in sockets if url.endswith(f"/live/sessions/{room.pk}/socket")]
    assert (live_sockets == []) if without_websocket else (len(live_sockets) == 1)
