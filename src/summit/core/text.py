"""Text that people type, paste or import: one place that decides which characters Summit stores.

Every person-facing text field (names, organizations, titles, program texts, event texts) goes through
:func:`clean_text`, every e-mail address through :func:`clean_email`, whether it comes from a form, the API
or a CSV import.

What happens to each class of character:

- the text is put in Unicode NFC, so the same name typed on two keyboards is stored the same way;
- **stripped** from text: characters with no visible form — zero-width space, word joiner, byte order mark,
  soft hyphen, Hangul fillers and the other format characters (Unicode category Cf) — and the direction
  controls (LRM, RLM, ALM, the embeddings, overrides and isolates U+202A–U+202E, U+2066–U+2069), which would
  make a name display reversed in lists and exports; C0 and C1 control characters too, except that a
  multi-line field keeps its line breaks and tabs (a single-line field turns them into spaces);
- **kept**: the zero-width non-joiner and joiner (ZWNJ, ZWJ) where a script needs them — between two
  letters of Arabic-script (Persian), Indic and other joining scripts, and ZWJ inside an emoji sequence —
  and stripped anywhere else (between Latin letters, at the ends, next to spaces), where they only make two
  equal names look different; the tag characters of flag emoji and the prepended concatenation marks of
  Arabic numbers are kept as well;
- **refused** in e-mail addresses: any invisible, control, direction or space character inside the address
  (those at its ends, left over from copying, are trimmed): an address is typed, not written, and a silent
  repair could merge two people. The domain is lower-cased and put through IDNA (full-width letters and
  dots become ASCII ones), and a domain label mixing Latin, Cyrillic and Greek letters, as lookalike
  addresses do, is refused.
"""

from __future__ import annotations

import unicodedata

from django.utils.translation import gettext as _

from summit.core.errors import ValidationFailed

ZWNJ = "\u200c"
ZWJ = "\u200d"

#: Format characters (Cf) that are visible or part of a visible sequence, and therefore kept.
VISIBLE_FORMAT = frozenset(
    "\u0600\u0601\u0602\u0603\u0604\u0605\u06dd\u070f\u0890\u0891\u08e2\U000110bd\U000110cd"
)
#: Emoji tag sequences (subdivision flags: 🏴 + tags + CANCEL TAG).
TAGS = range(0xE0020, 0xE0080)
#: Invisible letters used to make a name look empty.
INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")

#: Scripts that use ZWNJ/ZWJ between letters to choose a letter's shape (Persian, Hindi, Malayalam...).
JOINING_SCRIPTS = frozenset(
    {
        "ARABIC",
        "SYRIAC",
        "NKO",
        "MANDAIC",
        "MONGOLIAN",
        "DEVANAGARI",
        "BENGALI",
        "GURMUKHI",
        "GUJARATI",
        "ORIYA",
        "TAMIL",
        "TELUGU",
        "KANNADA",
        "MALAYALAM",
        "SINHALA",
        "TIBETAN",
        "MYANMAR",
        "KHMER",
        "LAO",
        "THAI",
        "BALINESE",
        "JAVANESE",
        "PHAGS-PA",
    }
)

BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _script(ch: str) -> str:
    try:
        return unicodedata.name(ch).split(" ")[0]
    except ValueError:
        return ""


def _joins_letters(before: str, after: str) -> bool:
    if _script(before) not in JOINING_SCRIPTS or unicodedata.category(before)[0] not in "LM":
        return False
    if unicodedata.combining(before) == 9:
        # After a virama (Devanagari, Malayalam...) the joiner chooses a half form or a chillu, also at the
        # end of a word.
        return True
    return bool(after) and unicodedata.category(after)[0] in "LM" and _script(after) in JOINING_SCRIPTS


def _joins_emoji(before: str, after: str) -> bool:
    # 👩‍💻, 👨🏽‍⚕️, 🏳️‍🌈: an emoji (So), its skin tone (Sk) or variation selector-16, then another emoji.
    return (unicodedata.category(before) in ("So", "Sk") or before == "\ufe0f") and unicodedata.category(
        after
    ) == "So"


def _invisible(ch: str) -> bool:
    """A character that shows nothing (or changes the direction of what follows) and is never kept as is."""
    category = unicodedata.category(ch)
    if category == "Cf":
        return ch not in VISIBLE_FORMAT and ord(ch) not in TAGS
    return category == "Cc" or ch in INVISIBLE_LETTERS or ch in "\u2028\u2029"


