"""The design's colours, read from the stylesheet: every text colour on its background reads
at WCAG AA (4.5:1, 3:1 for large text), and each part has a colour of its own."""

from __future__ import annotations

import re

import pypdfium2 as pdfium
import pytest
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
