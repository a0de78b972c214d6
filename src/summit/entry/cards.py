"""Conference badges as PDF: one page per card, names in any script, a QR code, the category band.

Text is shaped with HarfBuzz (uharfbuzz) run by run: a name is split into runs of one script, each run
gets the font made for that script (``fonts/``, Noto subsets, see ``fonts/README.md``), HarfBuzz turns it
into positioned glyphs (Arabic joining, Devanagari conjuncts and vowel reordering, Thai marks) and the
runs are put in visual order (right-to-left runs reversed, digits inside them kept left-to-right).
The glyphs are written with ReportLab's TrueType fonts, which embed a subset of each font in the PDF.
"""

from __future__ import annotations

import bisect
import hashlib
import io
import logging
import threading
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO, NamedTuple

import segno
import uharfbuzz as hb
from fontTools.ttLib.sfnt import SFNTWriter
from fontTools.ttLib.woff2 import WOFF2Reader
from reportlab import rl_config
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

logger = logging.getLogger(__name__)

FONT_DIR = Path(__file__).resolve().parent / "fonts"

SIZES: dict[str, tuple[float, float]] = {
    "A5": (148 * mm, 210 * mm),
    "A6": (105 * mm, 148 * mm),
    "A7": (74 * mm, 105 * mm),
    "CR80": (85.6 * mm, 54 * mm),
}

PROGRESS_EVERY = 50
QR_QUIET_ZONE = 4  # modules of light margin around the symbol
# One fixed mask pattern: readers take the mask from the symbol's format information, and scoring all
# eight masks (segno's default, mask=None) costs about 10 ms a code in pure Python, 20 s for 2,000 badges.
QR_MASK: int | None = 0


@dataclass(frozen=True)
class Card:
    event_name: str
    native_name: str
    latin_name: str
    organization: str
    country: str
    category: str
    colour: str
    zones: tuple[str, ...]
    qr_text: str
    code: str = ""
    photo: bytes | None = None


# --- fonts ----------------------------------------------------------------------------------------------

REGULAR, BOLD = "regular", "bold"

# (script, weight) -> font file (without .woff2). The CJK fonts come in one weight.
_FONT_FILES = {
    ("latn", REGULAR): "NotoSans-Regular",
    ("latn", BOLD): "NotoSans-Bold",
    ("arab", REGULAR): "NotoSansArabic-Regular",
    ("arab", BOLD): "NotoSansArabic-Bold",
    ("deva", REGULAR): "NotoSansDevanagari-Regular",
    ("deva", BOLD): "NotoSansDevanagari-Bold",
    ("thai", REGULAR): "NotoSansThai-Regular",
    ("thai", BOLD): "NotoSansThai-Bold",
    ("hans", REGULAR): "NotoSansSC-SemiBold",
    ("hans", BOLD): "NotoSansSC-SemiBold",
    ("jpan", REGULAR): "NotoSansJP-SemiBold",
    ("jpan", BOLD): "NotoSansJP-SemiBold",
    ("kore", REGULAR): "NotoSansKR-SemiBold",
    ("kore", BOLD): "NotoSansKR-SemiBold",
}
# Where a character missing from the run's font is looked for, in this order.
_FALLBACK = ("latn", "hans", "jpan", "kore", "arab", "deva", "thai")

_HB_SCRIPT = {"latn": "Latn", "arab": "Arab", "deva": "Deva", "thai": "Thai", "hans": "Hani", "jpan": "Hani"}
_HB_SCRIPT["kore"] = "Hang"
_HB_LANGUAGE = {
    "arab": "ar",
    "deva": "hi",
    "thai": "th",
    "hans": "zh-Hans",
    "jpan": "ja",
    "kore": "ko",
    "latn": "en",
}


def _sfnt_bytes(path: Path) -> bytes:
    """The TrueType font inside a WOFF2 file (stored without table transforms, so this is quick)."""
    with path.open("rb") as f:
        reader = WOFF2Reader(f)
        out = io.BytesIO()
        writer = SFNTWriter(out, len(reader.keys()), reader.sfntVersion)
        for tag in reader.keys():
            writer[tag] = reader[tag]
        writer.close()
    return out.getvalue()


