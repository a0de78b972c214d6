"""Entry rules and proofs: organizers set the rules, participants upload proofs, entry officers decide.

Every function here is a whole change (one transaction) or raises a ``SummitError`` with a stable code. A
proof's document is encrypted before it is written (``entry/crypto.py``); opening it is recorded in the audit
log each time, whoever opens it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from summit.core import audit, jobs, mail, ratelimit
from summit.core.errors import Conflict, NotFound, ValidationFailed
from summit.core.locking import write_transaction
from summit.core.storage import private_storage
from summit.core.uploads import check_document
from summit.entry import crypto, rules
from summit.entry.models import DEFAULT_WINDOWS, CategoryAccess, EntryRule, Proof, ProofKind
from summit.registration.models import Participant

#: Why an officer rejects a proof, as the participant reads it in their own language.
REJECT_REASONS = {
    "illegible": gettext_lazy("The document cannot be read."),
    "wrong_person": gettext_lazy("The document is not in your name."),
    "wrong_kind": gettext_lazy("The document is not of the kind you chose."),
    "too_old": gettext_lazy("The document is too old for the entry rules."),
    "not_negative": gettext_lazy("The test result is not negative."),
    "date_mismatch": gettext_lazy("The date on the document differs from the date you gave."),
    "other": gettext_lazy("Another reason, explained in the note."),
}
MAX_WINDOW_SECONDS = 2 * 365 * 24 * 3600
COLOUR_CHARS = set("0123456789abcdef")


# --- rules ------------------------------------------------------------------------------------------------


def event_rules(event) -> list[EntryRule]:
    return list(EntryRule.objects.filter(event=event).select_related("category", "zone"))


def clean_accepted(accepted) -> list[dict]:
    """``[{"kind": …, "seconds": …}]`` checked: known kinds, each once, windows between one hour and two
    years (or ``None``: no limit). A kind without a window takes its default (PCR 72 h, antigen 48 h...)."""
    if not isinstance(accepted, list):
        raise ValidationFailed(_("Choose the accepted proofs."), code="invalid_rule", field="accepted")
    cleaned, seen = [], set()
    for item in accepted:
        kind = item.get("kind") if isinstance(item, dict) else None
        if kind not in ProofKind.values:
            raise ValidationFailed(_("Unknown kind of proof."), code="invalid_rule", field="accepted")
        if kind in seen:
            raise ValidationFailed(
                _("Each kind of proof may appear once in a rule."), code="invalid_rule", field="accepted"
            )
        seen.add(kind)
        seconds = item.get("seconds", DEFAULT_WINDOWS[kind])  # given as null: no limit
        if seconds is not None:
            if (
                not isinstance(seconds, int)
                or isinstance(seconds, bool)
                or not 3600 <= seconds <= MAX_WINDOW_SECONDS
            ):
                raise ValidationFailed(
                    _("A validity window must be between one hour and two years."),
                    code="invalid_rule",
                    field="accepted",
                )
        cleaned.append({"kind": kind, "seconds": seconds})
    return cleaned


def save_rule(
    *, event, actor, rule: EntryRule | None = None, category=None, zone=None, stage: str, accepted
) -> EntryRule:
    if stage not in (EntryRule.REVIEW, EntryRule.GATE):
        raise ValidationFailed(_("Choose where the rule is checked."), code="invalid_rule", field="stage")
    for obj, name in ((category, "category"), (zone, "zone")):
        if obj is not None and obj.event_id != event.pk:
            raise ValidationFailed(_("Choose one of this event's entries."), code="invalid_rule", field=name)
    accepted = clean_accepted(accepted)
    with write_transaction():
        rule = rule or EntryRule(event=event)
        created = rule.pk is None
        rule.category, rule.zone, rule.stage, rule.accepted = category, zone, stage, accepted
        rule.save()
        audit.record(
            actor=actor,
            action="entry_rule.saved",
            obj=rule,
            data={"created": created, "kinds": rule.kinds, "stage": stage},
        )
    return rule


def delete_rule(*, event, actor, rule: EntryRule) -> None:
    if rule.event_id != event.pk:
        raise NotFound()
    with write_transaction():
        audit.record(actor=actor, action="entry_rule.deleted", obj=rule, data={"kinds": rule.kinds})
        rule.delete()


def save_access(*, event, actor, category, colour: str, zones) -> CategoryAccess:
    """A category's badge colour and the zones it opens."""
    colour = (colour or "").strip().lower()
    if len(colour) != 7 or colour[0] != "#" or not set(colour[1:]) <= COLOUR_CHARS:
        raise ValidationFailed(_("Give the colour as #RRGGBB."), code="invalid_colour", field="colour")
    zones = list(zones)
    if category.event_id != event.pk or any(z.event_id != event.pk for z in zones):
        raise ValidationFailed(_("Choose one of this event's entries."), code="invalid_access", field="zones")
    with write_transaction():
        access, _created = CategoryAccess.objects.get_or_create(category=category)
        access.colour = colour
        access.save()
        access.zones.set(zones)
        audit.record(
            actor=actor,
            action="entry_rule.saved",
            obj=category,
            data={"colour": colour, "zones": [z.code for z in zones]},
            event=event,
        )
    return access


# --- the participant's status ------------------------------------------------------------------------------


