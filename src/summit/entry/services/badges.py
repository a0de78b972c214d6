"""Badges: the event's signing key, each participant's current badge revision, and its token.

An event gets its Ed25519 key pair on first use; the private key is stored encrypted with the health keys
(``entry/crypto.py``) and kept in memory once loaded. A participant who holds an on-site place (approved,
on-site) gets revision 1 of their badge when it is first shown or printed; a reprint revokes it and issues
the next revision. Revoked revisions form the revocation list every gate gets.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.db import IntegrityError
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from summit.core import audit
from summit.core.errors import ValidationFailed
from summit.core.locking import lock_one, write_transaction
from summit.entry import crypto, tokens
from summit.entry.models import Badge, SigningKey
from summit.registration.models import Participant

_keys: dict[int, tuple[Ed25519PrivateKey | None, Ed25519PublicKey, bytes]] = {}


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _create_key(event) -> SigningKey:
    private = Ed25519PrivateKey.generate()
    raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    try:
        with write_transaction():
            return SigningKey.objects.create(
                event=event,
                public_key=_raw_public(private.public_key()),
                private_key=crypto.seal(raw).decode("ascii"),
            )
    except IntegrityError:  # another process created it first: use theirs
        return SigningKey.objects.get(event=event)


def _load(event_id: int, *, private: bool):
    cached = _keys.get(event_id)
    if cached is not None and (cached[0] is not None or not private):
        return cached
    row = SigningKey.objects.filter(event_id=event_id).first()
    if row is None:
        if not private:
            return None
        from summit.events.models import Event

        row = _create_key(Event.objects.get(pk=event_id))
    public_raw = bytes(row.public_key)
    private_key = None
    if private:
        private_key = Ed25519PrivateKey.from_private_bytes(crypto.unseal(row.private_key.encode("ascii")))
    _keys[event_id] = (private_key, Ed25519PublicKey.from_public_bytes(public_raw), public_raw)
    return _keys[event_id]


def public_key(event) -> Ed25519PublicKey:
    return _load(event.pk, private=True)[1]


def public_key_bytes(event) -> bytes:
    return _load(event.pk, private=True)[2]


def forget_keys(event_id: int | None = None) -> None:
    """Drop the keys kept in memory: one event's (it was deleted, and SQLite may give its id to the next
    one) or all (tests; after a key rotation)."""
    if event_id is None:
        _keys.clear()
    else:
        _keys.pop(event_id, None)


def token_for(badge: Badge) -> str:
    private = _load(badge.event_id, private=True)[0]
    return tokens.sign(
        private, event_id=badge.event_id, participant_id=badge.participant_id, revision=badge.revision
    )


# --- badges ------------------------------------------------------------------------------------------------


def current_badge(participant) -> Badge | None:
    return Badge.objects.filter(participant=participant, revoked_at=None).order_by("-revision").first()


def _require_place(participant: Participant) -> None:
    if not participant.holds_onsite_place:
        raise ValidationFailed(
            _("Only approved on-site participants have a badge."), code="not_approved", field=None
        )


def issue_badge(*, participant: Participant, actor=None) -> Badge:
    """The participant's current badge, issued (revision 1, or the next after a revoked one) if they have
    none yet."""
    badge = current_badge(participant)
    if badge is not None:
        return badge
    _require_place(participant)
    with write_transaction():
        lock_one(Participant.objects.filter(pk=participant.pk))
        badge = current_badge(participant)
        if badge is None:
            last = Badge.objects.filter(participant=participant).aggregate(m=Max("revision"))["m"] or 0
            badge = Badge.objects.create(
                event_id=participant.event_id, participant=participant, revision=last + 1
            )
            audit.record(actor=actor, action="badge.issued", obj=badge, data={"revision": badge.revision})
    return badge


def may_show(participant, status) -> bool:
    """Whether the participant's badge QR is shown to them: they hold an on-site place and meet their
    entry rules (``status``, from ``proofs.status_of``)."""
    return participant.holds_onsite_place and status.allowed


def shown_badge(participant, status, *, actor=None) -> Badge | None:
    """The badge the participant shows (issued on first showing), or None while :func:`may_show` says no."""
    return issue_badge(participant=participant, actor=actor) if may_show(participant, status) else None


def issue_many(participants, *, actor=None) -> dict[int, Badge]:
    """The current badge of each of ``participants`` (who hold an on-site place), issuing the missing ones
    in one go: a batch print of two thousand badges does not lock two thousand people one by one."""
    people = [p for p in participants if p.holds_onsite_place]
    ids = [p.pk for p in people]
    current = {
        b.participant_id: b
        for b in Badge.objects.filter(participant_id__in=ids, revoked_at=None).order_by("revision")
    }
    missing = [p for p in people if p.pk not in current]
    if missing:
        revoked = set(
            Badge.objects.filter(participant_id__in=[p.pk for p in missing]).values_list(
                "participant_id", flat=True
            )
        )
        with write_transaction():
            Badge.objects.bulk_create(
                [
                    Badge(event_id=p.event_id, participant=p, revision=1)
                    for p in missing
                    if p.pk not in revoked
                ],
                ignore_conflicts=True,
            )
        for person in missing:
            if person.pk in revoked:  # printed before, revoked since: the next revision, one by one
                issue_badge(participant=person, actor=actor)
        current = {
            b.participant_id: b
            for b in Badge.objects.filter(participant_id__in=ids, revoked_at=None).order_by("revision")
        }
    return current


def reissue_badge(*, participant: Participant, actor) -> Badge:
    """A reprint: the current revision is revoked and the next one issued."""
    _require_place(participant)
    with write_transaction():
        lock_one(Participant.objects.filter(pk=participant.pk))
        now = timezone.now()
        Badge.objects.filter(participant=participant, revoked_at=None).update(revoked_at=now)
        last = Badge.objects.filter(participant=participant).aggregate(m=Max("revision"))["m"] or 0
        badge = Badge.objects.create(
            event_id=participant.event_id, participant=participant, revision=last + 1
        )
        audit.record(actor=actor, action="badge.reissued", obj=badge, data={"revision": badge.revision})
    return badge


def revoke_badges(*, participant: Participant, actor=None) -> int:
    """Revoke every badge of the participant (their place ended). Runs inside the caller's transaction."""
    now = timezone.now()
    revoked = list(Badge.objects.filter(participant=participant, revoked_at=None))
    if revoked:
        Badge.objects.filter(pk__in=[b.pk for b in revoked]).update(revoked_at=now)
        for badge in revoked:
            audit.record(actor=actor, action="badge.revoked", obj=badge, data={"revision": badge.revision})
    return len(revoked)


