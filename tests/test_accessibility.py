"""The accessible structure of the real PDFs (brochure/tagging/), read back with pikepdf and
pypdfium2 as a screen reader and a copy of the text would read them: English, French and
Spanish, and the handouts written beside them."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from babel.messages.pofile import read_po

from brochure import content, tagging
from brochure.markdown import typography

from .conftest import CONTENT

EDITIONS = {"en": "sample_pdf", "fr": "french_pdf", "es": "spanish_pdf"}
# The fact box's labels, letter-spaced capitals.
LABELS = ("Where", "Period", "Partners", "Themes", "SDGs")


def _word(lang: str, english: str) -> str:
    """A template's word in the edition's language, as its catalog translates it."""
    if lang == "en":
        return english
    with (CONTENT / "locales" / f"{lang}.po").open("rb") as po:
        return read_po(po).get(english).string


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


_TEXTS: dict[Path, list[str]] = {}


def _texts(path: Path) -> list[str]:
    """Each page's text as PDFium extracts it (read once per file)."""
    if path not in _TEXTS:
        document = pdfium.PdfDocument(path)
        _TEXTS[path] = [page.get_textpage().get_text_range() for page in document]
        document.close()
    return _TEXTS[path]


@pytest.fixture(scope="module", params=list(EDITIONS))
def edition(request) -> tuple[str, Path]:
    """(language, path) of each edition built once by the session's fixtures."""
    return request.param, request.getfixturevalue(EDITIONS[request.param])


@pytest.fixture(scope="module")
def brochure():
    return content.load(CONTENT)


def test_each_link_is_one_annotation_in_a_link_element_described_for_people(edition, brochure):
    lang, path = edition
    pdf = pikepdf.open(path)
    labels = [str(page.label) for page in pdf.pages]
    pages = {page.obj.objgen: i for i, page in enumerate(pdf.pages)}
    dests = {
        str(name): pages[dest[0].objgen]
        for name, dest in pikepdf.NameTree(pdf.Root.Names.Dests).items()
    }
    page_word = _word(lang, "page")
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
            if "/A" in annot:  # a web address: described by its text and where it goes
                uri = str(annot.A.URI)
                assert uri.startswith("https://")
                assert described == uri or described.endswith(f" ({uri})"), described
            else:
                target = dests[str(annot.Dest)]
                assert described.endswith(f", {page_word}\u00a0{labels[target]}"), described
            contents.append(described)
        if page.obj.get("/Annots"):
            assert page.obj.Tabs == pikepdf.Name.S
    if lang == "en":
        audit = next(d for d in brochure.documents if d.id == "safety-audit")
        page = labels[dests["safety-audit"]]
        assert f"{typography(audit.title, 'en')}, page\u00a0{page}" in contents
    # The contents page: one link per entry (WeasyPrint wrote three for each).
    assert len(pdf.pages[2].obj.Annots) < 40
    # The overview's page: one link per place on the map and in the list, none empty.
    overview = dests["case-studies-overview"]
    assert len(pdf.pages[overview].obj.Annots) == 2 * len(brochure.case_studies)


def test_footnotes_are_notes_right_after_their_reference(edition, sample_pdf):
    lang, path = edition
    html = sample_pdf.with_suffix(".html").read_text()
    footnotes = html.count('class="footnote"')  # the same notes in every language
    with pikepdf.open(path) as pdf:
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
    texts = _texts(path)
    glued = [m.group() for t in texts for m in re.finditer(r"[^\W\d_]{3,}[0-9]\b", t)]
    assert glued == []
    if lang == "en":
        assert any("goals¹" in t for t in texts)


def test_every_table_header_has_its_scope_and_fact_boxes_are_label_value_pairs(edition):
    _, path = edition
    scopes = {"/Row": 0, "/Column": 0}
    rows = []
    with pikepdf.open(path) as pdf:
        for element, parent in _elements(pdf):
            if element.S == pikepdf.Name.TH:
                scope = str(element.A.Scope)
                scopes[scope] += 1
                has_data = any(k.get("/S") == pikepdf.Name.TD for k in _kids(parent))
                assert scope == ("/Row" if has_data else "/Column")
            if element.S == pikepdf.Name.TR:
                cells = [k for k in _kids(element) if isinstance(k, pikepdf.Dictionary)]
                rows.append([str(c.S) for c in cells])
    # Every case study's fact box (4 row headers: where, period, partners, themes; its goals
    # are badges beside it) and the theme grid's rows.
    assert scopes["/Row"] >= 12 * 4 + 12
    assert scopes["/Column"] >= 9
    assert rows.count(["/TH", "/TD"]) >= 12 * 4