class _Font:
    """One font file, loaded once per process: the ReportLab font (for embedding) and the HarfBuzz font."""

    def __init__(self, file: str):
        data = _sfnt_bytes(FONT_DIR / f"{file}.woff2")
        self.file = file
        self.name = f"SummitBadge-{file}"
        self.rl = TTFont(self.name, io.BytesIO(data))
        pdfmetrics.registerFont(self.rl)
        self.face = self.rl.face
        self.cmap = frozenset(self.face.charToGlyph)
        self.hb_face = hb.Face(hb.Blob(data))
        self.hb_font = hb.Font(self.hb_face)
        self.scale = 1000.0 / self.hb_face.upem
        self._private = 0xE000
        self._lock = threading.Lock()

    def covers(self, ch: str) -> bool:
        return ord(ch) in self.cmap

    def code_for(self, gid: int) -> int:
        """A character code that ReportLab maps to glyph `gid`: its own, or a private-use one for glyphs
        without a character (ligatures, conjuncts, contextual forms)."""
        chars = self.face.glyphToChar.get(gid)
        if chars:
            return chars[0]
        with self._lock:
            chars = self.face.glyphToChar.get(gid)
            if chars:
                return chars[0]
            code = self._private
            while code in self.face.charToGlyph:
                code += 1
            if code > 0xF8FF:
                raise ValueError(f"{self.file}: too many unmapped glyphs")
            self._private = code + 1
            self.face.charToGlyph[code] = gid
            self.face.charWidths[code] = self.hb_font.get_glyph_h_advance(gid) * self.scale
            self.face.glyphToChar.setdefault(gid, []).append(code)
            return code


_fonts: dict[str, _Font] = {}
_fonts_lock = threading.Lock()


def _font(script: str, weight: str) -> _Font:
    file = _FONT_FILES[(script, weight)]
    font = _fonts.get(file)
    if font is None:
        with _fonts_lock:
            font = _fonts.get(file)
            if font is None:
                font = _fonts[file] = _Font(file)
    return font


# --- scripts --------------------------------------------------------------------------------------------

_RANGES = sorted(
    [
        (0x0600, 0x06FF, "arab"),
        (0x0750, 0x077F, "arab"),
        (0x0870, 0x08FF, "arab"),
        (0xFB50, 0xFDFF, "arab"),
        (0xFE70, 0xFEFF, "arab"),
        (0x0900, 0x097F, "deva"),
        (0xA8E0, 0xA8FF, "deva"),
        (0x1CD0, 0x1CFF, "deva"),
        (0x0E00, 0x0E7F, "thai"),
        (0x1100, 0x11FF, "hang"),
        (0x3131, 0x318F, "hang"),
        (0xA960, 0xA97F, "hang"),
        (0xAC00, 0xD7FF, "hang"),
        (0x3040, 0x30FA, "kana"),
        (0x30FD, 0x30FF, "kana"),
        (0x31F0, 0x31FF, "kana"),
        (0xFF66, 0xFF9F, "kana"),
        (0x2E80, 0x2FDF, "hani"),
        (0x3005, 0x3007, "hani"),
        (0x3021, 0x3029, "hani"),
        (0x3038, 0x303B, "hani"),
        (0x3400, 0x4DBF, "hani"),
        (0x4E00, 0x9FFF, "hani"),
        (0xF900, 0xFAFF, "hani"),
        (0x20000, 0x3FFFF, "hani"),
    ]
)
_RANGE_STARTS = [r[0] for r in _RANGES]
_RTL = {"arab"}


def _script(ch: str) -> str:
    """The script of a character: one of the _RANGES names, "latn" for other letters, "inh" for combining
    marks and joiners (they belong to the character before), "zyyy" for spaces, digits and punctuation."""
    cp = ord(ch)
    i = bisect.bisect_right(_RANGE_STARTS, cp) - 1
    if i >= 0 and cp <= _RANGES[i][1]:
        return _RANGES[i][2]
    cat = unicodedata.category(ch)
    if cat[0] == "L":
        return "latn"
    if cat in ("Mn", "Me", "Cf"):
        return "inh"
    return "zyyy"


