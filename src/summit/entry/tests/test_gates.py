"""Gates: every reason a badge is refused, anti-passback under concurrency, offline merge with conflicts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from summit.core.errors import NotFound, ValidationFailed
from summit.core.testing import run_at_once, without_locks
from summit.entry.models import CategoryAccess, Presence, Scan
from summit.entry.services import badges, gates
from summit.entry.testing import make_gate_staff, make_holder, make_proof, make_rule, token_of
from summit.events.models import EventRole
from summit.events.testing import make_event
from summit.registration.models import Participant
from summit.registration.testing import make_participant

pytestmark = pytest.mark.django_db


def scan(event, zone, token, **extra):
    return gates.scan(event=event, zone=zone, token=token, **extra)


def test_entry_then_already_inside_then_exit_then_entry_again(event, main, holder):
    token = token_of(holder)
    first = scan(event, main, token, gate="North")
    assert first.admitted and first.participant == holder and first.scan.pk
    second = scan(event, main, token, gate="South")
    assert not second.admitted and second.reason == "already_inside"
    assert scan(event, main, token, direction="out").admitted
    assert scan(event, main, token).admitted
    assert list(Scan.objects.values_list("admitted", "reason")) == [
        (True, ""),
        (False, "already_inside"),
        (True, ""),
        (True, ""),
    ]
    assert gates.occupancy(event) == [(main, 1)]


def test_every_refusal_says_why(event, categories, main, press, holder):
    token = token_of(holder)
    assert scan(event, main, token[:-1] + ("A" if token[-1] != "A" else "B")).reason == "bad_signature"
    assert scan(event, main, token[:50]).reason == "malformed"
    assert scan(event, main, "x" * 5000).reason == "malformed"
    other = make_event("other")
    stranger = make_holder(other, make_participant(other, categories["company"]).category)
    assert scan(event, main, token_of(stranger)).reason == "wrong_event"
    badges.reissue_badge(participant=holder, actor=None)
    assert scan(event, main, token).reason == "revoked"
    token = token_of(holder)
    access = CategoryAccess.objects.create(category=categories["company"], colour="#123456")
    access.zones.set([main])
    assert scan(event, press, token).reason == "wrong_zone"
    make_rule(event, kinds=("pcr",), zone=main)
    assert scan(event, main, token).reason == "rule_not_met"
    make_proof(holder, kind="pcr")
    assert scan(event, main, token).admitted
    Participant.objects.filter(pk=holder.pk).update(status=Participant.WAITLISTED)
    assert scan(event, main, token, direction="out").admitted  # leaving is never refused
    assert scan(event, main, token).reason == "not_approved"
    assert not Scan.objects.filter(admitted=False, reason="").exists()


def test_an_expired_test_is_refused_at_the_gate(event, categories, main):
    journalist = make_holder(event, categories["media"])
    make_rule(event, kinds=("test",), category=categories["media"])
    make_proof(journalist, kind="test", taken_at=timezone.now() - timedelta(days=7, seconds=1))
    verdict = gates.check(event=event, zone=main, token=token_of(journalist))
    assert verdict.reason == "rule_not_met"
    make_proof(journalist, kind="test", taken_at=timezone.now() - timedelta(days=6))
    assert gates.check(event=event, zone=main, token=token_of(journalist)).admitted


def test_a_scan_sent_twice_is_recorded_once(event, main, holder):
    token = token_of(holder)
    first = scan(event, main, token, device="tablet-1", client_id="a1")
    again = scan(event, main, token, device="tablet-1", client_id="a1")
    assert first.admitted and again.admitted and again.duplicate and again.scan.pk == first.scan.pk
    assert Scan.objects.count() == 1
    with pytest.raises(ValidationFailed):
        scan(event, main, token, direction="sideways")


def test_a_scan_sent_again_after_the_exit_changes_nothing(event, main, holder):
    """A resent entry is not looked up first: its write meets the client id's unique constraint and is
    rolled back whole, so the person who left meanwhile stays outside."""
    token = token_of(holder)
    first = scan(event, main, token, device="tablet-1", client_id="in-1")
    assert scan(event, main, token, direction="out", device="tablet-1", client_id="out-1").admitted
    again = scan(event, main, token, device="tablet-1", client_id="in-1")
    assert again.duplicate and again.admitted and again.scan.pk == first.scan.pk
    assert not Presence.objects.get(participant=holder, zone=main).inside
    assert Scan.objects.count() == 2
    refused = scan(event, main, "S1FORGED", device="tablet-1", client_id="bad-1")
    assert scan(event, main, "S1FORGED", device="tablet-1", client_id="bad-1").scan.pk == refused.scan.pk
    assert Scan.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_scan_writes_with_as_few_statements_as_the_database_allows():
    """Every scan's path: on PostgreSQL the presence flip and the scan row are one statement, a transaction
    of its own; on SQLite one short write transaction holds both."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from summit.registration.testing import make_standard_categories

    event = make_event("statements")
    holder = make_holder(event, make_standard_categories(event)["company"])
    zone = event.zones.get(code="main")
    token = token_of(holder)  # the event's signing key exists from here on
    with CaptureQueriesContext(connection) as queries:
        assert scan(event, zone, token, device="t", client_id="c1").admitted
    statements = [q["sql"] for q in queries.captured_queries]
    writes = [sql for sql in statements if not sql.lstrip().upper().startswith("SELECT")]
    if connection.vendor == "postgresql":
        assert len(writes) == 1 and writes[0].startswith("WITH door AS (INSERT INTO")
    else:
        assert [w.split()[0].upper() for w in writes] == ["BEGIN", "INSERT", "INSERT", "COMMIT"]
    assert len(statements) - len(writes) <= 3  # the holder, the rules, the proofs
    assert Presence.objects.get(participant=holder, zone=zone).inside
    assert not scan(event, zone, token).admitted


