"""``{{ person|person_name }}``: a person's name on a page (see ``core.names``)."""

from django import template
from django.utils.html import format_html

from summit.core.names import NOT_PINYIN_COUNTRIES, name_html

register = template.Library()


@register.filter
def person_name(person):
    """The name once, or "native (Latin)", each part isolated for right-to-left scripts. ``person`` has
    ``name_forms`` (native, Latin shown); anything else is shown as its text."""
    forms = getattr(person, "name_forms", None)
    if forms is None:
        return format_html("<bdi>{}</bdi>", "" if person is None else str(person))
    return name_html(*forms)


@register.simple_tag
def not_pinyin_countries() -> str:
    """The countries whose passports do not spell Chinese characters in pinyin, for ``static/summit/names.js``."""
    return " ".join(sorted(NOT_PINYIN_COUNTRIES))
