"""Language editions read back from the PDF: their text, contents, language metadata."""

from __future__ import annotations

import json
import re

import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader

from brochure import content, i18n

from .conftest import CONTENT
from .test_end_to_end import LEADER, _outline


def _texts(path) -> list[str]:
    return [" ".join(p.get_textpage().get_text_range().split()) for p in pdfium.PdfDocument(path)]


def test_the_french_edition_is_in_french_with_french_metadata(french_pdf):
    reader = PdfReader(french_pdf)
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "fr"
    assert reader.xmp_metadata.dc_language == ["fr"]
    catalog = i18n.read_catalog(CONTENT / "locales" / "fr.po")
    english = content.load(CONTENT).title
    title = catalog.find("brochure", english).string
    assert reader.metadata.title == title.replace("'", "’")
    texts = _texts(french_pdf)
    assert any(t.startswith("Sommaire") for t in texts)
    assert "partenaires" in " ".join(texts).lower()  # template strings are translated too
    assert "Lessons learned" not in " ".join(texts)


@pytest.mark.parametrize(("edition", "contents_title"), [("fr", "Sommaire"), ("es", "Índice")])
def test_the_translated_contents_give_the_right_pages(request, edition, contents_title):
    path = request.getfixturevalue({"fr": "french_pdf", "es": "spanish_pdf"}[edition])
    reader = PdfReader(path)
    assert reader.trailer["/Root"]["/Lang"] == edition
    labels = reader.page_labels
    pages = pdfium.PdfDocument(path)
    contents = next(
        p.get_textpage().get_text_range()
        for p in pages
        if p.get_textpage().get_text_range().lstrip().startswith(contents_title)
    )
    entries = [m for line in contents.splitlines() if (m := LEADER.match(line.strip()))]
    assert len(entries) > 30
    outline = {title: page for _, title, page in _outline(reader)}
    checked = 0
    for title, page in outline.items():
        entry = next((e for e in entries if " ".join(e["title"].split()).startswith(title)), None)
        if entry is not None:
            assert labels.index(entry["page"]) == page, title
            checked += 1
    assert checked >= 25


def test_french_typography_and_layout_report(french_pdf):
    text = "".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(french_pdf))
    assert "\u202f:" in text or "\u202f;" in text  # narrow no-break space before : and ;
    assert "«\u202f" in text
    layout = json.loads(french_pdf.with_suffix(".layout.json").read_text())
    studies = content.load(CONTENT).case_studies
    assert all(layout[s.id]["pages"] >= 2 for s in studies)
    assert all(layout[s.id]["title_lines"] >= 1 for s in studies)
    assert all(layout[s.id]["facts_mm"] > 20 for s in studies)


@pytest.mark.parametrize("edition", ["fr", "es"])
def test_translated_text_is_set_with_the_language_typography(request, edition):
    path = request.getfixturevalue({"fr": "french_pdf", "es": "spanish_pdf"}[edition])
    text = "".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(path))
    assert text.count("'") == 0  # every apostrophe is ’
    assert text.count('"') == 0  # every quotation mark is the language's
    assert text.count("«") == text.count("»") > 10
    if edition == "fr":
        assert text.count("’") > 1000
        # Every ; : ! ? that is punctuation follows a narrow no-break space: not the : and ? of
        # a web address, a colon between digits (10:30), or the second mark of "?!".
        prose = re.sub(r"\S+://\S+", " ", text)
        marks = [
            m.start()
            for m in re.finditer(r"[;:!?]", prose)
            if not re.match(r"\d:\d", prose[m.start() - 1 : m.start() + 2])
            and prose[m.start() - 1] not in ";:!?"
        ]
        assert len(marks) > 250
        assert [prose[i - 12 : i + 3] for i in marks if prose[i - 1] != "\u202f"] == []


def _fill(page) -> float:
    """How far down its text area a page's text goes (running heads and folios aside)."""
    height = page.get_height()
    top, bottom = height - 24 / 25.4 * 72, 22 / 25.4 * 72  # the page's margins (brochure.css)
    text = page.get_textpage()
    lows = [text.get_rect(i)[1] for i in range(text.count_rects())]
    lows = [y for y in lows if bottom <= y <= top]
    return (top - min(lows)) / (top - bottom) if lows else 0.0


@pytest.mark.parametrize("edition", ["en", "fr", "es"])
def test_case_studies_are_spreads_and_no_page_is_nearly_empty(request, edition):
    """Each case study on two facing pages, opening on a left-hand page, in every language;
    no document's last page less than a quarter full."""
    fixture = {"en": "sample_pdf", "fr": "french_pdf", "es": "spanish_pdf"}[edition]
    path = request.getfixturevalue(fixture)
    layout = json.loads(path.with_suffix(".layout.json").read_text())
    labels = PdfReader(path).page_labels
    document = pdfium.PdfDocument(path)
    brochure = content.load(CONTENT)
    for study in brochure.case_studies:
        report = layout[study.id]
        assert report["pages"] == 2, (edition, study.id)
        first = labels.index(report["labels"][0])
        assert first % 2 == 1, (edition, study.id, "opens on a right-hand page")
    for item in brochure.documents:
        report = layout[item.id]
        if report["pages"] > 1:
            last = labels.index(report["labels"][-1])
            assert _fill(document[last]) >= 0.25, (edition, item.id, report["labels"][-1])