def test_scannable_zone_reads_the_zone_and_the_roles_at_once(event, main, press):
    from summit.events import roles
    from summit.events.testing import make_staff

    staff = make_gate_staff(event, main)
    assert roles.scannable_zone(staff, event, "main") == main
    assert roles.event_roles(staff, event) == {EventRole.GATE_STAFF}
    staff = type(staff).objects.get(pk=staff.pk)
    assert roles.scannable_zone(staff, event, "press") is None
    assert roles.scannable_zone(staff, event, "nowhere") is None
    organizer = make_staff(event, EventRole.ORGANIZER)
    assert roles.scannable_zone(organizer, event, "press") == press
    stranger = make_gate_staff(make_event("elsewhere"), make_event("elsewhere2").zones.get(code="main"))
    assert roles.scannable_zone(stranger, event, "main") is None
    assert roles.event_roles(stranger, event) == set()


@pytest.mark.django_db(transaction=True)
def test_two_gates_scanning_one_badge_at_once_admit_it_once():
    from summit.registration.testing import make_standard_categories

    event = make_event("race")
    holder = make_holder(event, make_standard_categories(event)["company"])
    zone = event.zones.get(code="main")
    token = token_of(holder)
    outcomes = run_at_once([lambda gate=gate: scan(event, zone, token, gate=gate) for gate in "ABCDEF"])
    admitted = [o.result for o in outcomes if o.result is not None and o.result.admitted]
    assert len(admitted) == 1
    assert Scan.objects.filter(admitted=True).count() == 1
    assert Scan.objects.filter(admitted=False, reason="already_inside").count() == 5


@pytest.mark.django_db(transaction=True)
def test_without_the_conditional_update_the_race_admits_twice():
    """The race the presence row's conditional UPDATE closes: with it switched off ("inside?" read first,
    the write later), two gates admit the same badge."""
    from summit.registration.testing import make_standard_categories

    event = make_event("race-bug")
    holder = make_holder(event, make_standard_categories(event)["company"])
    zone = event.zones.get(code="main")
    token = token_of(holder)
    with without_locks(0.3):
        outcomes = run_at_once([lambda gate=gate: scan(event, zone, token, gate=gate) for gate in "AB"])
    assert sum(1 for o in outcomes if o.result is not None and o.result.admitted) == 2


# --- offline --------------------------------------------------------------------------------------------


def offline_scan(token, *, id, at, direction="in", admitted=True, zone="main", reason=""):
    return {
        "id": id,
        "token": token,
        "zone": zone,
        "direction": direction,
        "scanned_at": at,
        "admitted": admitted,
        "reason": reason,
    }


def test_the_offline_package_holds_what_a_gate_needs_and_nothing_of_the_proofs(
    event, categories, main, holder
):
    journalist = make_holder(event, categories["media"])
    make_rule(event, kinds=("test",), category=categories["media"])
    make_proof(journalist, kind="test")
    make_participant(event, categories["company"])  # not approved: not in the package
    package = gates.offline_package(event=event, zone=main)
    people = {p["id"]: p for p in package["participants"]}
    assert set(people) == {holder.pk, journalist.pk}
    assert people[holder.pk]["name"] == "王伟" and people[holder.pk]["allowed"]
    assert people[journalist.pk]["valid_until"] is not None
    assert "proof" not in str(package).lower() and "pdf" not in str(package).lower()
    badges.reissue_badge(participant=holder, actor=None)
    assert gates.offline_package(event=event, zone=main)["revoked"] == [[holder.pk, 1]]