def _itemize(text: str) -> list[tuple[str, str]]:
    """Split text into (script, text) runs; neutral characters join the run before (or the first one)."""
    scripts = [_script(ch) for ch in text]
    strong = [s for s in scripts if s not in ("inh", "zyyy")]
    current = strong[0] if strong else "latn"
    runs: list[list] = []
    for ch, s in zip(text, scripts, strict=True):
        if s not in ("inh", "zyyy"):
            current = s
        if runs and runs[-1][0] == current:
            runs[-1][1].append(ch)
        else:
            runs.append([current, [ch]])
    return [(s, "".join(chars)) for s, chars in runs]


def _font_script(script: str, run: str, whole: str) -> str:
    """The font family (a _FONT_FILES script) for a run of `script` within the text `whole`."""
    if script == "hang":
        return "kore"
    if script == "kana":
        return "jpan"
    if script == "hani":
        # Japanese text (it has kana) gets the Japanese forms; otherwise Chinese, unless only the
        # Japanese font has every character of the run (Japanese-only kanji and forms).
        order = ("jpan", "hans") if any(_script(c) == "kana" for c in whole) else ("hans", "jpan")
        han = [c for c in run if _script(c) == "hani"]
        for candidate in order:
            font = _font(candidate, REGULAR)
            if all(font.covers(c) for c in han):
                return candidate
        return order[0]
    return script


class _Piece(NamedTuple):
    font_script: str
    text: str
    rtl: bool
    level: int


def _pieces(text: str, weight: str) -> list[_Piece]:
    """Runs of one font and one direction, in logical order, with their bidi embedding level."""
    raw: list[tuple[str, str]] = []  # (font script, text)
    for script, run in _itemize(text):
        fscript = _font_script(script, run, text)
        font = _font(fscript, weight)
        for ch in run:
            use = fscript
            if not font.covers(ch) and _script(ch) != "inh":
                for other in _FALLBACK:
                    if other != fscript and _font(other, weight).covers(ch):
                        use = other
                        break
            if raw and raw[-1][0] == use:
                raw[-1] = (use, raw[-1][1] + ch)
            else:
                raw.append((use, ch))
    # Direction: right-to-left runs, with numbers inside them left-to-right.
    split: list[tuple[str, str, bool]] = []  # (font script, text, number)
    for fscript, run in raw:
        if fscript not in _RTL:
            split.append((fscript, run, False))
            continue
        for ch in run:
            number = unicodedata.bidirectional(ch) in ("EN", "AN")
            if split and split[-1][0] == fscript and split[-1][2] == number:
                split[-1] = (fscript, split[-1][1] + ch, number)
            else:
                split.append((fscript, ch, number))
    first_strong_rtl = next((f in _RTL for f, _, number in split if not number), False)
    pieces = []
    for fscript, run, number in split:
        rtl = fscript in _RTL and not number
        if first_strong_rtl:
            level = 1 if rtl else 2
        else:
            level = 2 if number else (1 if rtl else 0)
        pieces.append(_Piece(fscript, run, rtl, level))
    return pieces


def _visual_order(pieces: list[_Piece]) -> list[_Piece]:
    """Unicode bidi rule L2: reverse every sequence at each level, from the highest to the lowest odd one."""
    order = list(pieces)
    if not any(p.level for p in order):
        return order
    lowest_odd = min((p.level for p in order if p.level % 2), default=1)
    for level in range(max(p.level for p in order), lowest_odd - 1, -1):
        i = 0
        while i < len(order):
            if order[i].level >= level:
                j = i
                while j < len(order) and order[j].level >= level:
                    j += 1
                order[i:j] = order[i:j][::-1]
                i = j
            else:
                i += 1
    return order


# --- shaped lines ---------------------------------------------------------------------------------------


