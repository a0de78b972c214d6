"""Gates: checking a badge token, recording scans online, merging scans made offline, occupancy.

A gate decides in this order, and a refused badge says why (``REASONS``): the code must be one of ours
(``malformed``), for this event (``wrong_event``), signed by the event's key (``bad_signature``), the badge's
current revision (``revoked``), of someone holding an on-site place (``not_approved``), whose category opens
the zone (``wrong_zone``), who meets the zone's entry rules now (``rule_not_met``) and who is not inside
already (``already_inside``, anti-passback: an entry needs an exit before the next entry). Exits are never
refused once the badge is genuine.

Online, each scan is one write transaction: the zone's presence row of the person is flipped with one
conditional upsert (so two gates scanning one badge at once admit it once) and the scan is inserted; on
PostgreSQL both are one statement. A scan with a client id (``device`` + ``client_id``) is recorded once,
however often it is sent.

Offline, a gate decides with the package of :func:`offline_package` and uploads its scans later
(:func:`merge_offline`): every scan is kept, in the order it happened (the device's clock corrected by its
offset from the server's when it uploads); a scan that contradicts what the server knows (the same badge
entering at two gates without leaving, or a badge revoked meanwhile) is flagged as a conflict, never dropped.
"""

from __future__ import annotations

import base64
import time
from collections import defaultdict
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from summit.core import rows
from summit.core.errors import NotFound, ValidationFailed
from summit.core.locking import busy_errors, lock, locking_enabled, race_window, write_transaction
from summit.entry import rules, tokens
from summit.entry.models import Badge, CategoryAccess, EntryRule, Portrait, Presence, Proof, Scan
from summit.entry.services import badges
from summit.entry.services.proofs import event_rules
from summit.events.models import Zone
from summit.registration.models import Category, Participant

REASONS = {
    "malformed": _("Not a badge of this event: the code cannot be read."),
    "wrong_event": _("This badge is for another event."),
    "bad_signature": _("Bad signature: the badge is forged or damaged."),
    "revoked": _("Revoked badge: a newer one was printed."),
    "not_approved": _("Not approved for on-site attendance."),
    "wrong_zone": _("Not allowed in this zone."),
    "rule_not_met": _("Entry rule not met."),
    "already_inside": _("Already inside: entered without leaving."),
}
CONFLICTS = {
    "entered_twice": _("Entered twice without leaving"),
    "server_refused": _("Admitted offline, refused by the server's records"),
}
MAX_OFFLINE_SCANS = 5000


@dataclass
class Verdict:
    admitted: bool
    reason: str = ""
    participant: Participant | None = None
    revision: int | None = None
    status: rules.EntryStatus | None = None
    scan: Scan | None = None
    duplicate: bool = False
    to_check: list = field(default_factory=list)
    colour: str | None = None  # the badge colour of the person's category, once read

    @property
    def reason_text(self) -> str:
        return str(REASONS.get(self.reason, "")) if self.reason else ""


def staffed_zone(user, event, code: str) -> Zone:
    """The event's zone ``code`` if ``user`` may scan at its gates; NotFound otherwise (an unknown zone and
    another's zone answer alike)."""
    from summit.events import roles

    zone = roles.scannable_zone(user, event, code) if getattr(user, "is_authenticated", False) else None
    if zone is None:
        raise NotFound(_("This zone was not found."), code="zone_not_found")
    return zone


def _identify(event, token: str) -> tuple[str, tokens.Claims | None]:
    """``(reason, claims)``: the reason is empty for a genuine badge token of ``event`` (decoded once)."""
    try:
        claims, message, signature = tokens.split(token)
    except tokens.TokenError as exc:
        return exc.code, None
    if claims.event_id != event.pk:
        return "wrong_event", claims
    try:
        tokens.check_signature(badges.public_key(event), message, signature)
    except tokens.TokenError as exc:
        return exc.code, claims
    return "", claims


def _sql(text: str) -> str:
    return text.format(
        participant=Participant._meta.db_table,
        category=Category._meta.db_table,
        badge=Badge._meta.db_table,
        access=CategoryAccess._meta.db_table,
        access_zones=CategoryAccess.zones.through._meta.db_table,
        presence=Presence._meta.db_table,
        portrait=Portrait._meta.db_table,
        rule=EntryRule._meta.db_table,
        proof=Proof._meta.db_table,
        scan=Scan._meta.db_table,
    )


