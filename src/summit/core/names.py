"""Names in every script: which script a name is written in, whether its Latin form can be derived
automatically, and how a name is shown with its Latin form.

A Latin form derived by machine is only trusted where the romanization is the one passports use and it keeps
every sound: Latin itself, Cyrillic, Greek (ELOT 743) and Chinese characters (Hanyu pinyin, as mainland
Chinese passports spell them). Abjads (Arabic, Hebrew, Syriac, Thaana) do not write most vowels, Indic and
other scripts have several competing romanizations, and Korean and Japanese passports follow their own
spellings: a name with any letter of such a script needs its Latin form from the person (the strictest rule
wins for a name mixing scripts).
"""

from __future__ import annotations

import functools
import unicodedata

from anyascii import anyascii
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

LATIN, CYRILLIC, GREEK, HAN = "LATIN", "CYRILLIC", "GREEK", "HAN"
RELIABLE_SCRIPTS = frozenset({LATIN, CYRILLIC, GREEK, HAN})
# Chinese characters are read differently where passports do not spell names in pinyin (Cantonese, Hokkien and
# Wade–Giles spellings; Japanese and Korean readings).
NOT_PINYIN_COUNTRIES = frozenset({"HK", "MO", "TW", "SG", "MY", "JP", "KR"})

SCRIPT_LABELS = {
    "ARABIC": gettext_lazy("Arabic script"),
    "HEBREW": gettext_lazy("Hebrew script"),
    "SYRIAC": gettext_lazy("Syriac script"),
    "THAANA": gettext_lazy("Thaana script"),
    "DEVANAGARI": gettext_lazy("Devanagari script"),
    "BENGALI": gettext_lazy("Bengali script"),
    "GURMUKHI": gettext_lazy("Gurmukhi script"),
    "GUJARATI": gettext_lazy("Gujarati script"),
    "ORIYA": gettext_lazy("Odia script"),
    "TAMIL": gettext_lazy("Tamil script"),
    "TELUGU": gettext_lazy("Telugu script"),
    "KANNADA": gettext_lazy("Kannada script"),
    "MALAYALAM": gettext_lazy("Malayalam script"),
    "SINHALA": gettext_lazy("Sinhala script"),
    "THAI": gettext_lazy("Thai script"),
    "LAO": gettext_lazy("Lao script"),
    "KHMER": gettext_lazy("Khmer script"),
    "MYANMAR": gettext_lazy("Burmese script"),
    "TIBETAN": gettext_lazy("Tibetan script"),
    "MONGOLIAN": gettext_lazy("Mongolian script"),
    "ETHIOPIC": gettext_lazy("Ethiopic script"),
    "ARMENIAN": gettext_lazy("Armenian script"),
    "GEORGIAN": gettext_lazy("Georgian script"),
    "HANGUL": gettext_lazy("Korean Hangul"),
    "KANA": gettext_lazy("Japanese kana"),
    HAN: gettext_lazy("Chinese characters"),
}

# Surnames whose reading differs from the character's everyday one (and ü written as passports write it).
_HAN_SURNAMES = {
    "曾": "Zeng",
    "单": "Shan",
    "解": "Xie",
    "区": "Ou",
    "仇": "Qiu",
    "朴": "Piao",
    "查": "Zha",
    "乐": "Yue",
    "翟": "Zhai",
    "覃": "Qin",
    "盖": "Ge",
    "缪": "Miao",
    "秘": "Bi",
    "吕": "Lyu",
    "闾": "Lyu",
    "尉迟": "Yuchi",
    "万俟": "Moqi",
}


def _script_of(ch: str) -> str | None:
    """The Unicode script of one letter, from its character name ("ARABIC LETTER ALEF" → ARABIC)."""
    if not unicodedata.category(ch).startswith("L"):
        return None
    name = unicodedata.name(ch, "")
    words = [w for w in name.split() if w not in ("FULLWIDTH", "HALFWIDTH", "MATHEMATICAL")]
    if not words or words[0] == "MODIFIER":
        return None
    first = words[0]
    if first in ("CJK", "IDEOGRAPHIC"):
        return HAN
    if first.startswith(("HIRAGANA", "KATAKANA")):
        return "KANA"
    return first


def scripts(text: str) -> list[str]:
    """The scripts of the letters in ``text``, in order of first appearance."""
    found: list[str] = []
    for ch in text or "":
        script = _script_of(ch)
        if script and script not in found:
            found.append(script)
    return found


@functools.lru_cache(maxsize=4096)  # asked for every name on a list page
def unreliable_script(text: str, country: str = "") -> str | None:
    """The first script in ``text`` whose automatic Latin form cannot be trusted, or None."""
    found = scripts(text)
    for script in found:
        if script not in RELIABLE_SCRIPTS:
            return script
        if script == HAN and "KANA" in found:
            return "KANA"  # kanji among kana are read in Japanese
        if script == HAN and str(country or "").upper() in NOT_PINYIN_COUNTRIES:
            return script
    return None


def latin_is_reliable(text: str, country: str = "") -> bool:
    return unreliable_script(text, country) is None