def clean_text(value, *, multiline: bool = False) -> str:
    """``value`` as Summit stores it: NFC, without invisible, direction-control or control characters,
    without surrounding white space. ``multiline`` keeps line breaks (as ``\\n``) and tabs."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value))
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    out: list[str] = []
    for i, ch in enumerate(text):
        if ch in (ZWNJ, ZWJ):
            before = out[-1] if out else ""
            after = text[i + 1] if i + 1 < len(text) else ""
            if before and (
                _joins_letters(before, after) or (ch == ZWJ and after and _joins_emoji(before, after))
            ):
                out.append(ch)
            continue
        if ch in "\n\t" or (not multiline and ch in "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"):
            out.append(ch if multiline else " ")
            continue
        if _invisible(ch):
            continue
        out.append(ch)
    return "".join(out).strip()


def clean_texts(data: dict, fields, *, multiline=()) -> dict:
    """A copy of ``data`` with each of ``fields`` that holds a string cleaned by :func:`clean_text`."""
    cleaned = dict(data)
    for field in fields:
        if isinstance(cleaned.get(field), str):
            cleaned[field] = clean_text(cleaned[field], multiline=field in multiline)
    return cleaned


def _describe(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, '').lower()}".strip()


class UnsafeEmail(ValidationFailed):
    code = "bad_email"


def clean_email(value) -> str:
    """An e-mail address as Summit stores and compares it, or :class:`UnsafeEmail` (field ``email``).

    The whole address is lower-cased, the domain put through IDNA. Only the characters of the address are
    checked here; whether it is a valid address is Django's ``validate_email``'s job.
    """
    text = unicodedata.normalize("NFC", str(value or ""))
    # Invisible characters and spaces at the ends come from copying and pasting: trim them.
    start, end = 0, len(text)
    while start < end and (text[start].isspace() or _invisible(text[start]) or text[start] in (ZWJ, ZWNJ)):
        start += 1
    while end > start and (
        text[end - 1].isspace() or _invisible(text[end - 1]) or text[end - 1] in (ZWJ, ZWNJ)
    ):
        end -= 1
    text = text[start:end]
    # An ordinary space is visible: the address is then simply not valid (Django's validate_email says so).
    bad = [ch for ch in text if _invisible(ch) or ch in (ZWJ, ZWNJ) or (ch.isspace() and ch != " ")]
    if bad:
        if any(ch in BIDI_CONTROLS for ch in bad):
            message = _(
                "The e-mail address contains a character that changes the direction of the text (%(chars)s). "
                "Please type the address again."
            )
        else:
            message = _(
                "The e-mail address contains invisible characters (%(chars)s). Please type the address again."
            )
        raise UnsafeEmail(
            message % {"chars": ", ".join(dict.fromkeys(_describe(ch) for ch in bad))},
            code="email_invisible_characters",
            field="email",
        )
    local, at, domain = text.rpartition("@")
    if not at or not domain:
        return text.lower()
    try:
        # IDNA maps full-width letters and dots and puts non-ASCII labels through nameprep; ASCII labels
        # it leaves as they are, hence lower() on both sides.
        domain = domain.lower().encode("idna").decode("idna").lower()
    except UnicodeError:
        raise UnsafeEmail(
            _("“%(value)s” is not a valid e-mail address.") % {"value": text}, field="email"
        ) from None
    for label in domain.split("."):
        scripts = {_script(ch) for ch in label if ch.isalpha()} & {"LATIN", "CYRILLIC", "GREEK"}
        if len(scripts) > 1:
            raise UnsafeEmail(
                _(
                    "The domain “%(domain)s” mixes letters of different alphabets, as lookalike addresses do. "
                    "Please check the address."
                )
                % {"domain": domain},
                code="email_mixed_scripts",
                field="email",
            )
    return f"{local.lower()}@{domain}"


class CleanTextMixin:
    """For models with person-facing text: every save stores ``TEXT_FIELDS`` and ``MULTILINE_TEXT_FIELDS``
    through :func:`clean_text` (the admin included). Services clean their input first with
    :meth:`clean_text_data`, so that a title made only of invisible characters counts as empty."""

    TEXT_FIELDS: tuple[str, ...] = ()
    MULTILINE_TEXT_FIELDS: tuple[str, ...] = ()

    @classmethod
    def clean_text_data(cls, data: dict) -> dict:
        return clean_texts(
            data, cls.TEXT_FIELDS + cls.MULTILINE_TEXT_FIELDS, multiline=cls.MULTILINE_TEXT_FIELDS
        )

    def clean_text_fields(self) -> None:
        for field in self.TEXT_FIELDS + self.MULTILINE_TEXT_FIELDS:
            value = getattr(self, field)
            if isinstance(value, str):
                setattr(self, field, clean_text(value, multiline=field in self.MULTILINE_TEXT_FIELDS))

    def save(self, *args, **kwargs):
        self.clean_text_fields()
        super().save(*args, **kwargs)