def _holder(
    event, zone, participant_id: int
) -> tuple[Participant, int | None, str | None, bool, bool] | None:
    """The participant with their category (and ``has_photo``), the current revision of their badge, the
    colour of their category's badge (``None``: no access row), whether that badge opens ``zone`` (a category
    without an access row, or whose row names no zone, opens every zone) and whether they are inside it: one
    statement, as this is every scan's path (plain SQL,
    ``core.rows``)."""
    found = rows.fetch(
        _sql(
            "SELECT {{columns}},"
            " (SELECT MAX(b.revision) FROM {badge} b WHERE b.participant_id = p.id AND b.revoked_at IS NULL),"
            " a.colour,"
            " (NOT EXISTS (SELECT 1 FROM {access_zones} az WHERE az.categoryaccess_id = a.id)"
            "  OR EXISTS (SELECT 1 FROM {access_zones} az WHERE az.categoryaccess_id = a.id AND az.zone_id = %s)),"
            " EXISTS (SELECT 1 FROM {presence} pr WHERE pr.participant_id = p.id AND pr.zone_id = %s"
            " AND pr.inside = %s),"
            " EXISTS (SELECT 1 FROM {portrait} ph WHERE ph.participant_id = p.id)"
            " FROM {participant} p INNER JOIN {category} c ON c.id = p.category_id"
            " LEFT OUTER JOIN {access} a ON a.category_id = p.category_id"
            " WHERE p.event_id = %s AND p.id = %s"
        ),
        [zone.pk, zone.pk, True, event.pk, participant_id],
        Participant,
        "p",
        Category,
        "c",
    )
    if not found:
        return None
    participant, category, current, colour, opens, inside, photo = found[0]
    participant.category = category
    participant.has_photo = bool(photo)
    return participant, current, colour, bool(opens), bool(inside)


def _rules_and_proofs(event, participant, zone) -> tuple[list[EntryRule], list[Proof]]:
    """The event's rules and, if one applies to the participant in ``zone``, their accepted proofs (plain
    SQL)."""
    rules_list = [
        row[0]
        for row in rows.fetch(
            _sql("SELECT {{columns}} FROM {rule} r WHERE r.event_id = %s ORDER BY r.id"),
            [event.pk],
            EntryRule,
            "r",
        )
    ]
    if not rules.applicable(rules_list, participant, zone):
        return rules_list, []
    proofs = [
        row[0]
        for row in rows.fetch(
            _sql(
                "SELECT {{columns}} FROM {proof} pr WHERE pr.participant_id = %s AND pr.status = %s"
                " ORDER BY pr.created_at, pr.id"
            ),
            [participant.pk, Proof.ACCEPTED],
            Proof,
            "pr",
        )
    ]
    return rules_list, proofs


def check(*, event, zone, token: str, direction: str = Scan.IN, at: datetime | None = None) -> Verdict:
    """What the gate of ``zone`` says about ``token`` at ``at`` (now), without recording anything."""
    at = at or timezone.now()
    reason, claims = _identify(event, token)
    if reason:
        return Verdict(False, reason, revision=claims.revision if claims else None)
    holder = _holder(event, zone, claims.participant_id)
    if holder is None:
        return Verdict(False, "not_approved", revision=claims.revision)
    participant, current, colour, opens, inside = holder
    verdict = Verdict(False, participant=participant, revision=claims.revision)
    verdict.colour = colour or CategoryAccess.DEFAULT_COLOUR
    if current != claims.revision:
        verdict.reason = "revoked"
        return verdict
    if direction == Scan.OUT:
        verdict.admitted = True
        return verdict
    if not participant.holds_onsite_place:
        verdict.reason = "not_approved"
        return verdict
    if not opens:
        verdict.reason = "wrong_zone"
        return verdict
    rules_list, proofs = _rules_and_proofs(event, participant, zone)
    verdict.status = rules.evaluate(rules_list, proofs, participant, at=at, zone=zone)
    verdict.to_check = verdict.status.to_check
    if not verdict.status.allowed:
        verdict.reason = "rule_not_met"
        return verdict
    if inside:
        verdict.reason = "already_inside"
        return verdict
    verdict.admitted = True
    return verdict


