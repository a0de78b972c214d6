"""Badge cards as PDF: scripts, embedded fonts, shaping, the QR code, sizes."""

import base64
import io
import os
import re
import shutil
import subprocess
import zlib

import pytest
import segno

from summit.entry import cards
from summit.entry.cards import SIZES, Card, render

QR_TEXT = "S1" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" * 3 + "QRSTUVWXYZ23"

SCRIPTS = {
    "chinese": ("王伟", "WANG Wei", "清华大学", "NotoSansSC"),
    "japanese": ("田中 はなこ", "TANAKA Hanako", "東京大学 さくら株式会社", "NotoSansJP"),
    "korean": ("김민준", "KIM Minjun", "서울대학교", "NotoSansKR"),
    "arabic": ("محمد عبد الله", "Mohammed ABDULLAH", "جامعة القاهرة", "NotoSansArabic"),
    "cyrillic": ("Анна Иванова", "Anna IVANOVA", "Московский университет", "NotoSans"),
    "greek": ("Γιώργος Παπαδόπουλος", "Giorgos PAPADOPOULOS", "Πανεπιστήμιο Αθηνών", "NotoSans"),
    "latin": ("Zoë Ñúñez Łukasz", "", "Universidad Autónoma", "NotoSans"),
    "thai": ("สมชาย ใจดี", "Somchai JAIDEE", "จุฬาลงกรณ์มหาวิทยาลัย", "NotoSansThai"),
    "devanagari": ("किशोर क्षत्रिय", "Kishor KSHATRIYA", "भारतीय प्रौद्योगिकी संस्थान", "NotoSansDevanagari"),
}


def make_card(native="王伟", latin="WANG Wei", organization="Tsinghua University", **kwargs) -> Card:
    values = dict(
        event_name="World Internet Conference 2027",
        native_name=native,
        latin_name=latin,
        organization=organization,
        country="China",
        category="Journalist",
        colour="#D32F2F",
        zones=("Main hall", "Press centre"),
        qr_text=QR_TEXT,
        code="1234-2",
    )
    values.update(kwargs)
    return Card(**values)


def pdf_bytes(card_list, **kwargs) -> bytes:
    out = io.BytesIO()
    render(card_list, out, **kwargs)
    return out.getvalue()


def streams(pdf: bytes) -> list[bytes]:
    """The decoded content of every stream in the PDF."""
    decoded = []
    for match in re.finditer(rb"<<(.*?)>>\s*stream\r?\n(.*?)endstream", pdf, re.S):
        head, data = match.group(1), match.group(2)
        if b"/ASCII85Decode" in head:
            data = base64.a85decode(data.strip(), adobe=True)
        if b"/FlateDecode" in head:
            data = zlib.decompress(data)
        decoded.append(data)
    return decoded


def page_streams(pdf: bytes) -> list[bytes]:
    return [s for s in streams(pdf) if b" re" in s or b" Tj" in s or b" TJ" in s]


def base_fonts(pdf: bytes) -> set[str]:
    return {m.decode() for m in re.findall(rb"/BaseFont /([^\s/>]+)", pdf)}


@pytest.fixture
def drawn_lines(monkeypatch):
    """Every line of text drawn: (text, [font file of each run])."""
    lines = []
    original = cards._draw_line

    def record(canv, line, x, y, size):
        lines.append((line.text, [run.font.file for run in line.runs]))
        original(canv, line, x, y, size)

    monkeypatch.setattr(cards, "_draw_line", record)
    return lines


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_each_script_is_drawn_with_its_embedded_font(script, drawn_lines):
    native, latin, organization, family = SCRIPTS[script]
    pdf = pdf_bytes([make_card(native, latin, organization)])

    fonts = base_fonts(pdf)
    embedded = [f.split("+", 1)[1] for f in fonts if "+" in f]
    assert any(name.startswith(family + "-") for name in embedded), fonts
    assert pdf.count(b"/FontFile2") >= len(embedded) > 0
    # No text is set in a standard (unembedded) font: the only standard font is ReportLab's preamble.
    for stream in page_streams(pdf):
        for block in re.findall(rb"BT(.*?)ET", stream, re.S):
            if b"Tj" in block or b"TJ" in block:
                assert re.findall(rb"/(F\d+)\s", block) == [], block
    name_runs = [runs for text, runs in drawn_lines if text == " ".join(native.split())]
    assert name_runs and all(font.startswith(family + "-") for font in name_runs[0])
    org_runs = [runs for text, runs in drawn_lines if text == organization]
    assert org_runs and all(font.startswith(family + "-") for font in org_runs[0])


