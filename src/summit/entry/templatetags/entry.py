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
def event_time_short(value, event) -> str:
    """An instant in the event's time zone, short ("12/05/2026 08:16"), for tables that name the zone once."""
    if not value:
        return ""
    return date_format(value.astimezone(ZoneInfo(event.time_zone)), "SHORT_DATETIME_FORMAT")


@register.filter
def event_zone(event) -> str:
    """The event's time zone, named: "China Standard Time (UTC+8)"."""
    return zone_label(event.time_zone)


@register.filter
def reject_reason(proof) -> str:
    return proofs.reason_text(proof)


@register.filter
def gate_reason(code: str) -> str:
    return str(gates.REASONS.get(code, code))


@register.filter
def conflict_label(code: str) -> str:
    return str(gates.CONFLICTS.get(code, code))


@register.filter
def accepted_text(rule) -> str:
    """The proofs a rule accepts, as a participant reads them: "PCR test taken at most 72 hours before
    check-in, or Antigen test taken at most 48 hours before check-in"."""
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    from summit.entry.models import ProofKind

    parts = []
    for item in rule.accepted:
        label = ProofKind(item["kind"]).label
        seconds = item.get("seconds")
        if seconds is None:
            parts.append(str(label))
        elif seconds % 86400 == 0 and seconds >= 7 * 86400:
            days = seconds // 86400
            parts.append(
                ngettext(
                    "%(kind)s taken at most %(n)d day before check-in",
                    "%(kind)s taken at most %(n)d days before check-in",
                    days,
                )
                % {"kind": label, "n": days}
            )
        else:
            hours = max(1, seconds // 3600)
            parts.append(
                ngettext(
                    "%(kind)s taken at most %(n)d hour before check-in",
                    "%(kind)s taken at most %(n)d hours before check-in",
                    hours,
                )
                % {"kind": label, "n": hours}
            )
    return _(", or ").join(parts)
