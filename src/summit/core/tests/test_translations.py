"""The Simplified Chinese catalogue is complete, keeps every placeholder and is actually used.

The .mo file is not committed: `make test` compiles it first (`make messages` runs `pybabel compile`).
"""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils import translation

LC_MESSAGES = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
PO_FILE = LC_MESSAGES / "django.po"
MO_FILE = LC_MESSAGES / "django.mo"

# %(name)s, %(count)d, %(size).1f ... and the literal %%.
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?[diouxXeEfFgGcrs%]")


def _catalog():
    with PO_FILE.open("rb") as f:
        return read_po(f)


def _messages():
    return [m for m in _catalog() if m.id]


def _forms(value) -> list[str]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text or ""))


def test_catalogue_header():
    catalog = _catalog()
    assert str(catalog.locale) == "zh_Hans"
    assert catalog.num_plurals == 1
    assert not catalog.fuzzy, "the header of django.po is still marked fuzzy"


def test_every_message_is_translated_and_checked():
    untranslated = [m.id for m in _messages() if not all(s and s.strip() for s in _forms(m.string))]
    fuzzy = [m.id for m in _messages() if m.fuzzy]
    assert not untranslated, f"{len(untranslated)} message(s) without a translation: {untranslated}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy message(s): {fuzzy}"


def test_placeholders_are_kept():
    wrong = []
    for m in _messages():
        # With one plural form (Chinese), msgstr[0] stands for every count. It is checked against the
        # singular msgid, as `pybabel compile` does (an unknown placeholder there breaks `make messages`).
        expected = _placeholders(_forms(m.id)[0])
        for text in _forms(m.string):
            if text and _placeholders(text) != expected:
                wrong.append(
                    f"{m.id!r}: expected {sorted(expected)}, got {sorted(_placeholders(text))} in {text!r}"
                )
    assert not wrong, "placeholders differ between msgid and msgstr:\n" + "\n".join(wrong)


@pytest.mark.parametrize(
    ("msgid", "expected"),
    [("Register", "报名"), ("Submit registration", "提交报名"), ("My registration", "我的报名")],
)
def test_chinese_is_served(msgid, expected):
    assert MO_FILE.exists(), f"{MO_FILE} is missing: run `make messages` (pybabel compile) first"
    with translation.override("zh-hans"):
        assert translation.gettext(msgid) == expected
    with translation.override("en"):
        assert translation.gettext(msgid) == msgid


def test_chinese_plural_is_served():
    assert MO_FILE.exists(), f"{MO_FILE} is missing: run `make messages` (pybabel compile) first"
    with translation.override("zh-hans"):
        text = translation.ngettext(
            "%(count)s participant was imported.", "%(count)s participants were imported.", 3
        ) % {"count": 3}
    assert text == "已导入 3 名参会人员。"