def status_of(participant, *, at: datetime | None = None, zone=None, event_rules_list=None):
    """The participant's entry status at ``at`` (now): what is met, missing, and until when."""
    at = at or timezone.now()
    rules_list = event_rules_list if event_rules_list is not None else event_rules(participant.event)
    proofs = list(Proof.objects.filter(participant=participant).order_by("created_at"))
    return rules.evaluate(rules_list, proofs, participant, at=at, zone=zone)


def accepted_kinds(participant, event_rules_list=None) -> list[str]:
    """The proof kinds any rule of the participant accepts, in the order of ``ProofKind``."""
    rules_list = event_rules_list if event_rules_list is not None else event_rules(participant.event)
    kinds = {kind for rule in rules.applicable(rules_list, participant) for kind in rule.kinds}
    return [kind for kind in ProofKind.values if kind in kinds]


# --- proofs ------------------------------------------------------------------------------------------------


def _parse_taken(taken_at) -> datetime:
    if not isinstance(taken_at, datetime) or timezone.is_naive(taken_at):
        raise ValidationFailed(
            _("Give the date and time the proof was taken."), code="invalid_date", field="taken_at"
        )
    slack = timedelta(seconds=settings.PROOF_CLOCK_SLACK_SECONDS)
    if taken_at > timezone.now() + slack:
        raise ValidationFailed(
            _("The proof cannot be dated in the future."), code="taken_in_future", field="taken_at"
        )
    return taken_at


def upload_proof(*, participant: Participant, kind: str, taken_at, upload, actor=None) -> Proof:
    """Store a proof for review: a PDF, JPEG or PNG of at most ``MAX_UPLOAD_BYTES``, checked by content and
    encrypted before it is written."""
    if participant.status == Participant.CANCELLED:
        raise ValidationFailed(_("This registration was cancelled."), code="cancelled")
    if kind not in accepted_kinds(participant):
        raise ValidationFailed(
            _("Your entry rules do not ask for this kind of proof."), code="kind_not_needed", field="kind"
        )
    taken_at = _parse_taken(taken_at)
    content_type, _extension = check_document(upload, field="file")
    ratelimit.hit("proof", str(participant.pk))
    upload.seek(0)
    data = upload.read()
    name = crypto.store(data)
    try:
        with write_transaction():
            proof = Proof.objects.create(
                event_id=participant.event_id,
                participant=participant,
                kind=kind,
                taken_at=taken_at,
                file_name=name,
                content_type=content_type,
                size=len(data),
            )
            audit.record(actor=actor, action="proof.uploaded", obj=proof, event=participant.event)
    except BaseException:
        private_storage().delete(name)
        raise
    return proof


def review_queue(event):
    """Proofs waiting for a decision, oldest first."""
    return (
        Proof.objects.filter(event=event, status=Proof.PENDING)
        .select_related("participant", "participant__category", "participant__organization")
        .order_by("created_at", "pk")
    )


def open_proof(*, proof: Proof, actor) -> tuple[bytes, str]:
    """The document's plain bytes and type, for an entry officer or its owner. Every opening is audited."""
    if not proof.file_name:
        raise NotFound(_("This proof's document was deleted."), code="purged")
    data = crypto.load(proof.file_name)
    audit.record(actor=actor, action="proof.opened", obj=proof, event=proof.event)
    return data, proof.content_type


def decide_proof(*, proof: Proof, actor, accept: bool, reason: str = "", note: str = "") -> Proof:
    """Accept a proof (recording the rule it meets and until when) or reject it with a reason from
    ``REJECT_REASONS``. A proof is decided once; the participant is told by mail in their language."""
    note = (note or "").strip()
    if not accept:
        if reason not in REJECT_REASONS:
            raise ValidationFailed(
                _("Choose why the proof is rejected."), code="reason_required", field="reason"
            )
        if reason == "other" and not note:
            raise ValidationFailed(_("Explain the reason in the note."), code="note_required", field="note")
    participant = proof.participant
    rule = rules.rule_for(event_rules(proof.event), participant, proof.kind) if accept else None
    if accept and rule is None:
        raise ValidationFailed(_("No entry rule of this person accepts this kind of proof."), code="no_rule")
    now = timezone.now()
    valid_until = rules.proof_valid_until(rule, proof) if rule else None
    with write_transaction():
        changed = Proof.objects.filter(pk=proof.pk, status=Proof.PENDING).update(
            status=Proof.ACCEPTED if accept else Proof.REJECTED,
            reason="" if accept else reason,
            reason_note=note,
            rule=rule,
            reviewer=actor,
            decided_at=now,
            valid_until=valid_until,
        )
        if not changed:
            raise Conflict(_("This proof was already decided."), code="already_decided")
        proof.refresh_from_db()
        audit.record(
            actor=actor,
            action="proof.accepted" if accept else "proof.rejected",
            obj=proof,
            data={"rule": rule.pk if rule else None, "reason": proof.reason},
            event=proof.event,
        )
        mail.send(
            to=participant.email,
            template="entry/mail/proof_decided",
            context={"participant": participant, "proof": proof, "event": proof.event},
            language=participant.language,
        )
    return proof


def delete_proof(*, proof: Proof, actor) -> None:
    """The owner deletes their proof: the document and its details are gone; only the audit entry stays."""
    name = proof.file_name
    with write_transaction():
        audit.record(actor=actor, action="proof.deleted", obj=proof, event=proof.event)
        proof.delete()
        if name:
            jobs.after_commit(lambda: private_storage().delete(name))


def reason_text(proof: Proof) -> str:
    return str(REJECT_REASONS.get(proof.reason, "")) if proof.reason else ""
