"""The program: sub-forums, their sessions, speakers and talks, and the seats people book.

Times are stored in UTC and shown in the event's time zone. A session's on-site capacity is the *capacity
row* that booking locks (design.md §3); its ``waitlist_seq`` hands out monotonic waitlist positions.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from summit.core import names
from summit.core.i18n import BilingualMixin, localized, localized_pair
from summit.core.locking import RANK_CAPACITY
from summit.core.text import CleanTextMixin
from summit.events.models import Event, Room
from summit.registration.models import Organization, Participant

LANGUAGE_CHOICES = [
    ("en", _("English")),
    ("zh", _("Chinese")),
    ("fr", _("French")),
    ("es", _("Spanish")),
    ("ru", _("Russian")),
    ("ar", _("Arabic")),
]
LANGUAGE_CODES = [code for code, _label in LANGUAGE_CHOICES]


class Forum(CleanTextMixin, BilingualMixin, models.Model):
    """A sub-forum: one topic, a host, a room, moderators, and a run of sessions."""

    TEXT_FIELDS = ("title_en", "title_zh")
    MULTILINE_TEXT_FIELDS = ("description_en", "description_zh")

    TOPIC_CHOICES = [
        ("governance", _("Cyberspace governance")),
        ("economy", _("Digital economy")),
        ("security", _("Cyber security")),
        ("health", _("Digital health")),
        ("ai", _("AI and ethics")),
        ("infrastructure", _("Infrastructure and connectivity")),
        ("culture", _("Digital culture and education")),
        ("cooperation", _("International cooperation")),
        ("other", _("Other")),
    ]
    TOPIC_CODES = [code for code, _label in TOPIC_CHOICES]

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="forums")
    slug = models.SlugField(_("short name"), max_length=60)
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200, blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    topic = models.CharField(_("topic"), max_length=20, choices=TOPIC_CHOICES, default="other")
    host_organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hosted_forums",
        verbose_name=_("host organization"),
    )
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.SET_NULL, related_name="forums", verbose_name=_("room")
    )
    moderators = models.ManyToManyField(
        Participant, blank=True, related_name="moderated_forums", verbose_name=_("moderators")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["event", "slug"], name="forum_slug_unique_per_event")]

    def __str__(self) -> str:
        return self.title_en


class Session(CleanTextMixin, BilingualMixin, models.Model):
    """One block of a forum, with its on-site seats (the capacity row) and optional online places."""

    TEXT_FIELDS = ("title_en", "title_zh")
    MULTILINE_TEXT_FIELDS = ("abstract_en", "abstract_zh")

    lock_rank = RANK_CAPACITY  # core/locking.py

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    STATUS_CHOICES = [(SCHEDULED, _("Scheduled")), (CANCELLED, _("Cancelled"))]

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sessions")
    forum = models.ForeignKey(
        Forum, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("forum")
    )
    # A stable identity for exports (iCal UID, frab guid) that survives renames and re-imports.
    guid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200, blank=True)
    abstract_en = models.TextField(_("abstract (English)"), blank=True)
    abstract_zh = models.TextField(_("abstract (Chinese)"), blank=True)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    room = models.ForeignKey(
        Room,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sessions",
        verbose_name=_("room"),
    )
    capacity = models.PositiveIntegerField(_("on-site seats"), default=0)
    online = models.BooleanField(_("online places offered"), default=True)
    online_limit = models.PositiveIntegerField(
        _("online limit"), null=True, blank=True, help_text=_("Leave empty for no limit.")
    )
    languages = models.JSONField(_("languages spoken"), default=list, blank=True)
    interpretation = models.BooleanField(_("interpretation available"), default=False)
    status = models.CharField(_("status"), max_length=12, choices=STATUS_CHOICES, default=SCHEDULED)
    waitlist_seq = models.PositiveBigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start", "forum__order", "id"]
        indexes = [models.Index(fields=["event", "start"])]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="session_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.title_en

    @property
    def tr_abstract(self) -> str:
        return localized(self, "abstract")

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.CANCELLED

    def overlaps(self, other: Session) -> bool:
        return self.start < other.end and other.start < self.end


class Speaker(CleanTextMixin, models.Model):
    """Someone who speaks: a registered participant, or an external person (for example a remote video)."""

    TEXT_FIELDS = ("name", "name_latin", "affiliation", "affiliation_zh")
    MULTILINE_TEXT_FIELDS = ("bio_en", "bio_zh")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="speakers")
    participant = models.ForeignKey(
        Participant,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="speaker_profiles",
        verbose_name=_("participant"),
    )
    name = models.CharField(_("name"), max_length=200)
    name_latin = models.CharField(_("name (Latin letters)"), max_length=200, blank=True)
    affiliation = models.CharField(_("affiliation (English)"), max_length=200, blank=True)
    affiliation_zh = models.CharField(_("affiliation (Chinese)"), max_length=200, blank=True)
    bio_en = models.TextField(_("biography (English)"), blank=True)
    bio_zh = models.TextField(_("biography (Chinese)"), blank=True)
    photo = models.CharField(max_length=200, blank=True, editable=False)  # name in public media storage
    remote = models.BooleanField(_("speaks remotely"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name_latin", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "participant"],
                condition=Q(participant__isnull=False),
                name="one_speaker_profile_per_participant",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tr_bio(self) -> str:
        return localized(self, "bio")

    @property
    def tr_affiliation(self) -> str:
        """The affiliation in the reader's language (``affiliation`` is the English one: its API name)."""
        return localized_pair(self.affiliation, self.affiliation_zh)

    @property
    def name_forms(self) -> tuple[str, str]:
        """(name, Latin name) for ``core.names``; a Latin form the machine invented for a script it cannot
        romanize (stored before such forms were refused) is left out."""
        return self.name, "" if names.looks_invented(self.name, self.name_latin) else self.name_latin

    @property
    def display_name(self) -> str:
        """The name, then its Latin form in brackets unless that only repeats it ("Lena HOFFMANN")."""
        return names.name_with_latin(*self.name_forms)


