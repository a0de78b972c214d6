"""Attendance visits (join, leave, heartbeat, visits of dead processes closed), the report and its
downloads (CSV, XLSX, API), and the viewer count in one process and across processes with Redis."""

from __future__ import annotations

import io
import os
import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from summit.accounts import services as accounts
from summit.core import live
from summit.live import attendance
from summit.live.models import Attendance, Stage
from summit.program.testing import make_session
from summit.registration.models import Participant
from summit.registration.testing import make_organization, make_participant

REDIS_URL = os.environ.get("SUMMIT_REDIS_URL") or "redis://127.0.0.1:6379/5"


@pytest.fixture
def session(event, categories):
    session = make_session(event, title_en="Opening plenary", title_zh="开幕式")
    Stage.objects.create(session=session)
    return session


@pytest.fixture
def person(event, categories):
    return make_participant(
        event,
        categories["company"],
        status=Participant.APPROVED,
        given_name="明",
        family_name="李",
        given_name_latin="Ming",
        family_name_latin="Li",
        email="li.ming@example.org",
        organization=make_organization(event, name="=Example Lab"),
    )


def test_join_leave_and_the_report(settings, session, person):
    visit = attendance.join(session_id=session.pk, participant=person)
    assert visit.left_at is None and visit.seen_at == visit.joined_at
    Attendance.objects.filter(pk=visit.pk).update(joined_at=visit.joined_at - timedelta(minutes=42))
    assert attendance.leave(attendance_id=visit.pk) is True
    assert attendance.leave(attendance_id=visit.pk) is False  # a closed visit keeps its time
    (row,) = attendance.attendance_rows(session)
    assert (row.name, row.name_latin, row.email, row.organization) == (
        "李明",
        "LI Ming",
        "li.ming@example.org",
        "=Example Lab",
    )
    assert row.session == "Opening plenary" and row.minutes == 42
    assert row.joined.utcoffset() == timedelta(hours=8)  # the event's time zone
    assert attendance.event_attendance(session.event) == [row]


def test_heartbeat_and_visits_of_dead_processes(settings, session, person):
    settings.LIVE_HEARTBEAT_SECONDS = 30
    now = timezone.now()
    alive = attendance.join(session_id=session.pk, participant=person)
    dead = attendance.join(session_id=session.pk, participant=person)
    done = attendance.join(session_id=session.pk, participant=person)
    attendance.leave(attendance_id=done.pk)
    long_ago = now - timedelta(minutes=10)
    last_seen = now - timedelta(minutes=5)
    Attendance.objects.filter(pk__in=[alive.pk, dead.pk, done.pk]).update(
        joined_at=long_ago, seen_at=last_seen
    )
    assert attendance.heartbeat([alive.pk, done.pk]) == 1  # this process still holds the first one
    assert attendance.close_stale() == 1
    alive.refresh_from_db()
    dead.refresh_from_db()
    done.refresh_from_db()
    assert alive.left_at is None
    assert dead.left_at == last_seen  # closed at its last sign of life
    assert done.left_at > last_seen  # left normally, untouched
    assert attendance.close_stale() == 0


@pytest.mark.django_db(transaction=True)
def test_a_starting_process_closes_visits_left_open(settings, session, person, monkeypatch):
    from summit.live.tests.test_transport import run, serving

    monkeypatch.setattr(live, "_hub", live.LocalHub())
    visit = attendance.join(session_id=session.pk, participant=person)
    seen = timezone.now() - timedelta(hours=1)
    Attendance.objects.filter(pk=visit.pk).update(joined_at=seen - timedelta(hours=1), seen_at=seen)

    async def main():
        async with serving():
            pass

    run(main())
    visit.refresh_from_db()
    assert visit.left_at == seen


