from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from summit.core import names
from summit.core.i18n import BilingualMixin
from summit.core.locking import RANK_LINK, RANK_PERSON, RANK_QUOTA
from summit.core.storage import private_storage
from summit.core.text import CleanTextMixin
from summit.events.models import Event


class Organization(CleanTextMixin, models.Model):
    TEXT_FIELDS = ("name", "name_latin")
    GOVERNMENT = "government"
    INTERNATIONAL = "international"
    COMPANY = "company"
    RESEARCH = "research"
    MEDIA = "media"
    OTHER = "other"
    TYPE_CHOICES = [
        (GOVERNMENT, _("Government")),
        (INTERNATIONAL, _("International organization")),
        (COMPANY, _("Company")),
        (RESEARCH, _("Research institute")),
        (MEDIA, _("Media")),
        (OTHER, _("Other")),
    ]
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="organizations")
    name = models.CharField(_("name (own script)"), max_length=200)
    name_latin = models.CharField(_("name (Latin letters)"), max_length=200)
    type = models.CharField(_("type"), max_length=20, choices=TYPE_CHOICES, default=OTHER)
    country = CountryField(_("country"))

    class Meta:
        ordering = ["name_latin"]
        constraints = [
            models.UniqueConstraint(fields=["event", "name_latin", "country"], name="org_unique_name")
        ]

    def __str__(self) -> str:
        return names.name_with_latin(*self.name_forms)

    @property
    def name_forms(self) -> tuple[str, str]:
        """(name, Latin name), without a Latin name invented for a script that cannot be romanized."""
        latin = "" if names.looks_invented(self.name, self.name_latin) else self.name_latin
        return (self.name or self.name_latin), latin


class Category(CleanTextMixin, BilingualMixin, models.Model):
    """A participant category of one event: which fields it requires, its on-site quota, how one gets in."""

    TEXT_FIELDS = ("name_en", "name_zh")

    lock_rank = RANK_QUOTA  # core/locking.py

    # Fields a category may require beyond the ones every registration has.
    REQUIRABLE_FIELDS = [
        ("organization", _("Organization")),
        ("position", _("Position")),
        ("outlet", _("Media outlet")),
        ("press_card_number", _("Press card number")),
        ("press_card_file", _("Press card (PDF, JPEG or PNG)")),
        ("phone", _("Phone")),
    ]
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="categories")
    code = models.SlugField(_("code"), max_length=40)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100, blank=True)
    required_fields = models.JSONField(_("required fields"), default=list, blank=True)
    onsite_quota = models.PositiveIntegerField(
        _("on-site quota"), null=True, blank=True, help_text=_("Empty means no limit.")
    )
    allows_onsite = models.BooleanField(_("on-site attendance allowed"), default=True)
    needs_approval = models.BooleanField(_("needs approval"), default=True)
    needs_invitation = models.BooleanField(_("needs an invitation code"), default=False)
    # Monotonic counter for waitlist positions; only ever increased while the category row is locked.
    waitlist_seq = models.PositiveBigIntegerField(default=0, editable=False)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name_plural = _("categories")
        constraints = [models.UniqueConstraint(fields=["event", "code"], name="category_unique_code")]

    def __str__(self) -> str:
        return self.tr("name")

    def requires(self, field: str) -> bool:
        return field in (self.required_fields or [])


class InvitationCode(CleanTextMixin, models.Model):
    TEXT_FIELDS = ("note",)
    lock_rank = RANK_LINK  # core/locking.py
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="invitations")
    code = models.CharField(_("code"), max_length=64)
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="invitations")
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.CASCADE)
    max_uses = models.PositiveIntegerField(_("maximum uses"), default=1)
    uses = models.PositiveIntegerField(_("uses"), default=0)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "code"], name="invitation_unique_code")]

    def __str__(self) -> str:
        return self.code

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_used_up(self) -> bool:
        return self.uses >= self.max_uses


