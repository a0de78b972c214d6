from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from summit.core.i18n import BilingualMixin, localized_pair, zone_label
from summit.core.text import CleanTextMixin

TIME_ZONE_CHOICES = [(tz, tz) for tz in sorted(zoneinfo.available_timezones())]


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone: %(tz)s"), params={"tz": value})


class Venue(CleanTextMixin, BilingualMixin, models.Model):
    TEXT_FIELDS = ("name_en", "name_zh", "city", "city_zh")
    MULTILINE_TEXT_FIELDS = ("address",)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    address = models.TextField(_("address"), blank=True)
    city = models.CharField(_("city (English)"), max_length=100, blank=True)
    city_zh = models.CharField(_("city (Chinese)"), max_length=100, blank=True)

    def __str__(self) -> str:
        return self.name_en

    @property
    def tr_city(self) -> str:
        """The city in the reader's language (``city`` is the English one, the API's name since the start)."""
        return localized_pair(self.city, self.city_zh)


class Event(CleanTextMixin, BilingualMixin, models.Model):
    TEXT_FIELDS = ("name_en", "name_zh")
    MULTILINE_TEXT_FIELDS = ("description_en", "description_zh")
    slug = models.SlugField(unique=True, max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone]
    )
    venue = models.ForeignKey(Venue, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    registration_open = models.BooleanField(_("registration open"), default=True)
    # Staff (organizers, accreditation officers) must sign in with a second factor to open the back office
    # (events/middleware.py); organizers change it on the back office's security page.
    staff_two_factor = models.BooleanField(_("staff need a second factor"), default=False)

    class Meta:
        ordering = ["start"]

    def __str__(self) -> str:
        return self.name_en

    def clean(self):
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": _("The event must end after it starts.")})

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def tr_time_zone(self) -> str:
        """The event's time zone as the reader says it, with its offset during the event:
        "China Standard Time (UTC+8)" / "中国标准时间（UTC+8）"."""
        return zone_label(self.time_zone, self.start)

    @property
    def tr_time_zone_inline(self) -> str:
        """The same inside a sentence's brackets: "China Standard Time, UTC+8" / "中国标准时间 UTC+8"."""
        return zone_label(self.time_zone, self.start, inline=True)


class Room(CleanTextMixin, BilingualMixin, models.Model):
    TEXT_FIELDS = ("name_en", "name_zh")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rooms")
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"))
    zone = models.ForeignKey("Zone", null=True, blank=True, on_delete=models.SET_NULL, related_name="rooms")

    class Meta:
        ordering = ["name_en"]
        constraints = [models.UniqueConstraint(fields=["event", "name_en"], name="room_unique_name")]

    def __str__(self) -> str:
        return self.name_en


class Zone(CleanTextMixin, BilingualMixin, models.Model):
    """An area a badge may open (main hall, expo, press centre...); gates use it later."""

    TEXT_FIELDS = ("name_en", "name_zh")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="zones")
    code = models.SlugField(max_length=40)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["event", "code"], name="zone_unique_code")]

    def __str__(self) -> str:
        return self.name_en


class EventRole(models.Model):
    """A person's staff role on one event. Roles never carry over to another event."""

    ORGANIZER = "organizer"
    ACCREDITATION_OFFICER = "accreditation_officer"
    ENTRY_OFFICER = "entry_officer"
    GATE_STAFF = "gate_staff"
    ROLE_CHOICES = [
        (ORGANIZER, _("Organizer")),
        (ACCREDITATION_OFFICER, _("Accreditation officer")),
        (ENTRY_OFFICER, _("Entry officer")),
        (GATE_STAFF, _("Gate staff")),
    ]
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="roles")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_roles")
    role = models.CharField(max_length=32, choices=ROLE_CHOICES)
    # Gate staff scan at the gates of these zones only (other roles ignore it).
    zones = models.ManyToManyField(Zone, blank=True, related_name="staff_roles", verbose_name=_("zones"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "user", "role"], name="eventrole_unique")]

    def __str__(self) -> str:
        return f"{self.user} – {self.role} @ {self.event.slug}"