def _clean_direction(direction: str) -> str:
    if direction not in (Scan.IN, Scan.OUT):
        raise ValidationFailed(
            _("The direction is 'in' or 'out'."), code="invalid_direction", field="direction"
        )
    return direction


def _clean_id(value: str, name: str) -> str:
    value = (value or "").strip()
    if len(value) > 64 or any(ch.isspace() for ch in value):
        raise ValidationFailed(_("This identifier is not valid."), code="invalid_id", field=name)
    return value


def _replayed(event, device: str, client_id: str) -> Verdict | None:
    """The verdict of the scan recorded with this client id, if any."""
    if not client_id:
        return None
    scan = (
        Scan.objects.filter(event=event, device=device, client_id=client_id)
        .select_related("participant")
        .first()
    )
    if scan is None:
        return None
    return Verdict(scan.admitted, scan.reason, scan.participant, scan.revision, scan=scan, duplicate=True)


def _door(event, participant, zone, direction: str, now: datetime, gate: str) -> tuple[str, list]:
    """The statement that flips the person's presence in ``zone`` (created on their first scan there): an
    entry only if they are outside, an exit only if inside. Of two gates scanning the badge at once, one
    flips it: the statement touches a row only when it flipped."""
    quote = connection.ops.quote_name
    since = Presence._meta.get_field("since")
    entering = direction == Scan.IN
    table = quote(Presence._meta.db_table)
    return (
        f"INSERT INTO {table} (event_id, participant_id, zone_id, inside, since, gate)"
        " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (participant_id, zone_id)"
        f" DO UPDATE SET inside = %s, since = %s, gate = %s WHERE {table}.inside = %s",
        [
            event.pk,
            participant.pk,
            zone.pk,
            entering,
            since.get_db_prep_save(now if entering else None, connection),
            gate if entering else "",
            entering,
            since.get_db_prep_save(now, connection),
            gate,
            not entering,
        ],
    )


def _pass_door(event, participant, zone, direction: str, now: datetime, gate: str) -> bool:
    """Flip the person's presence (:func:`_door`); whether it flipped."""
    with rows.cursor() as cursor:
        cursor.execute(*_door(event, participant, zone, direction, now, gate))
        return cursor.rowcount > 0


def _record_through_door(verdict: Verdict, event, zone, direction: str, values: dict, gate: str) -> None:
    """PostgreSQL: flip the presence and insert the scan in one statement, a transaction of its own (the
    flip as a data-modifying WITH). An entry the flip did not happen for is stored, and answered, as
    ``already_inside``; an exit stays admitted."""
    door_sql, params = _door(event, verdict.participant, zone, direction, values["scanned_at"], gate)
    quote = connection.ops.quote_name
    fields = [Scan._meta.get_field(name) for name in values]
    placeholders = []
    entering = direction == Scan.IN
    for column in fields:
        if entering and column.attname == "admitted":
            placeholders.append("EXISTS (SELECT 1 FROM door)")
        elif entering and column.attname == "reason":
            placeholders.append("CASE WHEN EXISTS (SELECT 1 FROM door) THEN '' ELSE 'already_inside' END")
        else:
            placeholders.append("%s")
            params.append(column.get_db_prep_save(values[column.attname], connection))
    sql = (
        f"WITH door AS ({door_sql} RETURNING 1)"
        f" INSERT INTO {quote(Scan._meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
        f" VALUES ({', '.join(placeholders)}) RETURNING id, admitted, reason"
    )
    with busy_errors(), rows.cursor() as cursor:
        cursor.execute(sql, params)
        pk, admitted, reason = cursor.fetchone()
    verdict.admitted, verdict.reason = admitted, reason
    values.update(admitted=admitted, reason=reason)
    verdict.scan = Scan(id=pk, **values)
    verdict.scan._state.adding, verdict.scan._state.db = False, "default"