class Participant(CleanTextMixin, models.Model):
    lock_rank = RANK_PERSON  # core/locking.py
    # Cleaned by services.clean_person for the forms, the API and the import; here for the admin too.
    TEXT_FIELDS = (
        "given_name",
        "family_name",
        "given_name_latin",
        "family_name_latin",
        "position",
        "phone",
        "outlet",
        "press_card_number",
    )
    MULTILINE_TEXT_FIELDS = ("decision_reason",)
    SUBMITTED = "submitted"
    APPROVED = "approved"
    WAITLISTED = "waitlisted"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    STATUS_CHOICES = [
        (SUBMITTED, _("Submitted")),
        (APPROVED, _("Approved")),
        (WAITLISTED, _("Waitlisted")),
        (REJECTED, _("Rejected")),
        (CANCELLED, _("Cancelled")),
    ]
    ONSITE = "onsite"
    ONLINE = "online"
    MODE_CHOICES = [(ONSITE, _("On-site")), (ONLINE, _("Online"))]
    GIVEN_FIRST = "given_first"
    FAMILY_FIRST = "family_first"
    NAME_ORDER_CHOICES = [
        (GIVEN_FIRST, _("Given name first (Anna Schmidt)")),
        (FAMILY_FIRST, _("Family name first (王伟 / Wang Wei)")),
    ]
    LANGUAGE_CHOICES = [("en", "English"), ("zh-hans", "简体中文")]

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="participations"
    )
    email = models.EmailField(_("e-mail"))
    given_name = models.CharField(_("given name"), max_length=100)
    family_name = models.CharField(_("family name"), max_length=100)
    given_name_latin = models.CharField(_("given name (Latin letters)"), max_length=100, blank=True)
    family_name_latin = models.CharField(_("family name (Latin letters)"), max_length=100, blank=True)
    # True when the person (or staff) wrote the Latin name; False when it was derived automatically, which is
    # only shown for scripts whose romanization is reliable (core/names.py).
    latin_given = models.BooleanField(_("Latin name written by the person"), default=False)
    name_order = models.CharField(
        _("name order"), max_length=20, choices=NAME_ORDER_CHOICES, default=GIVEN_FIRST
    )
    title = models.CharField(
        _("title"), max_length=50, blank=True, help_text=_("For example Dr., Prof., H.E.")
    )
    position = models.CharField(_("position"), max_length=200, blank=True)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="participants"
    )
    country = CountryField(_("country"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="participants")
    attendance_mode = models.CharField(_("attendance"), max_length=10, choices=MODE_CHOICES, default=ONSITE)
    language = models.CharField(
        _("preferred language"), max_length=10, choices=LANGUAGE_CHOICES, default="en"
    )
    status = models.CharField(_("status"), max_length=12, choices=STATUS_CHOICES, default=SUBMITTED)
    outlet = models.CharField(_("media outlet"), max_length=200, blank=True)
    press_card_number = models.CharField(_("press card number"), max_length=64, blank=True)
    press_card_file = models.FileField(
        _("press card"), storage=private_storage, upload_to="press-cards/", blank=True
    )
    invitation = models.ForeignKey(InvitationCode, null=True, blank=True, on_delete=models.SET_NULL)
    waitlist_position = models.PositiveBigIntegerField(null=True, blank=True)
    decision_reason = models.TextField(_("reason"), blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Case-folded names in every script, e-mail and organization, for one-field search.
    search_text = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["family_name_latin", "given_name_latin", "id"]
        constraints = [models.UniqueConstraint(fields=["event", "email"], name="participant_unique_email")]
        indexes = [
            models.Index(fields=["event", "status"]),
            models.Index(fields=["category", "status", "attendance_mode"]),
            models.Index(fields=["category", "waitlist_position"]),
        ]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        self.clean_text_fields()
        self.search_text = self.build_search_text()
        super().save(*args, **kwargs)

    @property
    def native_name(self) -> str:
        if self.name_order == self.FAMILY_FIRST:
            if _is_cjk(self.family_name):
                return f"{self.family_name}{self.given_name}"
            return f"{self.family_name} {self.given_name}"
        return f"{self.given_name} {self.family_name}"

    @property
    def latin_trusted(self) -> bool:
        """Whether the stored Latin name may be shown: written by the person, or derived from a script whose
        automatic romanization is reliable (never one invented for Arabic and the like)."""
        return self.latin_given or names.latin_is_reliable(
            f"{self.given_name} {self.family_name}", str(self.country or "")
        )

    @property
    def shown_given_name_latin(self) -> str:
        return self.given_name_latin if self.latin_trusted else ""

    @property
    def shown_family_name_latin(self) -> str:
        return self.family_name_latin if self.latin_trusted else ""

    @property
    def latin_name(self) -> str:
        """The Latin name as badges show it ("Lena HOFFMANN", "WANG Wei"); empty when none can be trusted."""
        given, family = self.shown_given_name_latin, self.shown_family_name_latin
        if not (given or family):
            return ""
        if self.name_order == self.FAMILY_FIRST:
            return f"{family.upper()} {given}".strip()
        return f"{given} {family.upper()}".strip()

    @property
    def name_forms(self) -> tuple[str, str]:
        """(native name, Latin name) for ``core.names`` and the ``person_name`` template filter."""
        return self.native_name, self.latin_name

    @property
    def display_name(self) -> str:
        """The name once when its Latin form only repeats it, otherwise "native (Latin)"."""
        return names.name_with_latin(*self.name_forms)

    @property
    def holds_onsite_place(self) -> bool:
        return self.status == self.APPROVED and self.attendance_mode == self.ONSITE

    def build_search_text(self) -> str:
        parts = [
            self.given_name,
            self.family_name,
            self.given_name_latin,
            self.family_name_latin,
            f"{self.family_name}{self.given_name}",
            f"{self.given_name} {self.family_name}",
            f"{self.given_name_latin} {self.family_name_latin}",
            f"{self.family_name_latin} {self.given_name_latin}",
            self.email,
            self.position,
            self.outlet,
        ]
        if self.organization_id and self.organization:
            parts += [self.organization.name, self.organization.name_latin]
        return "\n".join(p for p in parts if p).casefold()


def _is_cjk(text: str) -> bool:
    return any("\u2e80" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" for ch in text)
