"""Request and answer shapes of the entry API (``entry/api.py``)."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema
from pydantic import ConfigDict

from summit.core.schemas import choice_in, one_of
from summit.entry.models import EntryRule, Proof, ProofKind, Scan
from summit.entry.services.gates import CONFLICTS, REASONS
from summit.entry.services.proofs import REJECT_REASONS

DIRECTIONS = [Scan.IN, Scan.OUT]


class TokenIn(Schema):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(..., max_length=400, description="The badge QR's text (spaces and dashes are ignored)")
    zone: str = Field(..., max_length=40, description="The zone's code")
    direction: choice_in(DIRECTIONS, max_length=3) = Scan.IN


class ScanIn(TokenIn):
    gate: str = Field("", max_length=100, description="The gate's name, e.g. 'North gate 2'")
    device: str = Field("", max_length=64, description="The scanning device's id")
    client_id: str = Field(
        "",
        max_length=64,
        description="The scan's id on the device: a scan sent again with it is recorded once",
    )


class PersonOut(Schema):
    id: int
    name: str = Field(..., description="The name in the person's own script, with the Latin form when known")
    native: str = Field("", description="The name in the person's own script")
    latin: str = Field("", description="The Latin form of the name, when known")
    category: str
    colour: str
    photo: str | None = Field(None, description="The address of the person's badge photo, if they gave one")


class VerdictOut(Schema):
    admitted: bool
    reason: one_of(REASONS) | None = Field(None, description="Why the badge is refused (when not admitted)")
    detail: str = Field("", description="The reason in the request's language")
    person: PersonOut | None = None
    revision: int | None = None
    valid_until: datetime | None = Field(None, description="Until when the person's entry rules are met")
    to_check: list[str] = Field([], description="What gate staff must check on the spot")
    scan: int | None = Field(None, description="The recorded scan's id")
    duplicate: bool = Field(False, description="This scan was already recorded (same device and client id)")


class OfflineScanIn(Schema):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(..., max_length=64)
    token: str = Field(..., max_length=400)
    zone: str = Field(..., max_length=40)
    direction: choice_in(DIRECTIONS, max_length=3) = Scan.IN
    scanned_at: datetime = Field(..., description="When the scan happened, by the device's clock")
    admitted: bool
    reason: str = Field("", max_length=20)


class OfflineUploadIn(Schema):
    model_config = ConfigDict(extra="forbid")

    device: str = Field(..., max_length=64)
    gate: str = Field("", max_length=100)
    device_time: datetime = Field(
        ..., description="The device's clock as it sends: corrects each scan's time"
    )
    scans: list[OfflineScanIn] = Field(..., max_length=5000)


class ConflictOut(Schema):
    id: str
    conflict: one_of(CONFLICTS)


class OfflineUploadOut(Schema):
    received: int
    recorded: int
    duplicates: int
    conflicts: list[ConflictOut]
    clock_offset_seconds: int


class OccupancyOut(Schema):
    zone: str
    name: str
    inside: int


class AcceptedIn(Schema):
    model_config = ConfigDict(extra="forbid")

    kind: choice_in(ProofKind.values, max_length=20)
    seconds: int | None = Field(None, description="Validity window in seconds; omitted: the kind's default")


class RuleIn(Schema):
    model_config = ConfigDict(extra="forbid")

    category: str | None = Field(None, max_length=40, description="Category code; empty: every category")
    zone: str | None = Field(None, max_length=40, description="Zone code; empty: every zone")
    stage: choice_in([EntryRule.REVIEW, EntryRule.GATE], max_length=10) = EntryRule.REVIEW
    accepted: list[AcceptedIn] = Field([], max_length=10)


class RuleOut(Schema):
    id: int
    category: str | None
    zone: str | None
    stage: one_of([EntryRule.REVIEW, EntryRule.GATE])
    accepted: list[dict]


class ProofOut(Schema):
    id: int
    kind: one_of(ProofKind.values)
    taken_at: datetime
    status: one_of([Proof.PENDING, Proof.ACCEPTED, Proof.REJECTED])
    reason: one_of(REJECT_REASONS) | None = None
    reason_detail: str = ""
    note: str = ""
    valid_until: datetime | None = None
    decided_at: datetime | None = None
    uploaded_at: datetime


class ReviewItemOut(ProofOut):
    participant: int
    name: str
    category: str


class DecisionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    accept: bool
    reason: str = Field("", max_length=20, description="When rejecting: one of the reasons in docs/api.md")
    note: str = Field("", max_length=2000)


class RequirementOut(Schema):
    rule: int
    zone: str | None
    stage: one_of([EntryRule.REVIEW, EntryRule.GATE])
    kinds: list[str]
    met: bool
    pending: bool
    valid_until: datetime | None


class EntryStatusOut(Schema):
    allowed: bool
    valid_until: datetime | None
    requirements: list[RequirementOut]
    proofs: list[ProofOut]
    badge: str | None = Field(None, description="The badge QR's text, once approved and the rules are met")
