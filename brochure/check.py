"""The finished pages + the sources -> findings a careful editor wants; reads only, changes nothing.

`completeness` compares the PDF's text with the source: every paragraph of the content must be
printed exactly once (nothing dropped by an overflow, nothing doubled by the layout).
`image_resolution` warns about raster images too coarse to print sharply at their placed size.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

from .errors import Location, Problem
from .i18n import Entry
from .markdown import Markdown, typography
from .model import Brochure

__all__ = ["completeness", "image_resolution"]

# A paragraph this long is printed once and only once; headings and short cells are repeated
# by design (running headers, contents, "Context" in every case study).
MIN_WORDS = 8
PROBE = 48  # characters: less than a line, so a line or page break rarely falls inside
PRINT_DPI = 300
# The widest an image is placed (the case-study illustration, beside its key figures).
PLACED_WIDTH_MM = 112


def completeness(pdf: bytes, segments: list[Entry], lang: str) -> list[Problem]:
    """A problem for each long segment not printed exactly once in the PDF."""
    document = pdfium.PdfDocument(pdf)
    text = _normalise(" ".join(page.get_textpage().get_text_range() for page in document))
    markdown = Markdown(lang)
    problems = []
    for entry in segments:
        if not entry.slot.startswith("body.") or len(entry.text.split()) < MIN_WORDS:
            continue
        # Footnote calls print as numbers and line ends fall anywhere: look for the start and
        # the end of the longest stretch between footnote calls, about a line each.
        pieces = re.split(r"\[\^[^\]]+\]", entry.text)
        longest = max(
            (_normalise(_plain(markdown.render_inline(p), lang)) for p in pieces), key=len
        )
        probes = {longest.strip()[:PROBE].strip(), longest.strip()[-PROBE:].strip()}
        counts = {probe: text.count(probe) for probe in probes}
        # Printed once: one of the probes stands exactly once (the other may also occur in
        # another paragraph, or be cut by a page break).
        if 1 not in counts.values():
            probe, count = max(counts.items(), key=lambda item: item[1])
            what = "missing from" if count == 0 else f"printed {count} times in"
            problems.append(
                Problem(
                    entry.where,
                    entry.slot,
                    "not-printed-once",
                    f"this paragraph is {what} the PDF: {probe[:60]!r}…",
                )
            )
    return problems


def image_resolution(brochure: Brochure, content_dir: Path) -> list[Problem]:
    """Warnings for raster images below 300 dpi at the width they are placed."""
    problems = []
    for study in brochure.case_studies:
        path = content_dir / study.image.src
        if path.suffix.lower() not in (".png", ".jpg", ".jpeg", ".gif", ".webp"):
            continue  # vector images print sharp at any size
        with Image.open(path) as image:
            dpi = image.width / (PLACED_WIDTH_MM / 25.4)
        if dpi < PRINT_DPI:
            needed = round(PLACED_WIDTH_MM / 25.4 * PRINT_DPI)
            problems.append(
                Problem(
                    Location(study.source.path, study.line_of("image.src")),
                    "image.src",
                    "low-resolution",
                    f"{path.name} is {image.width} px wide: {dpi:.0f} dpi at its printed width "
                    f"of {PLACED_WIDTH_MM} mm; print needs {PRINT_DPI} dpi ({needed} px)",
                    "warning",
                )
            )
    return problems


def _plain(rendered: str, lang: str) -> str:
    return typography(html.unescape(re.sub(r"<[^>]+>", "", rendered)), lang)


def _normalise(text: str) -> str:
    """Text as extracted from a PDF, with line-end hyphens and layout whitespace taken out."""
    text = re.sub(r"[\u2010\u00ad]\r?\n", "", text)  # a word the typesetter hyphenated
    text = re.sub(r"-\r?\n", "-", text)  # a hyphen of the text at the end of a line
    text = text.replace("\ufffe", "").replace("\u00ad", "")
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\u00a0", " "))
