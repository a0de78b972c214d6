"""A live room in Chromium, served as ``make run`` serves it: the whole ASGI application (Django and the live
transport) on a uvicorn server. A question asked meanwhile appears on the page through the WebSocket, and,
in a browser without WebSocket, through Server-Sent Events; the signed-in participant's socket passes the
transport's Origin check as a real browser sends it."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client

from summit.live import access, services
from summit.live.models import Stage
from summit.program.testing import make_session
from summit.registration.models import Participant
from summit.registration.testing import make_participant

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def room(event, categories):
    session = make_session(event)
    Stage.objects.create(session=session, access=Stage.APPROVED)
    return session


def _page(asgi_site, user, *, without_websocket=False):
    page = asgi_site()
    context, base_url = page.context, asgi_site.url
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    context.add_cookies([{"name": name, "value": client.cookies[name].value, "url": base_url}])
    if without_websocket:
        context.add_init_script("delete window.WebSocket;")
    return context, page


@pytest.mark.parametrize("without_websocket", [False, True], ids=["websocket", "sse"])
def test_a_question_appears_live(asgi_site, room, event, categories, without_websocket):
    watcher = make_participant(event, categories["company"], status=Participant.APPROVED)
    asker = make_participant(event, categories["company"], status=Participant.APPROVED)
    context, page = _page(asgi_site, watcher.user, without_websocket=without_websocket)
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