def test_downloads_for_organizers_only(client, organizer, session, person):
    from openpyxl import load_workbook

    visit = attendance.join(session_id=session.pk, participant=person)
    attendance.leave(attendance_id=visit.pk)
    slug = session.event.slug
    client.force_login(person.user)
    assert client.get(f"/events/{slug}/manage/live/attendance.csv").status_code == 404
    client.force_login(organizer)
    response = client.get(f"/events/{slug}/manage/live/attendance.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, line = text.splitlines()[:2]
    assert header.startswith("Name,Name (Latin),E-mail,Organization,Session ID,Session,Joined,Left,Minutes")
    assert "li.ming@example.org" in line and "'=Example Lab" in line  # never a formula
    response = client.get(f"/events/{slug}/manage/live/attendance.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    assert rows[0][:3] == ("Name", "Name (Latin)", "E-mail")
    assert rows[1][2] == "li.ming@example.org" and rows[1][3] == "=Example Lab"


def test_the_live_rooms_page_links_the_downloads(client, organizer, session):
    client.force_login(organizer)
    page = client.get(f"/events/{session.event.slug}/manage/live/").content.decode()
    assert f'href="/events/{session.event.slug}/manage/live/attendance.csv"' in page
    assert f'href="/events/{session.event.slug}/manage/live/attendance.xlsx"' in page


def test_api_for_organizer_tokens(client, event, organizer, other_event, session, person):
    attendance.join(session_id=session.pk, participant=person)
    _t, org_token = accounts.create_api_token(event=event, user=organizer, name="report")
    _t, own_token = accounts.create_api_token(event=event, user=person.user, name="phone")
    url = f"/api/events/{event.slug}/live/attendance"
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {org_token}")
    assert response.status_code == 200
    (row,) = response.json()
    assert row["email"] == "li.ming@example.org" and row["session_id"] == session.pk
    assert row["left"] is None and row["joined"].endswith("+08:00")
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {own_token}").status_code == 404
    other = f"/api/events/{other_event.slug}/live/attendance"
    assert client.get(other, HTTP_AUTHORIZATION=f"Bearer {org_token}").status_code == 404


# --- viewer count -----------------------------------------------------------------------------------------


def test_viewer_count_in_one_process():
    counter = attendance.ViewerCounter(live.LocalHub())
    assert counter.change(7, +1) == 1
    assert counter.change(7, +1) == 2
    assert counter.change(8, +1) == 1
    assert counter.change(7, -1) == 1
    assert (counter.count(7), counter.count(8), counter.count(9)) == (1, 1, 0)


def _redis_or_skip():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip("Redis is not reachable")


def test_viewer_count_across_processes_with_redis(settings):
    import redis

    _redis_or_skip()
    settings.LIVE_HEARTBEAT_SECONDS = 30
    prefix = f"summit-test:{uuid.uuid4().hex}:"
    # Two processes: two hubs (and counters) sharing Redis.
    first = attendance.ViewerCounter(live.RedisHub(REDIS_URL, prefix=prefix))
    second = attendance.ViewerCounter(live.RedisHub(REDIS_URL, prefix=prefix))
    client = redis.Redis.from_url(REDIS_URL)
    try:
        first.change(5, +1)
        first.change(5, +1)
        second.change(5, +1)
        # A change is in memory until the process writes it (before it counts, publishes or beats).
        assert first.count(5) == 2 and first.estimate(5) == 2
        assert second.count(5) == 3 and second.estimate(5) == 3
        assert first.count(5) == 3 and first.estimate(5) == 3
        second.change(5, -1)
        second.flush()
        assert first.count(5) == 2
        # A process that died: its field stops counting once it is older than three heartbeats.
        client.hset(first.key(5), "dead-host:1:x", f"40:{int(time.time()) - 200}")
        assert first.count(5) == 2
        assert client.hget(first.key(5), "dead-host:1:x") is None  # and is removed
        assert 0 < client.ttl(first.key(5)) <= 90
        first.change(5, -2)
        first.refresh()  # the heartbeat writes every count, the emptied one too
        assert second.count(5) == 0
        assert client.hget(first.key(5), first.field) is None
    finally:
        for key in client.scan_iter(match=f"{prefix}*"):
            client.delete(key)
        client.close()


def test_a_large_audience_gets_its_viewer_count_less_often(settings):
    """Each publish of the count is a message to every viewer: ten thousand get it every twenty seconds."""
    settings.LIVE_VIEWERS_SECONDS = 2
    counter = attendance.ViewerCounter(live.LocalHub())
    for _ in range(1000):
        counter.change(7, +1)
    assert counter.interval(7) == 2
    for _ in range(9000):
        counter.change(7, +1)
    assert counter.interval(7) == 20
    assert counter.interval(8) == 2  # per session