class _Run(NamedTuple):
    font: _Font
    codes: str  # one character per glyph, as ReportLab will encode it
    glyphs: tuple[tuple[float, float, float, float], ...]  # (advance, x offset, y offset, nominal width)
    gids: tuple[int, ...]
    width: float  # in 1/1000 of the font size


class _Line(NamedTuple):
    text: str
    runs: tuple[_Run, ...]
    width: float  # in 1/1000 of the font size

    def width_at(self, size: float) -> float:
        return self.width * size / 1000.0


def _shape_piece(piece: _Piece, weight: str) -> _Run:
    font = _font(piece.font_script, weight)
    buf = hb.Buffer()
    buf.add_str(piece.text)
    buf.direction = "rtl" if piece.rtl else "ltr"
    buf.script = _HB_SCRIPT.get(piece.font_script, "Latn")
    buf.language = _HB_LANGUAGE.get(piece.font_script, "en")
    hb.shape(font.hb_font, buf, {"kern": True, "liga": True})
    codes, glyphs, gids = [], [], []
    widths = font.face.charWidths
    total = 0.0
    for info, pos in zip(buf.glyph_infos, buf.glyph_positions, strict=True):
        gid = info.codepoint
        code = font.code_for(gid)
        if code == 0xA0:
            code = 0x20
        advance = pos.x_advance * font.scale
        nominal = widths.get(code, advance)
        glyphs.append((advance, pos.x_offset * font.scale, pos.y_offset * font.scale, nominal))
        codes.append(chr(code))
        gids.append(gid)
        total += advance
    return _Run(font, "".join(codes), tuple(glyphs), tuple(gids), total)


@lru_cache(maxsize=8192)
def _shape(text: str, weight: str) -> _Line:
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    runs = tuple(_shape_piece(p, weight) for p in _visual_order(_pieces(text, weight)) if p.text)
    return _Line(text, runs, sum(r.width for r in runs))


def _num(v: float) -> str:
    s = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("", "-0") else s


def _num4(v: float) -> str:
    return f"{v:.4f}"


def _draw_line(canv: Canvas, line: _Line, x: float, y: float, size: float) -> None:
    """Write the shaped glyphs of `line` with its left end at x and its baseline at y."""
    doc = canv._doc
    ops = ["BT"]
    cx = x
    for run in line.runs:
        font = run.font.rl
        ops.append(f"1 0 0 1 {_num(cx)} {_num(y)} Tm")
        rise = 0.0
        items: list[str] = []
        hexbuf: list[str] = []

        def flush_hex(items=items, hexbuf=hexbuf):
            if hexbuf:
                items.append("<" + "".join(hexbuf) + ">")
                hexbuf.clear()

        def flush(items=items, flush_hex=flush_hex):
            flush_hex()
            if items:
                ops.append("[" + " ".join(items) + "] TJ")
                items.clear()

        i = 0
        for subset, data in font.splitString(run.codes, doc):
            flush()
            ops.append(f"{font.getSubsetInternalName(subset, doc)} {_num(size)} Tf")
            for byte in data:
                advance, xoff, yoff, nominal = run.glyphs[i]
                i += 1
                r = yoff * size / 1000.0
                if abs(r - rise) > 0.001:
                    flush()
                    ops.append(f"{_num(r)} Ts")
                    rise = r
                if abs(xoff) > 0.05:
                    flush_hex()
                    items.append(_num(-xoff))
                hexbuf.append(f"{byte:02x}")
                adjust = xoff + nominal - advance
                if abs(adjust) > 0.05:
                    flush_hex()
                    items.append(_num(adjust))
        flush()
        if rise:
            ops.append("0 Ts")
        cx += run.width * size / 1000.0
    ops.append("ET")
    canv.addLiteral("\n".join(ops))


# --- fitting text ---------------------------------------------------------------------------------------


def _break_points(text: str) -> list[int]:
    """Positions where a line may break: spaces, and between CJK characters."""
    points = [i for i, ch in enumerate(text) if ch == " "]
    for i in range(1, len(text)):
        if _script(text[i - 1]) in ("hani", "kana", "hang") and _script(text[i]) in ("hani", "kana"):
            points.append(i)
    return sorted(set(points))


