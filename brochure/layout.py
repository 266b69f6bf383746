"""The edition's pieces -> one laid-out document whose printed page numbers agree with its pages.

Each piece (brochure/parts.py) is rendered with the numbers of the page map, laid out on its own
(the `Typesetter` remembers a piece whose HTML did not change) and placed where the pieces
before it end, on the side and with the folio that place gives it. The anchors on the pages
give the map again. While a number the text printed differs from its page, the pieces are
rendered again with the new map and only those whose HTML changed are laid out again: the
pieces that printed a wrong number, and any piece that now starts elsewhere. A build never
writes pages whose numbers disagree with them: after `MAX_ROUNDS` it stops with an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import jinja2
import weasyprint

from . import render
from .errors import BrochureError, Location, Problem
from .model import Brochure
from .outputs import write_atomically
from .parts import PLACEHOLDER, PageMap, Piece, folio, pieces
from .typeset import Typeset, Typesetter

__all__ = ["MAX_ROUNDS", "Edition", "lay_out", "lay_out_one", "read_pagemap", "write_pagemap"]

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
        for piece in plan:
            if piece.first:
                main_start = index
            side, counter = folio(index, main_start)
            placed_piece = replace(piece, side=side, folio=counter)
            html = render.render_piece(brochure, env, options, placed_piece, numbers)
            known = typesetter.knows(html)
            laid = typesetter.lay_out(html, source)
            fresh += not known
            placed.append((placed_piece, html, laid))
            index += len(laid.document.pages)
        found = _read_map(placed, main_start)
        wrong = _disagreements(numbers, found)
        step(f"round {round_}: {fresh} pieces laid out, {len(wrong)} numbers to correct")
        if not wrong:
            typesetter.forget({html for _, html, _ in placed})
            document = placed[0][2].document.copy(
                [page for _, _, laid in placed for page in laid.document.pages]
            )
            findings = tuple(f for *_, laid in placed for f in laid.findings)
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
    html = render.render_piece(
        brochure, env, options, replace(piece, side=side, folio=counter), numbers
    )
    return typesetter.lay_out(html, source)


def read_pagemap(path: Path) -> PageMap:
    """The page map a build kept, or an empty one: only ever a first guess."""
    try:
        return PageMap.from_json(path.read_text())
    except OSError:
        return PageMap()


def write_pagemap(path: Path, pagemap: PageMap) -> None:
    write_atomically(path, pagemap.to_json().encode())


def _read_map(placed: list[tuple[Piece, str, Typeset]], main_start: int | None) -> PageMap:
    """The page map as the laid-out pages give it."""
    found = PageMap(main_start=main_start)
    index = 0
    for piece, _, laid in placed:
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
