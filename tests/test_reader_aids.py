"""What a reader of a professional publication expects besides the text, read from the real
PDFs in English, French and Spanish: a list of acronyms and further reading (pages with their
headings in the bookmarks, live https links), contact and licence on the imprint and the back
cover, key figures drawn as charts, and the Sustainable Development Goals as badges."""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader

from brochure import content, i18n

from .conftest import CONTENT, ROOT
from .test_design import COLOURS, STYLESHEET, _luminance
from .test_end_to_end import _outline

FIXTURES = {"en": "sample_pdf", "fr": "french_pdf", "es": "spanish_pdf"}
LICENCE = "https://creativecommons.org/licenses/by/4.0/"
WEBSITE = "https://www.cib-uclg.org/"
# Goal 5's whole name as each edition prints it (for screen readers and copied text)
GOAL_NAMES = {
    "en": "Sustainable Development Goal 5: Gender equality",
    "fr": "Objectif de développement durable 5: Égalité des sexes",
    "es": "Objetivo de Desarrollo Sostenible 5: Igualdad de género",
}


def _edition(request, lang: str):
    """(the PDF, the brochure as that edition prints it)."""
    path = request.getfixturevalue(FIXTURES[lang])
    brochure = content.load(CONTENT)
    if lang != brochure.source_language:
        catalog = i18n.read_catalog(CONTENT / "locales" / f"{lang}.po")
        templates = i18n.template_entries(ROOT / "templates")
        brochure = i18n.localize(brochure, catalog, lang, templates).brochure
    return path, brochure


def _lines(path: Path, index: int) -> list[str]:
    """A page's lines of text as a reader copies them."""
    page = pdfium.PdfDocument(path)[index]
    return [line.strip() for line in page.get_textpage().get_text_range().splitlines()]


def _text(path: Path, index: int) -> str:
    """A page's text as a reader copies it, white space run together."""
    return re.sub(r"\s+", " ", " ".join(_lines(path, index)))


def _bookmarks(path: Path) -> dict[str, int]:
    """Bookmark title (typewriter apostrophes, as in the sources) -> page index."""
    return {t.replace("’", "'"): page for _, t, page in _outline(PdfReader(path))}


def _links(reader: PdfReader, index: int) -> set[str]:
    """The web addresses a page's link annotations open."""
    uris = set()
    for annotation in reader.pages[index].get("/Annots") or []:
        action = annotation.get_object().get("/A")
        if action is not None and "/URI" in action:
            uris.add(str(action["/URI"]))
    return uris


def _document(brochure, id_: str):
    return next(d for d in brochure.documents if d.id == id_)


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_acronyms_and_further_reading_are_pages_with_bookmarks(request, lang):
    path, brochure = _edition(request, lang)
    bookmarks = _bookmarks(path)
    acronyms = _document(brochure, "acronyms")
    reading = _document(brochure, "further-reading")
    assert acronyms.title != reading.title
    for document in (acronyms, reading):
        assert document.title in bookmarks, (lang, document.title)
        assert _text(path, bookmarks[document.title]).lstrip().startswith(document.title)
    lines = _lines(path, bookmarks[acronyms.title])
    assert len(acronyms.acronyms) >= 15

    def line_of(term: str) -> int:
        return next(i for i, line in enumerate(lines) if line.startswith(f"{term} "))

    # Every term opens its line, in the order of the letters as this edition prints them
    # (UCLG is CGLU in French).
    terms = sorted((e.term for e in acronyms.acronyms), key=str.casefold)
    positions = [line_of(term) for term in terms]
    assert positions == sorted(positions), (lang, terms)