class _Fitted(NamedTuple):
    lines: tuple[_Line, ...]
    size: float


def _fit(
    text: str, weight: str, width: float, max_size: float, min_size: float, max_lines: int = 2
) -> _Fitted:
    """The largest size up to max_size at which `text` fits `width` on one line; below min_size, the best
    split onto two lines (which may shrink further rather than overflow)."""
    line = _shape(text, weight)
    if not line.runs:
        return _Fitted((), max_size)
    size = min(max_size, width * 1000.0 / line.width) if line.width else max_size
    if size >= min_size or max_lines < 2:
        return _Fitted((line,), size)
    best: _Fitted | None = None
    for point in _break_points(line.text):
        first, second = line.text[:point].strip(), line.text[point:].strip()
        if not first or not second:
            continue
        lines = (_shape(first, weight), _shape(second, weight))
        widest = max(ln.width for ln in lines)
        fitted = _Fitted(lines, min(max_size, width * 1000.0 / widest))
        if best is None or fitted.size > best.size:
            best = fitted
    if best is None or best.size <= size:
        return _Fitted((line,), size)
    return best


def _draw_fitted(
    canv: Canvas, fitted: _Fitted, cx: float, top: float, width: float, align: str = "centre"
) -> float:
    """Draw fitted lines from `top` down, centred on cx (or left-aligned at cx); returns the new top."""
    size = fitted.size
    y = top
    for line in fitted.lines:
        y -= size * 0.93
        w = line.width_at(size)
        x = cx - w / 2 if align == "centre" else cx
        _draw_line(canv, line, x, y, size)
        y -= size * 0.27
    return y


# --- colours, QR, photos --------------------------------------------------------------------------------


def _rgb(colour: str) -> tuple[float, float, float]:
    value = colour.strip().lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    if len(value) != 6:
        raise ValueError(f"colour must be #RRGGBB, not {colour!r}")
    try:
        return tuple(int(value[i : i + 2], 16) / 255.0 for i in (0, 2, 4))  # type: ignore[return-value]
    except ValueError:
        raise ValueError(f"colour must be #RRGGBB, not {colour!r}") from None


def _luminance(rgb: tuple[float, float, float]) -> float:
    """WCAG 2 relative luminance."""

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_colour_on(colour: str) -> tuple[float, float, float]:
    """Black or white, whichever contrasts more with the band colour."""
    band = _rgb(colour)
    black, white = (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)
    return black if contrast_ratio(band, black) >= contrast_ratio(band, white) else white


def qr_runs(text: str) -> tuple[int, tuple[tuple[int, int, int], ...]]:
    """The QR symbol for `text` (error correction L) as (modules per side without the quiet zone,
    ((row, first column, length), ...)) with each horizontal run of dark modules as one rectangle."""
    qr = segno.make(text, error="l", boost_error=False, mask=QR_MASK)
    matrix = qr.matrix
    runs = []
    for r, row in enumerate(matrix):
        c, n = 0, len(row)
        while c < n:
            if row[c] & 1:
                start = c
                while c < n and row[c] & 1:
                    c += 1
                runs.append((r, start, c - start))
            else:
                c += 1
    return len(matrix), tuple(runs)


def _draw_qr(canv: Canvas, text: str, x: float, y: float, size: float) -> None:
    """The QR code with its quiet zone filling the square (x, y, size), light background included.
    The modules are drawn in a coordinate system of one unit per module, origin at the symbol's
    bottom left corner, so each rectangle is written in whole numbers."""
    n, runs = qr_runs(text)
    module = size / (n + 2 * QR_QUIET_ZONE)
    canv.setFillColorRGB(1, 1, 1)
    canv.rect(x, y, size, size, stroke=0, fill=1)
    canv.setFillColorRGB(0, 0, 0)
    origin = QR_QUIET_ZONE * module
    rects = "\n".join(f"{c} {n - 1 - r} {length} 1 re" for r, c, length in runs)
    canv.addLiteral(
        f"q {_num4(module)} 0 0 {_num4(module)} {_num4(x + origin)} {_num4(y + origin)} cm\n{rects}\nf\nQ"
    )


