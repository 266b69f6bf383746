"""Print production, on the real PDFs: the bleed, the crop marks and page boxes, a page count the
binder can fold, and one layout for both variants (brochure/printing.py, brochure/parts.py)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from PIL import ImageCms

from brochure import build, cli, parts, printing
from brochure.options import BuildOptions

from .conftest import CONTENT, ROOT, SLUG, small_brochure

MM = 72 / 25.4  # PDF points in a millimetre
A4 = (210 * MM, 297 * MM)
BLEED = 3 * MM
SCALE = 2  # pixels per PDF point when rendering: 3 mm of bleed is 17 pixels


@pytest.fixture(scope="session")
def print_pdf(sample_pdf: Path) -> Path:
    """The print variant, built beside the screen PDF (from the screen's page map)."""
    out = sample_pdf.parent
    args = ["build", "--variant", "print", "--content", str(CONTENT), "--out", str(out), "-q"]
    assert cli.main(args) == 0
    return out / f"{SLUG}-en-print.pdf"


@pytest.fixture(scope="session")
def rendered(print_pdf: Path):
    """page index -> (image, trim box in image pixels (left, top, right, bottom)), on demand."""
    document = pdfium.PdfDocument(print_pdf)
    with pikepdf.open(print_pdf) as pdf:
        boxes = [
            ([float(v) for v in page.obj.MediaBox], [float(v) for v in page.obj.TrimBox])
            for page in pdf.pages
        ]
    cache: dict[int, tuple] = {}

    def render(index: int):
        if index not in cache:
            media, trim = boxes[index]
            image = document[index].render(scale=SCALE).to_pil().convert("RGB")
            left = (trim[0] - media[0]) * SCALE
            top = (media[3] - trim[3]) * SCALE
            right = left + (trim[2] - trim[0]) * SCALE
            bottom = top + (trim[3] - trim[1]) * SCALE
            cache[index] = image, tuple(round(v) for v in (left, top, right, bottom))
        return cache[index]

    render.pages = len(boxes)
    return render


def _is_white(pixel: tuple[int, ...]) -> bool:
    return min(pixel) > 245


def _edge_samples(trim: tuple[int, ...], inside: float, outside: float):
    """Pairs of points (just inside the trim, in the bleed) along the four edges, every 5 mm."""
    left, top, right, bottom = trim
    step = round(5 * MM * SCALE)
    i, o = round(inside * MM * SCALE), round(outside * MM * SCALE)
    for x in range(left + step, right - step, step):
        yield (x, top + i), (x, top - o)
        yield (x, bottom - i), (x, bottom + o)
    for y in range(top + step, bottom - step, step):
        yield (left + i, y), (left - o, y)
        yield (right - i, y), (right + o, y)


def test_whatever_touches_the_trim_runs_into_the_bleed(rendered):
    """On every page, a colour at the trim goes on into the bleed: 1.5 mm past the trim is the
    colour 0.5 mm inside it. The covers and the four dividers are coloured to every edge."""
    full_bleed = []
    for index in range(rendered.pages):
        image, trim = rendered(index)
        samples = list(_edge_samples(trim, 0.5, 1.5))
        coloured = [(a, b) for a, b in samples if not _is_white(image.getpixel(a))]
        for inside, bleed in coloured:
            a, b = image.getpixel(inside), image.getpixel(bleed)
            assert max(abs(x - y) for x, y in zip(a, b, strict=True)) <= 8, (index, inside, a, b)
        if len(coloured) == len(samples):
            full_bleed.append(index)
    # The front and back covers, and one divider per part.
    assert full_bleed[0] == 0
    assert full_bleed[-1] == rendered.pages - 1
    assert len(full_bleed) == 2 + 4, full_bleed


def _run(image, points, across: tuple[int, int]) -> list[int]:
    """The indexes of the points where something is drawn, on the point or a pixel beside it
    (`across`: the step to the side): past the bleed, the media is white but for the marks,
    hairlines that can fall between two rows of pixels."""
    dx, dy = across
    return [
        i
        for i, (x, y) in enumerate(points)
        if not all(_is_white(image.getpixel((x + k * dx, y + k * dy))) for k in (-1, 0, 1))
    ]


@pytest.mark.parametrize("which", ["cover", "divider", "text", "notes", "back cover"])
def test_crop_marks_stand_outside_the_bleed_5_to_10_mm_long(rendered, print_pdf, which):
    """Each corner has two marks on the lines of the trim's edges, starting at least the bleed
    away from the trim and 5 to 10 mm long; nothing is drawn in the bleed of a white page."""
    report = json.loads(print_pdf.with_name(f"{SLUG}-en.layout.json").read_text())
    index = {
        "cover": 0,
        "divider": 4,
        "text": 5,
        "notes": rendered.pages - 2,
        "back cover": rendered.pages - 1,
    }[which]
    assert report["notes"]["pages"] >= 1 or which != "notes"
    image, (left, top, right, bottom) = rendered(index)
    px = MM * SCALE
    reach = round(12.5 * px)  # past the marks' far end, inside the MediaBox
    bleed = round(3 * px)  # the marks are looked for from the bleed's edge outwards
    for y in (top, bottom):
        for x0, direction in ((left, -1), (right, 1)):
            points = [(x0 + direction * d, y) for d in range(bleed + 2, reach)]
            dark = _run(image, points, (0, 1))
            assert dark, (which, "no horizontal mark", x0, y)
            start, end = (dark[0] + bleed + 2) / px, (dark[-1] + bleed + 2) / px
            assert 5 <= end - start + 1 / px <= 10, (which, end - start)
            assert start >= 3, (which, start)  # outside the bleed
            assert len(dark) == dark[-1] - dark[0] + 1  # one solid line
    for x in (left, right):
        for y0, direction in ((top, -1), (bottom, 1)):
            points = [(x, y0 + direction * d) for d in range(bleed + 2, reach)]
            dark = _run(image, points, (1, 0))
            assert dark, (which, "no vertical mark", x, y0)
            start, end = (dark[0] + bleed + 2) / px, (dark[-1] + bleed + 2) / px
            assert 5 <= end - start + 1 / px <= 10, (which, end - start)
            assert start >= 3, (which, start)
    if which in ("text", "notes"):  # a white page: its bleed is empty, marks and all
        ring = [
            image.getpixel((x, y))
            for x in range(left - bleed, right + bleed, 7)
            for y in (top - bleed + 2, top - 2, bottom + 2, bottom + bleed - 2)
        ]
        assert all(_is_white(p) for p in ring)


def test_every_page_has_its_trim_bleed_and_media_boxes_and_marks(print_pdf):
    """TrimBox is the A4 trim, BleedBox the trim and 3 mm, MediaBox large enough for the crop
    marks; the marks are drawn on every page, in the page's own coordinates, outside the bleed.
    """
    with pikepdf.open(print_pdf) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            trim = [float(v) for v in page.obj.TrimBox]
            bleed = [float(v) for v in page.obj.BleedBox]
            media = [float(v) for v in page.obj.MediaBox]
            assert trim[2] - trim[0] == pytest.approx(A4[0], abs=0.1), number
            assert trim[3] - trim[1] == pytest.approx(A4[1], abs=0.1), number
            for side, sign in zip(range(4), (-1, -1, 1, 1), strict=True):
                assert bleed[side] - trim[side] == pytest.approx(sign * BLEED, abs=0.05)
                assert (
                    sign * (media[side] - trim[side])
                    >= (printing.MARK_OFFSET_MM + printing.MARK_LENGTH_MM) * MM
                )
            assert "/ArtBox" not in page.obj
            assert "/CropBox" not in page.obj
            lines = _mark_lines(page)
            assert len(lines) == 8, number
            for (x0, y0), (x1, y1) in lines:
                on_vertical_edge = x0 == x1 and round(x0, 2) in (
                    round(trim[0], 2),
                    round(trim[2], 2),
                )
                on_horizontal_edge = y0 == y1 and round(y0, 2) in (
                    round(trim[1], 2),
                    round(trim[3], 2),
                )
                assert on_vertical_edge or on_horizontal_edge, (number, x0, y0, x1, y1)
                # Both ends outside the bleed box, within the media box.
                for x, y in ((x0, y0), (x1, y1)):
                    outside = not (bleed[0] <= x <= bleed[2] and bleed[1] <= y <= bleed[3])
                    assert outside, (number, x, y)
                    assert media[0] <= x <= media[2]
                    assert media[1] <= y <= media[3]
                length = abs(x1 - x0) + abs(y1 - y0)
                assert 5 * MM <= length <= 10 * MM


def _mark_lines(page: pikepdf.Page) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """The straight lines drawn in the page's last artifact, after its own drawing (where
    brochure/printing.py puts the crop marks; the accessibility finishing may have joined the
    page's content streams into one)."""
    lines: list = []
    start = None
    for operands, operator in pikepdf.parse_content_stream(page):
        if str(operator) == "BMC" and str(operands[0]) == "/Artifact":
            lines = []  # a later artifact: only the last one's lines are kept
        elif str(operator) == "m":
            start = tuple(float(v) for v in operands)
        elif str(operator) == "l" and start is not None:
            lines.append((start, tuple(float(v) for v in operands)))
    return lines


def test_the_page_count_is_a_multiple_of_4_with_the_back_cover_last_on_a_left_page(
    sample_pdf, print_pdf, french_pdf, spanish_pdf
):
    """In every language and both variants: notes pages before the back cover bring the count to
    a multiple of 4; the back cover is the last page, a left-hand page (an even page number);
    the layout report says how many pages were added."""
    counts = {}
    for pdf in (sample_pdf, print_pdf, french_pdf, spanish_pdf):
        with pikepdf.open(pdf) as opened:
            counts[pdf.name] = len(opened.pages)
            target = pikepdf.NameTree(opened.Root.Names.Dests)["back-cover"][0]
            back_cover = next(i for i, p in enumerate(opened.pages) if p.obj == target)
        assert counts[pdf.name] % 4 == 0, pdf.name
        assert back_cover == counts[pdf.name] - 1, pdf.name
        assert back_cover % 2 == 1, pdf.name  # index 1, 3 ...: page 2, 4 ..., a left page
    assert counts[sample_pdf.name] == counts[print_pdf.name]
    for lang, pdf, heading in (("en", sample_pdf, "Notes"), ("fr", french_pdf, "Notes")):
        report = json.loads(pdf.with_name(f"{SLUG}-{lang}.layout.json").read_text())
        added = report["notes"]["pages"]
        assert 1 <= added <= 3
        document = pdfium.PdfDocument(pdf)
        for index in range(len(document) - 1 - added, len(document) - 1):
            text = document[index].get_textpage().get_text_bounded()
            assert text.split()[0] == heading, (lang, index, text[:40])
    spanish = pdfium.PdfDocument(spanish_pdf)
    report = json.loads(spanish_pdf.with_name(f"{SLUG}-es.layout.json").read_text())
    if report.get("notes"):
        text = spanish[len(spanish) - 2].get_textpage().get_text_bounded()
        assert text.split()[0] == "Notas"


@pytest.mark.parametrize("before", range(12))
def test_padding_makes_a_multiple_of_4_with_the_back_cover(before):
    added = parts.padding(before)
    assert 0 <= added <= 3
    assert (before + added + 1) % 4 == 0  # + 1: the back cover


def test_the_screen_pdf_is_the_print_pdf_cut_at_the_trim(sample_pdf, print_pdf):
    """One layout, two PDFs: the screen's pages are A4 with no bleed, and show what the print's
    pages show inside their trim: the same text on every page, and the same picture."""
    screen = pdfium.PdfDocument(sample_pdf)
    with pikepdf.open(sample_pdf) as pdf:
        for page in pdf.pages:
            media = [float(v) for v in page.obj.MediaBox]
            assert media[2] - media[0] == pytest.approx(A4[0], abs=0.1)
            assert media[3] - media[1] == pytest.approx(A4[1], abs=0.1)
            assert [float(v) for v in page.obj.TrimBox] == media
    printed = pdfium.PdfDocument(print_pdf)
    assert len(screen) == len(printed)
    for index in range(len(printed)):
        a = screen[index].get_textpage().get_text_bounded()
        b = printed[index].get_textpage().get_text_bounded()
        assert a == b, index
    slug = printing.SLUG_MM * MM
    # A scale at which the slug is a whole number of pixels, so that both renderings have the
    # same pixel grid; glyphs are still rasterized a little differently where they stand on
    # the media, so the pictures are compared 4 pixels to 1.
    scale = round(slug * SCALE) / slug
    for index in (0, 4, 5, 30, len(printed) - 2, len(printed) - 1):
        cut = printed[index].render(scale=scale, crop=(slug,) * 4).to_pil().convert("RGB")
        shown = screen[index].render(scale=scale).to_pil().convert("RGB")
        assert shown.size == cut.size
        a, b = shown.reduce(4).tobytes(), cut.reduce(4).tobytes()
        assert max(abs(x - y) for x, y in zip(a, b, strict=True)) < 64, index


def _walk(value, seen: set) -> list:
    """Every dictionary inside `value`, direct or not, once (a stream as its dictionary)."""
    if isinstance(value, pikepdf.Object) and value.is_indirect:
        if value.objgen in seen:
            return []
        seen.add(value.objgen)
    found = []
    if isinstance(value, pikepdf.Dictionary | pikepdf.Stream):
        found.append(value)
        for key in value:
            if key not in ("/Parent", "/P", "/Pg", "/K", "/ParentTree", "/StructTreeRoot"):
                found += _walk(value.get(key), seen)
    elif isinstance(value, pikepdf.Array):
        for item in value:
            found += _walk(item, seen)
    return found


def test_the_print_pdf_is_a_pdf_x4_file_for_fogra39_and_says_so(print_pdf, sample_pdf):
    """What ISO 15930-7 (PDF/X-4) asks of the file that can be checked here: PDF 1.6 with a
    file ID, no encryption, no scripts or attachments; the document info's title, dates and
    /Trapped, and the XMP that identifies PDF/X-4 and agrees with it; one GTS_PDFX output
    intent carrying the committed FOGRA39 CMYK output profile; page boxes; no annotation on the
    pages; every RGB colour tagged sRGB (DefaultRGB, or ICCBased on images, shadings and
    transparency groups); no image interpolation; every font embedded. qpdf finds no damage.
    The screen PDF claims none of it."""
    with pikepdf.open(print_pdf) as pdf:
        assert pdf.check_pdf_syntax() == []  # qpdf --check
        assert pdf.pdf_version == "1.6"
        assert len(pdf.trailer.ID) == 2
        assert not pdf.is_encrypted
        assert "/EmbeddedFiles" not in pdf.Root.get("/Names", {})
        assert "/OpenAction" not in pdf.Root
        assert "/AA" not in pdf.Root
        info = pdf.docinfo
        assert str(info.Trapped) == "/False"
        assert str(info.Title)
        assert str(info.CreationDate) == "D:20210623"
        assert str(info.ModDate) == "D:20210623"
        with pdf.open_metadata() as xmp:
            assert xmp["pdfxid:GTS_PDFXVersion"] == "PDF/X-4"
            assert xmp["pdf:Trapped"] == "False"
            assert xmp["dc:title"] == str(info.Title)
            assert xmp["xmp:CreateDate"] == xmp["xmp:ModifyDate"] == "2021-06-23"
            for key in ("DocumentID", "InstanceID", "VersionID", "RenditionClass"):
                assert xmp[f"xmpMM:{key}"], key
        (intent,) = pdf.Root.OutputIntents
        assert intent.S == "/GTS_PDFX"
        assert str(intent.OutputConditionIdentifier) == "FOGRA39"
        assert str(intent.RegistryName) == "http://www.color.org"
        profile = intent.DestOutputProfile
        assert profile.N == 4
        committed = ROOT / "assets" / "icc" / "FOGRA39L-argyll.icc"
        assert profile.read_bytes() == committed.read_bytes()
        icc = ImageCms.ImageCmsProfile(io.BytesIO(profile.read_bytes())).profile
        assert (icc.device_class, icc.xcolor_space.strip()) == ("prtr", "CMYK")
        for page in pdf.pages:
            assert "/Annots" not in page.obj
            assert "/TrimBox" in page.obj
            assert "/ArtBox" not in page.obj
        seen: set = set()
        dictionaries = [d for page in pdf.pages for d in _walk(page.obj, seen)]
        assert len(dictionaries) > 100
        for d in dictionaries:
            space = d.get("/ColorSpace")
            if isinstance(space, pikepdf.Dictionary):  # a resource dictionary's colour spaces
                assert space.DefaultRGB[0] == "/ICCBased"
                assert space.DefaultRGB[1].N == 3
            assert space != "/DeviceRGB", d
            if "/Group" in d:
                assert d.Group.get("/CS") != "/DeviceRGB"
            assert d.get("/Interpolate") is not True
            if d.get("/Type") == "/FontDescriptor":
                assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(d.keys()), d.FontName
            assert "/JS" not in d
            assert d.get("/S") != "/JavaScript"
    with pikepdf.open(sample_pdf) as pdf:
        assert "/OutputIntents" not in pdf.Root
        with pdf.open_metadata() as xmp:
            assert "pdfxid:GTS_PDFXVersion" not in xmp


def test_handouts_are_cut_at_the_trim(sample_pdf):
    handout = next((sample_pdf.parent / "handouts" / "en").glob("*.pdf"))
    with pikepdf.open(handout) as pdf:
        media = [float(v) for v in pdf.pages[0].obj.MediaBox]
    assert media[2] - media[0] == pytest.approx(A4[0], abs=0.1)


class _Steps:
    """A progress log that remembers the stages run."""

    def __init__(self):
        self.names: list[str] = []

    def step(self, name, fn, *args):
        self.names.append(name)
        return fn(*args)


def test_both_variants_are_laid_out_once(tmp_path):
    """Built together (as `build --all` does, one language per worker), the screen and print
    variants are typeset once and finished twice; the pages are the same."""
    content = small_brochure(tmp_path / "content", ("case-studies/kisumu.md",))
    opts = BuildOptions(content_dir=content, out_dir=tmp_path / "out")
    log = _Steps()
    outcomes = dict(build.build_variants(opts, ["screen", "print"], log))
    assert log.names.count("typeset") == 1
    assert log.names.count("finish") == 2
    screen, printed = outcomes["screen"], outcomes["print"]
    assert screen.pages == printed.pages
    assert screen.pages % 4 == 0
    assert screen.pdf.name == f"{SLUG}-en.pdf"
    assert printed.pdf.name == f"{SLUG}-en-print.pdf"
    with pikepdf.open(printed.pdf) as pdf:
        assert len(_mark_lines(pdf.pages[0])) == 8
