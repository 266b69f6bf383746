"""The edition's pieces -> one laid-out document whose printed page numbers agree with its pages.

Each piece (brochure/parts.py) is rendered with the numbers of the page map, laid out on its own
(the `Typesetter` remembers a piece whose HTML did not change) and placed where the pieces
before it end, on the side and with the folio that place gives it. The anchors on the pages
give the map again. While a number the text printed differs from its page, the pieces are
rendered again with the new map and only those whose HTML changed are laid out again: the
pieces that printed a wrong number, and any piece that now starts elsewhere. Before the back
cover come as many ruled notes pages as make the page count a multiple of 4 (`parts.padding`),
so the back cover is always the last page, on a left-hand page. A build never
writes pages whose numbers disagree with them: after `MAX_ROUNDS` it stops with an error.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import jinja2
import weasyprint

from . import render
from .errors import BrochureError, Location, Problem
from .model import Brochure
from .outputs import write_atomically
from .parts import PLACEHOLDER, PageMap, Piece, folio, padding, pieces
from .typeset import Typeset, Typesetter

__all__ = [
    "LAYOUT_FAULTS",
    "MAX_ROUNDS",
    "Edition",
    "lay_out",
    "lay_out_one",
    "read_pagemap",
    "write_pagemap",
]

MAX_ROUNDS = 4


@dataclass(frozen=True)
class Edition:
    """An edition laid out: its pages, the map they agree with, and how it got there."""

    document: weasyprint.Document
    pagemap: PageMap
    findings: tuple[Problem, ...]
    rounds: int  # 1 when the map from the last build was right
    laid_out: int  # pieces laid out in the last call (the others were remembered)
    pieces: tuple[tuple[Piece, str, Typeset], ...]  # each piece, its HTML and its layout

    @property
    def added_pages(self) -> int:
        """The notes pages added before the back cover to make the count a multiple of 4."""
        return self.pagemap.lengths.get("notes", 0)


def lay_out(
    brochure: Brochure,
    env: jinja2.Environment,
    options: dict[str, object],
    typesetter: Typesetter,
    pagemap: PageMap,
    source: str,
    step: Callable[[str], None] = lambda _message: None,
) -> Edition:
    """Lay out the edition's pieces until its printed numbers agree with its pages."""
    plan = pieces(brochure)
    fresh = 0
    for round_ in range(1, MAX_ROUNDS + 1):
        numbers = render.PageNumbers(pagemap.numbers())
        placed: list[tuple[Piece, str, Typeset]] = []
        index, main_start = 0, None
        fits: dict[str, int] = {}
        advice: list[Problem] = []
        for piece in plan:
            if piece.first:
                main_start = index
            if piece.spread and index % 2 == 0:  # a spread opens on a left-hand page
                side, counter = folio(index, main_start)
                blank = replace(piece, kind="blank", key=f"blank:{piece.key}", side=side)
                html = render.render_piece(brochure, env, options, blank, numbers)
                placed.append((blank, html, typesetter.lay_out(html, source)))
                index += 1
            side, counter = folio(index, main_start)
            placed_piece = replace(piece, side=side, folio=counter)
            if piece.kind == "notes":  # the pages that bring the count to a multiple of 4
                placed_piece = replace(placed_piece, pages=padding(index))
                if not placed_piece.pages:
                    continue
            fitted, html, laid, count, problems, base = _fit(
                placed_piece,
                partial(render.render_piece, brochure, env, options, numbers=numbers),
                typesetter,
                source,
                pagemap.fits.get(piece.key),
            )
            if piece.kind == "notes" and len(laid.document.pages) != placed_piece.pages:
                raise BrochureError([_notes_overflow(placed_piece, len(laid.document.pages))])
            fresh += count
            fits[piece.key] = (base, fitted.fit)
            advice += problems
            placed.append((fitted, html, laid))
            index += len(laid.document.pages)
        found = _read_map(placed, main_start)
        found.fits = {key: [base, fit] for key, (base, fit) in fits.items() if fit}
        wrong = _disagreements(numbers, found)
        step(f"round {round_}: {fresh} pieces laid out, {len(wrong)} numbers to correct")
        if not wrong:
            typesetter.forget({html for _, html, _ in placed})
            document = placed[0][2].document.copy(
                [page for _, _, laid in placed for page in laid.document.pages]
            )
            findings = tuple(f for *_, laid in placed for f in laid.findings) + tuple(advice)
            return Edition(document, found, findings, round_, fresh, tuple(placed))
        pagemap = found
    raise BrochureError(
        [
            Problem(
                Location(source),
                "pages",
                "unsettled-page-numbers",
                f"the page numbers printed for {', '.join(sorted(wrong)[:5])} still moved after "
                f"{MAX_ROUNDS} layouts (a number's width keeps pushing its own target to another "
                "page); shorten the text around it",
            )
        ]
    )


# Copyfitting: how full a document's last page must be, and the fits to try in order, from the
# plain setting to a little tighter (+) or a little looser (-).
MIN_FILL = 0.3  # a page under a quarter full is nearly empty; the layout keeps a margin
FITS = (0, 1, -1, 2, -2)
LAYOUT_FAULTS = ("broken-spread", "nearly-empty-page")  # what `build --strict` refuses


