"""The program in standard formats (program/exports.py, export_views.py).

``schedule.xml`` and ``schedule.json`` are checked against the published c3voc schemas kept in
``tests/schemas`` (no network); the iCalendar files are parsed back with icalendar.
"""

import csv
import io
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import jsonschema
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from lxml import etree
from openpyxl import load_workbook

from summit.events.models import Room
from summit.events.testing import make_event, make_staff
from summit.program import exports, services
from summit.program.models import Session, Speaker, Talk
from summit.program.testing import make_forum, make_session
from summit.registration.testing import make_delegate, make_organization

pytestmark = pytest.mark.django_db

SCHEMAS = Path(__file__).resolve().parents[4] / "tests" / "schemas"
SHANGHAI = ZoneInfo("Asia/Shanghai")
BASE = "http://testserver/"


def local(*args):
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def xsd():
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "schedule.xml.xsd")))


@pytest.fixture(scope="module")
def json_validator():
    schema = json.loads((SCHEMAS / "schedule.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@pytest.fixture
def program(event, categories):
    """Three scheduled sessions over the event's three days (one running past midnight into the next day),
    Chinese titles, talks with speakers, and a cancelled session that no export may show."""
    room = Room.objects.get(event=event)
    side = Room.objects.create(event=event, name_en="Hall B", name_zh="B厅", capacity=300)
    forum = make_forum(event, "digital-economy", title_en="Digital economy", title_zh="数字经济论坛")
    ai = make_forum(event, "ai", title_en="AI and ethics", title_zh="人工智能与伦理")
    opening = make_session(
        event,
        forum,
        start=local(2027, 11, 8, 9, 0),
        minutes=90,
        title_en="Opening ceremony",
        title_zh="开幕式",
        abstract_en="Welcome to Wuzhen.",
        abstract_zh="欢迎来到乌镇。",
        room=room,
        capacity=2,
    )
    chinese_only = make_session(
        event,
        ai,
        start=local(2027, 11, 9, 14, 0),
        minutes=60,
        title_en="人工智能治理",
        title_zh="人工智能治理",
        room=side,
        languages=["zh"],
        interpretation=True,
    )
    overnight = make_session(
        event,
        ai,
        start=local(2027, 11, 9, 22, 0),
        minutes=210,  # until 01:30 on the 10th
        title_en="Night hackathon",
        title_zh="通宵黑客松",
        room=None,
        capacity=1,
    )
    cancelled = make_session(
        event, forum, start=local(2027, 11, 10, 9, 0), title_en="Withdrawn panel", status=Session.CANCELLED
    )
    wang = Speaker.objects.create(event=event, name="王伟", name_latin="Wang Wei", bio_en="Researcher.")
    anna = Speaker.objects.create(event=event, name="Anna Schmidt")
    keynote = Talk.objects.create(
        session=opening, order=0, title_en="Keynote", title_zh="主旨演讲", minutes=30
    )
    keynote.speakers.set([wang])
    panel = Talk.objects.create(session=opening, order=1, title_en="Panel", minutes=60)
    panel.speakers.set([anna, wang])
    return {"opening": opening, "chinese": chinese_only, "overnight": overnight, "cancelled": cancelled}


def book(session, person, **kw):
    kw.setdefault("mode", "onsite")
    return services.book(
        session=session, participant=person, idempotency_key=f"k-{uuid.uuid4().hex}", **kw
    ).booking


# --- schedule.xml -------------------------------------------------------------------------------------------


def test_schedule_xml_is_valid_against_the_published_xsd(event, program, xsd):
    body = exports.schedule_xml(event, base_url=BASE)
    doc = etree.fromstring(body)
    assert xsd.validate(doc), xsd.error_log

    assert doc.findtext("conference/acronym") == "wic_2027"
    assert doc.findtext("conference/time_zone_name") == "Asia/Shanghai"
    assert doc.findtext("conference/days") == "3"
    assert doc.findtext("conference/start") == "2027-11-08"
    assert doc.findtext("conference/end") == "2027-11-10"
    days = doc.findall("day")
    assert [d.get("date") for d in days] == ["2027-11-08", "2027-11-09", "2027-11-10"]
    assert [d.get("index") for d in days] == ["1", "2", "3"]

    events = doc.findall("day/room/event")
    assert {e.get("guid") for e in events} == {
        str(program[k].guid) for k in ("opening", "chinese", "overnight")
    }
    assert "Withdrawn panel" not in body.decode()

    opening = doc.find(f"day/room/event[@guid='{program['opening'].guid}']")
    assert [child.tag for child in opening] == [
        "date", "start", "duration", "room", "slug", "url", "title", "subtitle", "track", "type",
        "language", "abstract", "description", "persons", "links", "attachments",
    ]  # fmt: skip
    assert opening.findtext("date") == "2027-11-08T09:00:00+08:00"
    assert opening.findtext("start") == "09:00"
    assert opening.findtext("duration") == "01:30"
    assert opening.findtext("room") == "Main hall"
    assert opening.findtext("title") == "Opening ceremony"
    assert opening.findtext("subtitle") == "开幕式"
    assert opening.findtext("track") == "Digital economy"
    assert (
        opening.findtext("url") == f"http://testserver/events/wic/program/sessions/{program['opening'].pk}/"
    )
    persons = opening.findall("persons/person")
    assert [p.text for p in persons] == ["王伟 (Wang Wei)", "Anna Schmidt"]
    assert all(uuid.UUID(p.get("guid")) for p in persons)

    # The overnight session stays on the day it starts, and that day ends when it does.
    day2 = days[1]
    overnight = day2.find(f"room/event[@guid='{program['overnight'].guid}']")
    assert overnight.findtext("start") == "22:00"
    assert overnight.findtext("duration") == "03:30"
    assert day2.get("end") == "2027-11-10T01:30:00+08:00"
    assert overnight.findtext("room") == "Room to be announced"
    chinese = day2.find(f"room/event[@guid='{program['chinese'].guid}']")
    assert chinese.findtext("title") == "人工智能治理"
    assert chinese.findtext("subtitle") == ""
    assert chinese.findtext("language") == "zh"
    assert chinese.getparent().get("name") == "Hall B"


def test_schedule_xml_in_chinese_is_still_valid(event, program, xsd, settings):
    from django.utils import translation

    with translation.override("zh-hans"):
        doc = etree.fromstring(exports.schedule_xml(event, base_url=BASE))
    assert xsd.validate(doc), xsd.error_log
    opening = doc.find(f"day/room/event[@guid='{program['opening'].guid}']")
    assert opening.findtext("title") == "开幕式"
    assert opening.findtext("subtitle") == "Opening ceremony"
    assert opening.findtext("room") == "主会场"
    assert opening.findtext("track") == "数字经济论坛"


def test_schedule_xml_of_an_empty_program_is_valid(xsd, db):
    event = make_event("ab")
    doc = etree.fromstring(exports.schedule_xml(event, base_url=BASE))
    assert xsd.validate(doc), xsd.error_log
    assert len(doc.findall("day")) == 3


def test_version_changes_with_the_content(event, program):
    first = exports.schedule_json(event, base_url=BASE)["schedule"]["version"]
    assert exports.schedule_json(event, base_url=BASE)["schedule"]["version"] == first
    Session.objects.filter(pk=program["opening"].pk).update(title_en="Grand opening")
    assert exports.schedule_json(event, base_url=BASE)["schedule"]["version"] != first


# --- schedule.json ------------------------------------------------------------------------------------------


def test_schedule_json_is_valid_against_the_published_schema(event, program, json_validator):
    data = exports.schedule_json(event, base_url=BASE)
    errors = sorted(json_validator.iter_errors(data), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)

    conference = data["schedule"]["conference"]
    assert data["schedule"]["base_url"] == BASE
    assert conference["acronym"] == "wic_2027"
    assert conference["daysCount"] == 3 == len(conference["days"])
    assert {r["name"] for r in conference["rooms"]} == {"Main hall", "Hall B", "Room to be announced"}
    assert {t["name"] for t in conference["tracks"]} == {"Digital economy", "AI and ethics"}
    day1, day2, day3 = conference["days"]
    assert day1["day_start"] == "2027-11-08T09:00:00+08:00"
    assert day2["day_end"] == "2027-11-10T01:30:00+08:00"
    assert [e["title"] for e in day1["rooms"]["Main hall"]] == ["Opening ceremony"]
    assert [e["title"] for e in day2["rooms"]["Room to be announced"]] == ["Night hackathon"]
    assert all(events == [] for events in day3["rooms"].values())
    opening = day1["rooms"]["Main hall"][0]
    assert opening["guid"] == str(program["opening"].guid)
    assert opening["end"] == "2027-11-08T10:30:00+08:00"
    assert [p["name"] for p in opening["persons"]] == ["王伟 (Wang Wei)", "Anna Schmidt"]
    assert opening["slug"].startswith("wic_2027-")


def test_schedule_json_with_a_slug_already_in_schema_form(json_validator, xsd, db):
    event = make_event("devcon-2027")
    make_session(event, title_en="A", title_zh="甲")
    data = exports.schedule_json(event, base_url=BASE)
    assert not list(json_validator.iter_errors(data))
    assert data["schedule"]["conference"]["acronym"] == "devcon_2027"
    assert xsd.validate(etree.fromstring(exports.schedule_xml(event, base_url=BASE))), xsd.error_log


# --- iCalendar ----------------------------------------------------------------------------------------------


def parse(body: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(body)


def uids(calendar) -> dict[str, str]:
    return {str(e["uid"]): str(e["summary"]) for e in calendar.walk("VEVENT")}


def test_program_ical_is_well_formed(event, program):
    calendar = parse(exports.program_ical(event, base_url=BASE))
    assert str(calendar["version"]) == "2.0"
    assert calendar["prodid"]
    assert str(calendar["x-wr-calname"]) == "World Internet Conference"

    used = {e["dtstart"].params["TZID"] for e in calendar.walk("VEVENT")} | {
        e["dtend"].params["TZID"] for e in calendar.walk("VEVENT")
    }
    assert used == {"Asia/Shanghai"}
    assert {str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")} == used
    assert not calendar.get_missing_tzids()
    # Time zones come before the events that use them.
    names = [c.name for c in calendar.subcomponents]
    assert names.index("VTIMEZONE") < names.index("VEVENT")

    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {f"{program[k].guid}@summit" for k in ("opening", "chinese", "overnight")}
    opening = events[f"{program['opening'].guid}@summit"]
    assert opening.decoded("dtstamp").tzinfo is not None
    assert opening.decoded("dtstart") == local(2027, 11, 8, 9, 0)
    assert opening.decoded("dtstart").astimezone(UTC) == datetime(2027, 11, 8, 1, 0, tzinfo=UTC)
    assert opening["dtstart"].to_ical() == b"20271108T090000"
    assert opening.decoded("dtend") == local(2027, 11, 8, 10, 30)
    assert str(opening["summary"]) == "Opening ceremony"
    assert str(opening["location"]) == "Main hall"
    assert str(opening["url"]) == f"http://testserver/events/wic/program/sessions/{program['opening'].pk}/"
    description = str(opening["description"])
    assert description.startswith("开幕式\n\n")
    assert "Welcome to Wuzhen." in description
    assert "王伟 (Wang Wei)" in description and "Anna Schmidt" in description
    overnight = events[f"{program['overnight'].guid}@summit"]
    assert overnight.decoded("dtend") == local(2027, 11, 10, 1, 30)
    assert "location" not in overnight


def test_ical_uids_survive_a_second_export_and_a_rename(event, program):
    first = uids(parse(exports.program_ical(event, base_url=BASE)))
    assert uids(parse(exports.program_ical(event, base_url=BASE))) == first
    opening = program["opening"]
    opening.title_en = "Grand opening ceremony"
    opening.save()
    renamed = uids(parse(exports.program_ical(event, base_url=BASE)))
    assert set(renamed) == set(first)
    assert renamed[f"{opening.guid}@summit"] == "Grand opening ceremony"


# --- public views -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, content_type",
    [
        ("schedule:xml", "application/xml; charset=utf-8"),
        ("schedule:json", "application/json"),
        ("schedule:ics", "text/calendar; charset=utf-8"),
    ],
)
def test_public_exports_answer_with_their_content_type(client, event, program, name, content_type):
    response = client.get(reverse(name, kwargs={"slug": event.slug}))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert "人工智能治理" in response.content.decode("utf-8")
    assert client.get(reverse(name, kwargs={"slug": "no-such-event"})).status_code == 404


def test_schedule_json_view_is_valid_json(client, event, program, json_validator):
    data = json.loads(client.get(reverse("schedule:json", kwargs={"slug": event.slug})).content)
    assert not list(json_validator.iter_errors(data))
    assert data["schedule"]["base_url"] == "http://testserver/"


def test_exports_run_a_fixed_number_of_queries(event, program):
    def count(fn):
        with CaptureQueriesContext(connection) as ctx:
            fn(event, base_url=BASE)
        return len(ctx.captured_queries)

    before = {fn: count(fn) for fn in (exports.schedule_xml, exports.schedule_json, exports.program_ical)}
    forum = make_forum(event)
    for hour in (10, 12, 14):
        session = make_session(event, forum, start=local(2027, 11, 10, hour, 0))
        talk = Talk.objects.create(session=session, title_en="Talk")
        talk.speakers.set([Speaker.objects.create(event=event, name=f"Speaker {hour}")])
    after = {fn: count(fn) for fn in before}
    assert after == before
    assert max(after.values()) <= 3


# --- private agenda feed ------------------------------------------------------------------------------------


def test_agenda_feed_shows_only_that_persons_sessions(client, event, categories, program):
    me = make_delegate(event, categories["company"])
    other = make_delegate(event, categories["company"])
    book(program["opening"], me)
    book(program["overnight"], other)  # takes the only seat
    book(program["overnight"], me, join_waitlist=True)
    book(program["chinese"], other, mode="online")
    feed = services.agenda_feed(participant=me)

    response = client.get(reverse("schedule:agenda_feed", kwargs={"slug": event.slug, "token": feed.token}))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    calendar = parse(response.content)
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {f"{program['opening'].guid}@summit", f"{program['overnight'].guid}@summit"}
    assert str(events[f"{program['opening'].guid}@summit"]["status"]) == "CONFIRMED"
    waiting = events[f"{program['overnight'].guid}@summit"]
    assert str(waiting["status"]) == "TENTATIVE"
    assert "Waitlist" in str(waiting["summary"])
    assert not calendar.get_missing_tzids()
    assert "my agenda" in str(calendar["x-wr-calname"])


def test_agenda_feed_speaks_the_participants_language(client, event, categories, program):
    me = make_delegate(event, categories["company"], language="zh-hans")
    book(program["opening"], me)
    feed = services.agenda_feed(participant=me)
    response = client.get(reverse("schedule:agenda_feed", kwargs={"slug": event.slug, "token": feed.token}))
    (vevent,) = parse(response.content).walk("VEVENT")
    assert str(vevent["summary"]) == "开幕式"
    assert str(vevent["location"]) == "主会场"


def test_agenda_feed_stops_working_when_renewed(client, event, categories, program):
    me = make_delegate(event, categories["company"])
    book(program["opening"], me)
    old = services.agenda_feed(participant=me)
    url = reverse("schedule:agenda_feed", kwargs={"slug": event.slug, "token": old.token})
    assert client.get(url).status_code == 200

    new = services.renew_agenda_feed(participant=me, actor=me.user)
    gone = client.get(url)
    assert gone.status_code == 404
    assert gone["Content-Type"] == "text/plain; charset=utf-8"
    assert "revoked" in gone.content.decode()
    fresh = client.get(reverse("schedule:agenda_feed", kwargs={"slug": event.slug, "token": new.token}))
    assert fresh.status_code == 200
    assert f"{program['opening'].guid}@summit" in fresh.content.decode()


@pytest.mark.parametrize("token", ["nope", "x" * 65, "%00", "a.b"])
def test_unknown_agenda_tokens_are_a_plain_404(client, event, token):
    response = client.get(f"/events/{event.slug}/agenda/{token}.ics")
    assert response.status_code in (400, 404)
    if response.status_code == 404:
        assert response["Content-Type"] == "text/plain; charset=utf-8"


def test_agenda_feed_only_under_its_own_event(client, event, other_event, categories):
    me = make_delegate(event, categories["company"])
    feed = services.agenda_feed(participant=me)
    response = client.get(
        reverse("schedule:agenda_feed", kwargs={"slug": other_event.slug, "token": feed.token})
    )
    assert response.status_code == 404
    missing = client.get(
        reverse("schedule:agenda_feed", kwargs={"slug": "no-such-event", "token": feed.token})
    )
    assert missing.status_code == 404
    assert missing["Content-Type"] == "text/plain; charset=utf-8"


# --- CSV and XLSX for organizers ----------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_sessions_csv_and_xlsx(organizer_client, event, categories, program):
    a, b, c = (make_delegate(event, categories["company"]) for _ in range(3))
    book(program["opening"], a)
    book(program["opening"], b)
    book(program["opening"], c, join_waitlist=True)
    book(program["chinese"], a, mode="online")

    response = organizer_client.get(reverse("schedule:sessions_csv", kwargs={"slug": event.slug}))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    header, *rows = read_csv(response)
    assert header == exports.SESSION_COLUMNS
    by_title = {row[2]: dict(zip(header, row, strict=True)) for row in rows}
    assert set(by_title) == {"Opening ceremony", "人工智能治理", "Night hackathon", "Withdrawn panel"}
    opening = by_title["Opening ceremony"]
    assert opening["title_zh"] == "开幕式"
    assert opening["forum"] == "Digital economy"
    assert opening["start"] == "2027-11-08T09:00:00+08:00"
    assert opening["end"] == "2027-11-08T10:30:00+08:00"
    assert (opening["capacity"], opening["seats_taken"], opening["waitlist"]) == ("2", "2", "1")
    assert opening["room"] == "Main hall"
    chinese = by_title["人工智能治理"]
    assert (chinese["online"], chinese["languages"], chinese["interpretation"]) == ("1", "zh", "yes")
    assert by_title["Withdrawn panel"]["status"] == "cancelled"

    response = organizer_client.get(reverse("schedule:sessions_xlsx", kwargs={"slug": event.slug}))
    assert response.status_code == 200
    assert response["Content-Type"] == exports_xlsx_type()
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert list(values[0]) == exports.SESSION_COLUMNS
    row = next(r for r in values[1:] if r[2] == "Opening ceremony")
    assert row[3] == "开幕式"
    assert row[4] == datetime(2027, 11, 8, 9, 0)
    assert row[8] == 2


def exports_xlsx_type():
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_bookings_csv_and_xlsx(organizer_client, event, categories, program):
    org = make_organization(event, name="中国信息通信研究院", name_latin="CAICT")
    first = make_delegate(
        event,
        categories["company"],
        given_name="伟",
        family_name="王",
        given_name_latin="Wei",
        family_name_latin="Wang",
        organization=org,
    )
    second = make_delegate(
        event,
        categories["company"],
        given_name="Anna",
        family_name="Schmidt",
        given_name_latin="",
        family_name_latin="",
        name_order="given_first",
        country="DE",
    )
    third = make_delegate(event, categories["company"])
    fourth = make_delegate(event, categories["company"])
    book(program["opening"], first)
    book(program["opening"], second)
    book(program["opening"], third, join_waitlist=True)
    gone = book(program["opening"], fourth, join_waitlist=True)
    services.cancel_booking(booking=gone, actor=fourth.user)
    online = make_delegate(event, categories["company"])
    book(program["opening"], online, mode="online")

    url = reverse("schedule:bookings_csv", kwargs={"slug": event.slug, "pk": program["opening"].pk})
    header, *rows = read_csv(organizer_client.get(url))
    assert header == exports.BOOKING_COLUMNS
    records = [dict(zip(header, row, strict=True)) for row in rows]
    assert [r["email"] for r in records] == [first.email, second.email, online.email, third.email]
    wang = records[0]
    assert (wang["name"], wang["name_latin"], wang["organization"], wang["country"]) == (
        "王伟",
        "WANG Wei",
        "中国信息通信研究院",
        "CN",
    )
    assert (wang["mode"], wang["status"], wang["waitlist_rank"]) == ("onsite", "booked", "")
    assert records[1]["name"] == "Anna Schmidt" and records[1]["country"] == "DE"
    assert records[2]["mode"] == "online"
    assert (records[3]["status"], records[3]["waitlist_rank"]) == ("waitlisted", "1")
    assert records[0]["booked_at"].endswith("+08:00")

    with_cancelled = read_csv(organizer_client.get(url + "?cancelled=1"))[1:]
    assert [r[4] for r in with_cancelled][-1] == fourth.email

    response = organizer_client.get(
        reverse("schedule:bookings_xlsx", kwargs={"slug": event.slug, "pk": program["opening"].pk})
    )
    assert response["Content-Type"] == exports_xlsx_type()
    values = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert list(values[0]) == exports.BOOKING_COLUMNS
    assert values[1][0] == "王伟"
    assert values[4][7] == 1


def test_booking_rows_run_one_query(event, categories, program):
    for _ in range(3):
        book(program["opening"], make_delegate(event, categories["company"]), join_waitlist=True)
    with CaptureQueriesContext(connection) as ctx:
        header, rows = exports.booking_rows(program["opening"])
        assert len(list(rows)) == 3
    assert len(ctx.captured_queries) == 1


EXPORT_URLS = [
    "schedule:sessions_csv",
    "schedule:sessions_xlsx",
    "schedule:bookings_csv",
    "schedule:bookings_xlsx",
]


def _url(name, event, session):
    kwargs = {"slug": event.slug}
    if "bookings" in name:
        kwargs["pk"] = session.pk
    return reverse(name, kwargs=kwargs)


@pytest.mark.parametrize("name", EXPORT_URLS)
def test_back_office_exports_are_hidden_from_others(client, event, other_event, categories, program, name):
    url = _url(name, event, program["opening"])
    assert client.get(url).status_code == 404  # anonymous

    client.force_login(make_delegate(event, categories["company"]).user)
    assert client.get(url).status_code == 404  # a participant

    client.force_login(make_staff(other_event, "organizer"))
    assert client.get(url).status_code == 404  # another event's organizer

    client.force_login(make_staff(event, "accreditation_officer"))
    assert client.get(url).status_code == 404  # staff, but not an organizer

    client.force_login(make_staff(event, "organizer"))
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("name", ["schedule:bookings_csv", "schedule:bookings_xlsx"])
def test_another_events_session_is_not_found(organizer_client, event, other_event, name):
    foreign = make_session(other_event)
    assert organizer_client.get(_url(name, event, foreign)).status_code == 404
    assert organizer_client.get(reverse(name, kwargs={"slug": event.slug, "pk": 999999})).status_code == 404