class _JpegPhoto(ImageReader):
    """A JPEG photo embedded as it is (DCTDecode): never decoded, and told apart from other photos by its
    bytes (ReportLab names an image by its decoded pixels otherwise, decoding every photo)."""

    def __init__(self, data: bytes):
        super().__init__(io.BytesIO(data))
        self._jpeg = data
        self._dataA = None

    def jpeg_fh(self):
        return io.BytesIO(self._jpeg)

    def getRGBData(self):
        return self._jpeg


class _Photos:
    """ImageReaders by content, so that the same photo bytes are decoded (and embedded) once."""

    def __init__(self):
        self._cache: dict[bytes, ImageReader | None] = {}

    def get(self, data: bytes) -> ImageReader | None:
        key = hashlib.blake2b(data, digest_size=16).digest()
        if key not in self._cache:
            try:
                reader = _JpegPhoto(data) if data[:3] == b"\xff\xd8\xff" else ImageReader(io.BytesIO(data))
                reader.getSize()
            except Exception:  # a damaged photo must not stop a print run
                logger.warning("badge photo could not be read; printing the card without it")
                reader = None
            self._cache[key] = reader
        return self._cache[key]


def _draw_photo(canv: Canvas, reader: ImageReader, x: float, y: float, w: float, h: float) -> None:
    """The photo scaled to cover the box (x, y, w, h), cropped to it."""
    iw, ih = reader.getSize()
    scale = max(w / iw, h / ih)
    dw, dh = iw * scale, ih * scale
    canv.saveState()
    path = canv.beginPath()
    path.rect(x, y, w, h)
    canv.clipPath(path, stroke=0, fill=0)
    canv.drawImage(reader, x + (w - dw) / 2, y + (h - dh) / 2, dw, dh)
    canv.restoreState()


# --- layout ---------------------------------------------------------------------------------------------

GREY = (0.35, 0.35, 0.35)
INK = (0.0, 0.0, 0.0)


def _names(card: Card) -> tuple[str, str]:
    """The name to print large and the Latin line under it ("" when there is none to print)."""
    native = " ".join(card.native_name.split())
    latin = " ".join(card.latin_name.split())
    if not native:
        return latin, ""
    if not latin or all(_script(c) in ("latn", "inh", "zyyy") for c in native):
        return native, ""
    return native, latin


class Box(NamedTuple):
    x: float
    y: float
    w: float
    h: float


def qr_box(size: str, page: tuple[float, float] | None = None) -> Box:
    """Where the QR code (quiet zone included) sits on a page of this size."""
    w, h = page or SIZES[size]
    if w >= h:  # landscape card
        band = h * 0.17
        margin = h * 0.05
        name_block = h * 0.34
        side = min(w * 0.36, h - band - name_block - margin - h * 0.06)
        return Box(w - margin - side, band + h * 0.06, side, side)
    margin = w * 0.06
    side = w * 0.34
    return Box(w - margin - side, margin + w * 0.045, side, side)


def _set_fill(canv: Canvas, rgb: tuple[float, float, float]) -> None:
    canv.setFillColorRGB(*rgb)


def _draw_band(canv: Canvas, card, rgb, on_band, y: float, w: float, h: float, inner: float) -> None:
    """The category's colour band across the card at ``y``, ``h`` high, its name centred on it."""
    _set_fill(canv, rgb)
    canv.rect(0, y, w, h, stroke=0, fill=1)
    if contrast_ratio(rgb, (1.0, 1.0, 1.0)) < 1.3:  # a white band still shows its edges
        canv.setStrokeColorRGB(*GREY)
        canv.setLineWidth(0.5)
        canv.line(0, y, w, y)
        canv.line(0, y + h, w, y + h)
    if card.category.strip():
        fitted = _fit(card.category, BOLD, inner, h * 0.55, h * 0.3, max_lines=1)
        _set_fill(canv, on_band)
        size = fitted.size
        line = fitted.lines[0]
        _draw_line(canv, line, w / 2 - line.width_at(size) / 2, y + (h - size * 0.72) / 2, size)