def test_the_theme_grid_reads_theme_names_not_bullets(edition, brochure):
    lang, path = edition
    grid = next(t for t in _texts(path) if "1 Kisumu" in t and "12 Saskatoon" in t)
    assert "•" not in grid
    if lang == "en":
        marked = sum(len(study.themes) for study in brochure.case_studies)
        names = sum(grid.count(typography(name, "en")) for name in brochure.themes.values())
        assert names >= marked  # each dot, plus the column headers


def test_whole_words_in_extracted_text(edition):
    lang, path = edition
    texts = _texts(path)
    labels = [_word(lang, label).upper() for label in LABELS]
    kisumu = next(t for t in texts if "Kisumu" in t and labels[0] in t)
    words = set(re.findall(r"\w+", kisumu))
    assert set(labels) <= words
    assert "AFRICA" in words or "AFRIQUE" in words or "ÁFRICA" in words
    for number, text in enumerate(texts, start=1):
        # No word left cut at the end of a line, by WeasyPrint's hyphen or its own hyphen
        # (PDFium marks the latter U+FFFE), and no word spelt out letter by letter.
        assert not re.search(r"\w[\u2010\u00ad]\s*\r?\n", text), f"{path.name} p. {number}"
        assert "\ufffe" not in text, f"{path.name} p. {number}"
        assert not re.search(r"\b(?:[^\W\d_] ){3,}[^\W\d_]\b", text), f"{path.name} p. {number}"
    if lang == "en":
        assert {"markets", "open-air"} <= set(re.findall(r"[\w-]+", kisumu))
    # Letter-spaced labels carry their words as ActualText, so extractors that cut a word at
    # each letter's spacing get it whole too.
    with pikepdf.open(path) as pdf:
        marks = pikepdf.parse_content_stream(pdf.pages[texts.index(kisumu)], "BDC")
        actual = {
            str(operands[1].ActualText)
            for operands, _ in marks
            if isinstance(operands[1], pikepdf.Dictionary) and "/ActualText" in operands[1]
        }
    assert set(labels) <= actual


def test_the_pdf_claims_pdf_ua_1_and_its_checks_pass(edition):
    _, path = edition
    with pikepdf.open(path) as pdf:
        assert pdf.check_pdf_syntax() == []  # what qpdf --check reports
        assert tagging.problems(pdf) == []
        assert tagging.pdfua_claimed(pdf)
        assert pdf.open_metadata().get("pdfuaid:part") == "1"


def test_handouts_name_their_brochure_and_print_no_page_outside_them(edition, brochure):
    lang, path = edition
    handouts = sorted((path.parent / "handouts" / lang).glob("*.pdf"))
    assert len(handouts) == sum(d.kind in ("case-study", "tool") for d in brochure.documents)
    with pikepdf.open(path) as whole:
        title = str(whole.docinfo.Title)
    for handout in handouts:
        with pikepdf.open(handout) as pdf:
            labels = {str(page.label) for page in pdf.pages}
            xmp = pdf.Root.Metadata.read_bytes().decode()
            assert str(pdf.docinfo.Title).endswith(f" — {title}")
            assert f"<dc:source>{title} (" in xmp
            assert pdf.check_pdf_syntax() == []
            assert tagging.problems(pdf) == []
            assert tagging.pdfua_claimed(pdf)
        for text in _texts(handout):
            for page in re.findall(r"\((?:p\.|pág\.)\s*([0-9]+)\)", text):
                assert page in labels, f"{handout.name} prints (p. {page})"


def test_no_claim_when_a_check_fails(sample_pdf, brochure):
    with pikepdf.open(sample_pdf) as pdf:
        figure = next(e for e, _ in _elements(pdf) if pikepdf.Name.Figure == e.S)
        del figure.Alt
        out = io.BytesIO()
        pdf.save(out)
    with pikepdf.open(io.BytesIO(tagging.accessible(out.getvalue(), brochure))) as pdf:
        assert any("alt text" in problem for problem in tagging.problems(pdf))
        assert not tagging.pdfua_claimed(pdf)