def scan(
    *,
    event,
    zone,
    token: str,
    direction: str = Scan.IN,
    staff=None,
    gate: str = "",
    device: str = "",
    client_id: str = "",
) -> Verdict:
    """Check ``token`` at a gate of ``zone`` and record the scan (admitted or refused).

    A scan sent again with the same client id (``device`` + ``client_id``) is not looked up first: its row
    meets the unique constraint, the write is rolled back whole (presence included), and the answer is the
    scan recorded the first time."""
    direction = _clean_direction(direction)
    device, client_id = _clean_id(device, "device"), _clean_id(client_id, "client_id")
    gate = (gate or "")[:100]
    now = timezone.now()
    verdict = check(event=event, zone=zone, token=token, direction=direction, at=now)
    participant = verdict.participant
    values = {
        "event_id": event.pk,
        "zone_id": zone.pk,
        "participant_id": participant.pk if participant is not None else None,
        "revision": verdict.revision,
        "direction": direction,
        "admitted": verdict.admitted,
        "reason": verdict.reason,
        "scanned_at": now,
        "device_time": None,
        "recorded_at": now,
        "gate": gate,
        "device": device,
        "client_id": client_id,
        "staff_id": staff.pk if getattr(staff, "is_authenticated", False) else None,
        "offline": False,
        "conflict": "",
    }
    try:
        if connection.vendor == "postgresql" and locking_enabled.get():
            # One statement, a transaction of its own; inside someone else's transaction, a savepoint, so a
            # replayed scan's unique-constraint error leaves that transaction usable.
            with transaction.atomic() if connection.in_atomic_block else nullcontext():
                if verdict.admitted and participant is not None:
                    _record_through_door(verdict, event, zone, direction, values, gate)
                    return verdict
                with busy_errors():
                    verdict.scan = Scan(id=rows.insert(Scan, values), **values)
        else:
            with write_transaction():
                if verdict.admitted and participant is not None:
                    if locking_enabled.get():
                        flipped = _pass_door(event, participant, zone, direction, now, gate)
                    else:  # the race tests' switch: "inside?" was read by check(), the write comes later
                        Presence.objects.bulk_create(
                            [Presence(event=event, participant=participant, zone=zone)], ignore_conflicts=True
                        )
                        time.sleep(race_window.get())
                        flipped = Presence.objects.filter(participant=participant, zone=zone).update(
                            inside=direction == Scan.IN, since=now, gate=gate
                        )
                    if not flipped and direction == Scan.IN:
                        verdict.admitted, verdict.reason = False, "already_inside"
                        values.update(admitted=False, reason="already_inside")
                verdict.scan = Scan(id=rows.insert(Scan, values), **values)  # plain SQL: every scan's path
        verdict.scan._state.adding, verdict.scan._state.db = False, "default"
    except IntegrityError:
        replay = _replayed(event, device, client_id)
        if replay is None:
            raise
        return replay
    return verdict


# --- offline ---------------------------------------------------------------------------------------------


