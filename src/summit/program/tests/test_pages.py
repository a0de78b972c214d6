"""The public program, session pages with booking, my agenda and the speaker's own profile (program/views.py)."""

import re
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from summit.core.testing import EXE_BYTES, PNG_BYTES
from summit.program import services
from summit.program.models import AgendaFeed, Booking, Speaker, Talk
from summit.program.testing import make_forum, make_session
from summit.registration.models import Participant
from summit.registration.testing import make_delegate

pytestmark = pytest.mark.django_db


# --- helpers ------------------------------------------------------------------------------------------------


@pytest.fixture
def forum(event):
    return make_forum(event, title_en="Cyberspace governance forum", title_zh="网络空间治理论坛")


@pytest.fixture
def delegate(event, categories):
    return make_delegate(event, categories["company"])


@pytest.fixture
def delegate_client(client, delegate):
    client.force_login(delegate.user)
    return client


def url(name, event, *args):
    return reverse(f"program:{name}", args=[event.slug, *args])


def form_key(page, action: str) -> str:
    """The idempotency key of the booking form whose button has ``data-action=action``."""
    for form in re.findall(r"<form[^>]*book-form.*?</form>", page.text, flags=re.S):
        if f'data-action="{action}"' in form:
            return re.search(r'name="idempotency_key" value="([^"]+)"', form).group(1)
    raise AssertionError(f"no {action!r} booking form on the page")


def book_via_page(client, event, session, action="seat", **extra):
    page = client.get(url("session", event, session.pk))
    data = {
        "idempotency_key": form_key(page, action),
        "mode": "online" if action == "online" else "onsite",
        **extra,
    }
    if action == "waitlist":
        data["join_waitlist"] = "1"
    return client.post(url("book", event, session.pk), data, follow=True)


def service_book(session, person, **kw):
    kw.setdefault("mode", "onsite")
    return services.book(session=session, participant=person, idempotency_key=uuid.uuid4().hex, **kw).booking


def active(session, person):
    return Booking.objects.filter(session=session, participant=person, status__in=Booking.ACTIVE).first()


# --- the program ------------------------------------------------------------------------------------------


