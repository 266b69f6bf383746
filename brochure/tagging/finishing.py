"""The finishing's steps over one document: links, notes, table headers, whole words, and the
tree's housekeeping (empty elements, artifacts, the parent tree)."""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from .contents import Fonts, Page
from .links import links
from .tree import KEPT_EMPTY, Node, dictionaries, label, load, store

if TYPE_CHECKING:
    from ..model import Brochure

__all__ = ["Finishing"]

_NOTE_MARKER = re.compile(r"^\s*(\d+)\.\u2002\s*$")
_HYPHEN = "\u2010"  # what WeasyPrint draws where it hyphenates (hyphenate-character: auto)
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


class Finishing:
    """One document's finishing: its structure tree mirrored as `Node`s and its pages' marked
    content as `Page`s, changed by the steps of `run` and written back into `document`.

    `brochure` is the edition (titles, the interface's words); `handout` says the document is
    a handout, whose links to pages it does not contain lose their "(p. 27)" too.
    """

    def __init__(self, document: pikepdf.Pdf, brochure: Brochure, handout: bool):
        self.pdf = document
        self.brochure = brochure
        self.handout = handout
        self.root = document.Root.StructTreeRoot
        self.page_index = {page.obj.objgen: i for i, page in enumerate(document.pages)}
        # WeasyPrint writes one Document element at the top; anything beside it goes under it.
        tops = [load(kid, self.page_index) for kid in dictionaries(self.root.get("/K"))]
        self.top = tops[0]
        self.top.kids += tops[1:]
        # Object references to annotations that no page shows (a handout's links to pages it
        # does not contain, which WeasyPrint still tags) are dropped.
        shown = {a.objgen for page in document.pages for a in page.obj.get("/Annots", [])}
        for node in self.top.walk():
            node.kids = [
                k
                for k in node.kids
                if not isinstance(k, Dictionary)
                or k.get("/Type") != Name.OBJR
                or ("/Obj" in k and k.Obj.objgen in shown)
            ]
        fonts = Fonts()
        self.pages = [Page(document, page, fonts) for page in document.pages]
        self.destinations = self._destinations()
        self.labels = [label(document, i) for i in range(len(document.pages))]
        self.words = getattr(brochure, "interface", {}) or {}

    # -- the steps, in order

    def run(self) -> None:
        links(self)
        self._notes()
        self._table_headers()
        self._words()
        self._prune(self.top)
        self._artifacts()
        store(self.top, self.root)
        self.root.K = Array([self.top.obj])
        self._parent_tree()
        for page in self.pages:
            page.save()
            if len(page.page.obj.get("/Annots", [])):
                page.page.obj.Tabs = Name.S

    # -- helpers

    def text(self, node: Node) -> str:
        """The text under `node`, as its ActualText gives it or as drawn."""
        out = ""
        for page, mcid in node.mcids():
            content = self.pages[page]
            marked = content.marked.get(mcid)
            if marked is not None and mcid not in content.erased:
                out += content.actual.get(mcid, marked.text)
        return out

    def _destinations(self) -> dict[str, int | None]:
        names: dict[str, int | None] = {}
        tree = self.pdf.Root.get("/Names", Dictionary()).get("/Dests")
        if tree is not None:
            for name, dest in pikepdf.NameTree(tree).items():
                dest = dest.D if isinstance(dest, Dictionary) else dest
                names[str(name)] = self.page_index.get(dest[0].objgen)
        return names

    # -- notes

    def _notes(self) -> None:
        """Footnotes as Note elements with an ID, right after their call (a Reference)."""
        kept = []
        calls = None
        for area in self.top.kids:
            notes = self._footnote_area(area) if isinstance(area, Node) else None
            if not notes:
                kept.append(area)
                continue
            calls = self._calls() if calls is None else calls
            for number, note in notes:
                found = calls.get((area.page, number), [])
                note.kind = "Note"
                note.obj.ID = String(f"note-{self.labels[area.page]}-{number}")
                note.kids[0].kind = "Lbl"
                if len(found) != 1:
                    kept.append(note)
                    continue
                parent, reference = found[0]
                reference.kind = "Reference"
                for page, mcid in reference.mcids():
                    drawn = self.pages[page].marked[mcid].text
                    after = drawn[len(drawn.rstrip()) :]
                    self.pages[page].actual[mcid] = number.translate(_SUPERSCRIPT) + after
                at = next(i for i, k in enumerate(parent.kids) if k is reference)
                parent.kids.insert(at + 1, note)
        self.top.kids = kept

    def _footnote_area(self, area: Node) -> list[tuple[str, Node]] | None:
        """The notes of a page's footnote area: a NonStruct at the top of the tree whose
        children each begin with a marker "1.\u2002"."""
        if area.kind != "NonStruct" or area.page is None:
            return None
        notes = []
        for kid in area.kids:
            first = kid.kids[0] if isinstance(kid, Node) and kid.kids else None
            match = _NOTE_MARKER.match(self.text(first)) if isinstance(first, Node) else None
            if not match:
                return None
            notes.append((match[1], kid))
        return notes or None

    def _calls(self) -> dict[tuple[int | None, str], list[tuple[Node, Node]]]:
        """Where a footnote call may be: a NonStruct drawing only a number, in the text.
        {(page, number): [(its parent, the NonStruct)]}."""
        found: dict[tuple[int | None, str], list] = {}
        for node in self.top.walk():
            if node.kind == "NonStruct":
                continue
            for kid in node.kids:
                if not (isinstance(kid, Node) and kid.kind == "NonStruct" and kid.kids):
                    continue
                if all(isinstance(k, Node) and k.kind == "Span" for k in kid.kids):
                    text = self.text(kid).strip()
                    if text.isdigit():
                        found.setdefault((kid.page, text), []).append((node, kid))
        return found

    # -- tables

    def _table_headers(self) -> None:
        """Scope on every table header: Row beside data cells, Column in a header row."""
        for row in self.top.walk():
            if row.kind != "TR":
                continue
            cells = [k for k in row.kids if isinstance(k, Node)]
            scope = Name.Row if any(c.kind == "TD" for c in cells) else Name.Column
            for cell in cells:
                if cell.kind == "TH":
                    attributes = cell.obj.get("/A")
                    if not isinstance(attributes, Dictionary):
                        attributes = Dictionary(O=Name.Table)
                    attributes.Scope = scope
                    cell.obj.A = attributes

    # -- whole words

    def _words(self) -> None:
        """ActualText for letter-spaced text, and hyphenated words given whole to the line
        they start on."""
        for page in self.pages:
            for mcid, marked in page.marked.items():
                if marked.spaced and marked.text.strip():
                    page.actual[mcid] = marked.text
        # In reading order, over the whole document: a word may go on in the next column or
        # on the next page.
        sequence = [(p, m) for p, m in self.top.mcids() if m in self.pages[p].marked]
        for (page, mcid), (next_page, next_mcid) in itertools.pairwise(sequence):
            this, after = self.pages[page], self.pages[next_page]
            text = this.actual.get(mcid, this.marked[mcid].text)
            following = after.actual.get(next_mcid, after.marked[next_mcid].text)
            stripped = text.rstrip()
            if stripped.endswith(_HYPHEN):
                head = stripped[:-1]
            elif stripped.endswith("-"):
                head = stripped  # a compound broken at its own hyphen: "open-" "air"
            else:
                continue
            if not stripped[-2:-1].isalpha() or not following[:1].isalpha():
                continue
            word = len(following.split()[0]) if following.split() else 0
            this.actual[mcid] = head + following[:word]
            # A line that was only the word's end reads as a space: an empty ActualText is
            # ignored by readers (PDFium among them), which would read the word's end twice.
            after.actual[next_mcid] = following[word:] or " "

    # -- the tree's housekeeping

    def _prune(self, node: Node) -> bool:
        """Remove elements with nothing under them (WeasyPrint's boxes without text); a table
        keeps its empty cells."""
        node.kids = [k for k in node.kids if not isinstance(k, Node) or self._prune(k)]
        return bool(node.kids) or node.kind in KEPT_EMPTY

    def _artifacts(self) -> None:
        """Marked content the tree does not reach (page-margin text) becomes an artifact."""
        reached = set(self.top.mcids())
        for index, page in enumerate(self.pages):
            page.artifacts = {m for m in page.marked if (index, m) not in reached} - page.erased

    def _parent_tree(self) -> None:
        """The parent tree again, from the tree as it now stands."""
        parents: dict[int, dict[int, Dictionary]] = {}
        annotations: list[tuple[Dictionary, Dictionary]] = []
        for node in self.top.walk():
            for kid in node.kids:
                if isinstance(kid, int) and node.page is not None:
                    parents.setdefault(node.page, {})[kid] = node.obj
                elif isinstance(kid, Dictionary) and "/Obj" in kid:
                    annotations.append((kid.Obj, node.obj))
        nums = []
        for index, page in enumerate(self.pdf.pages):
            page.obj.StructParents = index
            mapping = parents.get(index, {})
            size = max(mapping, default=-1) + 1
            nums += [index, Array([mapping.get(m) for m in range(size)])]
        key = len(self.pdf.pages)
        for annotation, element in annotations:
            annotation.StructParent = key
            nums += [key, element]
            key += 1
        self.root.ParentTree = self.pdf.make_indirect(Dictionary(Nums=Array(nums)))
        self.root.ParentTreeNextKey = key
