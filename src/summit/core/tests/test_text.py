"""core/text.py: which characters of typed, pasted or imported text Summit keeps."""

import pytest

from summit.core.text import UnsafeEmail, clean_email, clean_text

RLO, PDF_, LRI, PDI, LRM, RLM, ALM = "\u202e", "\u202c", "\u2066", "\u2069", "\u200e", "\u200f", "\u061c"
ZWSP, ZWNJ, ZWJ, WJ, BOM = "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"


@pytest.mark.parametrize(
    "raw, clean",
    [
        (f"Anna{ZWSP}", "Anna"),
        (f"{BOM}Anna", "Anna"),
        (f"An{WJ}na", "Anna"),
        (f"{RLO}annA{PDF_}", "annA"),
        (f"{LRI}Ahmad{PDI} {LRM}{RLM}{ALM}Ali", "Ahmad Ali"),
        (f"An{ZWJ}na", "Anna"),  # ZWJ between Latin letters only hides a difference
        (f"An{ZWNJ}na", "Anna"),
        (f"{ZWNJ}Anna{ZWJ}", "Anna"),
        (f"مریم{ZWNJ} ", "مریم"),  # a non-joiner before a space joins nothing
        (f"{ZWJ}{ZWJ}👩", "👩"),
        ("A\x00n\x07n\x1ba\x7f\x9b", "Anna"),  # C0 and C1 controls
        ("Anna\nSchmidt\tGmbH", "Anna Schmidt GmbH"),  # a name is one line
        ("\u3164", ""),  # a Hangul filler: a name that looks empty
        ("e\u0301", "\u00e9"),  # NFC
        ("  Anna  ", "Anna"),
    ],
)
def test_invisible_and_direction_characters_are_stripped_from_names(raw, clean):
    assert clean_text(raw) == clean


@pytest.mark.parametrize(
    "name",
    [
        f"می{ZWNJ}خواهم",  # Persian: the non-joiner keeps the letters apart
        f"نرگس{ZWNJ}ها",
        f"क्{ZWJ}ष",  # Devanagari: the joiner asks for a half form
        f"അവന്{ZWJ}",  # Malayalam: virama + ZWJ writes a chillu, also at the end of a word
        f"ന്{ZWNJ}റ",
        f"👩{ZWJ}💻",  # emoji sequences
        f"👨🏽{ZWJ}⚕️",
        f"🏳️{ZWJ}🌈",
        "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # the flag of Scotland (tags)
        "王伟",
        "Zoë O'Brien-Ñúñez",
    ],
)
def test_legitimate_joiners_and_scripts_survive(name):
    assert clean_text(name) == name


def test_multiline_text_keeps_line_breaks_and_tabs_only():
    assert (
        clean_text(f"One\r\nTwo\rThree\u2028Four\tx{RLO}\x00", multiline=True) == "One\nTwo\nThree\nFour\tx"
    )


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("Anna@Example.ORG", "anna@example.org"),
        (f" anna@example.org{ZWSP}\n", "anna@example.org"),  # left over from copying: trimmed
        (f"{BOM}anna@example.org", "anna@example.org"),
        ("anna@ｅｘａｍｐｌｅ。ｏｒｇ", "anna@example.org"),  # full-width letters and dot
        ("anna@BÜCHER.example", "anna@bücher.example"),
        ("anna@xn--bcher-kva.example", "anna@bücher.example"),  # the same domain, written in ASCII
        ("anna@пример.рф", "anna@пример.рф"),
    ],
)
def test_email_addresses_are_put_in_one_form(raw, clean):
    assert clean_email(raw) == clean


@pytest.mark.parametrize(
    "raw, code, words",
    [
        (f"an{ZWSP}na@example.org", "email_invisible_characters", "U+200B"),
        (f"anna@exa{ZWJ}mple.org", "email_invisible_characters", "U+200D"),
        (f"anna@exa{WJ}mple.org", "email_invisible_characters", "U+2060"),
        (f"anna@{RLO}gro.elpmaxe", "email_invisible_characters", "direction"),
        (f"anna{RLM}@example.org", "email_invisible_characters", "direction"),
        ("an\x00na@example.org", "email_invisible_characters", "U+0000"),
        ("anna@exam\u00a0ple.org", "email_invisible_characters", "U+00A0"),
        ("anna@\u0435xample.org", "email_mixed_scripts", "alphabets"),  # Cyrillic е in a Latin name
        ("anna@" + "a" * 64 + ".org", "bad_email", "not a valid"),
    ],
)
def test_hostile_email_addresses_are_refused_with_a_clear_error(raw, code, words):
    with pytest.raises(UnsafeEmail) as excinfo:
        clean_email(raw)
    assert excinfo.value.code == code and excinfo.value.field == "email"
    assert words in excinfo.value.detail


def test_an_ordinary_space_in_an_address_is_left_to_the_address_check():
    # A space is visible: "not a valid address" says more than "invisible characters".
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    assert clean_email("not an address") == "not an address"
    with pytest.raises(ValidationError):
        validate_email(clean_email("anna@exam ple.org"))
