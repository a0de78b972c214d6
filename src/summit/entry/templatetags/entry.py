"""Template filters of the entry pages and mails."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django import template
from django.utils.formats import date_format

from summit.core.i18n import zone_label
from summit.entry.services import gates, proofs

register = template.Library()


@register.filter
def event_time(value, event) -> str:
    """An instant in the event's time zone with the zone named: "5 December 2027 10:00 China Standard Time
    (UTC+8)"."""
    if not value:
        return ""
    local = value.astimezone(ZoneInfo(event.time_zone))
    return f"{date_format(local, 'DATETIME_FORMAT')} {zone_label(event.time_zone, value)}"


@register.filter
def reject_reason(proof) -> str:
    return proofs.reason_text(proof)


@register.filter
def gate_reason(code: str) -> str:
    return str(gates.REASONS.get(code, code))


@register.filter
def conflict_label(code: str) -> str:
    return str(gates.CONFLICTS.get(code, code))