def why_latin_needed(text: str, country: str = "", *, organization: bool = False) -> str | None:
    """Why a Latin form must be written by the person for ``text`` (a translated sentence), or None.
    ``organization``: the text is an organization's name, which has no passport."""
    script = unreliable_script(text, country)
    if script is None:
        return None
    if organization:
        return _(
            "An organization name in %(script)s cannot be spelled in Latin letters automatically: please "
            "write it as the organization writes it in Latin letters."
        ) % {"script": SCRIPT_LABELS.get(script) or script.title()}
    if script == HAN:
        return _(
            "Passports from this country do not spell names in Chinese characters in pinyin: "
            "please write this name as in your passport."
        )
    label = SCRIPT_LABELS.get(script) or script.title()
    return _(
        "A name in %(script)s cannot be spelled in Latin letters automatically: "
        "please write it as in your passport."
    ) % {"script": label}


def automatic_latin(text: str, *, family: bool = False) -> str:
    """The Latin form a machine gives ``text``: pinyin for Chinese characters (syllables of a name joined,
    "Ouyang", "Xiaoming"), ELOT 743 for Greek, Latin letters as they are, anyascii otherwise. Check :func:`latin_is_reliable` first."""
    text = (text or "").strip()
    if not text:
        return ""
    if family and text in _HAN_SURNAMES:
        return _HAN_SURNAMES[text]
    out = []
    for run, script in _runs(text):
        if script == HAN:
            out.append(anyascii(run).capitalize())
        elif script == GREEK:
            out.append(anyascii(_greek_digraphs(run)))
        elif script == LATIN:
            out.append(run)  # "Müller" stays as it is
        else:
            out.append(anyascii(run))
    return " ".join("".join(out).split())


def _runs(text: str):
    """``text`` cut into runs of Han, Greek, Latin and everything else; marks, spaces and punctuation stay
    with the run before them."""
    current, kind = "", None
    for ch in text:
        script = _script_of(ch)
        k = script if script in (HAN, GREEK, LATIN) else "OTHER"
        if script is None and (kind is not None or ch.isascii()):
            k = kind or LATIN
        if current and k != kind:
            yield current, kind
            current = ""
        current, kind = current + ch, k
    if current:
        yield current, kind


_GREEK_VOICELESS = set("θκξπσςτφχψ")


def _greek_digraphs(text: str) -> str:
    """ELOT 743's digraphs, which anyascii spells letter by letter: ου → ou, αυ/ευ/ηυ → av/ev/iv (af/ef/if
    before a voiceless consonant or at the end), γγ/γξ/γχ → ng/nx/nch."""
    letters = unicodedata.normalize("NFD", text)
    # Keep the diaeresis (it splits a digraph) and drop other accents.
    letters = "".join(c for c in letters if not unicodedata.combining(c) or c == "\u0308")
    letters = unicodedata.normalize("NFC", letters)

    def cased(source: str, latin: str) -> str:
        return latin.upper() if source.isupper() else latin

    out, i = [], 0
    while i < len(letters):
        ch, nxt = letters[i], letters[i + 1] if i + 1 < len(letters) else ""
        lo, nlo = ch.lower(), nxt.lower()
        if lo in "αεηο" and nlo == "υ":
            if lo == "ο":
                out.append(cased(ch, "o") + cased(nxt, "u"))
            else:
                after = letters[i + 2].lower() if i + 2 < len(letters) else ""
                soft = "f" if (not after or after in _GREEK_VOICELESS or _script_of(after) != GREEK) else "v"
                out.append(cased(ch, {"α": "a", "ε": "e", "η": "i"}[lo]) + cased(nxt, soft))
            i += 2
            continue
        if lo == "γ" and nlo in ("γ", "ξ", "χ"):
            out.append(cased(ch, "n"))
            i += 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def looks_invented(native: str, latin: str, country: str = "") -> bool:
    """Whether ``latin`` is only the machine's letter-by-letter form of ``native`` in a script whose
    romanization is unreliable ("`bd lrzq"): for Latin forms stored without a note of who wrote them."""
    if not latin or latin_is_reliable(native, country):
        return False
    return same_letters(latin, anyascii(native)) or same_letters(latin, automatic_latin(native))


def plain(text: str) -> str:
    """``text`` without case, accents or extra spaces: "  Lena  HOFFMANN" and "lena hoffmann" are the same."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


def same_letters(a: str, b: str) -> bool:
    """The same letters ignoring case, accents and spacing (the Latin form adds nothing)."""
    return plain(a).replace(" ", "") == plain(b).replace(" ", "")


def name_with_latin(native: str, latin: str) -> str:
    """A name once when its Latin form only repeats it ("Geoffrey Munguti"), otherwise "native (Latin)"."""
    native, latin = (native or "").strip(), (latin or "").strip()
    if not native:
        return latin
    if not latin or same_letters(native, latin):
        return native
    return f"{native} ({latin})"


def name_html(native: str, latin: str) -> SafeString:
    """:func:`name_with_latin` for a page: each part in its own ``<bdi>`` so that a right-to-left name does
    not reorder the text around it."""
    text = name_with_latin(native, latin)
    native = (native or "").strip()
    if native and text != native and text.startswith(native):
        return format_html("<bdi>{}</bdi> (<bdi>{}</bdi>)", native, (latin or "").strip())
    return format_html("<bdi>{}</bdi>", text)