def test_mixed_scripts_get_one_font_per_run(drawn_lines):
    render([make_card("Anna 王伟 محمد")], io.BytesIO())
    runs = next(fonts for text, fonts in drawn_lines if text == "Anna 王伟 محمد")
    assert runs == ["NotoSans-Bold", "NotoSansSC-SemiBold", "NotoSansArabic-Bold"]


def test_arabic_is_joined_and_right_to_left():
    text = "محمد"
    line = cards._shape(text, cards.BOLD)
    (run,) = line.runs
    font = run.font
    isolated = [font.face.charToGlyph[ord(c)] for c in text]
    # Drawn right to left: the last letter first; and in joined (initial/medial/final) forms.
    assert len(run.gids) == len(text)
    assert list(run.gids) != isolated[::-1]
    assert sum(g != i for g, i in zip(run.gids, isolated[::-1], strict=True)) >= 3
    # Joined forms are drawn (and read back from the PDF's ToUnicode map) as other characters than
    # the isolated letters: presentation forms, or private codes for glyphs without a character.
    assert not set(run.codes) & set(text)


def test_numbers_inside_arabic_stay_left_to_right():
    line = cards._shape("جامعة 2027", cards.REGULAR)
    texts = [run.codes for run in line.runs]
    assert "2027" in texts
    assert texts.index("2027") == 0  # at the left end of the right-to-left line


def test_devanagari_conjuncts_and_vowel_reordering():
    run = cards._shape("क्ष", cards.BOLD).runs[0]
    assert len(run.gids) == 1  # KA + VIRAMA + SSA become one conjunct glyph
    font = run.font
    ka = font.face.charToGlyph[0x0915]
    run = cards._shape("कि", cards.BOLD).runs[0]
    assert len(run.gids) == 2 and run.gids[1] == ka and run.gids[0] != ka  # the I-matra is drawn first
    run = cards._shape("किशोर", cards.BOLD).runs[0]
    assert run.gids[1] == ka and run.gids[0] != ka


def test_empty_latin_name_prints_no_latin_line(drawn_lines):
    render([make_card("王伟", "")], io.BytesIO())
    texts = [text for text, _ in drawn_lines]
    assert "王伟" in texts
    assert not any("WANG" in t for t in texts)
    drawn_lines.clear()
    render([make_card("王伟", "WANG Wei")], io.BytesIO())
    assert "WANG Wei" in [text for text, _ in drawn_lines]


def test_latin_name_is_not_repeated_for_a_latin_native_name(drawn_lines):
    render([make_card("Zoë Ñúñez", "Zoe NUNEZ")], io.BytesIO())
    texts = [text for text, _ in drawn_lines]
    assert "Zoë Ñúñez" in texts and "Zoe NUNEZ" not in texts


def test_long_name_shrinks_then_wraps():
    width = 250.0
    short = cards._fit("Anna Ivanova", cards.BOLD, width, 30, 18)
    assert len(short.lines) == 1 and short.size == 30
    long = cards._fit("Maximilian Alexander Christopher von Hohenzollern", cards.BOLD, width, 30, 18)
    assert len(long.lines) == 2
    assert all(line.width_at(long.size) <= width + 0.01 for line in long.lines)
    han = cards._fit("王" * 30, cards.BOLD, width, 30, 18)
    assert len(han.lines) == 2


def qr_matrix_from_stream(pdf: bytes, size: str) -> list[list[int]]:
    """The QR modules as drawn in the page: the rectangles in the QR's module coordinate system."""
    box = cards.qr_box(size)
    n, _ = cards.qr_runs(QR_TEXT)
    module = box.w / (n + 2 * cards.QR_QUIET_ZONE)
    (stream,) = page_streams(pdf)
    (match,) = re.findall(rb"q ([\d.]+) 0 0 ([\d.]+) ([\d.]+) ([\d.]+) cm\n(.*?)\nf\nQ", stream, re.S)
    scale, scale_y, x, y, rects = match
    assert abs(float(scale) - module) < 1e-3 and scale == scale_y
    assert abs(float(x) - (box.x + 4 * module)) < 1e-3 and abs(float(y) - (box.y + 4 * module)) < 1e-3
    matrix = [[0] * n for _ in range(n)]
    for rect in rects.decode().splitlines():
        col, row, length, height, op = rect.split()
        assert op == "re" and height == "1"
        for c in range(int(col), int(col) + int(length)):
            matrix[n - 1 - int(row)][c] = 1
    return matrix