class Talk(CleanTextMixin, BilingualMixin, models.Model):
    """A talk inside a session, in order, given by one or more speakers."""

    TEXT_FIELDS = ("title_en", "title_zh")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="talks")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200, blank=True)
    minutes = models.PositiveSmallIntegerField(_("minutes"), null=True, blank=True)
    speakers = models.ManyToManyField(Speaker, blank=True, related_name="talks", verbose_name=_("speakers"))

    class Meta:
        ordering = ["session", "order", "id"]

    def __str__(self) -> str:
        return self.title_en


class Booking(models.Model):
    """A participant's place in a session: a seat, an online place, or a spot on the seat waitlist.

    At most one *active* (booked or waitlisted) booking per participant and session; cancelled ones stay
    as history. Waitlist order is ``waitlist_position``, handed out from ``Session.waitlist_seq`` under
    the session's lock, so it is the order of joining.
    """

    ONSITE = "onsite"
    ONLINE = "online"
    MODE_CHOICES = [(ONSITE, _("On-site seat")), (ONLINE, _("Online"))]

    BOOKED = "booked"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    STATUS_CHOICES = [(BOOKED, _("Booked")), (WAITLISTED, _("On the waitlist")), (CANCELLED, _("Cancelled"))]
    ACTIVE = (BOOKED, WAITLISTED)

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="bookings")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="bookings")
    mode = models.CharField(_("mode"), max_length=10, choices=MODE_CHOICES)
    status = models.CharField(_("status"), max_length=12, choices=STATUS_CHOICES)
    waitlist_position = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    promoted_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["session", "status", "mode"]),
            models.Index(fields=["participant", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "participant"],
                condition=Q(status__in=["booked", "waitlisted"]),
                name="one_active_booking_per_session",
            ),
            models.UniqueConstraint(
                fields=["session", "waitlist_position"],
                condition=Q(waitlist_position__isnull=False),
                name="unique_waitlist_position",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} → {self.session_id} ({self.mode}, {self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class AgendaFeed(models.Model):
    """A private, revocable iCalendar feed of one participant's agenda (the URL is the secret)."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="agenda_feeds")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"feed {self.token[:6]}… of {self.participant_id}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
