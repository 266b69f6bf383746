"""The design, read from the stylesheet and the real PDF: every text colour on its background
reads at WCAG AA (4.5:1, 3:1 for large text), each part has a colour of its own, and the
case-study illustrations keep their pictures whole."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pikepdf
import pypdfium2 as pdfium
import pytest
from PIL import Image as PILImage
from pypdf import PdfReader

from brochure import content

from .conftest import CONTENT, ROOT
from .test_end_to_end import _outline

STYLESHEET = (ROOT / "styles" / "brochure.css").read_text(encoding="utf-8")
LARGE = 3.0  # 18 pt, or 14 pt bold, and more
NORMAL = 4.5


def _variables() -> dict[str, str]:
    """The :root custom properties, var() resolved, as #RRGGBB."""
    root = re.search(r":root\s*{(.*?)}", STYLESHEET, re.S)[1]
    raw = dict(re.findall(r"--([\w-]+):\s*([^;]+);", root))
    raw |= {"white": "#FFFFFF"}

    def resolve(value: str) -> str:
        while (ref := re.fullmatch(r"var\(--([\w-]+)\)", value.strip())) is not None:
            value = raw[ref[1]]
        return value.strip()

    return {name: resolve(value) for name, value in raw.items() if "#" in resolve(value)}


COLOURS = _variables()


def _luminance(colour: str) -> float:
    red, green, blue = (int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4))

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def contrast(text: str, background: str) -> float:
    a, b = sorted((_luminance(COLOURS[text]), _luminance(COLOURS[background])), reverse=True)
    return (a + 0.05) / (b + 0.05)


PARTS = [name for name in COLOURS if re.fullmatch(r"part-\d", name)]
# (text, background, least ratio): where the stylesheet sets text on a colour.
PAIRS = [
    *((text, bg, NORMAL) for text in ("text", "ink", "muted", "berry") for bg in ("white", "sand")),
    ("muted", "light", NORMAL),  # the theme grid's striped rows
    ("teal", "white", NORMAL),  # a case study's place line
    *((part, bg, NORMAL) for part in PARTS for bg in ("white", "sand")),  # accents, (p. 12)
    *(("white", part, NORMAL) for part in PARTS),  # a divider's text
    ("white", "berry", NORMAL),  # case-study numbers and map pins
    ("sand", "ink", NORMAL),  # the covers' small text
    ("white", "ink", LARGE),  # the covers' titles
]


@pytest.mark.parametrize(("text", "background", "least"), PAIRS)
def test_every_text_colour_reads_on_its_background(text, background, least):
    assert contrast(text, background) >= least, f"{text} on {background}"


def test_each_part_has_a_colour_of_its_own():
    assert len(PARTS) >= 4
    assert len({COLOURS[p].upper() for p in PARTS}) == len(PARTS)


def test_the_dividers_print_in_their_parts_colours(sample_pdf):
    """Read back from the pages: the divider of each part is a different colour."""
    reader = PdfReader(sample_pdf)
    parts = [p.title for p in content.load(CONTENT).parts]
    dividers = [page for depth, title, page in _outline(reader) if depth == 0 and title in parts]
    document = pdfium.PdfDocument(sample_pdf)
    colours = set()
    for index in dividers:
        image = document[index].render(scale=0.2).to_pil().convert("RGB")
        colours.add(image.getpixel((image.width - 3, image.height // 2)))
    assert len(dividers) == len(parts) >= 4
    assert len(colours) == len(dividers), colours
    assert (255, 255, 255) not in colours


def _edge(image, x: int) -> tuple[int, int, tuple[int, int, int]] | None:
    """The run of colour down one column of a rendered page: (top, bottom, middle colour)."""
    coloured = [y for y in range(image.height) if image.getpixel((x, y)) != (255, 255, 255)]
    if not coloured:
        return None
    return coloured[0], coloured[-1], image.getpixel((x, (coloured[0] + coloured[-1]) // 2))


def test_each_part_has_a_page_edge_tab_in_its_colour(sample_pdf):
    """On the closed brochure a reader finds the parts by their tabs: every page of a part
    after its divider has, at its outer edge (right on a right-hand page), a tab in the
    divider's colour, the same for the whole part and each part a step lower; the front and
    back matter have none."""
    reader = PdfReader(sample_pdf)
    outline = _outline(reader)
    parts = [p.title for p in content.load(CONTENT).parts]
    dividers = [page for depth, title, page in outline if depth == 0 and title in parts]
    document = pdfium.PdfDocument(sample_pdf)

    def render(index: int):
        return document[index].render(scale=0.25).to_pil().convert("RGB")

    def tab(index: int):
        image = render(index)
        outer, inner = (image.width - 2, 1) if index % 2 == 0 else (1, image.width - 2)
        assert _edge(image, inner) is None, f"page index {index}: a tab on the inner edge"
        return _edge(image, outer)

    tops = []
    for divider in dividers:
        image = render(divider)  # a divider is its colour all over
        colour = image.getpixel((image.width // 2, image.height // 2))
        found = [tab(index) for index in range(divider + 1, divider + 4)]
        assert all(found), f"no tab after the divider on page index {divider}"
        assert len({(top, bottom) for top, bottom, _ in found}) == 1
        for *_, middle in found:
            assert all(abs(a - b) <= 8 for a, b in zip(middle, colour, strict=True)), middle
        top, bottom, _ = found[0]
        assert 10 < bottom - top < 40  # a tab, not a rule down the page
        tops.append(top)
    assert tops == sorted(tops)
    assert len(set(tops)) == len(tops) == len(parts)

    back = [page for depth, title, page in outline if depth == 0 and page > dividers[-1] + 3]
    for index in [dividers[0] - 1, *back]:  # the foreword, the acknowledgements
        assert tab(index) is None, f"a tab on page index {index}, outside the parts"


def _aspect(path) -> float:
    """Height / width of an image as drawn (an SVG's viewBox, a raster's pixels)."""
    if path.suffix == ".svg":
        root = ElementTree.fromstring(path.read_bytes())
        *_, width, height = (float(n) for n in root.get("viewBox").replace(",", " ").split())
        return height / width
    with PILImage.open(path) as image:
        return image.height / image.width


def _figures(pdf) -> dict[str, tuple[float, float]]:
    """Every Figure of the tag tree with its alt text: (width, height) of its layout box."""
    found = {}

    def walk(element) -> None:
        if element.get("/S") == "/Figure" and "/Alt" in element and "/A" in element:
            x1, y1, x2, y2 = (float(n) for n in element.A.BBox)
            found[str(element.Alt)] = (abs(x2 - x1), abs(y2 - y1))
        kids = element.get("/K")
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                walk(kid)

    walk(pdf.Root.StructTreeRoot)
    return found


def test_no_case_study_illustration_loses_more_than_a_tenth_of_its_height(sample_pdf):
    """The frame an illustration is drawn in, read from the PDF's tag tree (a Figure's layout
    box), against the picture's own proportions: a frame wider than the picture crops its top
    and bottom (people cut at the neck), and at most 10% of the height may go."""
    with pikepdf.open(sample_pdf) as pdf:
        frames = _figures(pdf)
    studies = content.load(CONTENT).case_studies
    assert len(studies) == 12
    for study in studies:
        width, height = frames[study.image.alt]
        shown = min(1.0, (height / width) / _aspect(CONTENT / study.image.src))
        assert shown >= 0.9, f"{study.id}: {1 - shown:.0%} of the illustration's height cut"