def _draw_zones(
    canv: Canvas, card: Card, x: float, top: float, bottom: float, width: float, size: float
) -> None:
    zones = [z for z in (" ".join(z.split()) for z in card.zones) if z]
    if not zones:
        return
    avail = top - bottom
    line_h = size * 1.35
    if len(zones) * line_h > avail:
        size = max(avail / len(zones) / 1.35, 4.0)
        line_h = size * 1.35
    band = _rgb(card.colour)
    y = top
    for zone in zones:
        if y - line_h < bottom - 0.01:
            break
        y -= line_h
        sq = size * 0.62
        _set_fill(canv, band)
        canv.setStrokeColorRGB(0.5, 0.5, 0.5)
        canv.setLineWidth(0.3)
        canv.rect(x, y + size * 0.08, sq, sq, stroke=1, fill=1)
        fitted = _fit(zone, REGULAR, width - sq * 1.8, size, size * 0.6, max_lines=1)
        _set_fill(canv, INK)
        _draw_line(canv, fitted.lines[0], x + sq * 1.8, y + size * 0.1, fitted.size)


def _draw_card(canv: Canvas, card: Card, w: float, h: float, photos: _Photos) -> None:
    band_rgb = _rgb(card.colour)
    on_band = text_colour_on(card.colour)
    name, latin = _names(card)
    reader = photos.get(card.photo) if card.photo else None
    qr = qr_box("", (w, h))

    if w >= h:
        _draw_landscape(canv, card, w, h, name, latin, reader, qr, band_rgb, on_band)
    else:
        _draw_portrait(canv, card, w, h, name, latin, reader, qr, band_rgb, on_band)

    _draw_qr(canv, card.qr_text, qr.x, qr.y, qr.w)
    if card.code:
        size = qr.w * 0.085
        fitted = _fit(card.code, REGULAR, qr.w, size, size * 0.6, max_lines=1)
        _set_fill(canv, INK)
        _draw_fitted(canv, fitted, qr.x + qr.w / 2, qr.y + size * 0.05, qr.w)


def _draw_portrait(canv, card, w, h, name, latin, reader, qr, band_rgb, on_band) -> None:
    margin = w * 0.06
    inner = w - 2 * margin
    cx = w / 2
    top = h - margin * 0.8

    if card.event_name.strip():
        fitted = _fit(card.event_name, REGULAR, inner, w * 0.036, w * 0.026)
        _set_fill(canv, GREY)
        top = _draw_fitted(canv, fitted, cx, top, inner)
    top -= w * 0.02

    band_h = w * 0.11
    band_y = qr.y + qr.h + w * 0.03
    if reader is not None:
        ph = h * 0.21
        pw = ph * 0.75
        _draw_photo(canv, reader, cx - pw / 2, top - ph, pw, ph)
        top -= ph + w * 0.035

    # Names and organisation, centred in the space above the band.
    blocks = []
    if name:
        blocks.append((_fit(name, BOLD, inner, w * 0.105, w * 0.062), INK))
    if latin:
        blocks.append((_fit(latin, BOLD, inner, w * 0.062, w * 0.042), INK))
    if card.organization.strip():
        blocks.append((_fit(card.organization, REGULAR, inner, w * 0.046, w * 0.034), INK))
    if card.country.strip():
        blocks.append((_fit(card.country, REGULAR, inner, w * 0.042, w * 0.032, max_lines=1), GREY))
    heights = [len(f.lines) * f.size * 1.2 for f, _ in blocks]
    space = top - (band_y + band_h) - w * 0.03
    total = sum(heights) + w * 0.015 * max(len(blocks) - 1, 0)
    if total > space and total > 0:  # too tall: scale every block down
        ratio = space / total
        blocks = [(_Fitted(f.lines, f.size * ratio), c) for f, c in blocks]
        heights = [hh * ratio for hh in heights]
        total = space
    y = top - max(space - total, 0) * (0.5 if reader is None else 0.25)
    for (fitted, colour), _height in zip(blocks, heights, strict=True):
        _set_fill(canv, colour)
        y = _draw_fitted(canv, fitted, cx, y, inner) - w * 0.015

    # Category band across the page.
    _draw_band(canv, card, band_rgb, on_band, band_y, w, band_h, inner)

    # Zones beside the QR code.
    zone_w = qr.x - margin - w * 0.04
    _draw_zones(canv, card, margin, qr.y + qr.h, qr.y, zone_w, w * 0.04)


