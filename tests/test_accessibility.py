"""The accessible structure of the real PDF (brochure/tagging.py), read back with pikepdf and
pypdfium2 as a screen reader and a copy of the text would read it."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest

from brochure import content, tagging
from brochure.markdown import typography

from .conftest import CONTENT


def _elements(pdf: pikepdf.Pdf):
    """(element, parent) for every structure element, in document order."""
    stack = [(kid, None) for kid in reversed(list(pdf.Root.StructTreeRoot.K))]
    while stack:
        node, parent = stack.pop()
        if not (isinstance(node, pikepdf.Dictionary) and "/S" in node):
            continue
        yield node, parent
        kids = node.get("/K")
        kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
        stack.extend((kid, node) for kid in reversed(kids) if kid is not None)


def _kids(element) -> list:
    kids = element.get("/K")
    return list(kids) if isinstance(kids, pikepdf.Array) else [] if kids is None else [kids]


def _texts(path: Path) -> list[str]:
    document = pdfium.PdfDocument(path)
    return [page.get_textpage().get_text_range() for page in document]


@pytest.fixture(scope="module")
def pdf(sample_pdf):
    with pikepdf.open(sample_pdf) as document:
        yield document


@pytest.fixture(scope="module")
def texts(sample_pdf) -> list[str]:
    return _texts(sample_pdf)


@pytest.fixture(scope="module")
def brochure():
    return content.load(CONTENT)


def test_each_link_is_one_annotation_in_a_link_element_described_for_people(pdf, brochure):
    labels = [str(page.label) for page in pdf.pages]
    pages = {page.obj.objgen: i for i, page in enumerate(pdf.pages)}
    dests = {
        str(name): pages[dest[0].objgen]
        for name, dest in pikepdf.NameTree(pdf.Root.Names.Dests).items()
    }
    links = {}
    for element, _ in _elements(pdf):
        if pikepdf.Name.Link == element.S:
            kids = _kids(element)
            objrs = [k for k in kids if isinstance(k, pikepdf.Dictionary) and "/Obj" in k]
            # One annotation per Link element, and the link's text in it: no empty Link tags.
            assert len(objrs) == 1
            assert any(isinstance(k, int) for k in kids)
            links[objrs[0].Obj.objgen] = element
    contents = []
    for index, page in enumerate(pdf.pages):
        rects = []
        for annot in page.obj.get("/Annots", []):
            rect = [round(float(v), 1) for v in annot.Rect]
            assert rect not in rects, f"a link written twice on page {index + 1}"
            assert rect[2] > rect[0], f"an empty link on page {index + 1}"
            assert rect[3] > rect[1], f"an empty link on page {index + 1}"
            rects.append(rect)
            assert annot.objgen in links, f"a link on page {index + 1} is in no Link element"
            described = str(annot.Contents)
            assert not re.fullmatch(r"[a-z0-9-]+", described), described  # not "why-local"
            target = dests[str(annot.Dest)]
            assert described.endswith(f"page\u00a0{labels[target]}"), described
            contents.append(described)
        if page.obj.get("/Annots"):
            assert page.obj.Tabs == pikepdf.Name.S
    audit = next(d for d in brochure.documents if d.id == "safety-audit")
    assert f"{typography(audit.title, 'en')}, page\u00a0{labels[dests['safety-audit']]}" in contents
    # The contents page: one link per entry (WeasyPrint wrote three for each).
    assert len(pdf.pages[2].obj.Annots) < 40


def test_footnotes_are_notes_right_after_their_reference(pdf, sample_pdf, texts):
    html = sample_pdf.with_suffix(".html").read_text()
    footnotes = html.count('class="footnote"')
    notes = [(e, p) for e, p in _elements(pdf) if pikepdf.Name.Note == e.S]
    assert footnotes >= 5
    assert len(notes) == footnotes
    assert len({str(note.ID) for note, _ in notes}) == footnotes
    for note, parent in notes:
        siblings = _kids(parent)
        at = next(i for i, k in enumerate(siblings) if k.objgen == note.objgen)
        assert pikepdf.Name.Reference == siblings[at - 1].S
        assert pikepdf.Name.Lbl == _kids(note)[0].S
    # The call reads as a superscript number, not glued to its word: "goals¹", not "goals1".
    glued = [m.group() for t in texts for m in re.finditer(r"[a-z]{3,}[0-9]\b", t)]
    assert glued == []
    assert any("goals¹" in t for t in texts)


def test_every_table_header_has_its_scope(pdf):
    scopes = {"/Row": 0, "/Column": 0}
    for element, parent in _elements(pdf):
        if element.S == pikepdf.Name.TH:
            scope = str(element.A.Scope)
            scopes[scope] += 1
            has_data = any(k.get("/S") == pikepdf.Name.TD for k in _kids(parent))
            assert scope == ("/Row" if has_data else "/Column")
    # Every case study's fact box (5 row headers) and the theme grid's rows.
    assert scopes["/Row"] >= 12 * 5 + 12
    assert scopes["/Column"] >= 9


def test_fact_boxes_are_label_value_pairs(pdf):
    rows = []
    for element, _ in _elements(pdf):
        if element.S == pikepdf.Name.TR:
            cells = [k for k in _kids(element) if isinstance(k, pikepdf.Dictionary)]
            rows.append([str(c.S) for c in cells])
    assert rows.count(["/TH", "/TD"]) >= 12 * 5


def test_the_theme_grid_reads_theme_names_not_bullets(texts, brochure):
    grid = next(t for t in texts if "Themes each case study covers" in t)
    assert "•" not in grid
    marked = sum(len(study.themes) for study in brochure.case_studies)
    names = sum(grid.count(typography(name, "en")) for name in brochure.themes.values())
    assert names >= marked  # each dot, plus the column headers


def test_whole_words_in_extracted_text(sample_pdf, texts, french_pdf):
    kisumu = next(t for t in texts if "Safer, better-lit markets" in t and "CONTEXT" in t)
    words = set(re.findall(r"\w+", kisumu))
    assert {"WHERE", "AFRICA", "PARTNERS", "CONTEXT", "markets"} <= words
    # No word is left cut at the end of a line: not in English, not in French.
    for path in (sample_pdf, french_pdf):
        for number, text in enumerate(_texts(path), start=1):
            assert not re.search(r"\w[\u2010\u00ad]\s*\r?\n", text), f"{path.name} p. {number}"
            assert "\ufffe" not in text, f"{path.name} p. {number}"
    # Letter-spaced labels carry their words as ActualText, so extractors that cut a word at
    # each letter's spacing get it whole too.
    with pikepdf.open(sample_pdf) as pdf:
        index = texts.index(kisumu)
        stream = pdf.pages[index].obj.Contents.read_bytes()
        assert b"/ActualText (WHERE" in stream
        assert b"/ActualText (AFRICA" in stream


def test_handouts_name_their_brochure_and_print_no_page_outside_them(sample_pdf, brochure):
    folder = sample_pdf.parent / "handouts" / "en"
    handouts = sorted(folder.glob("*.pdf"))
    assert handouts
    found_before = 0
    for path in handouts:
        with pikepdf.open(path) as pdf:
            labels = {str(page.label) for page in pdf.pages}
            xmp = pdf.Root.Metadata.read_bytes().decode()
            assert typography(brochure.title, "en") in str(pdf.docinfo.Title)
            assert f"<dc:source>{typography(brochure.title, 'en')}" in xmp
            assert tagging.problems(pdf) == []
            assert tagging.pdfua_claimed(pdf)
        for text in _texts(path):
            for page in re.findall(r"\(p\.\s*([0-9]+)\)", text):
                assert page in labels, f"{path.name} prints (p. {page})"
        found_before += 1
    assert found_before == len(handouts)


def test_the_pdf_claims_pdf_ua_1_and_its_checks_pass(sample_pdf, french_pdf):
    for path in (sample_pdf, french_pdf):
        with pikepdf.open(path) as pdf:
            assert tagging.problems(pdf) == []
            assert tagging.pdfua_claimed(pdf)
            xmp = pdf.open_metadata()
            assert xmp.get("pdfuaid:part") == "1"


def test_no_claim_when_a_check_fails(sample_pdf, brochure):
    with pikepdf.open(sample_pdf) as pdf:
        figure = next(e for e, _ in _elements(pdf) if pikepdf.Name.Figure == e.S)
        del figure.Alt
        out = io.BytesIO()
        pdf.save(out)
    with pikepdf.open(io.BytesIO(tagging.accessible(out.getvalue(), brochure))) as pdf:
        assert any("alt text" in problem for problem in tagging.problems(pdf))
        assert not tagging.pdfua_claimed(pdf)
