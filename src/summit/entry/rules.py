"""Evaluating entry rules: which of a participant's rules are met at a check-in time, and until when.

Pure functions over rows already loaded, so the gate's hot path, the participant's page and the offline
package all decide the same way. A proof meets a rule when it was accepted, is of a kind the rule accepts,
was taken no later than the check-in, and the check-in is at most the rule's window after it was taken:
``taken_at <= at <= taken_at + window``. Exactly on the limit counts; one second later does not. All
instants are aware datetimes and windows are elapsed time, so time zones and summer-time changes between the
test and the check-in change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from summit.entry.models import EntryRule, Proof


@dataclass
class Requirement:
    rule: EntryRule
    proof: Proof | None = None  # the accepted proof that meets it, if any
    valid_until: datetime | None = None  # when that proof stops counting (None: never)
    pending: bool = False  # a proof of an accepted kind waits for review

    @property
    def met(self) -> bool:
        return not self.rule.accepted or self.proof is not None

    @property
    def at_gate(self) -> bool:
        return self.rule.stage == EntryRule.GATE


@dataclass
class EntryStatus:
    at: datetime
    requirements: list[Requirement] = field(default_factory=list)

    @property
    def missing(self) -> list[Requirement]:
        """Rules checked before arrival that no accepted proof meets at ``at``."""
        return [r for r in self.requirements if not r.at_gate and not r.met]

    @property
    def to_check(self) -> list[Requirement]:
        """Rules the gate staff check on the spot."""
        return [r for r in self.requirements if r.at_gate and r.rule.accepted]

    @property
    def allowed(self) -> bool:
        return not self.missing

    @property
    def valid_until(self) -> datetime | None:
        """Until when the rules checked before arrival stay met (None: no limit, or not met now)."""
        ends = [r.valid_until for r in self.requirements if not r.at_gate and r.proof and r.valid_until]
        return min(ends) if ends else None


def applicable(rules, participant, zone=None) -> list[EntryRule]:
    """The rules for ``participant`` in ``zone`` (``None``: the rules of every zone)."""
    return [rule for rule in rules if rule.applies_to(participant, zone)]


def proof_valid_until(rule: EntryRule, proof: Proof) -> datetime | None | bool:
    """When ``proof`` stops meeting ``rule``: an instant, None (never), or False (the rule does not take it)."""
    window = rule.window(proof.kind)
    if window is False:
        return False
    # In UTC: adding a timedelta to a time in a zone with summer time would add wall-clock time.
    return None if window is None else proof.taken_at.astimezone(UTC) + window


def evaluate(rules, proofs, participant, *, at: datetime, zone=None) -> EntryStatus:
    """The participant's status at check-in time ``at``: each applicable rule and what meets it."""
    status = EntryStatus(at=at)
    for rule in applicable(rules, participant, zone):
        requirement = Requirement(rule=rule)
        for proof in proofs:
            if proof.status == Proof.PENDING and rule.window(proof.kind) is not False:
                requirement.pending = True
            if proof.status != Proof.ACCEPTED or proof.taken_at > at:
                continue
            until = proof_valid_until(rule, proof)
            if until is False or (until is not None and at > until):
                continue
            best = requirement.valid_until
            if requirement.proof is None or (best is not None and (until is None or until > best)):
                requirement.proof, requirement.valid_until = proof, until
        status.requirements.append(requirement)
    return status


def rule_for(rules, participant, kind: str) -> EntryRule | None:
    """The rule an officer's decision on a proof of ``kind`` is recorded against: the first applicable rule
    checked before arrival that accepts the kind (then any applicable rule that does)."""
    candidates = [r for r in applicable(rules, participant) if r.window(kind) is not False]
    review = [r for r in candidates if r.stage == EntryRule.REVIEW]
    return (review or candidates or [None])[0]