def revocations(event) -> list[tuple[int, int]]:
    """``(participant id, revision)`` of every revoked badge of the event."""
    return list(
        Badge.objects.filter(event=event).exclude(revoked_at=None).values_list("participant_id", "revision")
    )


def start_print(*, event, ids: list[int], size: str, actor):
    """A background job drawing the badges of ``ids`` (approved on-site participants) as one PDF."""
    from summit.core import jobs
    from summit.entry import cards

    if size not in cards.SIZES:
        raise ValidationFailed(_("Unknown card size."), code="bad_size", field="size")
    if not ids:
        raise ValidationFailed(
            _("No approved on-site participant matches: there is no badge to print."), code="no_badges"
        )
    with write_transaction():
        return jobs.enqueue(
            "entry.badges_pdf",
            args={"event": event.pk, "ids": list(ids), "size": size},
            owner=actor,
            scope=f"event:{event.pk}",
            label=_("Badges (%(count)s)") % {"count": len(ids)},
        )


def badge_pdf(participant, *, size: str = "A6") -> bytes:
    """One participant's badge as a PDF, drawn at once."""
    import io

    from summit.entry import cards
    from summit.entry.jobs import cards_for

    if size not in cards.SIZES:
        raise ValidationFailed(_("Unknown card size."), code="bad_size", field="size")
    _require_place(participant)
    out = io.BytesIO()
    cards.render(cards_for(participant.event, [participant.pk]), out, size=size)
    return out.getvalue()
