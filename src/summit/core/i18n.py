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