def test_program_renders_in_english_and_chinese(client, event, forum):
    session = make_session(
        event, forum, title_en="Data governance", title_zh="数据治理", capacity=300, languages=["en", "zh"]
    )
    speaker = Speaker.objects.create(event=event, name="李华", name_latin="Li Hua")
    Talk.objects.create(session=session, title_en="Opening", order=0).speakers.add(speaker)
    make_session(event, forum, start=event.start + timedelta(days=1), title_en="Day two", capacity=0)

    page = client.get(url("index", event))
    assert page.status_code == 200
    text = page.text
    assert "Data governance" in text and "Cyberspace governance forum" in text
    assert "300 of 300 seats free" in text
    assert "Li Hua" in text
    assert "09:00" in text and "China Standard Time (UTC+8)" in text
    assert 'datetime="2027-11-08T09:00:00+08:00"' in text
    assert 'data-your-time-label="{time} your time, {zone}"' in text
    assert 'hx-trigger="every 10s"' in text and url("seats", event) in text
    assert "vendor/htmx/htmx.min.js" in text and "summit/program.js" in text
    assert text.index("Data governance") < text.index("Day two")  # days in order

    chinese = client.get(url("index", event), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese.status_code == 200
    assert "数据治理" in chinese.text and "网络空间治理论坛" in chinese.text
    assert 'lang="zh-Hans"' in chinese.text
    assert '<li class="languages">英语、中文</li>' in chinese.text  # a Chinese list takes the 顿号
    assert '<li class="languages">English, Chinese</li>' in text

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    by_cookie = client.get(url("index", event))
    assert "数据治理" in by_cookie.text


def test_program_filters_by_topic_language_and_mode(client, event):
    governance = make_forum(event, topic="governance")
    security = make_forum(event, topic="security")
    make_session(event, governance, title_en="Gov EN", languages=["en"], online=False)
    make_session(event, security, title_en="Sec ZH", languages=["zh"], capacity=0, online=True)
    make_session(event, security, title_en="Sec FR", languages=["fr"], online=True)

    def titles(**params):
        text = client.get(url("index", event), params).text
        return {t for t in ("Gov EN", "Sec ZH", "Sec FR") if t in text}

    assert titles() == {"Gov EN", "Sec ZH", "Sec FR"}
    assert titles(topic="security") == {"Sec ZH", "Sec FR"}
    assert titles(language="zh") == {"Sec ZH"}
    assert titles(mode="onsite") == {"Gov EN", "Sec FR"}
    assert titles(mode="online") == {"Sec ZH", "Sec FR"}
    assert titles(topic="security", language="fr", mode="online") == {"Sec FR"}
    assert titles(topic="nonsense", language="xx", mode="??") == {"Gov EN", "Sec ZH", "Sec FR"}
    empty = client.get(url("index", event), {"topic": "health"})
    assert 'id="no-sessions"' in empty.text


def test_seat_labels_full_waitlist_online_and_my_state(client, event, categories, forum, delegate):
    full = make_session(event, forum, title_en="Packed", capacity=1)
    online_only = make_session(
        event, forum, title_en="Webcast", capacity=0, start=event.start + timedelta(hours=3)
    )
    holder, waiting = (make_delegate(event, categories["company"]) for _ in range(2))
    service_book(full, holder)
    service_book(full, waiting, join_waitlist=True)
    service_book(full, delegate, join_waitlist=True)
    service_book(online_only, delegate, mode="online")

    client.force_login(delegate.user)
    text = client.get(url("index", event)).text
    assert "Full – waitlist 2" in text
    assert f'id="seats-{online_only.pk}"' in text
    assert "2nd on the waitlist" in text
    assert "You join online" in text


def test_seats_fragment_is_one_query_and_stays_in_its_event(client, event, other_event, categories, forum):
    session = make_session(event, forum, capacity=5)
    service_book(session, make_delegate(event, categories["company"]))
    foreign = make_session(other_event, make_forum(other_event), capacity=5)
    with CaptureQueriesContext(connection) as queries:
        fragment = client.get(
            url("seats", event), {"ids": f"{session.pk},{foreign.pk},x,-1"}, HTTP_HX_REQUEST="true"
        )
    assert len(queries) == 1
    assert fragment.status_code == 200
    assert f'id="seats-{session.pk}"' in fragment.text and 'hx-swap-oob="true"' in fragment.text
    assert "4 of 5 seats free" in fragment.text
    assert f'id="seats-{foreign.pk}"' not in fragment.text
    assert "<html" not in fragment.text
    # Opened as a page, not by htmx: the program, where the counts are shown (never a bare fragment).
    opened = client.get(url("seats", event), {"ids": str(session.pk)})
    assert opened.status_code == 302 and opened["Location"] == url("index", event)


def _build_program(event, categories, viewer, n: int):
    forums = [make_forum(event) for _ in range(3)]
    for i in range(n):
        session = make_session(
            event,
            forums[i % 3],
            start=event.start + timedelta(days=i % 3, hours=i % 8),
            capacity=2,
            languages=["en", "zh"],
        )
        talk = Talk.objects.create(session=session, title_en=f"Talk {i}", order=0)
        talk.speakers.add(
            Speaker.objects.create(event=event, name=f"Speaker {i}", bio_en="Bio"),
            Speaker.objects.create(event=event, name=f"Co-speaker {i}"),
        )
        if i % 2 == 0:
            Booking.objects.create(session=session, participant=viewer, mode="onsite", status="booked")
        elif i % 3 == 0:
            session.waitlist_seq = 2
            session.save()
            Booking.objects.create(
                session=session, participant=viewer, mode="onsite", status="waitlisted", waitlist_position=2
            )


def _count_queries(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


def test_program_and_agenda_run_the_same_queries_for_5_and_80_sessions(
    client, event, other_event, categories
):
    small = make_delegate(event, categories["company"])
    _build_program(event, categories, small, 5)
    client.force_login(small.user)
    client.get(url("agenda", event))  # creates the feed once
    program_small = _count_queries(client, url("index", event))
    agenda_small = _count_queries(client, url("agenda", event))

    big = make_delegate(other_event, other_event.categories.first())
    _build_program(other_event, categories, big, 80)
    client.force_login(big.user)
    client.get(url("agenda", other_event))
    page = client.get(url("index", other_event))
    assert page.text.count('class="card session-card') == 80
    assert _count_queries(client, url("index", other_event)) == program_small
    assert _count_queries(client, url("agenda", other_event)) == agenda_small


# --- one session and booking ------------------------------------------------------------------------------


def test_session_page_shows_talks_speakers_and_moderators_in_the_viewers_language(client, event, forum):
    session = make_session(event, forum, title_en="AI rules", title_zh="人工智能规则", interpretation=True)
    moderator = make_delegate(event, given_name="Anna", family_name="Schmidt", name_order="given_first")
    forum.moderators.add(moderator)
    speaker = Speaker.objects.create(
        event=event, name="Jean Dupont", affiliation="INRIA", bio_en="Works on AI.", bio_zh="研究人工智能。"
    )
    Talk.objects.create(session=session, title_en="Second", order=2).speakers.add(speaker)
    Talk.objects.create(session=session, title_en="First", order=1)

    page = client.get(url("session", event, session.pk))
    assert page.status_code == 200
    text = page.text
    assert "AI rules" in text and "Works on AI." in text and "INRIA" in text
    assert text.index("First") < text.index("Second")
    assert "Anna" in text and "Interpretation available" in text
    assert 'id="signin-to-book"' in text and reverse("registration:signin", args=[event.slug]) in text
    assert "book-form" not in text

    chinese = client.get(url("session", event, session.pk), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "人工智能规则" in chinese.text and "研究人工智能。" in chinese.text
    # Languages are listed with the separator of the viewer's language.
    assert "English, Chinese" in text
    assert "英语、中文" in chinese.text and "英语, 中文" not in chinese.text


def test_anonymous_visitors_of_a_full_session_are_asked_to_sign_in_for_the_waitlist(
    client, event, categories, forum
):
    session = make_session(event, forum, capacity=1)
    page = client.get(url("session", event, session.pk))
    assert "Sign in to book" in page.text
    service_book(session, make_delegate(event, categories["company"]))
    page = client.get(url("session", event, session.pk))
    assert "Sign in to join the waitlist" in page.text and "Sign in to book" not in page.text


def test_a_session_without_online_places_says_nothing_about_online(client, event, forum):
    session = make_session(event, forum, capacity=5, online=False)
    page = client.get(url("session", event, session.pk))
    assert "Online" not in page.text.split('id="booking"')[0]


def test_book_a_seat_then_cancel_through_the_page(delegate_client, event, forum, delegate):
    session = make_session(event, forum, title_en="Keynote", capacity=3)
    page = book_via_page(delegate_client, event, session)
    assert page.status_code == 200
    assert "Your seat in “Keynote” is booked." in page.text
    assert "Your seat is booked" in page.text and "2 of 3 seats free" in page.text
    assert active(session, delegate).mode == "onsite"

    page = delegate_client.post(url("cancel", event, session.pk), follow=True)
    assert "Your place in “Keynote” is cancelled." in page.text
    assert active(session, delegate) is None
    assert 'data-action="seat"' in page.text


def test_full_session_offers_the_waitlist_and_online(delegate_client, event, categories, forum, delegate):
    session = make_session(event, forum, title_en="Small room", capacity=1)
    service_book(session, make_delegate(event, categories["company"]))
    page = delegate_client.get(url("session", event, session.pk))
    assert 'data-action="waitlist"' in page.text and 'data-action="online"' in page.text
    assert 'data-action="seat"' not in page.text
    assert "Full" in page.text

    # A seat form sent after the session filled up: the service's message, not an error page.
    stale = delegate_client.post(
        url("book", event, session.pk),
        {"idempotency_key": uuid.uuid4().hex, "mode": "onsite"},
        follow=True,
    )
    assert stale.status_code == 200
    assert "All on-site seats of “Small room” are taken." in stale.text
    assert active(session, delegate) is None

    page = book_via_page(delegate_client, event, session, "waitlist")
    assert "You are 1st on the waitlist of “Small room”." in page.text
    assert "1st on the waitlist" in page.text and "Leave the waitlist" in page.text
    assert active(session, delegate).status == "waitlisted"

    page = delegate_client.post(url("cancel", event, session.pk), follow=True)
    assert "You left the waitlist of “Small room”." in page.text and "is cancelled" not in page.text
    assert active(session, delegate) is None


def test_join_online(delegate_client, event, forum, delegate):
    session = make_session(event, forum, title_en="Webinar", capacity=0)
    page = book_via_page(delegate_client, event, session, "online")
    assert "You will join “Webinar” online." in page.text
    assert active(session, delegate).mode == "online"


def test_conflict_offers_a_switch_that_swaps_the_two(delegate_client, event, forum, delegate):
    first = make_session(event, forum, title_en="Morning panel")
    second = make_session(event, make_forum(event), title_en="Parallel workshop", start=event.start)
    held = service_book(first, delegate)

    page = delegate_client.get(url("session", event, second.pk))
    assert 'id="conflict"' in page.text and "Morning panel" in page.text
    assert "Switch to this one" in page.text
    assert f'name="replace" value="{held.pk}"' in page.text

    page = book_via_page(delegate_client, event, second, replace=str(held.pk))
    assert "Your seat in “Parallel workshop” is booked." in page.text
    assert "You gave up your place in “Morning panel”." in page.text
    held.refresh_from_db()
    assert held.status == "cancelled"
    assert active(second, delegate).status == "booked"

    # Without "replace" the service names the conflict.
    page = book_via_page(delegate_client, event, first)
    assert "overlaps “Parallel workshop”" in page.text
    assert active(first, delegate) is None


def test_double_post_with_the_same_key_books_once(delegate_client, event, forum, delegate):
    session = make_session(event, forum, title_en="Popular", capacity=5)
    page = delegate_client.get(url("session", event, session.pk))
    data = {"idempotency_key": form_key(page, "seat"), "mode": "onsite"}
    first = delegate_client.post(url("book", event, session.pk), data)
    second = delegate_client.post(url("book", event, session.pk), data, follow=True)
    assert first.status_code == 302
    assert second.status_code == 200 and "Your seat in “Popular” is booked." in second.text
    assert Booking.objects.filter(session=session, participant=delegate).count() == 1


def test_a_switch_sent_twice_answers_the_switch_it_made(delegate_client, event, forum, delegate):
    """The form sent again (its answer was lost) with the same key: the booking it made, not "no longer
    active" for the place it gave up."""
    first = make_session(event, forum, title_en="Morning panel")
    second = make_session(event, make_forum(event), title_en="Parallel workshop", start=event.start)
    held = service_book(first, delegate)
    page = delegate_client.get(url("session", event, second.pk))
    data = {"idempotency_key": form_key(page, "seat"), "mode": "onsite", "replace": str(held.pk)}
    switched = delegate_client.post(url("book", event, second.pk), data, follow=True)
    assert "You gave up your place in “Morning panel”." in switched.text
    again = delegate_client.post(url("book", event, second.pk), data, follow=True)
    assert "Your seat in “Parallel workshop” is booked." in again.text
    assert "no longer active" not in again.text
    assert Booking.objects.filter(participant=delegate, session=second).count() == 1
    assert active(second, delegate).status == "booked" and active(first, delegate) is None


def test_each_page_view_has_fresh_keys(delegate_client, event, forum):
    session = make_session(event, forum)
    keys = {form_key(delegate_client.get(url("session", event, session.pk)), "seat") for _ in range(2)}
    assert len(keys) == 2


def test_missing_key_or_bad_replace_is_a_message_not_a_500(delegate_client, event, forum, delegate):
    session = make_session(event, forum)
    page = delegate_client.post(url("book", event, session.pk), {"mode": "onsite"}, follow=True)
    assert page.status_code == 200 and "An idempotency key is required" in page.text
    page = delegate_client.post(
        url("book", event, session.pk),
        {"mode": "onsite", "idempotency_key": uuid.uuid4().hex, "replace": "99999"},
        follow=True,
    )
    assert "no longer active" in page.text
    page = delegate_client.post(
        url("book", event, session.pk), {"mode": "flying", "idempotency_key": uuid.uuid4().hex}, follow=True
    )
    assert page.status_code == 200 and "msg-error" in page.text
    assert not Booking.objects.filter(participant=delegate).exists()


def test_anonymous_visitors_cannot_book(client, event, forum):
    session = make_session(event, forum)
    response = client.post(
        url("book", event, session.pk), {"idempotency_key": uuid.uuid4().hex, "mode": "onsite"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("registration:signin", args=[event.slug])
    assert not Booking.objects.exists()
    assert client.get(url("agenda", event))["Location"] == reverse("registration:signin", args=[event.slug])


def test_participants_not_yet_approved_see_why(client, event, categories, forum):
    person = make_delegate(event, categories["company"], status=Participant.SUBMITTED)
    session = make_session(event, forum)
    client.force_login(person.user)
    page = client.get(url("session", event, session.pk))
    assert 'id="cannot-book"' in page.text and "Only approved participants can book sessions" in page.text
    assert "book-form" not in page.text


def test_online_attendees_are_offered_online_places_only(client, event, categories, forum):
    person = make_delegate(event, categories["company"], attendance_mode=Participant.ONLINE)
    session = make_session(event, forum)
    client.force_login(person.user)
    page = client.get(url("session", event, session.pk))
    assert 'data-action="online"' in page.text and 'data-action="seat"' not in page.text


def test_another_events_session_is_404(delegate_client, event, other_event, delegate):
    foreign = make_session(other_event, make_forum(other_event))
    assert delegate_client.get(url("session", event, foreign.pk)).status_code == 404
    response = delegate_client.post(
        url("book", event, foreign.pk), {"idempotency_key": uuid.uuid4().hex, "mode": "onsite"}
    )
    assert response.status_code == 404
    assert delegate_client.post(url("cancel", event, foreign.pk)).status_code == 404
    assert not Booking.objects.exists()
    assert delegate_client.get("/events/nope/program/").status_code == 404


def test_book_and_cancel_need_post(delegate_client, event, forum):
    session = make_session(event, forum)
    assert delegate_client.get(url("book", event, session.pk)).status_code == 405
    assert delegate_client.get(url("cancel", event, session.pk)).status_code == 405


# --- my agenda ----------------------------------------------------------------------------------------------


def test_agenda_lists_seats_online_places_waitlist_rank_and_promotions(
    delegate_client, event, categories, forum, delegate
):
    seat = make_session(event, forum, title_en="Seat session", capacity=1)
    waitlisted = make_session(
        event, forum, title_en="Waitlisted session", capacity=1, start=event.start + timedelta(hours=2)
    )
    online = make_session(event, forum, title_en="Online session", start=event.start + timedelta(days=1))
    holder, ahead = (make_delegate(event, categories["company"]) for _ in range(2))
    first = service_book(seat, holder)
    service_book(seat, delegate, join_waitlist=True)
    services.cancel_booking(booking=first, actor=holder.user)  # delegate moves up
    service_book(waitlisted, holder)
    service_book(waitlisted, ahead, join_waitlist=True)
    service_book(waitlisted, delegate, join_waitlist=True)
    online_booking = service_book(online, delegate, mode="online")

    page = delegate_client.get(url("agenda", event))
    assert page.status_code == 200
    text = page.text
    assert text.index("Seat session") < text.index("Waitlisted session") < text.index("Online session")
    assert "Your seat is booked" in text and "Moved up from the waitlist" in text
    assert "2nd on the waitlist" in text
    assert "You join online" in text
    assert "China Standard Time (UTC+8)" in text

    chinese = delegate_client.get(url("agenda", event), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese.status_code == 200 and 'lang="zh-Hans"' in chinese.text

    page = delegate_client.post(url("cancel", event, online.pk), {"next": url("agenda", event)}, follow=True)
    assert page.redirect_chain[-1][0] == url("agenda", event)
    assert f'id="booking-{online_booking.pk}"' not in page.text
    assert active(online, delegate) is None


def test_agenda_cancel_ignores_foreign_next(delegate_client, event, forum, delegate):
    session = make_session(event, forum)
    service_book(session, delegate)
    response = delegate_client.post(url("cancel", event, session.pk), {"next": "https://evil.example/"})
    assert response["Location"] == url("session", event, session.pk)


def test_agenda_feed_link_and_renewal(delegate_client, event, delegate):
    page = delegate_client.get(url("agenda", event))
    feed = AgendaFeed.objects.get(participant=delegate, revoked_at__isnull=True)
    assert f"/events/{event.slug}/agenda/{feed.token}.ics" in page.text
    assert f"webcal://testserver/events/{event.slug}/agenda/{feed.token}.ics" in page.text

    page = delegate_client.post(url("renew_feed", event), follow=True)
    assert page.status_code == 200
    feed.refresh_from_db()
    assert feed.revoked_at is not None
    new = AgendaFeed.objects.get(participant=delegate, revoked_at__isnull=True)
    assert new.token != feed.token
    assert new.token in page.text and feed.token not in page.text
    assert "The old link no longer works." in page.text


def test_agenda_needs_a_registration(client, event):
    from summit.core.testing import make_user

    client.force_login(make_user())
    assert client.get(url("agenda", event)).status_code == 404
    assert client.post(url("renew_feed", event)).status_code == 404


# --- speakers -----------------------------------------------------------------------------------------------


def test_speaker_edits_bio_and_photo_and_the_photo_is_served(delegate_client, event, forum, delegate):
    speaker = Speaker.objects.create(event=event, participant=delegate, name="Wang Wei", bio_en="Old")
    session = make_session(event, forum)
    Talk.objects.create(session=session, title_en="My talk").speakers.add(speaker)

    page = delegate_client.get(url("speaker_profile", event))
    assert page.status_code == 200 and "Old" in page.text and "My talk" in page.text
    assert delegate_client.get(url("speaker_photo", event, speaker.pk)).status_code == 404

    photo = SimpleUploadedFile("me.png", PNG_BYTES, content_type="image/png")
    page = delegate_client.post(
        url("speaker_profile", event),
        {"bio_en": " New bio ", "bio_zh": "新简介", "photo": photo},
        follow=True,
    )
    assert "Your speaker profile has been saved." in page.text
    speaker.refresh_from_db()
    assert speaker.bio_en == "New bio" and speaker.bio_zh == "新简介" and speaker.photo

    response = delegate_client.get(url("speaker_photo", event, speaker.pk))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG_BYTES

    session_page = delegate_client.get(url("session", event, session.pk), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert url("speaker_photo", event, speaker.pk) in session_page.text and "新简介" in session_page.text

    fake = SimpleUploadedFile("me.png", EXE_BYTES, content_type="image/png")
    page = delegate_client.post(url("speaker_profile", event), {"bio_en": "x", "photo": fake})
    assert page.status_code == 200 and "errorlist" in page.text
    speaker.refresh_from_db()
    assert speaker.bio_en == "New bio"

    # The photo is public (session pages show it), but only within its event.
    delegate_client.logout()
    assert delegate_client.get(url("speaker_photo", event, speaker.pk)).status_code == 200
    assert (
        delegate_client.get(reverse("program:speaker_photo", args=["other", speaker.pk])).status_code == 404
    )


def test_speaker_profile_lists_each_talk_with_its_session_day_time_and_room(
    delegate_client, event, forum, delegate
):
    speaker = Speaker.objects.create(event=event, participant=delegate, name="Wang Wei")
    room = event.rooms.get()
    panel = make_session(event, forum, title_en="Data flows", room=room)
    Talk.objects.create(session=panel, title_en="Panel discussion: Data flows").speakers.add(speaker)
    keynotes = make_session(event, forum, title_en="Keynotes", start=event.start + timedelta(days=1))
    Talk.objects.create(session=keynotes, title_en="Trust online").speakers.add(speaker)

    page = delegate_client.get(url("speaker_profile", event))
    talks = page.text[
        page.text.index('id="my-talks"') : page.text.index("</ul>", page.text.index('id="my-talks"'))
    ]
    assert "Panel discussion: Data flows" in talks and "· Data flows" not in talks
    assert talks.count(">Data flows<") == 0  # the session title is not repeated
    assert '<span class="talk-session">Session: Keynotes</span>' in talks
    assert "Monday" in talks and "Tuesday" in talks and "China Standard Time (UTC+8)" in talks
    assert "09:00" in talks and room.name_en in talks
    assert url("session", event, panel.pk) in talks and url("session", event, keynotes.pk) in talks


def test_speaker_names_do_not_repeat_their_latin_form():
    assert Speaker(name="Lena Hoffmann", name_latin="Lena HOFFMANN").display_name == "Lena Hoffmann"
    assert Speaker(name="Horváth Máté", name_latin="HORVATH Mate").display_name == "Horváth Máté"
    assert Speaker(name="李华", name_latin="Li Hua").display_name == "李华 (Li Hua)"
    assert Speaker(name="Jean Dupont").display_name == "Jean Dupont"


def test_speakers_in_any_script_without_an_invented_latin_form(client, event, forum, organizer):
    session = make_session(event, forum)
    # Saved now: no Latin form is derived for Arabic; Russian gets one.
    arabic = services.save_speaker(event=event, data={"name": "عبد الرزاق بنو سعد"}, actor=organizer)
    russian = services.save_speaker(event=event, data={"name": "Анна Иванова"}, actor=organizer)
    assert arabic.name_latin == "" and russian.name_latin == "Anna Ivanova"
    # Stored before: the machine's letters for a Hebrew name.
    old = Speaker.objects.create(event=event, name="שלום כהן", name_latin="slvm khhn")
    talk = Talk.objects.create(session=session, title_en="Names", order=1)
    talk.speakers.add(arabic, russian, old)
    text = client.get(url("session", event, session.pk)).text
    assert "<strong><bdi>عبد الرزاق بنو سعد</bdi></strong>" in text
    assert "<strong><bdi>Анна Иванова</bdi> (<bdi>Anna Ivanova</bdi>)</strong>" in text
    assert "<strong><bdi>שלום כהן</bdi></strong>" in text and "slvm" not in text
    assert old.display_name == "שלום כהן"


def test_speaker_profile_only_for_speakers(delegate_client, event, categories):
    assert delegate_client.get(url("speaker_profile", event)).status_code == 404
    someone = make_delegate(event, categories["company"])
    speaker = Speaker.objects.create(event=event, participant=someone, name="Someone")
    assert delegate_client.get(url("speaker_profile", event)).status_code == 404
    assert speaker.bio_en == ""
