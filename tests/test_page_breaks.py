"""Page breaks a designer would accept, read from the real PDFs in English, French and
Spanish: no heading left at the foot of a page or column with its text overleaf, and no title
that ends on a line of one word."""

from __future__ import annotations

import ctypes
import json
import re

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
import weasyprint
from pypdf import PdfReader

from .conftest import ROOT
from .test_end_to_end import _outline

EDITIONS = {"en": "sample_pdf", "fr": "french_pdf", "es": "spanish_pdf"}
HEADING_PX = 12.5  # h3/h4 are 11 and 9.6 pt bold sans (14.7 and 12.8 px); kickers are smaller
FOLIO_PT = 70  # text below this height is the page's foot: folios


def _text_objects(page) -> list[tuple[str, float, float, float, float, float]]:
    """(font name, size in px, left, bottom, right, top) of every text object on a page."""
    found = []
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT], max_depth=5):
        size = ctypes.c_float()
        pdfium_c.FPDFTextObj_GetFontSize(obj.raw, ctypes.byref(size))
        name = ctypes.create_string_buffer(200)
        pdfium_c.FPDFFont_GetBaseFontName(pdfium_c.FPDFTextObj_GetFont(obj.raw), name, 200)
        found.append((name.value.decode(), size.value, *obj.get_bounds()))
    return found


def _stranded_headings(path) -> list[tuple[int, str]]:
    """(page index, text) of every heading with fewer than two lines under it in its column
    on its page: the rest of its section is overleaf or in the next column."""
    document = pdfium.PdfDocument(path)
    labels = PdfReader(path).page_labels
    stranded = []
    # The notes pages before the back cover are a heading over ruled lines, on purpose.
    notes = _notes_pages(path)
    for index in range(1, len(document) - 1 - notes):  # not the covers, not the notes pages
        if not labels[index].isdigit():
            continue  # the front matter: the contents' entries are bold sans, without text under
        page = document[index]
        objects = [o for o in _text_objects(page) if o[3] > FOLIO_PT]
        for name, size, left, bottom, right, top in objects:
            if "Serif" in name or "Bold" not in name or size < HEADING_PX:
                continue  # not a heading: headings are set in the bold sans
            under = {
                round(o[3]) for o in objects if o[5] < bottom - 1 and o[2] < right and o[4] > left
            }
            text = page.get_textpage().get_text_bounded(left, bottom, right, top)
            if len(under) < 2 and re.search(r"[^\W\d_]{2}", text):  # words, not a list marker
                stranded.append((index, text.strip()))
    return stranded


def _notes_pages(path) -> int:
    """How many notes pages the layout report of the edition at `path` says were added."""
    stem = path.stem.removesuffix("-print")
    report = path.with_name(f"{stem}.layout.json")
    if not report.exists():
        return 0
    return json.loads(report.read_text(encoding="utf-8")).get("notes", {}).get("pages", 0)


def test_a_heading_at_the_foot_of_a_page_is_found(tmp_path):
    """The check below finds what it looks for: a heading pushed to the foot of a page."""
    bold = (ROOT / "assets" / "fonts" / "NotoSans-Bold.ttf").as_uri()
    html = (
        f"<style>@font-face {{ font-family: Heading; src: url({bold}) }}"
        "@page { size: A5; margin: 20mm } body { font: 10pt serif }"
        "h3 { font: 11pt Heading; break-after: auto }</style>"
        "<p>The cover.</p><p style='break-before: page; height: 140mm'>Text</p>"
        "<h3>Stranded heading</h3><p style='break-before: page'>Its text, overleaf.</p>"
        "<p style='break-before: page'>The back cover.</p>"
    )
    path = tmp_path / "stranded.pdf"
    weasyprint.HTML(string=html).write_pdf(path)
    assert [text for _, text in _stranded_headings(path)] == ["Stranded heading"]


@pytest.mark.parametrize("edition", EDITIONS)
def test_no_heading_is_left_at_the_foot_of_a_page(request, edition):
    path = request.getfixturevalue(EDITIONS[edition])
    assert _stranded_headings(path) == []


def _last_lines(page_text: str, wanted: str) -> str | None:
    """The last line `wanted` is set on in a page's text as pdfium extracts it, or None."""
    lines = [line.strip() for line in page_text.replace("\r\n", "\n").split("\n")]
    target = " ".join(wanted.split())
    for first in range(len(lines)):
        joined = ""
        for line in lines[first:]:
            joined = f"{joined} {line}".strip() if joined else line
            if joined == target:
                return line
            if not target.startswith(joined):
                break
    return None


@pytest.mark.parametrize("edition", ["en", "fr", "es"])
def test_no_title_ends_on_a_line_of_one_word(request, edition):
    """Every document's title, as set on its first page (the outline gives title and page, in
    the edition's language): its last line holds at least two words."""
    path = request.getfixturevalue(EDITIONS[edition])
    reader = PdfReader(path)
    document = pdfium.PdfDocument(path)
    checked = 0
    for depth, title, index in _outline(reader):
        if depth == 0 or len(title.split()) < 3:
            continue
        last = _last_lines(document[index].get_textpage().get_text_range(), title)
        if last is None:
            continue  # set on one line with something else (a run-in heading)
        checked += 1
        assert len(last.split()) >= 2, f"{title!r} ends on a line of one word: {last!r}"
    assert checked >= 20
