"""The sample brochure built end to end, read back as a reader would: pypdf and pypdfium2."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader

from brochure import content
from brochure.markdown import typography

from .conftest import CONTENT

LEADER = re.compile(r"^(?P<title>.+?)\s*\.{4,}\s*(?P<page>[0-9]+|[ivxlc]+)\s*$")


@pytest.fixture(scope="module")
def reader(sample_pdf: Path) -> PdfReader:
    return PdfReader(sample_pdf)


@pytest.fixture(scope="module")
def page_texts(sample_pdf: Path) -> list[str]:
    document = pdfium.PdfDocument(sample_pdf)
    return [page.get_textpage().get_text_range() for page in document]


@pytest.fixture(scope="module")
def brochure():
    """The sample, with its plain strings as the PDF prints them (typographic apostrophes)."""
    source = content.load(CONTENT)
    return source.model_copy(
        update={
            "parts": tuple(
                p.model_copy(
                    update={
                        "title": typography(p.title, "en"),
                        "documents": tuple(
                            d.model_copy(update={"title": typography(d.title, "en")})
                            for d in p.documents
                        ),
                    }
                )
                for p in source.parts
            )
        }
    )


def _outline(reader: PdfReader) -> list[tuple[int, str, int]]:
    """(depth, title, page index) of every bookmark."""
    out: list[tuple[int, str, int]] = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                out.append((depth, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 0)
    return out


def _contents(page_texts: list[str]) -> dict[str, str]:
    """Title -> printed page number, read off the contents page."""
    page = next(t for t in page_texts if t.lstrip().startswith("Contents"))
    entries = {}
    for line in page.splitlines():
        if match := LEADER.match(line.strip()):
            entries[match["title"]] = match["page"]
    return entries


def test_the_brochure_has_at_least_40_pages(reader):
    assert len(reader.pages) >= 40


def test_every_case_study_is_bookmarked_and_stands_on_the_page_the_contents_give(
    reader, page_texts, brochure
):
    labels = reader.page_labels
    outline = {title: page for _, title, page in _outline(reader)}
    contents = _contents(page_texts)
    for study in brochure.case_studies:
        assert study.title in outline, f"{study.title} is not bookmarked"
        printed = next(p for t, p in contents.items() if t.startswith(study.title))
        index = labels.index(printed)
        assert index == outline[study.title]
        assert study.title in " ".join(page_texts[index].split())


def test_every_contents_entry_points_at_its_page(reader, page_texts, brochure):
    labels = reader.page_labels
    contents = _contents(page_texts)
    titles = [d.title for d in brochure.documents] + [p.title for p in brochure.parts]
    assert len(contents) >= len(titles)
    for title in titles:
        printed = next(p for t, p in contents.items() if t.startswith(title))
        assert title in " ".join(page_texts[labels.index(printed)].split()), title


def test_the_outline_has_parts_chapters_tools_and_case_studies(reader, brochure):
    outline = _outline(reader)
    top = [title for depth, title, _ in outline if depth == 0]
    for part in brochure.parts:
        assert part.title in top
    nested = {title for depth, title, _ in outline if depth == 1}
    for part in brochure.parts:
        for document in part.documents:
            assert document.title in nested
    # Body subheadings stay out of the outline.
    assert "Lessons learned" not in {title for _, title, _ in outline}


def test_page_labels_match_the_printed_folios(reader, page_texts, brochure):
    labels = reader.page_labels
    assert labels[0] == "i"
    first_part = dict((t, p) for _, t, p in _outline(reader))[brochure.parts[0].title]
    assert brochure.parts[0].title in " ".join(page_texts[first_part].split())
    assert labels[first_part] == "1"
    assert all(re.fullmatch(r"[ivxlc]+", label) for label in labels[:first_part])
    # Folios printed at the foot of ordinary pages are the labels.
    for index in (first_part + 1, first_part + 2, len(labels) - 3):
        last_line = page_texts[index].strip().splitlines()[-1].strip()
        first_line = page_texts[index].strip().splitlines()[0].strip()
        assert labels[index] in (last_line, first_line)


def test_metadata_title_author_subject_keywords_and_language(reader, brochure):
    info = reader.metadata
    assert info.title == brochure.title
    assert info.author == brochure.publisher
    assert info.subject == brochure.subtitle
    assert "Gender-responsive budgeting" in info["/Keywords"]
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    xmp = reader.xmp_metadata
    assert xmp.dc_title["x-default"] == brochure.title
    assert xmp.dc_language == ["en"]
    assert "Safety in public space" in xmp.dc_subject


def test_every_font_is_embedded_and_is_one_of_ours(reader):
    seen = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            seen.add(font["/BaseFont"].split("+", 1)[-1])
    assert seen, "no fonts found"
    assert all(name.startswith(("Brochure-Serif", "Brochure-Sans")) for name in seen), seen


def test_no_text_stands_outside_the_page(sample_pdf):
    document = pdfium.PdfDocument(sample_pdf)
    for index, page in enumerate(document):
        width, height = page.get_size()
        text = page.get_textpage()
        for i in range(text.count_chars()):
            left, bottom, right, top = text.get_charbox(i)
            if right - left <= 0:
                continue
            where = f"page {index + 1}: character {i} is outside the page"
            assert left >= -0.5, where
            assert right <= width + 0.5, where
            assert bottom >= -0.5, where
            assert top <= height + 0.5, where


def test_the_pdf_is_tagged_with_alt_text_on_illustrations(reader):
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert bool(root["/MarkInfo"]["/Marked"])


def test_the_intermediate_html_is_written_on_request(sample_pdf):
    html = sample_pdf.with_suffix(".html")
    assert html.is_file()
    assert '<html lang="en" dir="ltr">' in html.read_text()


def test_handouts_one_per_case_study_and_tool_cut_from_the_layout(sample_pdf, brochure):
    import pikepdf

    folder = sample_pdf.parent / "handouts" / "en"
    wanted = [d for d in brochure.documents if d.kind in ("case-study", "tool")]
    assert sorted(p.stem for p in folder.glob("*.pdf")) == sorted(d.id for d in wanted)
    labels = PdfReader(sample_pdf).page_labels
    for document in wanted:
        path = folder / f"{document.id}.pdf"
        reader = PdfReader(path)
        assert reader.metadata.title.startswith(document.title)
        assert next(item.title for item in reader.outline) == document.title
        assert all(label in labels for label in reader.page_labels)  # the brochure's folios
        assert path.stat().st_size < 500_000  # small enough to email
        with pikepdf.open(path) as pdf:
            assert pdf.Root.Lang == "en"
            assert "/StructTreeRoot" in pdf.Root
            for page in pdf.pages:
                for annot in page.get("/Annots", []):
                    # Links to pages outside the handout are gone; web links may stay.
                    assert "/Dest" not in annot or annot.Dest[0] in [p.obj for p in pdf.pages]


def test_the_pdf_passes_structural_checks_and_is_accessible(sample_pdf):
    import pikepdf

    with pikepdf.open(sample_pdf) as pdf:
        assert pdf.check_pdf_syntax() == []
        root = pdf.Root
        assert root.MarkInfo.Marked
        assert root.Lang == "en"
        assert root.ViewerPreferences.DisplayDocTitle
        figures, headings = [], []

        def walk(node):
            if isinstance(node, pikepdf.Array):
                for child in node:
                    walk(child)
            elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
                if node.S == "/Figure":
                    figures.append(node)
                if str(node.S) in ("/H1", "/H2", "/H3", "/H4"):
                    headings.append(int(str(node.S)[2]))
                if "/K" in node:
                    walk(node.K)

        walk(root.StructTreeRoot.K)
        assert len(figures) >= 13  # 12 illustrations and the map
        assert all(str(figure.get("/Alt", "")).strip() for figure in figures)
        assert headings[0] in (1, 2)
        # Headings never skip a level on the way down.
        assert all(b - a <= 1 for a, b in itertools.pairwise(headings))


def test_building_twice_gives_identical_bytes(sample_pdf, tmp_path):
    from brochure import cli

    from .conftest import CONTENT

    assert cli.main(["build", "--content", str(CONTENT), "--out", str(tmp_path), "-q"]) == 0
    assert (tmp_path / sample_pdf.name).read_bytes() == sample_pdf.read_bytes()


def test_the_screen_pdf_is_under_its_size_budget(sample_pdf, brochure):
    budget = brochure.variants["screen"].size_budget_mb
    assert sample_pdf.stat().st_size < budget * 1_000_000