def offline_package(*, event, zone, photos: bool = False) -> dict:
    """What a gate of ``zone`` needs to decide without the server: the event's public key, every badge
    holder who may enter the zone with their entry status, the revocation list and the server's time; with
    ``photos``, each one's photo thumbnail (a ``data:`` address, about 4 KB each)."""
    now = timezone.now()
    rules_list = event_rules(event)
    current = dict(
        Badge.objects.filter(event=event, revoked_at=None).values_list("participant_id", "revision")
    )
    people = list(
        Participant.objects.filter(
            event=event, pk__in=list(current), status=Participant.APPROVED, attendance_mode=Participant.ONSITE
        ).select_related("category", "organization")
    )
    accepted = defaultdict(list)
    for proof in Proof.objects.filter(event=event, status=Proof.ACCEPTED):
        accepted[proof.participant_id].append(proof)
    inside = set(Presence.objects.filter(zone=zone, inside=True).values_list("participant_id", flat=True))
    access = {
        a.category_id: a
        for a in CategoryAccess.objects.filter(category__event=event).prefetch_related("zones")
    }
    thumbnails = {}
    if photos:
        for pk, thumb in Portrait.objects.filter(participant__event=event).values_list(
            "participant_id", "thumbnail"
        ):
            thumbnails[pk] = "data:image/jpeg;base64," + base64.b64encode(bytes(thumb)).decode("ascii")
    participants = []
    for person in people:
        category_access = access.get(person.category_id)
        opened = {z.pk for z in category_access.zones.all()} if category_access else set()
        if opened and zone.pk not in opened:  # no zone named: every zone
            continue
        status = rules.evaluate(rules_list, accepted[person.pk], person, at=now, zone=zone)
        participants.append(
            {
                "id": person.pk,
                "revision": current[person.pk],
                "name": person.native_name,
                "latin": person.latin_name,
                "category": person.category.tr_name,
                "colour": category_access.colour if category_access else CategoryAccess.DEFAULT_COLOUR,
                "allowed": status.allowed,
                "valid_until": status.valid_until.isoformat() if status.valid_until else None,
                "to_check": [requirement_text(r, now) for r in status.to_check],
                "inside": person.pk in inside,
                **({"photo": thumbnails.get(person.pk)} if photos else {}),
            }
        )
    return {
        "version": tokens.VERSION,
        "event": {"id": event.pk, "slug": event.slug, "name": event.tr_name},
        "zone": {"id": zone.pk, "code": zone.code, "name": zone.tr_name},
        "public_key": base64.urlsafe_b64encode(badges.public_key_bytes(event)).decode("ascii").rstrip("="),
        "revoked": [list(pair) for pair in badges.revocations(event)],
        "participants": participants,
        "server_time": now.isoformat(),
    }


def requirement_text(requirement: rules.Requirement, at: datetime) -> str:
    """What gate staff check for a rule checked at the gate: "PCR test taken after 5 Dec 10:00, or …"."""
    from django.utils.formats import date_format

    from summit.entry.models import ProofKind

    parts = []
    for item in requirement.rule.accepted:
        label = ProofKind(item["kind"]).label
        if item.get("seconds") is None:
            parts.append(str(label))
        else:
            since = timezone.localtime(at - timedelta(seconds=item["seconds"]))
            parts.append(
                str(_("%(kind)s taken after %(time)s"))
                % {"kind": label, "time": date_format(since, "DATETIME_FORMAT")}
            )
    return str(_(" or ")).join(parts)