def expected_matrix() -> list[list[int]]:
    qr = segno.make(QR_TEXT, error="l", boost_error=False, mask=cards.QR_MASK)
    return [[v & 1 for v in row] for row in qr.matrix]


@pytest.mark.parametrize("size", ["A6", "CR80"])
def test_qr_code_drawn_is_the_token(size):
    pdf = pdf_bytes([make_card()], size=size)
    assert qr_matrix_from_stream(pdf, size) == expected_matrix()


def test_qr_code_is_at_least_35_mm_on_a6():
    assert cards.qr_box("A6").w >= 35 * cards.mm


def test_qr_code_in_the_rendered_page(tmp_path):
    """Rasterise the page and read the module grid back (Debian's poppler-utils for pdftoppm)."""
    if shutil.which("pdftoppm") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pdftoppm (poppler-utils) is needed in CI")
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    from PIL import Image

    dpi = 300
    pdf = pdf_bytes([make_card(photo=None)])
    (tmp_path / "card.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(dpi), "-singlefile", tmp_path / "card.pdf", tmp_path / "card"],
        check=True,
    )
    image = Image.open(tmp_path / "card.png").convert("L")
    box = cards.qr_box("A6")
    n, _ = cards.qr_runs(QR_TEXT)
    module = box.w / (n + 2 * cards.QR_QUIET_ZONE)
    scale = dpi / 72.0
    page_h = SIZES["A6"][1]
    seen = []
    for r in range(-cards.QR_QUIET_ZONE, n + cards.QR_QUIET_ZONE):
        row = []
        for c in range(-cards.QR_QUIET_ZONE, n + cards.QR_QUIET_ZONE):
            x = box.x + (cards.QR_QUIET_ZONE + c + 0.5) * module
            y = box.y + box.h - (cards.QR_QUIET_ZONE + r + 0.5) * module
            row.append(1 if image.getpixel((int(x * scale), int((page_h - y) * scale))) < 128 else 0)
        seen.append(row)
    quiet = [0] * cards.QR_QUIET_ZONE
    expected = [[0] * (n + 2 * cards.QR_QUIET_ZONE) for _ in range(cards.QR_QUIET_ZONE)]
    expected = expected + [quiet + row + quiet for row in expected_matrix()] + expected
    assert seen == expected


@pytest.mark.parametrize("size", sorted(SIZES))
def test_pages_have_the_size_asked_for(size):
    pdf = pdf_bytes([make_card(), make_card("김민준", "KIM Minjun")], size=size)
    boxes = re.findall(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert len(boxes) == 2
    w, h = SIZES[size]
    for bw, bh in boxes:
        assert abs(float(bw) - w) < 0.01 and abs(float(bh) - h) < 0.01
    assert (w > h) == (size == "CR80")


def test_a6_is_105_by_148_mm():
    w, h = SIZES["A6"]
    assert round(w / cards.mm, 1) == 105 and round(h / cards.mm, 1) == 148


def test_unknown_size_is_refused():
    with pytest.raises(ValueError):
        render([make_card()], io.BytesIO(), size="B3")


def test_page_count_and_progress():
    calls = []
    count = render([make_card(code=str(i)) for i in range(120)], io.BytesIO(), progress=calls.append)
    assert count == 120
    assert calls == [50, 100, 120]


def test_photo_is_embedded_once_for_identical_bytes():
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (60, 80), (200, 100, 50)).save(buf, "JPEG")
    photo = buf.getvalue()
    pdf = pdf_bytes([make_card(photo=photo), make_card(photo=photo), make_card(photo=b"not an image")])
    assert pdf.count(b"/Subtype /Image") == 1
    assert b"/DCTDecode" in pdf  # the JPEG as it is, not decoded and re-compressed


def test_band_text_keeps_contrast():
    for colour in ("#FFFFFF", "#FFEB3B", "#777777", "#1565C0", "#000000", "#D32F2F", "#00BCD4"):
        text = cards.text_colour_on(colour)
        assert cards.contrast_ratio(cards._rgb(colour), text) >= 4.5, colour
    assert cards.text_colour_on("#FFEB3B") == (0, 0, 0)
    assert cards.text_colour_on("#1565C0") == (1, 1, 1)
    with pytest.raises(ValueError):
        cards._rgb("red")
