"""Bilingual content helpers: models store ``<field>_en`` and ``<field>_zh``; pages show the viewer's one."""

from __future__ import annotations

import functools

from django.utils import translation


def is_chinese(language: str | None = None) -> bool:
    return (language or translation.get_language() or "en").lower().startswith("zh")


def localized(obj, field: str, language: str | None = None) -> str:
    """The Chinese or English value of a bilingual field, falling back to the other when one is empty."""
    return localized_pair(getattr(obj, f"{field}_en", ""), getattr(obj, f"{field}_zh", ""), language)


def localized_pair(en: str, zh: str, language: str | None = None) -> str:
    """Like :func:`localized` for two values whose names do not follow ``<field>_en`` / ``<field>_zh``."""
    en, zh = en or "", zh or ""
    if is_chinese(language):
        return zh or en
    return en or zh


class BilingualMixin:
    """Adds ``obj.tr('name')`` for templates and code."""

    def tr(self, field: str) -> str:
        return localized(self, field)

    @property
    def tr_name(self) -> str:
        return localized(self, "name")

    @property
    def tr_description(self) -> str:
        return localized(self, "description")

    @property
    def tr_title(self) -> str:
        return localized(self, "title")


def sort_localized(objects, field: str = "name", language: str | None = None) -> list:
    """``objects`` in the order of their ``field`` as the viewer reads it (English or Chinese name).

    One rule in both languages: case-insensitive order of the shown string (for Chinese this is code-point
    order, not pinyin), then the id, so the same list never comes out in two orders.
    """
    return sorted(objects, key=lambda obj: (localized(obj, field, language).casefold(), obj.pk))


def order_localized(queryset, field: str = "name", language: str | None = None):
    """The queryset ordered as :func:`sort_localized` orders it (for choice lists built from a queryset)."""
    from django.db.models import Case, IntegerField, Value, When

    ordered = sort_localized(queryset, field, language)
    if not ordered:
        return queryset
    whens = [When(pk=obj.pk, then=Value(i)) for i, obj in enumerate(ordered)]
    return queryset.order_by(Case(*whens, default=Value(len(ordered)), output_field=IntegerField()), "pk")


def brackets(text: str, language: str | None = None) -> str:
    """``text`` in round brackets of the language's width: "(…)" in English, "（…）" in Chinese."""
    return f"（{text}）" if is_chinese(language) else f"({text})"


def utc_offset(when) -> str:
    """The offset of an aware datetime as "UTC+8", "UTC+5:30", "UTC-3", or "UTC" for none."""
    offset = when.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    if not minutes:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def zone_name(time_zone: str, when=None, language: str | None = None) -> str:
    """A time zone's name as the reader says it ("China Standard Time", "中国标准时间"), not its id."""
    when = _local(time_zone, when)
    return _zone_name(time_zone, when.replace(minute=0, second=0, microsecond=0), is_chinese(language))


def _local(time_zone: str, when=None):
    """``when`` (default: now) in the zone."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(time_zone)
    return (when or datetime.now(zone)).astimezone(zone)


@functools.lru_cache(maxsize=256)
def _zone_name(time_zone: str, when, chinese: bool) -> str:
    # Pages show one zone hundreds of times (each session's time): the name is looked up once per hour.
    from babel.core import UnknownLocaleError
    from babel.dates import get_timezone_name

    try:
        return get_timezone_name(when, width="long", locale="zh_Hans_CN" if chinese else "en")
    except (LookupError, UnknownLocaleError):
        return time_zone


def zone_label(time_zone: str, when=None, language: str | None = None, *, inline: bool = False) -> str:
    """The zone's name with its offset at ``when``: "China Standard Time (UTC+8)" / "中国标准时间（UTC+8）".

    ``inline`` is for text that already stands in brackets: "China Standard Time, UTC+8" /
    "中国标准时间 UTC+8".
    """
    when = _local(time_zone, when)
    name, offset = zone_name(time_zone, when, language), utc_offset(when)
    if inline:
        return f"{name} {offset}" if is_chinese(language) else f"{name}, {offset}"
    return (
        f"{name}{brackets(offset, language)}"
        if is_chinese(language)
        else f"{name} {brackets(offset, language)}"
    )
