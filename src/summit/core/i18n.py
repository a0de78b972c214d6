"""Bilingual content helpers: models store ``<field>_en`` and ``<field>_zh``; pages show the viewer's one."""

from __future__ import annotations

from django.utils import translation


def is_chinese(language: str | None = None) -> bool:
    return (language or translation.get_language() or "en").lower().startswith("zh")


def localized(obj, field: str, language: str | None = None) -> str:
    """The Chinese or English value of a bilingual field, falling back to the other when one is empty."""
    en = getattr(obj, f"{field}_en", "") or ""
    zh = getattr(obj, f"{field}_zh", "") or ""
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
