"""Names in every script: which Latin forms a machine may derive, and a name shown once or with its Latin form."""

import pytest
from django.template import Context, Template

from summit.core import names


@pytest.mark.parametrize(
    "text, country, script",
    [
        ("عبد الرزاق", "", "ARABIC"),
        ("محمد رضا", "IR", "ARABIC"),  # Persian
        ("שלום כהן", "", "HEBREW"),
        ("राहुल शर्मा", "", "DEVANAGARI"),
        ("สมชาย", "", "THAI"),
        ("አበበ", "", "ETHIOPIC"),
        ("김민준", "", "HANGUL"),
        ("やまだ", "", "KANA"),
        ("山田たろう", "", "KANA"),  # kana decides the script; the kanji are then Japanese too
        ("山田", "JP", "HAN"),  # kanji read in Japanese
        ("陳大文", "HK", "HAN"),  # Hong Kong passports do not use pinyin
        ("Ali علي", "", "ARABIC"),  # a name mixing scripts takes the strictest rule
    ],
)
def test_scripts_whose_latin_form_must_come_from_the_person(text, country, script):
    assert names.unreliable_script(text, country) == script
    assert not names.latin_is_reliable(text, country)
    assert "passport" in names.why_latin_needed(text, country)


@pytest.mark.parametrize(
    "text, country",
    [("Müller", "DE"), ("Анна", "RU"), ("Γιώργος", "GR"), ("王伟", "CN"), ("O’Brien-Smith", "")],
)
def test_scripts_romanized_automatically(text, country):
    assert names.latin_is_reliable(text, country)
    assert names.why_latin_needed(text, country) is None


def test_arabic_reason_names_the_script():
    assert "Arabic script" in names.why_latin_needed("عبد الرزاق")


@pytest.mark.parametrize(
    "text, family, latin",
    [
        ("王", True, "Wang"),
        ("伟", False, "Wei"),
        ("欧阳", True, "Ouyang"),  # one name, one word, one capital
        ("小明", False, "Xiaoming"),
        ("曾", True, "Zeng"),  # a surname's own reading
        ("吕", True, "Lyu"),
        ("Иванова", True, "Ivanova"),
        ("Щукин", True, "Shchukin"),
        ("Παπαδόπουλος", True, "Papadopoulos"),  # ELOT 743: ου → ou
        ("Ευάγγελος", False, "Evangelos"),  # ευ → ev, γγ → ng
        ("Ευθυμίου", True, "Efthymiou"),  # ευ → ef before a voiceless consonant
        ("Müller", True, "Müller"),  # Latin letters stay as they are
        ("Анна-Мария", False, "Anna-Mariya"),
    ],
)
def test_automatic_latin(text, family, latin):
    assert names.automatic_latin(text, family=family) == latin


@pytest.mark.parametrize(
    "native, latin, shown",
    [
        ("Geoffrey Munguti", "Geoffrey MUNGUTI", "Geoffrey Munguti"),
        ("Ángel Ruiz", "Angel RUIZ", "Ángel Ruiz"),
        ("Anna  Schmidt", "Anna SCHMIDT", "Anna  Schmidt"),
        ("王伟", "WANG Wei", "王伟 (WANG Wei)"),
        ("Анна Иванова", "Anna IVANOVA", "Анна Иванова (Anna IVANOVA)"),
        ("عبد الرزاق", "", "عبد الرزاق"),
    ],
)
def test_name_shown_once_when_its_latin_form_adds_nothing(native, latin, shown):
    assert names.name_with_latin(native, latin) == shown


def test_name_html_isolates_each_part_and_escapes():
    assert (
        str(names.name_html("عبد الرزاق", "Abdulrazzaq")) == "<bdi>عبد الرزاق</bdi> (<bdi>Abdulrazzaq</bdi>)"
    )
    assert str(names.name_html("Geoffrey Munguti", "Geoffrey MUNGUTI")) == "<bdi>Geoffrey Munguti</bdi>"
    assert str(names.name_html("<b>x</b>", "")) == "<bdi>&lt;b&gt;x&lt;/b&gt;</bdi>"


def test_looks_invented():
    assert names.looks_invented("عبد الرزاق", "`bd lrzq")
    assert not names.looks_invented("عبد الرزاق", "Abdulrazzaq")
    assert not names.looks_invented("王伟", "Wangwei")  # pinyin is trusted


def test_person_name_filter_keeps_a_right_to_left_name_from_reordering_the_list():
    class Person:
        def __init__(self, native, latin):
            self.name_forms = (native, latin)

    people = [Person("عبد الرزاق بنو سعد", "Abdulrazzaq BANI SAAD"), Person("Lena Hoffmann", "Lena HOFFMANN")]
    html = Template(
        "{% load names %}{% for p in people %}{{ p|person_name }}{% if not forloop.last %}, {% endif %}{% endfor %}"
    ).render(Context({"people": people}))
    assert html == (
        "<bdi>عبد الرزاق بنو سعد</bdi> (<bdi>Abdulrazzaq BANI SAAD</bdi>), <bdi>Lena Hoffmann</bdi>"
    )
