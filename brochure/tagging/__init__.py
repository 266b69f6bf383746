"""The accessibility finishing of the PDF: what WeasyPrint 70's tags leave for a screen reader.

WeasyPrint writes a structure tree from the HTML (headings, lists, tables, figures with their
alt text, links) but leaves gaps that PDF/UA-1 and its readers care about. This package takes the
written PDF and, with pikepdf, repairs the tree and the page contents it points into:

- Links: WeasyPrint writes one annotation per box of a link (the block, its line, its
  ``::after``), nested Link elements, and Link elements with no text; the description is the
  target's internal id. Each link becomes one annotation (a link broken over lines keeps one
  rectangle per line as QuadPoints) held by one Link element with its text, and a /Contents a
  person understands: the target's title and page label, or a web link's text and address.
- Footnotes become Note elements with an ID, placed in the tree right after their call, which is
  wrapped in a Reference; the call reads as a superscript number (not "goals1").
- Table headers get their Scope: Column in a header row, Row beside data cells.
- Text that is drawn letter by letter (letter-spaced labels) carries its words as /ActualText,
  and a word hyphenated at the end of a line is given whole to the line it starts on, so text
  extraction and screen readers get whole words ("WHERE", "markets").
- Page-margin text (running heads, folios), which WeasyPrint marks but leaves out of the tree,
  becomes a pagination artifact; elements left empty are removed; the parent tree is rebuilt.
- Handouts: references to pages they do not contain, "(p. 27)", are taken off the page, and the
  brochure they come from is named in their metadata (dc:source).

`problems` checks the machine-checkable part of PDF/UA-1 on the result (tags and content, link
annotations, alt text, headings, notes, table headers, language, title, tab order, fonts); only
when it finds nothing does the XMP claim PDF/UA-1 (pdfuaid:part 1).

One file per concern: contents.py (a page's marked content, read and written line by line),
tree.py (the structure tree as Python objects), links.py, finishing.py (the other steps, in
order), metadata.py (XMP), checks.py (PDF/UA-1's machine-checkable part).
"""

from __future__ import annotations

import io

import pikepdf

from ..model import Brochure
from .checks import problems
from .finishing import Finishing
from .metadata import add_xmp, dc_source, drop_claim, pdfua_claim, pdfua_claimed
from .tree import dictionaries

__all__ = ["accessible", "pdfua_claimed", "problems"]


def accessible(pdf: bytes, brochure: Brochure, source: str | None = None) -> bytes:
    """The finished PDF `pdf`, with its structure repaired for assistive technology.

    `brochure` is the edition (titles of link targets, the words of "page 12"); `source` is set
    for a handout: the brochure it was cut from, named in its metadata.
    """
    with pikepdf.open(io.BytesIO(pdf)) as document:
        tree = document.Root.get("/StructTreeRoot")
        written = None
        if tree is not None and dictionaries(tree.get("/K")):  # else: untagged, never claimed
            finishing = Finishing(document, brochure, handout=source is not None)
            finishing.run()
            written = [page.written() for page in finishing.pages]
        if source is not None:
            add_xmp(document, dc_source(source))
        drop_claim(document)
        if not problems(document, written):
            add_xmp(document, pdfua_claim())
        out = io.BytesIO()
        # The first /ID (from the slug, language and edition) is kept; the second is a digest of
        # the content: the same sources still give the same bytes.
        document.save(
            out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate
        )
    return out.getvalue()
