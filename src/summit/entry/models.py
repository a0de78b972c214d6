"""Entry: the rules a participant must meet to enter, their proofs, badges, and the scans at the gates.

Health proofs are the most sensitive data Summit holds (design.md §6): the document is stored encrypted
(``entry/crypto.py``), the decision (rule, reviewer, time, valid until) is kept beside it, and gate staff
only ever see the decision. Badges carry an Ed25519-signed token (design.md §7, ``entry/tokens.py``).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from summit.core.locking import RANK_CAPACITY
from summit.core.text import CleanTextMixin
from summit.events.models import Event, Zone
from summit.registration.models import Category, Participant

HOUR = 3600
DAY = 24 * HOUR


class ProofKind(models.TextChoices):
    TEST = "test", _("Negative test (any kind)")
    PCR = "pcr", _("PCR test")
    ANTIGEN = "antigen", _("Antigen test")
    VACCINATION = "vaccination", _("Vaccination certificate")
    RECOVERY = "recovery", _("Recovery certificate")
    IDENTITY = "identity", _("Identity document")


#: A kind's validity window when a rule does not set one: how long after the proof was taken it still
#: counts at check-in, in seconds (None: it does not expire).
DEFAULT_WINDOWS = {
    ProofKind.TEST: 7 * DAY,
    ProofKind.PCR: 72 * HOUR,
    ProofKind.ANTIGEN: 48 * HOUR,
    ProofKind.VACCINATION: 365 * DAY,
    ProofKind.RECOVERY: 180 * DAY,
    ProofKind.IDENTITY: None,
}


class EntryRule(models.Model):
    """What a participant of ``category`` (every category when empty) must show to enter ``zone`` (every
    zone when empty): one proof of any of the ``accepted`` kinds, still valid at check-in. A rule that
    accepts nothing asks for nothing. Several rules that apply must all be met.

    ``accepted`` is a list of ``{"kind": "pcr", "seconds": 259200}``: a proof counts if it was taken at most
    ``seconds`` before check-in (``null``: no limit). Windows are elapsed time, so "7 days" is 168 hours
    whatever the time zones and summer-time changes in between.
    """

    REVIEW = "review"
    GATE = "gate"
    STAGE_CHOICES = [
        (REVIEW, _("Before arrival: an entry officer reviews the uploaded document")),
        (GATE, _("At the gate: gate staff check the document on the spot")),
    ]

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="entry_rules")
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="entry_rules"
    )
    zone = models.ForeignKey(
        Zone, null=True, blank=True, on_delete=models.CASCADE, related_name="entry_rules"
    )
    stage = models.CharField(_("checked"), max_length=10, choices=STAGE_CHOICES, default=REVIEW)
    accepted = models.JSONField(_("accepted proofs"), default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"entry rule {self.pk} @ {self.event_id}"

    def window(self, kind: str) -> timedelta | None | bool:
        """The validity window of ``kind`` under this rule; ``False`` if the rule does not accept it."""
        for item in self.accepted:
            if item.get("kind") == kind:
                seconds = item.get("seconds")
                return None if seconds is None else timedelta(seconds=seconds)
        return False

    @property
    def kinds(self) -> list[str]:
        return [item["kind"] for item in self.accepted]

    def applies_to(self, participant, zone=None) -> bool:
        return (self.category_id is None or self.category_id == participant.category_id) and (
            zone is None or self.zone_id is None or self.zone_id == zone.pk
        )


class CategoryAccess(models.Model):
    """What a category's badge looks like and opens: its colour and the zones its holders may enter.
    A category without one opens every zone, in grey."""

    DEFAULT_COLOUR = "#5f6b7a"

    category = models.OneToOneField(Category, on_delete=models.CASCADE, related_name="access")
    colour = models.CharField(_("badge colour"), max_length=7, default=DEFAULT_COLOUR)
    zones = models.ManyToManyField(Zone, blank=True, related_name="+", verbose_name=_("zones"))

    def __str__(self) -> str:
        return f"badge access of category {self.category_id}"


class Proof(CleanTextMixin, models.Model):
    """One document a participant uploaded (a test result, a certificate, an identity document) and the
    decision on it. The file is encrypted at rest; ``purged_at`` marks a proof whose file and details were
    deleted after the event."""

    MULTILINE_TEXT_FIELDS = ("reason_note",)
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    STATUS_CHOICES = [
        (PENDING, _("Waiting for review")),
        (ACCEPTED, _("Accepted")),
        (REJECTED, _("Rejected")),
    ]

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="proofs")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="proofs")
    kind = models.CharField(_("kind"), max_length=20, choices=ProofKind.choices)
    taken_at = models.DateTimeField(_("taken at"))
    file_name = models.CharField(max_length=200, blank=True, editable=False)
    content_type = models.CharField(max_length=40, blank=True, editable=False)
    size = models.PositiveIntegerField(default=0, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=STATUS_CHOICES, default=PENDING)
    reason = models.CharField(_("reason"), max_length=20, blank=True)
    reason_note = models.TextField(_("note"), blank=True)
    rule = models.ForeignKey(EntryRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["event", "status", "created_at"])]

    def __str__(self) -> str:
        return f"proof {self.pk} of participant {self.participant_id}"


class Portrait(models.Model):
    """The photo a participant gave for their badge: re-encoded as a JPEG without its metadata (no location,
    no camera), with a small thumbnail the gates' offline package may carry."""

    participant = models.OneToOneField(Participant, on_delete=models.CASCADE, related_name="portrait")
    file_name = models.CharField(max_length=200, editable=False)
    thumbnail = models.BinaryField(editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"photo of participant {self.participant_id}"


class SigningKey(models.Model):
    """An event's Ed25519 key pair for badge tokens. The private key is stored encrypted (``crypto.seal``);
    the public key goes to every gate."""

    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="signing_key")
    public_key = models.BinaryField(max_length=32)
    private_key = models.TextField(editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"signing key of event {self.event_id}"


class Badge(models.Model):
    """One printing of a participant's badge. A reprint revokes the previous revision: its token no longer
    opens any gate."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="badges")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="badges")
    revision = models.PositiveIntegerField()
    issued_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["participant_id", "revision"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "revision"], name="badge_unique_revision"),
        ]
        indexes = [models.Index(fields=["event", "revoked_at"])]

    def __str__(self) -> str:
        return f"badge {self.participant_id}-{self.revision}"


class Presence(models.Model):
    """Whether a participant is inside a zone now (anti-passback); counting them gives the occupancy."""

    lock_rank = RANK_CAPACITY  # core/locking.py: a zone's door, like a capacity row

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="presences")
    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="presences")
    inside = models.BooleanField(default=False)
    since = models.DateTimeField(null=True, blank=True)
    gate = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["participant", "zone"], name="presence_unique")]
        indexes = [models.Index(fields=["zone", "inside"])]

    def __str__(self) -> str:
        return f"participant {self.participant_id} in zone {self.zone_id}: {self.inside}"


class Scan(models.Model):
    """One badge shown at a gate, as the gate decided it, online or offline. Never deleted by a merge:
    a scan that contradicts another (the same badge entering at two gates without leaving) is kept and
    flagged as a conflict."""

    IN = "in"
    OUT = "out"
    DIRECTION_CHOICES = [(IN, _("Entry")), (OUT, _("Exit"))]

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="scans")
    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="scans")
    participant = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="scans"
    )
    revision = models.PositiveIntegerField(null=True, blank=True)
    direction = models.CharField(max_length=3, choices=DIRECTION_CHOICES, default=IN)
    admitted = models.BooleanField(default=False)
    reason = models.CharField(max_length=20, blank=True)
    scanned_at = models.DateTimeField(db_index=True)
    device_time = models.DateTimeField(null=True, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    gate = models.CharField(max_length=100, blank=True)
    device = models.CharField(max_length=64, blank=True)
    client_id = models.CharField(max_length=64, blank=True)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    offline = models.BooleanField(default=False)
    conflict = models.CharField(max_length=30, blank=True)

    class Meta:
        ordering = ["scanned_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "device", "client_id"],
                condition=~models.Q(client_id=""),
                name="scan_unique_client_id",
            ),
        ]
        indexes = [models.Index(fields=["event", "participant", "zone"])]

    def __str__(self) -> str:
        return f"scan {self.pk} ({self.direction}, {'admitted' if self.admitted else self.reason})"


class HealthSummary(models.Model):
    """What is left of an event's health data once purged: counts only."""

    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="health_summary")
    counts = models.JSONField(default=dict)
    purged_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"health summary of event {self.event_id}"


class ErasureRequest(models.Model):
    """A participant asked for their data to be erased; an organizer completes it."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="erasure_requests")
    participant = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="erasure_requests"
    )
    reference = models.CharField(max_length=200)
    requested_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["requested_at", "pk"]

    def __str__(self) -> str:
        return f"erasure request {self.pk}"