def merge_offline(*, event, staff, device: str, gate: str, device_time: datetime, scans: list[dict]) -> dict:
    """Record the scans a gate made offline. Idempotent: a scan already recorded (same device and client id)
    is counted as a duplicate. Each scan's time is corrected by the device clock's offset from the server's
    (``device_time`` is the device's clock when it sends), and scans are applied in the order they happened."""
    from summit.events import roles

    device = _clean_id(device, "device")
    gate = (gate or "")[:100]
    if not device:
        raise ValidationFailed(_("The device is not identified."), code="invalid_id", field="device")
    if len(scans) > MAX_OFFLINE_SCANS:
        raise ValidationFailed(_("Too many scans in one upload."), code="too_many_scans", field="scans")
    if not isinstance(device_time, datetime) or timezone.is_naive(device_time):
        raise ValidationFailed(
            _("A time needs its offset from UTC."), code="invalid_time", field="device_time"
        )
    now = timezone.now()
    skew = now - device_time
    zones = {z.code: z for z in Zone.objects.filter(event=event)}
    items = []
    for position, item in enumerate(scans):
        zone = zones.get(item.get("zone"))
        if zone is None:
            raise ValidationFailed(
                _("This zone was not found."), code="zone_not_found", field=f"scans.{position}"
            )
        if not roles.can_scan(staff, event, zone):
            raise NotFound(_("This zone was not found."), code="zone_not_found")
        when = item.get("scanned_at")
        if not isinstance(when, datetime) or timezone.is_naive(when):
            raise ValidationFailed(
                _("A time needs its offset from UTC."),
                code="invalid_time",
                field=f"scans.{position}.scanned_at",
            )
        if not item.get("id"):
            raise ValidationFailed(
                _("Every scan needs its id."), code="invalid_id", field=f"scans.{position}"
            )
        items.append(
            {
                "client_id": _clean_id(item.get("id", ""), "id"),
                "zone": zone,
                "direction": _clean_direction(item.get("direction", Scan.IN)),
                "token": item.get("token", ""),
                "admitted": bool(item.get("admitted")),
                "reason": (item.get("reason") or "")[:20],
                "device_time": when,
                "at": min(when + skew, now),
            }
        )
    known = set(
        Scan.objects.filter(
            event=event, device=device, client_id__in=[i["client_id"] for i in items]
        ).values_list("client_id", flat=True)
    )
    fresh, seen = [], set(known)
    for item in items:
        if item["client_id"] in seen:
            continue
        seen.add(item["client_id"])
        fresh.append(item)
    for item in fresh:
        reason, claims = _identify(event, item["token"])
        item["claims"] = claims
        item["server_reason"] = reason
    person_ids = {i["claims"].participant_id for i in fresh if i["claims"] and not i["server_reason"]}
    people = {p.pk: p for p in Participant.objects.filter(event=event, pk__in=person_ids)}
    current = dict(
        Badge.objects.filter(participant_id__in=people, revoked_at=None).values_list(
            "participant_id", "revision"
        )
    )
    conflicts = []
    with write_transaction():
        pairs = {
            (i["claims"].participant_id, i["zone"].pk)
            for i in fresh
            if i["claims"] and i["claims"].participant_id in people
        }
        Presence.objects.bulk_create(
            [Presence(event=event, participant_id=p, zone_id=z) for p, z in sorted(pairs)],
            ignore_conflicts=True,
        )
        presence = {}
        if pairs:
            doors = lock(
                Presence.objects.filter(
                    participant_id__in={p for p, _z in pairs}, zone_id__in={z for _p, z in pairs}
                )
            )
            presence = {(door.participant_id, door.zone_id): door for door in doors}
        changed = set()
        records = []
        for item in sorted(fresh, key=lambda i: i["at"]):
            claims = item["claims"]
            person = people.get(claims.participant_id) if claims and not item["server_reason"] else None
            conflict = ""
            if person is not None and current.get(person.pk) != claims.revision and item["admitted"]:
                conflict = "server_refused"
            elif item["server_reason"] and item["admitted"]:
                conflict = "server_refused"
            row = presence.get((person.pk, item["zone"].pk)) if person else None
            if row is not None and item["admitted"]:
                if item["direction"] == Scan.IN:
                    if row.inside:
                        conflict = conflict or "entered_twice"
                    elif row.since is None or item["at"] >= row.since:
                        row.inside, row.since, row.gate = True, item["at"], gate
                        changed.add(row.pk)
                elif row.since is None or item["at"] >= row.since:
                    row.inside, row.since, row.gate = False, item["at"], gate
                    changed.add(row.pk)
            records.append(
                Scan(
                    event=event,
                    zone=item["zone"],
                    participant=person,
                    revision=claims.revision if claims else None,
                    direction=item["direction"],
                    admitted=item["admitted"],
                    reason=item["reason"] if not item["admitted"] else "",
                    scanned_at=item["at"],
                    device_time=item["device_time"],
                    recorded_at=now,
                    gate=gate,
                    device=device,
                    client_id=item["client_id"],
                    staff=staff if getattr(staff, "is_authenticated", False) else None,
                    offline=True,
                    conflict=conflict,
                )
            )
            if conflict:
                conflicts.append({"id": item["client_id"], "conflict": conflict})
        Presence.objects.bulk_update(
            [r for r in presence.values() if r.pk in changed], ["inside", "since", "gate"]
        )
        Scan.objects.bulk_create(records)
    return {
        "received": len(scans),
        "recorded": len(records),
        "duplicates": len(scans) - len(records),
        "conflicts": conflicts,
        "clock_offset_seconds": round(skew.total_seconds()),
    }


def occupancy(event) -> list[tuple[Zone, int]]:
    """Each zone of the event with the number of people inside now."""
    counts = dict(
        Presence.objects.filter(event=event, inside=True).values_list("zone_id").annotate(n=Count("pk"))
    )
    return [(zone, counts.get(zone.pk, 0)) for zone in Zone.objects.filter(event=event)]


__all__ = [
    "CONFLICTS",
    "REASONS",
    "Verdict",
    "check",
    "merge_offline",
    "occupancy",
    "offline_package",
    "scan",
]
