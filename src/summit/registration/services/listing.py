"""The participant list with its filters, as the back office, the export and the API read it."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from summit.core.errors import ValidationFailed, as_id
from summit.events.models import Event
from summit.registration.models import (
    Participant,
)
from summit.registration.services.people import resolve_country


def status_counts(queryset) -> dict[str, int]:
    counts = dict(queryset.order_by().values_list("status").annotate(n=Count("id")))
    return {code: counts.get(code, 0) for code, _label in Participant.STATUS_CHOICES}


def filter_participants(event: Event, params) -> tuple:
    """The participant list of the back office, the export and the API, with the same filters.

    Returns ``(queryset, filters)``; ``filters`` are the applied values. Unknown values filter nothing out
    silently: they raise a ValidationFailed naming the filter.
    """
    qs = Participant.objects.filter(event=event)
    applied: dict = {}
    get = params.get
    if value := (get("category") or "").strip():
        pk = as_id(value)
        category = event.categories.filter(Q(code=value) | Q(pk=pk) if pk else Q(code=value)).first()
        if category is None:
            raise ValidationFailed(
                _("Unknown category: “%(value)s”.") % {"value": value}, code="bad_filter", field="category"
            )
        qs = qs.filter(category=category)
        applied["category"] = value
    if value := (get("status") or "").strip():
        if value not in dict(Participant.STATUS_CHOICES):
            raise ValidationFailed(
                _("Unknown status “%(value)s”.") % {"value": value}, code="bad_filter", field="status"
            )
        qs = qs.filter(status=value)
        applied["status"] = value
    if value := (get("mode") or get("attendance_mode") or "").strip():
        if value not in dict(Participant.MODE_CHOICES):
            raise ValidationFailed(
                _("Unknown attendance mode “%(value)s”.") % {"value": value}, code="bad_filter", field="mode"
            )
        qs = qs.filter(attendance_mode=value)
        applied["mode"] = value
    if value := (get("country") or "").strip():
        code = resolve_country(value)
        if not code:
            raise ValidationFailed(
                _("Unknown country: “%(value)s”.") % {"value": value}, code="bad_filter", field="country"
            )
        qs = qs.filter(country=code)
        applied["country"] = code
    if value := (get("organization") or "").strip():
        if (pk := as_id(value)) is not None:
            qs = qs.filter(organization_id=pk)
        else:
            qs = qs.filter(
                Q(organization__name_latin__icontains=value) | Q(organization__name__icontains=value)
            )
        applied["organization"] = value
    if value := (get("q") or "").strip():
        for term in value.casefold().split():
            qs = qs.filter(search_text__contains=term)
        applied["q"] = value
    return qs.select_related("category", "organization"), applied


def overview(event: Event) -> dict:
    """The figures of the back-office home: participants by status, by category and by attendance mode
    (cancelled registrations apart), and the registrations waiting for a decision. Three queries."""
    status = status_counts(Participant.objects.filter(event=event))
    live = Participant.objects.filter(event=event).exclude(status=Participant.CANCELLED).order_by()
    by_category = dict(live.values_list("category").annotate(n=Count("id")))
    by_mode = dict(live.values_list("attendance_mode").annotate(n=Count("id")))
    return {
        "total": sum(status.values()),
        "active": sum(n for code, n in status.items() if code != Participant.CANCELLED),
        "pending": status[Participant.SUBMITTED],
        "status": status,
        "by_category": [(category, by_category.get(category.pk, 0)) for category in event.categories.all()],
        "by_mode": {code: by_mode.get(code, 0) for code, _label in Participant.MODE_CHOICES},
    }