def test_offline_uploads_merge_from_two_gates_flag_conflicts_and_lose_nothing(
    event, main, holder, categories
):
    staff_a = make_gate_staff(event, main)
    staff_b = make_gate_staff(event, main)
    token = token_of(holder)
    other = make_holder(event, categories["company"])
    now = timezone.now()
    # Gate A's clock is two hours slow; gate B's is right. Both admitted the holder (no exit in between).
    slow = timedelta(hours=2)
    a = gates.merge_offline(
        event=event,
        staff=staff_a,
        device="gate-a",
        gate="North",
        device_time=now - slow,
        scans=[
            offline_scan(token, id="a1", at=now - slow - timedelta(minutes=30)),
            offline_scan(token_of(other), id="a2", at=now - slow - timedelta(minutes=29)),
        ],
    )
    assert a["recorded"] == 2 and a["conflicts"] == [] and abs(a["clock_offset_seconds"] - 7200) < 5
    first = Scan.objects.get(client_id="a1")
    assert abs((first.scanned_at - (now - timedelta(minutes=30))).total_seconds()) < 5
    b = gates.merge_offline(
        event=event,
        staff=staff_b,
        device="gate-b",
        gate="South",
        device_time=now,
        scans=[offline_scan(token, id="b1", at=now - timedelta(minutes=10))],
    )
    assert b["conflicts"] == [{"id": "b1", "conflict": "entered_twice"}]
    assert Scan.objects.filter(offline=True).count() == 3
    replay = gates.merge_offline(
        event=event,
        staff=staff_a,
        device="gate-a",
        gate="North",
        device_time=now - slow,
        scans=[offline_scan(token, id="a1", at=now - slow - timedelta(minutes=30))],
    )
    assert replay == {**replay, "recorded": 0, "duplicates": 1}
    assert Scan.objects.count() == 3
    assert gates.occupancy(event) == [(main, 2)]


def test_exit_offline_then_entry_elsewhere_is_no_conflict(event, main, holder):
    staff = make_gate_staff(event, main)
    token = token_of(holder)
    now = timezone.now()
    assert scan(event, main, token).admitted
    result = gates.merge_offline(
        event=event,
        staff=staff,
        device="gate-c",
        gate="East",
        device_time=now,
        scans=[
            offline_scan(token, id="c1", at=now + timedelta(seconds=1), direction="out"),
            offline_scan(token, id="c2", at=now + timedelta(seconds=2)),
        ],
    )
    assert result["conflicts"] == [] and Presence.objects.get(participant=holder).inside


def test_a_badge_revoked_while_the_gate_was_offline_is_flagged(event, main, holder):
    staff = make_gate_staff(event, main)
    token = token_of(holder)
    badges.reissue_badge(participant=holder, actor=None)
    forged = token[:-2] + "AA"
    result = gates.merge_offline(
        event=event,
        staff=staff,
        device="gate-d",
        gate="West",
        device_time=timezone.now(),
        scans=[
            offline_scan(token, id="d1", at=timezone.now()),
            offline_scan(forged, id="d2", at=timezone.now(), admitted=False, reason="bad_signature"),
        ],
    )
    assert result["conflicts"] == [{"id": "d1", "conflict": "server_refused"}] and result["recorded"] == 2


def test_gate_staff_of_another_zone_or_removed_staff_cannot_upload(event, main, press, holder):
    staff = make_gate_staff(event, press)
    scans = [offline_scan(token_of(holder), id="e1", at=timezone.now())]
    with pytest.raises(NotFound):
        gates.merge_offline(
            event=event, staff=staff, device="x", gate="", device_time=timezone.now(), scans=scans
        )
    EventRole.objects.filter(user=staff).delete()
    staff = type(staff).objects.get(pk=staff.pk)
    with pytest.raises(NotFound):
        gates.merge_offline(
            event=event,
            staff=staff,
            device="x",
            gate="",
            device_time=timezone.now(),
            scans=[{**scans[0], "zone": "press"}],
        )
    assert not Scan.objects.exists()


def test_a_category_whose_badge_names_no_zone_opens_every_zone(event, categories, main, press, holder):
    CategoryAccess.objects.create(category=categories["company"], colour="#336699")
    assert scan(event, press, token_of(holder)).admitted
    assert holder.pk in {p["id"] for p in gates.offline_package(event=event, zone=main)["participants"]}


def test_the_package_carries_photo_thumbnails_on_request(event, main, holder):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from summit.entry.services import photos

    out = io.BytesIO()
    Image.new("RGB", (300, 400), (1, 2, 3)).save(out, "JPEG")
    photos.save_photo(participant=holder, upload=SimpleUploadedFile("me.jpg", out.getvalue()))
    assert "photo" not in gates.offline_package(event=event, zone=main)["participants"][0]
    (person,) = gates.offline_package(event=event, zone=main, photos=True)["participants"]
    assert person["photo"].startswith("data:image/jpeg;base64,")
    verdict = scan(event, main, token_of(holder))
    from summit.entry.presenters import verdict_out

    assert verdict_out(verdict, event)["person"]["photo"] == f"/events/wic/entry/photos/{holder.pk}.jpg"
