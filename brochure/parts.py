"""Brochure -> its pieces, and the page map that gives each piece its pages and numbers.

An edition is a sequence of pieces that depend on one another only through page numbers: the
front (cover, imprint, contents), each front-matter chapter, each part's divider, each chapter,
tool and case study, the back matter, the notes pages that make the page count a multiple of
four (`padding`), and the back cover. Each piece is laid out on its own, as its own WeasyPrint
document, opening on the side and with the folio its place gives it; the
pieces' pages are then put together into one document.

The numbers the text prints (the contents, the dividers' lists, "(p. 12)" after a
cross-reference) come from a `PageMap`: where each anchor stood in the last build, or a guess.
After layout the map is read off the pages again; a piece whose printed numbers turned out
wrong is laid out again, until the numbers and the pages agree (the way LaTeX resolves
references through its .aux file, but automatically and never left wrong).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from .model import Brochure, Document, Part

__all__ = ["PLACEHOLDER", "PageMap", "Piece", "padding", "pieces"]

PLACEHOLDER = "00"  # printed for a page not known yet; about the width of a real number


@dataclass(frozen=True)
class Piece:
    """One piece of the edition, laid out on its own."""

    key: str  # unique: "front", "part:tools", a document's id, "notes", "back-cover"
    # front | front-document | divider | document | back-document | blank | notes | back-cover
    kind: str
    part: Part | None = None
    document: Document | None = None
    number: int = 0  # the part's number (divider) or the document's number within its part
    part_number: int = 0  # the number of the part it belongs to (its colour), 0 outside parts
    first: bool = False  # the first part's divider: arabic folios start there
    running: bool = False  # starts inside a part: seeds the running head with its title
    side: str = "recto"  # where its first page falls: recto or verso (set per layout)
    folio: int = 1  # the page counter on its first page (set per layout)
    fit: int = 0  # copyfitting: +1, +2 set it a little tighter, -1, -2 a little looser
    pages: int = 0  # notes: how many pages it fills (set per layout, see `padding`)

    @property
    def spread(self) -> bool:
        """A case study is a two-page spread: it opens on a left-hand page (verso)."""
        return self.document is not None and self.document.kind == "case-study"

    @property
    def anchors(self) -> tuple[str, ...]:
        """The ids the piece carries that other pieces may print the page of."""
        if self.kind == "front":
            return ("cover", "contents")
        if self.kind == "divider":
            assert self.part is not None
            overview = (f"{self.part.id}-overview",) if self.part.kind == "case-study" else ()
            return (self.part.id, *overview)
        if self.document is not None:
            return (self.document.id,)
        if self.kind == "notes":
            return ("notes",)
        return ("back-cover",)


def pieces(brochure: Brochure) -> list[Piece]:
    """The edition's pieces in reading order."""
    out = [Piece("front", "front")]
    out += [Piece(d.id, "front-document", document=d) for d in brochure.front_documents]
    for index, part in enumerate(brochure.parts):
        out.append(
            Piece(
                f"part:{part.id}",
                "divider",
                part,
                number=index + 1,
                part_number=index + 1,
                first=index == 0,
            )
        )
        for number, document in enumerate(part.documents, start=1):
            out.append(
                Piece(
                    document.id,
                    "document",
                    part,
                    document,
                    number,
                    part_number=index + 1,
                    running=True,
                )
            )
    out += [Piece(d.id, "back-document", document=d) for d in brochure.back_documents]
    out.append(Piece("notes", "notes"))  # as many pages as `padding` asks for, maybe none
    out.append(Piece("back-cover", "back-cover"))
    return out


def padding(pages_before: int) -> int:
    """How many notes pages go before the back cover when `pages_before` pages precede them.

    A brochure is printed on sheets folded in two, four pages to a sheet: its page count is a
    multiple of 4, and its back cover, the last page, falls on a left-hand page. The pages a
    count needs to get there are ruled notes pages (never a blank page in the middle of the
    text), placed after the last chapter, before the back cover.
    """
    return -(pages_before + 1) % 4


@dataclass
class PageMap:
    """Where each piece and anchor stands: absolute page indexes, from 0 (the cover)."""

    lengths: dict[str, int] = field(default_factory=dict)  # piece key -> its number of pages
    anchors: dict[str, int] = field(default_factory=dict)  # anchor id -> page index
    main_start: int | None = None  # the index of the first page with an arabic folio
    fits: dict[str, list] = field(default_factory=dict)  # piece key -> [plain HTML hash, fit]
    blanks: list[str] = field(default_factory=list)  # pieces preceded by a blank page

    def label(self, index: int) -> str:
        """The folio printed on a page: lower-case roman before the main matter, then 1, 2 ..."""
        if self.main_start is None or index < self.main_start:
            return _roman(index + 1)
        return str(index - self.main_start + 1)

    def numbers(self) -> dict[str, str]:
        """anchor id -> the page label to print for it."""
        return {anchor: self.label(index) for anchor, index in self.anchors.items()}

    def placements(self, keys: list[str], first_main: str) -> Iterator[tuple[str, int]]:
        """(piece key, its first page index) from the lengths known so far (1 if unknown)."""
        index = 0
        for key in keys:
            index += key in self.blanks
            if key == first_main:
                self.main_start = index
            yield key, index
            index += self.lengths.get(key, 1)

    def to_json(self) -> str:
        return json.dumps(
            {
                "lengths": self.lengths,
                "anchors": self.anchors,
                "main_start": self.main_start,
                "fits": self.fits,
                "blanks": self.blanks,
            },
            indent=1,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> PageMap:
        try:
            data = json.loads(text)
            return cls(
                dict(data["lengths"]),
                dict(data["anchors"]),
                data["main_start"],
                dict(data.get("fits", {})),
                list(data.get("blanks", [])),
            )
        except (ValueError, KeyError, TypeError):
            return cls()


def folio(index: int, main_start: int | None) -> tuple[str, int]:
    """(side, page counter) for a piece whose first page has absolute `index`."""
    side = "recto" if index % 2 == 0 else "verso"
    if main_start is None or index < main_start:
        return side, index + 1
    return side, index - main_start + 1


def referenced(numbers: Mapping[str, str], asked: set[str]) -> dict[str, str]:
    """The part of `numbers` that the text printed."""
    return {anchor: numbers.get(anchor, PLACEHOLDER) for anchor in asked}


def _roman(number: int) -> str:
    out = ""
    for value, letters in (
        (1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
        (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"),
    ):  # fmt: skip
        while number >= value:
            out += letters
            number -= value
    return out