def _fit(
    piece: Piece,
    html_of: Callable[[Piece], str],
    typesetter: Typesetter,
    source: str,
    last: list | None,
) -> tuple[Piece, str, Typeset, int, list[Problem], str]:
    """The piece laid out at the first fit, in the order of FITS, that leaves no page nearly
    empty and keeps a case study on its two pages: always the same order, so the same sources
    give the same pages whatever the last build did. When no fit works, the plain setting and
    what is wrong with it, as warnings.

    `last` is what the last build found, [hash of the plain HTML, fit]: for the very same HTML
    the search ends the same way, so it starts where it ended. Also returns the plain HTML's
    hash, for the next build."""
    base = hashlib.sha256(html_of(piece).encode()).hexdigest()
    order = list(FITS)
    if last is not None and last[0] == base and last[1] in order:
        order = [last[1]]  # the same search over the same HTML: the same answer
    tried: list[tuple[Piece, str, Typeset, list[Problem]]] = []
    count = 0
    for fit in order:
        candidate = replace(piece, fit=fit)
        html = html_of(candidate)
        count += not typesetter.knows(html)
        laid = typesetter.lay_out(html, source)
        problems = _fit_problems(candidate, laid)
        if not problems:
            return candidate, html, laid, count, [], base
        tried.append((candidate, html, laid, problems))
        if candidate.document is None or candidate.kind == "front":
            break  # only documents are copyfitted
    if len(order) == 1 and order != list(FITS)[:1]:  # stale memory: search properly
        found = _fit(piece, html_of, typesetter, source, None)
        return *found[:3], count + found[3], *found[4:]
    plain = next((t for t in tried if t[0].fit == 0), tried[0])
    return plain[0], plain[1], plain[2], count, plain[3], base


def _fit_problems(piece: Piece, laid: Typeset) -> list[Problem]:
    if piece.document is None:
        return []
    pages = laid.document.pages
    where = piece.document.source
    if piece.spread and len(pages) != 2:
        return [
            Problem(
                where,
                "layout",
                "broken-spread",
                f"{piece.document.title!r} takes {len(pages)} pages, not its two-page spread, even "
                "set tighter; shorten it",
                "warning",
            )
        ]
    if len(pages) > 1 and (fill := _fill(pages[-1])) < MIN_FILL:
        return [
            Problem(
                where,
                "layout",
                "nearly-empty-page",
                f"the last page of {piece.document.title!r} is only {fill:.0%} full, even set "
                "tighter or looser; shorten it or add to it",
                "warning",
            )
        ]
    return []


def _fill(page: weasyprint.Page) -> float:
    """How much of a page's text area its content takes, 0 to 1 (to the lowest line drawn)."""
    box = page._page_box  # WeasyPrint's laid-out page: the only way to see where lines end
    top = box.content_box_y()
    height = box.height
    lowest = top
    for child in box.children:  # the document's boxes: not the margins' folios, not footnotes
        if type(child).__name__ in ("MarginBox", "FootnoteAreaBox"):
            continue
        for descendant in child.descendants():
            if type(descendant).__name__ in ("LineBox", "ImageBox", "TableRowBox"):
                lowest = max(lowest, descendant.position_y + descendant.margin_height())
    return max(0.0, min(1.0, (lowest - top) / height)) if height else 1.0


def lay_out_one(
    brochure: Brochure,
    env: jinja2.Environment,
    options: dict[str, object],
    typesetter: Typesetter,
    pagemap: PageMap,
    key: str,
    source: str,
) -> Typeset:
    """One piece (by its key: a document's id, `part:<id>`, `front`) laid out alone, where the
    page map puts it, with the numbers the map gives: a preview, not checked against the rest
    of the edition (the full build that follows is)."""
    plan = pieces(brochure)
    first_main = next(p.key for p in plan if p.first)
    starts = dict(pagemap.placements([p.key for p in plan], first_main))
    piece = next(p for p in plan if p.key == key)
    side, counter = folio(starts[key], pagemap.main_start)
    numbers = render.PageNumbers(pagemap.numbers())
    placed = replace(piece, side=side, folio=counter, fit=pagemap.fits.get(key, [None, 0])[1])
    html = render.render_piece(brochure, env, options, placed, numbers)
    return typesetter.lay_out(html, source)


def read_pagemap(path: Path) -> PageMap:
    """The page map a build kept, or an empty one: only ever a first guess."""
    try:
        return PageMap.from_json(path.read_text())
    except OSError:
        return PageMap()


def write_pagemap(path: Path, pagemap: PageMap) -> None:
    write_atomically(path, pagemap.to_json().encode())


def _notes_overflow(piece: Piece, laid: int) -> Problem:
    return Problem(
        Location("templates/parts/notes.html"),
        "pages",
        "notes-pages",
        f"{piece.pages} notes pages were asked for to make the page count a multiple of 4, "
        f"and the template laid out {laid}: each notes page must fit on one page",
    )


def _read_map(placed: list[tuple[Piece, str, Typeset]], main_start: int | None) -> PageMap:
    """The page map as the laid-out pages give it."""
    found = PageMap(main_start=main_start, lengths={"notes": 0})  # no notes pages, unless placed
    index = 0
    for piece, _, laid in placed:
        if piece.kind == "blank":
            found.blanks.append(piece.key.removeprefix("blank:"))
        else:
            found.lengths[piece.key] = len(laid.document.pages)
        for page in laid.document.pages:
            for anchor in page.anchors:
                found.anchors.setdefault(anchor, index)
            index += 1
    return found


def _disagreements(numbers: render.PageNumbers, found: PageMap) -> set[str]:
    """The anchors whose printed page is not the page they stand on."""
    actual = found.numbers()
    missing = [a for a in numbers.asked if a not in actual]
    if missing:
        raise BrochureError(
            [
                Problem(
                    Location("templates"),
                    "pages",
                    "missing-anchor",
                    f"a page number is printed for #{a}, which is on no page",
                )
                for a in missing
            ]
        )
    return {a for a in numbers.asked if numbers.numbers.get(a, PLACEHOLDER) != actual[a]}