def _draw_landscape(canv, card, w, h, name, latin, reader, qr, band_rgb, on_band) -> None:
    margin = h * 0.05
    inner = w - 2 * margin
    top = h - margin * 0.8
    if card.event_name.strip():
        fitted = _fit(card.event_name, REGULAR, inner, h * 0.052, h * 0.04, max_lines=1)
        _set_fill(canv, GREY)
        top = _draw_fitted(canv, fitted, margin, top, inner, align="left")
    top -= h * 0.01

    name_bottom = qr.y + qr.h + h * 0.02
    blocks = []
    if name:
        blocks.append(_fit(name, BOLD, inner, h * 0.14, h * 0.09))
    if latin:
        blocks.append(_fit(latin, BOLD, inner, h * 0.085, h * 0.06, max_lines=1))
    total = sum(len(f.lines) * f.size * 1.2 for f in blocks)
    if total > top - name_bottom and total > 0:
        ratio = (top - name_bottom) / total
        blocks = [_Fitted(f.lines, f.size * ratio) for f in blocks]
    _set_fill(canv, INK)
    for fitted in blocks:
        top = _draw_fitted(canv, fitted, margin, top, inner, align="left")

    band_h = h * 0.17
    _draw_band(canv, card, band_rgb, on_band, 0, w, band_h, inner)

    # Row between the names and the band: photo, organisation / country / zones, QR code.
    row_top = min(top - h * 0.01, qr.y + qr.h)
    row_bottom = band_h + h * 0.04
    x = margin
    if reader is not None:
        ph = row_top - row_bottom
        pw = ph * 0.75
        _draw_photo(canv, reader, x, row_bottom, pw, ph)
        x += pw + margin
    col_w = qr.x - margin * 0.8 - x
    y = row_top
    if card.organization.strip():
        fitted = _fit(card.organization, REGULAR, col_w, h * 0.068, h * 0.05)
        _set_fill(canv, INK)
        y = _draw_fitted(canv, fitted, x, y, col_w, align="left")
    if card.country.strip():
        fitted = _fit(card.country, REGULAR, col_w, h * 0.06, h * 0.045, max_lines=1)
        _set_fill(canv, GREY)
        y = _draw_fitted(canv, fitted, x, y, col_w, align="left")
    _draw_zones(canv, card, x, y - h * 0.01, row_bottom, col_w, h * 0.055)


# --- entry point ----------------------------------------------------------------------------------------


def render(
    cards: Iterable[Card],
    out: BinaryIO,
    *,
    size: str = "A6",
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write one page per card to `out` (a PDF); call progress(n_done) every 50 cards and at the end;
    return the page count. Unknown size, or no cards at all -> ValueError."""
    if size not in SIZES:
        raise ValueError(f"unknown badge size {size!r}; one of {', '.join(sorted(SIZES))}")
    w, h = SIZES[size]
    use_a85 = rl_config.useA85
    rl_config.useA85 = 0  # binary streams: ASCII85 only makes the file larger and slower to write
    try:
        return _render(cards, out, w, h, progress)
    finally:
        rl_config.useA85 = use_a85


def _render(cards: Iterable[Card], out: BinaryIO, w: float, h: float, progress) -> int:
    canv = Canvas(out, pagesize=(w, h), pageCompression=1)
    canv.setTitle("Badges")
    canv.setCreator("Summit")
    photos = _Photos()
    count = 0
    for card in cards:
        _draw_card(canv, card, w, h, photos)
        canv.showPage()
        count += 1
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    if count == 0:
        raise ValueError("no cards to print")
    canv.save()
    if progress is not None and count % PROGRESS_EVERY:
        progress(count)
    return count