def test_every_acronym_the_sources_use_is_spelled_out():
    """FCM, VNG, ZELS … each one in the list (country codes and proper names aside)."""
    listed = {e.term for e in _document(content.load(CONTENT), "acronyms").acronyms}
    proper_names = {"SIL"}  # the SIL Open Font License: a name, not spelled out by its owner
    used = set()
    for source in [*CONTENT.rglob("*.md"), CONTENT / "brochure.yaml"]:
        text = source.read_text(encoding="utf-8")
        # Settings, not printed text: country codes, the print variant's output intent.
        text = re.sub(r"(?m)^\s*(country|output_intent): .*$", "", text)
        text = re.sub(r"(?m)(^|\s)#\s.*$", "", text) if source.suffix == ".yaml" else text
        text = re.sub(r"https?://\S+", "", text)
        if "CC BY" in text:  # two words, one acronym
            used.add("CC BY")
            text = text.replace("CC BY", "")
        used |= set(re.findall(r"\b[A-Z][A-Z0-9]+(?:-\d+)?\b", text))
    assert used - proper_names <= listed, sorted(used - proper_names - listed)
    assert "CC BY" in listed


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_further_reading_links_are_live_https_links(request, lang):
    path, brochure = _edition(request, lang)
    reader = PdfReader(path)
    source = (CONTENT / "further-reading.md").read_text(encoding="utf-8")
    addresses = set(re.findall(r"<(https?://[^>]+)>", source))
    assert len(addresses) >= 6
    assert all(a.startswith("https://") for a in addresses), addresses
    page = _bookmarks(path)[_document(brochure, "further-reading").title]
    assert addresses <= _links(reader, page), addresses - _links(reader, page)
    text = _text(path, page).replace(" ", "").replace("\ufffe", "")  # pdfium: a break at "-"
    for address in addresses:  # printed in full for the paper copy (lines may break inside)
        assert address.replace("-", "") in text.replace("-", ""), address


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_imprint_and_back_cover_give_contact_and_licence(request, lang):
    path, _ = _edition(request, lang)
    reader = PdfReader(path)
    imprint, back_cover = 1, len(reader.pages) - 1
    for index in (imprint, back_cover):
        text = _text(path, index)
        assert "CC BY 4.0" in text, (lang, index)
        assert "cib-uclg.org" in text, (lang, index)
        assert {LICENCE, WEBSITE} <= _links(reader, index), (lang, index)


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_case_studies_show_their_goals_as_named_badges(request, lang):
    """Kisumu serves goals 5, 8 and 11: three coloured squares, and each goal's whole name in
    the page's text for screen readers and copying."""
    path, brochure = _edition(request, lang)
    kisumu = _document(brochure, "kisumu")
    assert kisumu.sdgs == (5, 8, 11)
    index = _bookmarks(path)[kisumu.title]
    text = re.sub(r"\s*:\s*", ": ", _text(path, index))
    assert GOAL_NAMES[lang] in text, text[:400]
    assert len(re.findall(GOAL_NAMES[lang].split(" 5:")[0] + r" (?:5|8|11):", text)) == 3
    image = pdfium.PdfDocument(path)[index].render(scale=1).to_pil().convert("RGB")
    head = image.crop((image.width // 2, 0, image.width, image.height // 8))
    pixels = list(head.get_flattened_data())
    for goal in kisumu.sdgs:
        colour = _goal_colours()[goal][0]
        rgb = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
        assert pixels.count(rgb) > 150, (lang, goal, colour)  # at least a 6 mm square's worth


def _bar_share(image, berry: tuple, sand: tuple) -> list[float]:
    """For each pixel row, the share a filled bar (berry) takes of its track (berry + sand
    after it), where such a bar is."""
    shares = []
    pixels = list(image.get_flattened_data())
    for y in range(image.height):
        row = pixels[y * image.width : (y + 1) * image.width]
        x = 0
        while x < len(row):
            if row[x] != berry:
                x += 1
                continue
            start = x
            while x < len(row) and row[x] == berry:
                x += 1
            filled = x - start
            while x < len(row) and row[x] == sand:
                x += 1
            if filled >= 12 and x - start - filled >= 12:  # a bar, not a letter on sand
                shares.append(filled / (x - start))
    return shares


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_shares_and_before_after_figures_are_drawn_to_scale(request, lang):
    """Kisumu's 45 % of committee seats is a bar 45 % of its track; Estelí's registration time,
    21 days before and 3 after, two bars in that ratio; the numbers stay text beside them."""
    path, brochure = _edition(request, lang)
    bookmarks = _bookmarks(path)
    document = pdfium.PdfDocument(path)
    berry = tuple(int(COLOURS["berry"][i : i + 2], 16) for i in (1, 3, 5))
    sand = tuple(int(COLOURS["sand"][i : i + 2], 16) for i in (1, 3, 5))

    kisumu = bookmarks[_document(brochure, "kisumu").title]
    shares = _bar_share(_figures(document[kisumu], "45"), berry, sand)
    assert shares
    assert all(abs(s - 0.45) < 0.02 for s in shares), shares
    assert re.search(r"45 ?%", _text(path, kisumu))

    esteli = bookmarks[_document(brochure, "esteli").title]
    shares = _bar_share(_figures(document[esteli], "21"), berry, sand)  # after: 3 of 21 days
    assert shares
    assert all(abs(s - 3 / 21) < 0.02 for s in shares), shares
    words = {"en": ("before", "after"), "fr": ("avant", "après"), "es": ("antes", "después")}
    before, after = words[lang]
    text = _text(path, esteli)
    assert re.search(rf"{before} 21 \w+ {after} 3 \w+", text), text


def _figures(page, number: str):
    """The band of the page, rendered at 4x, that holds the key figure `number` and its bars."""
    text = page.get_textpage()
    searcher = text.search(number, match_whole_word=True)
    index, _ = searcher.get_next()
    _, bottom, _, top = text.get_charbox(index)
    height = page.get_height()
    image = page.render(scale=4).to_pil().convert("RGB")
    margin = 6 / 25.4 * 72  # 6 mm above and below the number's line
    y0, y1 = (height - top - margin) * 4, (height - bottom + margin) * 4
    return image.crop((0, int(y0), image.width, int(y1)))


def _goal_colours() -> dict[int, tuple[str, str]]:
    """Goal number -> (its colour, its number's colour), from the stylesheet."""
    rules = re.findall(r"\.sdg--(\d+) {\s*--sdg: (#\w+); --sdg-text: ([^;]+);", STYLESHEET)
    names = {"white": "#FFFFFF", "var(--sdg-dark)": COLOURS["sdg-dark"]}
    return {int(n): (colour.upper(), names[text]) for n, colour, text in rules}


def test_every_goal_has_a_colour_and_its_number_reads_on_it():
    """Seventeen distinct colours, each number at 4.5:1 or more (11 pt bold is not large)."""
    colours = _goal_colours()
    assert sorted(colours) == list(range(1, 18))
    assert len({colour for colour, _ in colours.values()}) == 17
    for goal, (colour, text) in colours.items():
        a, b = sorted((_luminance(colour), _luminance(text)), reverse=True)
        assert (a + 0.05) / (b + 0.05) >= 4.5, (goal, colour, text)
