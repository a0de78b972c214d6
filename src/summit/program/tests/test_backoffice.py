"""The program back office: who may see and change what, the forms, removals, and the overview's queries."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from summit.core.models import AuditEntry
from summit.core.testing import PNG_BYTES
from summit.events.testing import make_staff
from summit.program import services
from summit.program.models import Booking, Forum, Session, Speaker, Talk
from summit.program.testing import make_forum, make_session
from summit.registration.models import Participant
from summit.registration.testing import make_delegate, make_organization

pytestmark = pytest.mark.django_db


def url(event, name, *args):
    return reverse(f"program_manage:{name}", args=[event.slug, *args])


def book(session, person, **kw):
    kw.setdefault("mode", "onsite")
    return services.book(
        session=session, participant=person, idempotency_key=f"k-{uuid.uuid4().hex}", **kw
    ).booking


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def field_errors(response, form="form") -> dict:
    return {name: [str(e) for e in errs] for name, errs in response.context[form].errors.items()}


def row_ids(response) -> list[int]:
    return [int(x) for x in re.findall(r'<tr data-id="(\d+)"', response.content.decode())]


@pytest.fixture
def forum(event):
    return make_forum(event, title_en="Digital economy forum")


@pytest.fixture
def session(event, forum):
    return make_session(event, forum, title_en="Opening of the forum", capacity=1)


@pytest.fixture
def full_session(event, categories, session):
    """One seat taken, two people waiting, one online."""
    holder = make_delegate(
        event,
        categories["company"],
        given_name="伟",
        family_name="王",
        given_name_latin="Wei",
        family_name_latin="Wang",
        name_order=Participant.FAMILY_FIRST,
        organization=make_organization(event, name="华为", name_latin="Huawei"),
    )
    first = make_delegate(
        event,
        categories["company"],
        given_name="Anna",
        family_name="Schmidt",
        given_name_latin="Anna",
        family_name_latin="Schmidt",
        name_order=Participant.GIVEN_FIRST,
        country="DE",
    )
    second = make_delegate(event, categories["company"], given_name="Иван", family_name="Петров")
    viewer = make_delegate(
        event,
        categories["company"],
        given_name="Online",
        family_name="Viewer",
        given_name_latin="Online",
        family_name_latin="Viewer",
        name_order=Participant.GIVEN_FIRST,
    )
    seat = book(session, holder)
    book(session, first, join_waitlist=True)
    book(session, second, join_waitlist=True)
    book(session, viewer, mode="online")
    return {"session": session, "seat": seat, "holder": holder, "first": first, "second": second}


# --- who may see what -----------------------------------------------------------------------------------------


def read_urls(event, session):
    return [url(event, "sessions"), url(event, "session", session.pk)]


def edit_urls(event, session, forum):
    speaker = Speaker.objects.create(event=event, name="Guest")
    return [
        url(event, "session_create"),
        url(event, "session_edit", session.pk),
        url(event, "forums"),
        url(event, "forum_create"),
        url(event, "forum_edit", forum.pk),
        url(event, "speakers"),
        url(event, "speaker_create"),
        url(event, "speaker_edit", speaker.pk),
        url(event, "participant_search") + "?q=wang",
    ]


def post_urls(event, full):
    session = full["session"]
    talk = Talk.objects.create(session=session, title_en="Keynote")
    return [
        (url(event, "remove_booking", session.pk, full["seat"].pk), {"reason": "No-show"}),
        (url(event, "session_cancel", session.pk), {"cancel-reason": "Speaker ill"}),
        (url(event, "session_edit", session.pk), {"title_en": "Changed", "capacity": "0"}),
        (url(event, "talk_create", session.pk), {"new-talk-title_en": "Another"}),
        (url(event, "talk_delete", session.pk, talk.pk), {}),
        (url(event, "talk_move", session.pk, talk.pk), {"direction": "down"}),
        (url(event, "forum_create"), {"title_en": "New forum", "topic": "ai"}),
        (url(event, "speaker_create"), {"name": "Somebody"}),
    ]


def assert_nothing_changed(full):
    session = Session.objects.get(pk=full["session"].pk)
    assert session.status == Session.SCHEDULED and session.title_en == "Opening of the forum"
    assert Booking.objects.get(pk=full["seat"].pk).status == Booking.BOOKED
    assert Talk.objects.filter(session=session).count() == 1
    assert not Forum.objects.filter(title_en="New forum").exists()
    assert not Speaker.objects.filter(name="Somebody").exists()


@pytest.mark.parametrize("who", ["anonymous", "participant", "other_organizer", "other_officer"])
def test_outsiders_get_404_everywhere(client, event, forum, full_session, other_event, who):
    if who == "participant":
        client.force_login(full_session["holder"].user)
    elif who == "other_organizer":
        client.force_login(make_staff(other_event, "organizer"))
    elif who == "other_officer":
        client.force_login(make_staff(other_event, "accreditation_officer"))
    session = full_session["session"]
    for address in read_urls(event, session) + edit_urls(event, session, forum):
        assert client.get(address).status_code == 404, address
    for address, data in post_urls(event, full_session):
        assert client.post(address, data).status_code == 404, address
    assert_nothing_changed(full_session)


def test_officer_sees_sessions_and_people_but_changes_nothing(officer_client, event, forum, full_session):
    session = full_session["session"]
    for address in read_urls(event, session):
        response = officer_client.get(address)
        assert response.status_code == 200, address
        html = response.content.decode()
        assert url(event, "session_edit", session.pk) not in html
        assert url(event, "forums") not in html
    people = officer_client.get(url(event, "session", session.pk)).content.decode()
    assert "<bdi>王伟</bdi> (<bdi>WANG Wei</bdi>)" in people
    assert "remove_booking" not in people and "/remove/" not in people
    for address in edit_urls(event, session, forum):
        assert officer_client.get(address).status_code == 404, address
    for address, data in post_urls(event, full_session):
        assert officer_client.post(address, data).status_code == 404, address
    assert_nothing_changed(full_session)


def test_organizer_opens_every_page(organizer_client, event, forum, full_session):
    session = full_session["session"]
    for address in read_urls(event, session) + edit_urls(event, session, forum):
        assert organizer_client.get(address).status_code == 200, address


def test_objects_of_another_event_are_404(organizer_client, event, other_event):
    foreign_forum = make_forum(other_event)
    foreign = make_session(other_event, foreign_forum)
    talk = Talk.objects.create(session=foreign, title_en="Elsewhere")
    speaker = Speaker.objects.create(event=other_event, name="Elsewhere")
    for address in (
        url(event, "session", foreign.pk),
        url(event, "session_edit", foreign.pk),
        url(event, "forum_edit", foreign_forum.pk),
        url(event, "speaker_edit", speaker.pk),
        url(event, "session", 9 * 10**20),
    ):
        assert organizer_client.get(address).status_code == 404, address
    assert organizer_client.post(url(event, "talk_delete", foreign.pk, talk.pk)).status_code == 404
    assert Talk.objects.filter(pk=talk.pk).exists()


def test_the_back_office_navigation_links_the_program(officer_client, event):
    html = officer_client.get(reverse("manage:participants", args=[event.slug])).content.decode()
    assert f'href="{url(event, "sessions")}"' in html
    html = officer_client.get(url(event, "sessions")).content.decode()
    assert re.search(re.escape(f'href="{url(event, "sessions")}" aria-current="page">Program'), html)


# --- the sessions overview ------------------------------------------------------------------------------------


def test_overview_groups_by_day_and_forum_with_counts(organizer_client, event, forum, full_session):
    other_forum = make_forum(event, title_en="Security forum")
    day2 = make_session(event, other_forum, start=event.start + timedelta(days=1, hours=5), capacity=40)
    response = organizer_client.get(url(event, "sessions"))
    html = response.content.decode()
    assert row_ids(response) == [full_session["session"].pk, day2.pk]
    row = re.search(rf'<tr data-id="{full_session["session"].pk}"[^>]*>', html).group(0)
    assert 'data-booked="1" data-capacity="1" data-online="1" data-waitlist="2"' in row
    # Times in the event's time zone (Asia/Shanghai), not UTC.
    assert "09:00–10:30" in html and "14:00–15:30" in html
    assert "Monday · 2027-11-08" in html and "Tuesday · 2027-11-09" in html
    assert html.index("Digital economy forum") < html.index("Security forum")
    assert url(event, "session_edit", day2.pk) in html
    assert url(event, "session", day2.pk) in html


def test_overview_filters_by_forum_and_day(organizer_client, event, forum, session):
    other_forum = make_forum(event)
    late = make_session(event, forum, start=event.start + timedelta(days=1))
    elsewhere = make_session(event, other_forum)
    assert row_ids(organizer_client.get(url(event, "sessions") + f"?forum={forum.pk}")) == [
        session.pk,
        late.pk,
    ]
    assert set(row_ids(organizer_client.get(url(event, "sessions") + "?day=2027-11-08"))) == {
        session.pk,
        elsewhere.pk,
    }
    assert row_ids(organizer_client.get(url(event, "sessions") + f"?forum={forum.pk}&day=2027-11-09")) == [
        late.pk
    ]
    # An unknown filter (a deleted forum, a bad date) is dropped with a note: the selects then show "All",
    # and so does the list.
    for bad in ("?forum=999999", "?day=yesterday", "?forum=abc"):
        response = organizer_client.get(url(event, "sessions") + bad)
        assert response.status_code == 200
        assert set(row_ids(response)) == {session.pk, late.pk, elsewhere.pk}
        html = response.content.decode()
        filters = html[html.index('id="filters"') : html.index("</form>", html.index('id="filters"'))]
        assert 'id="filter-error"' in html and " selected" not in filters
        assert response.context["chosen_forum"] == "" and response.context["chosen_day"] == ""
    response = organizer_client.get(url(event, "sessions") + "?forum=999999&day=2027-11-09")
    assert row_ids(response) == [late.pk]
    assert "no such forum" in response.content.decode()
    # A real day without sessions stays chosen in the select.
    response = organizer_client.get(url(event, "sessions") + "?day=2027-12-24")
    assert row_ids(response) == []
    assert '<option value="2027-12-24" selected>' in response.content.decode()


def test_day_filter_uses_the_event_time_zone(organizer_client, event, forum):
    # 23:30 in Shanghai on the 8th is 15:30 UTC on the 8th; 00:30 on the 9th is 16:30 UTC on the 8th.
    late = make_session(event, forum, start=datetime(2027, 11, 8, 15, 30, tzinfo=UTC), minutes=30)
    after_midnight = make_session(event, forum, start=datetime(2027, 11, 8, 16, 30, tzinfo=UTC), minutes=30)
    assert row_ids(organizer_client.get(url(event, "sessions") + "?day=2027-11-08")) == [late.pk]
    assert row_ids(organizer_client.get(url(event, "sessions") + "?day=2027-11-09")) == [after_midnight.pk]


def _exists(name, **kwargs) -> str | None:
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def test_export_links_appear_when_the_exports_exist(organizer_client, event, session):
    html = organizer_client.get(url(event, "sessions")).content.decode()
    people = organizer_client.get(url(event, "session", session.pk)).content.decode()
    for name, kwargs, page in (
        ("schedule:sessions_csv", {"slug": event.slug}, html),
        ("schedule:sessions_xlsx", {"slug": event.slug}, html),
        ("schedule:bookings_csv", {"slug": event.slug, "pk": session.pk}, html),
        ("schedule:bookings_xlsx", {"slug": event.slug, "pk": session.pk}, people),
    ):
        address = _exists(name, **kwargs)
        if address is not None:
            assert f'href="{address}"' in page, name
    if _exists("schedule:sessions_csv", slug=event.slug) is None:
        assert 'id="export-sessions-csv"' not in html


def test_overview_queries_do_not_grow_with_the_sessions(organizer_client, event, categories):
    forums = [make_forum(event) for _ in range(3)]
    people = [make_delegate(event, categories["company"]) for _ in range(3)]

    def build(n):
        for i in range(n):
            s = make_session(
                event, forums[i % 3], start=event.start + timedelta(days=i % 3, hours=i % 8), capacity=1
            )
            if i % 2 == 0:
                for person, mode in zip(people, ["onsite", "online"], strict=False):
                    Booking.objects.create(session=s, participant=person, mode=mode, status=Booking.BOOKED)

    def count():
        organizer_client.get(url(event, "sessions"))  # warm the session and the caches
        with CaptureQueriesContext(connection) as ctx:
            response = organizer_client.get(url(event, "sessions"))
        assert response.status_code == 200
        return len(ctx.captured_queries), len(row_ids(response))

    build(5)
    few, rows = count()
    assert rows == 5
    build(55)
    many, rows = count()
    assert rows == 60
    assert many == few, (few, many)


# --- the people of a session ----------------------------------------------------------------------------------


def test_people_page_lists_seats_online_and_the_waitlist_in_order(organizer_client, event, full_session):
    response = organizer_client.get(url(event, "session", full_session["session"].pk))
    html = response.content.decode()
    onsite = html[html.index('id="list-onsite"') : html.index('id="list-online"')]
    online = html[html.index('id="list-online"') : html.index('id="list-waitlist"')]
    waitlist = html[html.index('id="list-waitlist"') :]
    assert (
        "<bdi>王伟</bdi> (<bdi>WANG Wei</bdi>)" in onsite and "华为 (Huawei)" in onsite and "China" in onsite
    )
    assert "Online Viewer" in online
    assert re.findall(r'data-participant="(\d+)" data-rank="(\d)"', waitlist) == [
        (str(full_session["first"].pk), "1"),
        (str(full_session["second"].pk), "2"),
    ]
    assert (
        "<bdi>Anna Schmidt</bdi></a>" in waitlist
        and "(Anna SCHMIDT)" not in waitlist
        and "Germany" in waitlist
    )
    assert html.count("/remove/") == 4  # one Remove per active booking
    # Booking times are in the event's time zone, and say so.
    assert "Booked at (China Standard Time, UTC+8)" in html
    assert 'class="remove-cell"' in html and "Why remove" in html


def test_people_page_has_no_online_list_for_a_session_without_online_places(organizer_client, event, session):
    session.online = False
    session.save()
    html = organizer_client.get(url(event, "session", session.pk)).content.decode()
    assert 'id="list-online"' not in html
    assert 'id="list-onsite"' in html and 'id="list-waitlist"' in html


def test_removal_frees_the_seat_and_names_who_moved_up(organizer_client, organizer, event, full_session):
    session = full_session["session"]
    mail.outbox.clear()
    response = organizer_client.post(
        url(event, "remove_booking", session.pk, full_session["seat"].pk),
        {"reason": "Did not come"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == url(event, "session", session.pk)
    texts = messages_of(response)
    assert any("王伟 (WANG Wei)" in t and "no longer" in t for t in texts)
    assert any("Anna Schmidt" in t and "moved up" in t for t in texts)
    statuses = dict(Booking.objects.filter(session=session).values_list("participant_id", "status"))
    assert statuses[full_session["holder"].pk] == Booking.CANCELLED
    assert statuses[full_session["first"].pk] == Booking.BOOKED
    assert statuses[full_session["second"].pk] == Booking.WAITLISTED
    assert [m.to for m in mail.outbox] == [[full_session["first"].email]]
    entry = AuditEntry.objects.get(action="booking.removed")
    assert entry.reason == "Did not come" and entry.actor == organizer
    # The page now shows the one left waiting as first.
    html = response.content.decode()
    assert re.findall(r'data-participant="(\d+)" data-rank="(\d)"', html) == [
        (str(full_session["second"].pk), "1")
    ]


def test_removal_needs_a_reason_and_a_second_removal_is_a_message(organizer_client, event, full_session):
    session, seat = full_session["session"], full_session["seat"]
    address = url(event, "remove_booking", session.pk, seat.pk)
    response = organizer_client.post(address, {"reason": "  "}, follow=True)
    assert any("reason" in t for t in messages_of(response))
    assert Booking.objects.get(pk=seat.pk).status == Booking.BOOKED
    organizer_client.post(address, {"reason": "No-show"})
    response = organizer_client.post(address, {"reason": "Again"}, follow=True)
    assert response.status_code == 200
    assert any("already cancelled" in t for t in messages_of(response))


def test_removing_a_waitlist_place_promotes_nobody(organizer_client, event, full_session):
    session = full_session["session"]
    waiting = Booking.objects.get(session=session, participant=full_session["second"])
    response = organizer_client.post(
        url(event, "remove_booking", session.pk, waiting.pk), {"reason": "Asked to leave"}, follow=True
    )
    assert not any("moved up" in t for t in messages_of(response))
    assert Booking.objects.get(pk=full_session["seat"].pk).status == Booking.BOOKED


def test_a_booking_of_another_session_cannot_be_removed_through_this_one(
    organizer_client, event, forum, full_session
):
    other = make_session(event, forum, start=event.start + timedelta(days=1))
    response = organizer_client.post(
        url(event, "remove_booking", other.pk, full_session["seat"].pk), {"reason": "x"}
    )
    assert response.status_code == 404
    assert Booking.objects.get(pk=full_session["seat"].pk).status == Booking.BOOKED


# --- sessions: create and edit --------------------------------------------------------------------------------


def session_data(forum, **overrides):
    data = {
        "forum": forum.pk,
        "title_en": "AI governance round table",
        "title_zh": "人工智能治理圆桌",
        "abstract_en": "Who sets the rules?",
        "start": "2027-11-09T14:00",
        "end": "2027-11-09T15:30",
        "capacity": "80",
        "online": "on",
        "online_limit": "",
        "languages": ["zh", "en"],
        "interpretation": "on",
    }
    data.update(overrides)
    return data


def test_create_a_session_in_the_event_time_zone(organizer_client, organizer, event, forum):
    room = event.rooms.get()
    response = organizer_client.post(url(event, "session_create"), session_data(forum, room=room.pk))
    session = Session.objects.get(title_en="AI governance round table")
    assert response.status_code == 302
    assert response["Location"] == url(event, "session_edit", session.pk)
    assert session.start == datetime(2027, 11, 9, 6, 0, tzinfo=UTC)  # 14:00 in Shanghai
    assert session.end == datetime(2027, 11, 9, 7, 30, tzinfo=UTC)
    assert (session.forum, session.room, session.capacity) == (forum, room, 80)
    assert session.online and session.online_limit is None and session.interpretation
    assert session.languages == ["en", "zh"]
    assert AuditEntry.objects.filter(action="session.created", actor=organizer).exists()
    # The edit form shows the times back in the event's zone.
    html = organizer_client.get(response["Location"]).content.decode()
    assert 'value="2027-11-09T14:00"' in html and 'value="2027-11-09T15:30"' in html


@pytest.mark.parametrize(
    ("overrides", "field", "text"),
    [
        ({"capacity": "-1"}, "capacity", "0 or more"),
        ({"end": "2027-11-09T13:00"}, "end", "end after it starts"),
        ({"end": "2027-11-09T14:00"}, "end", "end after it starts"),
        ({"online_limit": "-5"}, "online_limit", "0 or more"),
        ({"start": "tomorrow"}, "start", "valid date/time"),
        ({"title_en": "   "}, "title_en", "required"),
        ({"capacity": "99999999999999"}, "capacity", "less than or equal"),
    ],
)
def test_bad_session_values_show_on_their_fields(organizer_client, event, forum, overrides, field, text):
    response = organizer_client.post(url(event, "session_create"), session_data(forum, **overrides))
    assert response.status_code == 422
    errors = field_errors(response)
    assert list(errors) == [field]
    assert text in errors[field][0]
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not Session.objects.exists()


def test_a_forum_of_another_event_is_refused(organizer_client, event, forum, other_event):
    foreign = make_forum(other_event)
    response = organizer_client.post(url(event, "session_create"), session_data(foreign))
    assert response.status_code == 422 and "forum" in field_errors(response)
    assert not Session.objects.exists()


def test_edit_errors_keep_the_stored_session(organizer_client, event, forum, session):
    response = organizer_client.post(
        url(event, "session_edit", session.pk),
        session_data(forum, title_en="Renamed", start="2027-11-08T10:00", end="2027-11-08T09:00"),
    )
    assert response.status_code == 422
    assert "end" in field_errors(response)
    session.refresh_from_db()
    assert session.title_en == "Opening of the forum"


def test_fewer_seats_than_booked_is_refused_and_keeps_the_old_value(
    organizer_client, event, forum, categories
):
    session = make_session(event, forum, capacity=3)
    for _ in range(2):
        book(session, make_delegate(event, categories["company"]))
    response = organizer_client.post(
        url(event, "session_edit", session.pk), session_data(forum, capacity="1", title_en="Renamed")
    )
    assert response.status_code == 422
    errors = field_errors(response)
    assert "2 seats are booked" in errors["capacity"][0]
    assert "2 seats are booked" in response.content.decode()
    session.refresh_from_db()
    assert (session.capacity, session.title_en) == (3, session.title_en)
    assert session.title_en != "Renamed"
    # Down to exactly the booked number is fine.
    response = organizer_client.post(
        url(event, "session_edit", session.pk), session_data(forum, capacity="2")
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.capacity == 2


def test_more_seats_promote_the_waitlist(organizer_client, event, forum, full_session):
    session = full_session["session"]
    response = organizer_client.post(
        url(event, "session_edit", session.pk), session_data(forum, capacity="2")
    )
    assert response.status_code == 302
    assert Booking.objects.get(session=session, participant=full_session["first"]).status == Booking.BOOKED


def test_cancel_a_session_with_a_reason(organizer_client, organizer, event, full_session):
    session = full_session["session"]
    address = url(event, "session_cancel", session.pk)
    response = organizer_client.post(address, {"cancel-reason": ""})
    assert response.status_code == 422 and "reason" in response.context["cancel_form"].errors
    assert Session.objects.get(pk=session.pk).status == Session.SCHEDULED
    response = organizer_client.post(address, {"cancel-reason": "The room is closed"}, follow=True)
    assert any("cancelled" in t for t in messages_of(response))
    assert Session.objects.get(pk=session.pk).status == Session.CANCELLED
    assert not Booking.objects.filter(session=session, status__in=Booking.ACTIVE).exists()
    assert AuditEntry.objects.get(action="session.cancelled").reason == "The room is closed"
    assert 'id="cancel-session"' not in response.content.decode()
    response = organizer_client.post(address, {"cancel-reason": "Again"}, follow=True)
    assert any("already cancelled" in t for t in messages_of(response))


# --- forums ---------------------------------------------------------------------------------------------------


def test_create_a_forum_with_moderators(organizer_client, event, categories):
    org = make_organization(event, name="中国信通院", name_latin="CAICT")
    room = event.rooms.get()
    first = make_delegate(event, categories["company"], email="mod1@example.org")
    second = make_delegate(event, categories["company"])
    response = organizer_client.post(
        url(event, "forum_create"),
        {
            "title_en": "Digital Silk Road",
            "title_zh": "数字丝绸之路",
            "description_en": "Trade online.",
            "description_zh": "网上贸易。",
            "topic": "economy",
            "host_organization": org.pk,
            "room": room.pk,
            "moderators": f"MOD1@example.org\n{second.pk}",
            "order": "3",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == url(event, "forums")
    forum = Forum.objects.get(event=event, title_en="Digital Silk Road")
    assert forum.slug == "digital-silk-road"
    assert (forum.title_zh, forum.topic, forum.host_organization, forum.room, forum.order) == (
        "数字丝绸之路",
        "economy",
        org,
        room,
        3,
    )
    assert set(forum.moderators.all()) == {first, second}
    html = organizer_client.get(url(event, "forums")).content.decode()
    assert "Digital Silk Road" in html and url(event, "forum_edit", forum.pk) in html
    # Editing shows the moderators and can drop one.
    edit = organizer_client.get(url(event, "forum_edit", forum.pk)).content.decode()
    assert "mod1@example.org" in edit
    response = organizer_client.post(
        url(event, "forum_edit", forum.pk),
        {
            "title_en": "Digital Silk Road",
            "slug": "dsr",
            "topic": "economy",
            "moderators": "mod1@example.org",
        },
    )
    assert response.status_code == 302
    forum.refresh_from_db()
    assert forum.slug == "dsr" and list(forum.moderators.all()) == [first]


def test_forum_errors_show_on_their_fields(organizer_client, event, forum, other_event):
    stranger = make_delegate(other_event, email="stranger@example.org")
    response = organizer_client.post(
        url(event, "forum_create"),
        {"title_en": "X", "topic": "ai", "moderators": "stranger@example.org, nobody"},
    )
    assert response.status_code == 422
    errors = field_errors(response)
    assert "stranger@example.org" in errors["moderators"][0] and "nobody" in errors["moderators"][0]
    response = organizer_client.post(
        url(event, "forum_create"), {"title_en": "X", "topic": "ai", "slug": forum.slug}
    )
    assert response.status_code == 422
    assert "already uses" in field_errors(response)["slug"][0]
    assert Forum.objects.filter(event=event).count() == 1
    assert stranger.moderated_forums.count() == 0


def test_automatic_forum_slugs_do_not_collide(organizer_client, event):
    for _ in range(2):
        organizer_client.post(url(event, "forum_create"), {"title_en": "Same title", "topic": "ai"})
    assert sorted(Forum.objects.values_list("slug", flat=True)) == ["same-title", "same-title-2"]


def test_participant_search_finds_people_of_this_event_only(organizer_client, event, categories, other_event):
    make_delegate(event, categories["company"], given_name="Zhou", family_name="Li", email="zhou@example.org")
    make_delegate(other_event, given_name="Zhou", family_name="Other", email="zhou@elsewhere.org")
    data = organizer_client.get(url(event, "participant_search") + "?q=zhou").json()
    assert [r["email"] for r in data["results"]] == ["zhou@example.org"]
    assert organizer_client.get(url(event, "participant_search")).json() == {"results": []}


# --- speakers -------------------------------------------------------------------------------------------------


def test_create_an_external_speaker_with_a_photo(organizer_client, event, settings):
    photo = SimpleUploadedFile("me.png", PNG_BYTES, content_type="image/png")
    response = organizer_client.post(
        url(event, "speaker_create"),
        {"name": "Jean Dupont", "affiliation": "UNESCO", "bio_en": "Expert.", "remote": "on", "photo": photo},
    )
    assert response.status_code == 302
    speaker = Speaker.objects.get(event=event)
    assert (speaker.name, speaker.name_latin, speaker.affiliation, speaker.remote) == (
        "Jean Dupont",
        "Jean Dupont",
        "UNESCO",
        True,
    )
    assert speaker.participant is None and speaker.photo.startswith("speakers/")
    html = organizer_client.get(url(event, "speaker_edit", speaker.pk)).content.decode()
    assert 'id="photo-on-file"' in html


def test_speaker_list_is_alphabetical_searchable_and_says_remote(organizer_client, event):
    zhou = Speaker.objects.create(event=event, name="周敏", name_latin="Zhou Min", affiliation="CAC")
    angel = Speaker.objects.create(event=event, name="Ángel Ruiz", name_latin="Angel RUIZ", remote=True)
    bo = Speaker.objects.create(event=event, name="Bo Li", affiliation="Tsinghua University")
    response = organizer_client.get(url(event, "speakers"))
    assert row_ids(response) == [angel.pk, bo.pk, zhou.pk]
    html = response.content.decode()
    assert 'id="speaker-search"' in html
    assert "><bdi>Ángel Ruiz</bdi></a>" in html  # the Latin form only repeats the name
    row = html[html.index(f'<tr data-id="{angel.pk}"') :]
    assert ">Yes</td>" in row[: row.index("</tr>")]
    row = html[html.index(f'<tr data-id="{bo.pk}"') :]
    assert "—" in row[: row.index("</tr>")] and ">no<" not in html
    assert row_ids(organizer_client.get(url(event, "speakers") + "?q=zhou")) == [zhou.pk]
    assert row_ids(organizer_client.get(url(event, "speakers") + "?q=tsinghua")) == [bo.pk]
    response = organizer_client.get(url(event, "speakers") + "?q=周")
    assert row_ids(response) == [zhou.pk] and "1 of 3 speakers matches." in response.content.decode()
    chinese = organizer_client.get(url(event, "speakers"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert ">是</td>" in chinese


def test_session_form_names_forums_rooms_and_speakers_in_the_viewers_language(
    organizer_client, event, forum, session
):
    forum.title_zh = "数字经济论坛"
    forum.save()
    room = event.rooms.get()
    room.name_zh = "莲花厅"
    room.save()
    Speaker.objects.create(event=event, name="李华", name_latin="Li Hua", affiliation="清华大学")
    Speaker.objects.create(event=event, name="Lena Hoffmann", name_latin="Lena HOFFMANN")
    html = organizer_client.get(url(event, "session_edit", session.pk), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = html.content.decode()
    assert f'<option value="{forum.pk}" selected>数字经济论坛</option>' in html
    assert f'<option value="{room.pk}">莲花厅</option>' in html
    assert ">李华 (Li Hua) · 清华大学</option>" in html and ">Lena Hoffmann</option>" in html
    assert "分论坛:" not in html  # no ASCII label colon in Chinese
    english = organizer_client.get(url(event, "session_edit", session.pk)).content.decode()
    assert f'<option value="{forum.pk}" selected>Digital economy forum</option>' in english


def test_a_participant_becomes_a_speaker_by_e_mail(organizer_client, event, categories):
    person = make_delegate(
        event,
        categories["company"],
        email="wang@example.org",
        given_name="伟",
        family_name="王",
        given_name_latin="Wei",
        family_name_latin="Wang",
        name_order=Participant.FAMILY_FIRST,
    )
    response = organizer_client.post(url(event, "speaker_create"), {"participant": "wang@example.org"})
    assert response.status_code == 302
    speaker = Speaker.objects.get(event=event)
    assert speaker.participant == person and speaker.name_latin == "WANG Wei"
    # A second profile for the same participant is refused on the field.
    response = organizer_client.post(url(event, "speaker_create"), {"participant": str(person.pk)})
    assert response.status_code == 422
    assert "already has a speaker profile" in field_errors(response)["participant"][0]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "X", "participant": "a@b.c d@e.f"}, "participant"),
        ({"name": "X", "photo": SimpleUploadedFile("x.png", b"MZ\x90\x00 not an image")}, "photo"),
    ],
)
def test_speaker_errors_show_on_their_fields(organizer_client, event, data, field):
    response = organizer_client.post(url(event, "speaker_create"), data)
    assert response.status_code == 422
    assert field in field_errors(response)
    assert not Speaker.objects.exists()


# --- talks ----------------------------------------------------------------------------------------------------


def test_add_edit_move_and_delete_talks(organizer_client, event, session):
    ada = Speaker.objects.create(event=event, name="Ada")
    bo = Speaker.objects.create(event=event, name="Bo")
    add = url(event, "talk_create", session.pk)
    response = organizer_client.post(
        add, {"new-talk-title_en": "Keynote", "new-talk-minutes": "20", "new-talk-speakers": [ada.pk, bo.pk]}
    )
    assert response.status_code == 302 and response["Location"].endswith("#talks")
    organizer_client.post(add, {"new-talk-title_en": "Panel"})
    organizer_client.post(add, {"new-talk-title_en": "Closing"})
    keynote, panel, closing = Talk.objects.filter(session=session).order_by("order", "id")
    assert set(keynote.speakers.all()) == {ada, bo} and keynote.minutes == 20

    response = organizer_client.post(
        url(event, "talk_edit", session.pk, panel.pk),
        {f"talk-{panel.pk}-title_en": "Panel debate", f"talk-{panel.pk}-speakers": [bo.pk]},
    )
    assert response.status_code == 302
    panel.refresh_from_db()
    assert panel.title_en == "Panel debate" and list(panel.speakers.all()) == [bo]

    def order():
        return list(
            Talk.objects.filter(session=session).order_by("order", "id").values_list("title_en", flat=True)
        )

    organizer_client.post(url(event, "talk_move", session.pk, closing.pk), {"direction": "up"})
    assert order() == ["Keynote", "Closing", "Panel debate"]
    organizer_client.post(url(event, "talk_move", session.pk, keynote.pk), {"direction": "down"})
    assert order() == ["Closing", "Keynote", "Panel debate"]
    organizer_client.post(
        url(event, "talk_move", session.pk, closing.pk), {"direction": "up"}
    )  # already first
    assert order() == ["Closing", "Keynote", "Panel debate"]
    assert (
        AuditEntry.objects.filter(action="talk.moved").count() == 2
    )  # the move that changed nothing is not logged
    sideways = organizer_client.post(
        url(event, "talk_move", session.pk, closing.pk), {"direction": "sideways"}, follow=True
    )
    assert "move the talk up or down" in sideways.content.decode()
    assert order() == ["Closing", "Keynote", "Panel debate"]

    html = organizer_client.get(url(event, "session_edit", session.pk)).content.decode()
    assert [int(x) for x in re.findall(r'<li data-talk="(\d+)"', html)] == [closing.pk, keynote.pk, panel.pk]
    assert "<bdi>Ada</bdi>, <bdi>Bo</bdi>" in html

    organizer_client.post(url(event, "talk_delete", session.pk, keynote.pk))
    assert order() == ["Closing", "Panel debate"]
    assert AuditEntry.objects.filter(action="talk.deleted").exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"new-talk-title_en": ""}, "title_en"),
        ({"new-talk-title_en": "T", "new-talk-minutes": "0"}, "minutes"),
        ({"new-talk-title_en": "T", "new-talk-minutes": "5000"}, "minutes"),
        ({"new-talk-title_en": "T", "new-talk-speakers": ["999999"]}, "speakers"),
        ({"new-talk-title_en": "T", "new-talk-speakers": ["9" * 30]}, "speakers"),
    ],
)
def test_talk_errors_show_on_the_session_page(organizer_client, event, session, data, field):
    response = organizer_client.post(url(event, "talk_create", session.pk), data)
    assert response.status_code == 422
    assert field in response.context["new_talk"].errors
    assert f'id="id_new-talk-{field}_error"' in response.content.decode()
    assert not Talk.objects.exists()


def test_speakers_of_another_event_cannot_be_chosen(organizer_client, event, session, other_event):
    foreign = Speaker.objects.create(event=other_event, name="Elsewhere")
    response = organizer_client.post(
        url(event, "talk_create", session.pk), {"new-talk-title_en": "T", "new-talk-speakers": [foreign.pk]}
    )
    assert response.status_code == 422
    assert not Talk.objects.exists()
