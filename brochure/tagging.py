"""The accessibility finishing of the PDF: what WeasyPrint 70's tags leave for a screen reader.

WeasyPrint writes a structure tree from the HTML (headings, lists, tables, figures with their
alt text, links) but leaves gaps that PDF/UA-1 and its readers care about. This module takes the
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
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from .markdown import typography

__all__ = ["accessible", "pdfua_claimed", "problems"]

# What WeasyPrint draws after a link to another part: "(p. 12)", in the edition's words.
_PAGE_REFERENCE = re.compile(r"^\u00a0?\s*\(\S+\u00a0?\s*\S+\)\s*$")
_NOTE_MARKER = re.compile(r"^\s*(\d+)\.\u2002\s*$")
_HYPHEN = "\u2010"  # what WeasyPrint draws where it hyphenates (hyphenate-character: auto)
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_PAINTING = {"Tj", "TJ", "'", '"', "f", "F", "f*", "S", "s", "B", "B*", "b", "b*", "Do", "sh"}
_PDFUA_NS = "http://www.aiim.org/pdfua/ns/id/"


def accessible(pdf: bytes, brochure, source: str | None = None) -> bytes:
    """The finished PDF `pdf`, with its structure repaired for assistive technology.

    `brochure` is the edition (titles of link targets, the words of "(p. 12)"); `source` is set
    for a handout: the brochure it was cut from, named in its metadata.
    """
    with pikepdf.open(io.BytesIO(pdf)) as document:
        finishing = _Finishing(document, brochure, handout=source is not None)
        finishing.run()
        if source is not None:
            _add_xmp(document, _dc_source(source))
        _drop_claim(document)
        if not problems(document):
            _add_xmp(document, _pdfua_claim())
        out = io.BytesIO()
        # The first /ID (from the slug, language and edition) is kept; the second is a digest of
        # the content: the same sources still give the same bytes.
        document.save(
            out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate
        )
    return out.getvalue()


def pdfua_claimed(document: pikepdf.Pdf) -> bool:
    """Whether the XMP metadata claims PDF/UA-1."""
    xmp = document.Root.Metadata.read_bytes() if "/Metadata" in document.Root else b""
    return b"pdfuaid:part>1<" in xmp


# ---------------------------------------------------------------------------------------------
# Page contents: the text of each marked-content sequence


@dataclass
class _Marked:
    """One marked-content sequence with an MCID on a page."""

    mcid: int
    start: int  # index of its BDC operator
    end: int = -1  # index of its EMC operator
    text: str = ""
    spaced: bool = False  # drawn letter by letter (letter-spacing)
    shows: list[int] = field(default_factory=list)  # its text-showing operators
    width: float = 0.0  # the advance of its text, in text space units times font size
    x: float = 0.0  # where its text starts and its baseline (from its last Tm)
    y: float = 0.0


class _Page:
    """A page's content stream, read once, with its marked content and what to change.

    pydyf writes one operator or operand per line ("/Span", "<</MCID 3>>", "BDC", "[...] TJ"),
    so the stream is read and changed line by line: an edited page differs from WeasyPrint's
    only in the lines that changed, and a page is read in milliseconds.
    """

    def __init__(self, pdf: pikepdf.Pdf, page: pikepdf.Page, fonts: _Fonts):
        self.page = page
        self.pdf = pdf
        self.lines = _contents(page).split(b"\n")
        self.marked: dict[int, _Marked] = {}
        self.actual: dict[int, str] = {}  # MCID -> ActualText to set
        self.artifacts: set[int] = set()  # MCIDs to turn into pagination artifacts
        self.erased: set[int] = set()  # MCIDs whose text is taken off the page
        self.fonts: dict[int, tuple[_Font, float]] = {}  # a text line -> its font and size
        resources = page.obj.get("/Resources") or Dictionary()
        font_resources = resources.get("/Font") or Dictionary()
        stack: list[_Marked | None] = []
        font, size, matrix = None, 1.0, (0.0, 0.0)
        for index, line in enumerate(self.lines):
            operator = line.rsplit(b" ", 1)[-1]
            if operator == b"BDC":
                props = self.lines[index - 1] if line == b"BDC" else line
                mcid = _MCID.search(props)
                marked = None
                if mcid and line == b"BDC":
                    marked = _Marked(int(mcid[1]), index - 2)
                    self.marked[marked.mcid] = marked
                stack.append(marked)
            elif operator == b"BMC":
                stack.append(None)
            elif operator == b"EMC":
                if stack and (closed := stack.pop()) is not None:
                    closed.end = index
            elif operator == b"Tf":
                name, size_text = line.split(b" ")[-3:-1]
                font = fonts.get(font_resources.get(name.decode()))
                size = float(size_text)
            elif operator == b"Tm":
                numbers = line.split(b" ")
                matrix = (float(numbers[4]), float(numbers[5]))
            elif operator in (b"TJ", b"Tj"):
                current = next((m for m in reversed(stack) if m is not None), None)
                if current is None or font is None:
                    continue
                if not current.shows:
                    current.x, current.y = matrix
                current.shows.append(index)
                self.fonts[index] = (font, size)
                text, width, spaced = font.decode(_TJ_ITEM.findall(line.rsplit(b" ", 1)[0]))
                current.text += text
                current.width += width * size
                current.spaced |= spaced

    def save(self) -> None:
        """Write the page's content stream again with the changes asked for."""
        if not (self.actual or self.artifacts or self.erased):
            return
        lines = list(self.lines)
        for mcid, text in self.actual.items():
            marked = self.marked[mcid]
            lines[marked.start + 1] = b"<</MCID %d /ActualText %s>>" % (
                mcid,
                String(text).unparse(),
            )
        for mcid in self.artifacts:
            marked = self.marked[mcid]
            lines[marked.start : marked.start + 2] = [b"/Artifact", b"<</Type /Pagination>>"]
        for mcid in self.erased:
            marked = self.marked[mcid]
            self._close_gap(lines, marked)
            for index in (marked.start, marked.start + 1, marked.start + 2, marked.end):
                lines[index] = b""
            for index in marked.shows:
                lines[index] = b""
        self.page.obj.Contents = self.pdf.make_stream(b"\n".join(lines))

    def _close_gap(self, lines: list[bytes], erased: _Marked) -> None:
        """Close the place of an erased "(p. 27)": the text after it on its line moves back,
        and on a justified line the width it took is shared among the line's spaces."""
        same = [
            m
            for m in self.marked.values()
            if m.shows
            and m is not erased
            and m.mcid not in self.erased
            and abs(m.y - erased.y) < 0.5
        ]
        line = [erased]
        while follow := [m for m in same if abs(m.x - line[-1].x - line[-1].width) < 1.5]:
            line.append(follow[0])
            same.remove(follow[0])
        while before := [m for m in same if abs(m.x + m.width - line[0].x) < 1.5]:
            line.insert(0, before[0])
            same.remove(before[0])
        # Justified if another line of the column, starting where it starts, ends where it ends.
        start, end = line[0].x, line[-1].x + line[-1].width
        others = [
            m
            for m in self.marked.values()
            if m.shows and abs(m.x - start) < 0.5 and abs(m.y - erased.y) >= 0.5
        ]
        ends = {
            m.mcid: max(
                (o.x + o.width for o in self.marked.values() if o.shows and abs(o.y - m.y) < 0.5),
                default=m.x + m.width,
            )
            for m in others
        }
        justified = any(abs(e - end) < 1 for e in ends.values())
        spaces = sum(m.text.count(" ") for m in line if m is not erased)
        extra = erased.width / spaces if spaces and justified else 0.0
        shift = 0.0
        for marked in line:
            if marked is erased:
                shift -= erased.width
                continue
            if shift:
                for index in range(marked.start, marked.shows[0]):
                    numbers = lines[index].split(b" ")
                    if numbers[-1] == b"Tm":
                        numbers[4] = b"%f" % (float(numbers[4]) + shift)
                        lines[index] = b" ".join(numbers)
            if extra:
                for index in marked.shows:
                    font, size = self.fonts[index]
                    lines[index] = font.spread(lines[index], extra * 1000 / size)
                shift += extra * marked.text.count(" ")


_MCID = re.compile(rb"/MCID\s+(\d+)")
_TJ_ITEM = re.compile(rb"<([0-9A-Fa-f]*)>|(-?[0-9.]+(?:[eE]-?[0-9]+)?)")


def _number(value: float) -> bytes:
    return (b"%.4f" % value).rstrip(b"0").rstrip(b".") or b"0"


def _contents(page: pikepdf.Page) -> bytes:
    contents = page.obj.get("/Contents")
    if contents is None:
        return b""
    if isinstance(contents, Array):
        return b"\n".join(part.read_bytes() for part in contents)
    return contents.read_bytes()


class _Font:
    """A composite font's ToUnicode map and widths: enough to read and measure its text."""

    def __init__(self, font: Dictionary | None):
        self.unicode: dict[int, str] = {}
        self.widths: dict[int, float] = {}
        self.strings: dict[bytes, tuple[str, float, int]] = {}
        self.two_bytes = True
        if font is None:
            return
        self.two_bytes = font.get("/Subtype") == Name.Type0
        if "/ToUnicode" in font:
            cmap = font.ToUnicode.read_bytes().decode("latin-1")
            for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
                for code, text in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>", block):
                    self.unicode[int(code, 16)] = bytes.fromhex(text).decode("utf-16-be")
            for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
                for low, high, text in re.findall(
                    r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block
                ):
                    first = int(text, 16)
                    for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                        self.unicode[code] = chr(first + offset)
        descendant = font.get("/DescendantFonts", [None])[0] if self.two_bytes else None
        if descendant is not None and "/W" in descendant:
            widths = list(descendant.W)
            index = 0
            while index < len(widths):
                first = int(widths[index])
                if isinstance(widths[index + 1], Array):
                    for offset, width in enumerate(widths[index + 1]):
                        self.widths[first + offset] = float(width)
                    index += 2
                else:
                    for code in range(first, int(widths[index + 1]) + 1):
                        self.widths[code] = float(widths[index + 2])
                    index += 3

    def decode(self, items) -> tuple[str, float, bool]:
        """The text, the advance (in thousandths of the font size, /1000) of a Tj string or a
        TJ array, and whether it is drawn letter by letter."""
        text, width, glyphs, adjusted = "", 0.0, 0, 0
        for hexa, number in items:
            if not number:
                known = self.strings.get(hexa)
                if known is None:
                    known = self.strings[hexa] = self._string(hexa)
                text += known[0]
                width += known[1]
                glyphs += known[2]
            else:
                width -= float(number)
                adjusted += float(number) != 0
        # Letter-spacing puts an adjustment after every glyph; justification only after spaces.
        spaced = glyphs > 2 and adjusted >= 0.8 * (glyphs - 1)
        return text, width / 1000, spaced

    def spread(self, line: bytes, extra: float) -> bytes:
        """A TJ line with `extra` (thousandths of the font size) more after each space."""
        body, operator = line.rsplit(b" ", 1)
        step = 4 if self.two_bytes else 2
        out = b"["
        for hexa, number in _TJ_ITEM.findall(body):
            if number:
                out += b" " + number + b" "
                continue
            run = b""
            for at in range(0, len(hexa), step):
                glyph = hexa[at : at + step]
                run += glyph
                if self.unicode.get(int(glyph, 16)) == " ":
                    out += b"<" + run + b"> %s " % _number(-extra)
                    run = b""
            if run or not hexa:
                out += b"<" + run + b">"
        return out + b"] " + operator

    def _string(self, hexa: bytes) -> tuple[str, float, int]:
        data = bytes.fromhex(hexa.decode())
        step = 2 if self.two_bytes else 1
        text, width, glyphs = "", 0.0, 0
        for at in range(0, len(data) - step + 1, step):
            code = int.from_bytes(data[at : at + step], "big")
            text += self.unicode.get(code, "")
            width += self.widths.get(code, 1000.0)
            glyphs += 1
        return text, width, glyphs


class _Fonts:
    def __init__(self):
        self.known: dict[tuple[int, int], _Font] = {}

    def get(self, font) -> _Font | None:
        if font is None:
            return None
        key = font.objgen
        if key not in self.known:
            self.known[key] = _Font(font)
        return self.known[key]


# ---------------------------------------------------------------------------------------------
# The structure tree, mirrored in Python objects while it is changed


@dataclass(eq=False)
class _Node:
    """A structure element: its dictionary, its type, its page and its kids, which are MCIDs
    (on its page), other nodes, or object references (dictionaries with /Obj)."""

    obj: Dictionary
    kind: str
    page: int | None
    kids: list = field(default_factory=list)

    def walk(self) -> Iterator[_Node]:
        yield self
        for kid in self.kids:
            if isinstance(kid, _Node):
                yield from kid.walk()

    def mcids(self) -> Iterator[tuple[int, int]]:
        """(page, MCID) of every marked-content sequence under this node, in order."""
        for kid in self.kids:
            if isinstance(kid, int):
                if self.page is not None:
                    yield self.page, kid
            elif isinstance(kid, _Node):
                yield from kid.mcids()

    def objrs(self) -> list[Dictionary]:
        return [k for k in self.kids if isinstance(k, Dictionary)]


def _load(element: Dictionary, pages: dict) -> _Node:
    page = pages.get(element.Pg.objgen) if "/Pg" in element else None
    node = _Node(element, str(element.S)[1:], page)
    kids = element.get("/K")
    for kid in kids if isinstance(kids, Array) else [] if kids is None else [kids]:
        if isinstance(kid, int):
            node.kids.append(int(kid))
        elif isinstance(kid, Dictionary) and "/S" in kid:
            node.kids.append(_load(kid, pages))
        elif isinstance(kid, Dictionary) and kid.get("/Type") == Name.OBJR:
            node.kids.append(kid)
        elif isinstance(kid, Dictionary) and kid.get("/Type") == Name.MCR:
            page = pages.get(kid.Pg.objgen) if "/Pg" in kid else page
            if page == node.page:
                node.kids.append(int(kid.MCID))
            else:
                node.kids.append(kid)  # kept as it is (WeasyPrint writes none)
    return node


def _store(node: _Node, parent: Dictionary) -> None:
    """Write the mirror back into the dictionaries."""
    node.obj.S = Name("/" + node.kind)
    node.obj.P = parent
    kids = []
    for kid in node.kids:
        if isinstance(kid, _Node):
            _store(kid, node.obj)
            kids.append(kid.obj)
        else:
            kids.append(kid)
    node.obj.K = Array(kids)


class _Finishing:
    def __init__(self, document: pikepdf.Pdf, brochure, handout: bool):
        self.pdf = document
        self.brochure = brochure
        self.handout = handout
        self.root = document.Root.StructTreeRoot
        self.page_index = {page.obj.objgen: i for i, page in enumerate(document.pages)}
        self.top = _load(self.root.K[0], self.page_index)
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
        fonts = _Fonts()
        self.pages = [_Page(document, page, fonts) for page in document.pages]
        self.destinations = self._destinations()
        self.labels = [_label(document, i) for i in range(len(document.pages))]
        self.words = getattr(brochure, "interface", {}) or {}

    # -- the steps, in order

    def run(self) -> None:
        self._links()
        self._notes()
        self._table_headers()
        self._words()
        self._prune(self.top)
        self._artifacts()
        _store(self.top, self.root)
        self._parent_tree()
        for page in self.pages:
            page.save()
            if len(page.page.obj.get("/Annots", [])):
                page.page.obj.Tabs = Name.S

    # -- helpers

    def _text(self, node: _Node) -> str:
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

    def _titles(self) -> dict[str, str]:
        lang = getattr(self.brochure, "lang", "en")
        titles: dict[str, str] = {}
        for document in getattr(self.brochure, "documents", ()):
            titles[document.id] = typography(document.title, lang)
        overview = self.words.get("The case studies at a glance") or "The case studies at a glance"
        for part in getattr(self.brochure, "parts", ()):
            titles[part.id] = typography(part.title, lang)
            titles[f"{part.id}-overview"] = typography(overview, lang)
        return titles

    # -- links

    def _links(self) -> None:
        """One Link element and one annotation for each link, described for people."""
        titles = self._titles()
        page_word = self.words.get("p.") or "p."
        self._merge_links(self.top)
        for node in list(self.top.walk()):
            if node.kind != "Link":
                continue
            self._one_annotation(node)
            if not node.objrs():
                # A link whose annotation is gone (a handout's link to a page it does not
                # contain): its text is plain text now, and the "(p. 27)" it printed goes.
                node.kind = "Span"
                if self.handout:
                    self._erase_page_reference(node)
                continue
            annotation = node.objrs()[0].Obj
            text = " ".join(self._text(node).split())
            target = _target(node)
            if target and target.startswith("#"):
                page = self.destinations.get(target[1:])
                title = titles.get(target[1:]) or _PAGE_SUFFIX.sub("", text) or text
                where = f"{page_word}\u00a0{self.labels[page]}" if page is not None else ""
                annotation.Contents = String(", ".join(p for p in (title, where) if p))
            elif target:
                shown = text if text and text != target else ""
                annotation.Contents = String(f"{shown} ({target})" if shown else target)

    def _merge_links(self, parent: _Node) -> None:
        merged: list = []
        for kid in parent.kids:
            if isinstance(kid, _Node) and kid.kind == "Link":
                _flatten_link(kid)
                last = merged[-1] if merged else None
                if (
                    isinstance(last, _Node)
                    and last.kind == "Link"
                    and _target(last) == _target(kid)
                    and last.page == kid.page
                ):
                    last.kids.extend(kid.kids)  # one link broken over lines
                    continue
            elif isinstance(kid, _Node):
                self._merge_links(kid)
            merged.append(kid)
        parent.kids = merged

    def _erase_page_reference(self, node: _Node) -> None:
        content = self.pages[node.page] if node.page is not None else None
        kept = []
        for kid in node.kids:
            marked = content.marked.get(kid) if content and isinstance(kid, int) else None
            if marked is not None and _PAGE_REFERENCE.match(marked.text):
                content.erased.add(kid)
                continue
            kept.append(kid)
        node.kids = kept

    def _one_annotation(self, link: _Node) -> None:
        """Keep one annotation for the link: the rectangles of its others, as QuadPoints."""
        objrs = link.objrs()
        if not objrs:
            return
        rects = [_normal([float(v) for v in objr.Obj.Rect]) for objr in objrs]
        boxes = [r for r in rects if r[2] - r[0] > 0.5 and r[3] - r[1] > 0.5] or rects[:1]
        boxes = [
            r
            for i, r in enumerate(boxes)
            if not any(j != i and _inside(r, o) and (o != r or j < i) for j, o in enumerate(boxes))
        ]
        kept = objrs[0].Obj
        kept.Rect = Array(
            [
                min(b[0] for b in boxes),
                min(b[1] for b in boxes),
                max(b[2] for b in boxes),
                max(b[3] for b in boxes),
            ]
        )
        if len(boxes) > 1:
            kept.QuadPoints = Array(
                [v for x0, y0, x1, y1 in boxes for v in (x0, y1, x1, y1, x0, y0, x1, y0)]
            )
        if len(objrs) == 1:
            return
        gone = {objr.Obj.objgen for objr in objrs[1:]}
        for page in {objr.Pg.objgen: objr.Pg for objr in objrs[1:] if "/Pg" in objr}.values():
            annots = page.get("/Annots")
            if annots is not None:
                page.Annots = Array([a for a in annots if a.objgen not in gone])
        link.kids = [k for k in link.kids if not isinstance(k, Dictionary) or k is objrs[0]]

    # -- notes

    def _notes(self) -> None:
        """Footnotes as Note elements with an ID, right after their call (a Reference)."""
        kept = []
        calls = None
        for area in self.top.kids:
            notes = self._footnote_area(area) if isinstance(area, _Node) else None
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

    def _footnote_area(self, area: _Node) -> list[tuple[str, _Node]] | None:
        """The notes of a page's footnote area: a NonStruct at the top of the tree whose
        children each begin with a marker "1.\u2002"."""
        if area.kind != "NonStruct" or area.page is None:
            return None
        notes = []
        for kid in area.kids:
            first = kid.kids[0] if isinstance(kid, _Node) and kid.kids else None
            match = _NOTE_MARKER.match(self._text(first)) if isinstance(first, _Node) else None
            if not match:
                return None
            notes.append((match[1], kid))
        return notes or None

    def _calls(self) -> dict[tuple[int | None, str], list[tuple[_Node, _Node]]]:
        """Where a footnote call may be: a NonStruct drawing only a number, in the text.
        {(page, number): [(its parent, the NonStruct)]}."""
        found: dict[tuple[int | None, str], list] = {}
        for node in self.top.walk():
            if node.kind == "NonStruct":
                continue
            for kid in node.kids:
                if not (isinstance(kid, _Node) and kid.kind == "NonStruct" and kid.kids):
                    continue
                if all(isinstance(k, _Node) and k.kind == "Span" for k in kid.kids):
                    text = self._text(kid).strip()
                    if text.isdigit():
                        found.setdefault((kid.page, text), []).append((node, kid))
        return found

    # -- tables

    def _table_headers(self) -> None:
        """Scope on every table header: Row beside data cells, Column in a header row."""
        for row in self.top.walk():
            if row.kind != "TR":
                continue
            cells = [k for k in row.kids if isinstance(k, _Node)]
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

    def _prune(self, node: _Node) -> bool:
        """Remove elements with nothing under them (WeasyPrint's boxes without text); a table
        keeps its empty cells."""
        node.kids = [k for k in node.kids if not isinstance(k, _Node) or self._prune(k)]
        return bool(node.kids) or node.kind in _KEPT_EMPTY

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


def _target(link: _Node) -> str | None:
    """Where a link goes: "#name" for a destination in the document, or its URI."""
    for objr in link.objrs():
        annotation = objr.Obj
        if "/Dest" in annotation:
            return f"#{annotation.Dest}"
        action = annotation.get("/A")
        if action is not None and "/URI" in action:
            return str(action.URI)
        if action is not None and "/D" in action:
            return f"#{action.D}"
    return None


def _flatten_link(link: _Node) -> None:
    """Bring everything under a Link (nested Links, the Spans WeasyPrint made for its boxes)
    into the Link itself: its annotations and its text, in order."""
    flat: list = []

    def gather(node: _Node) -> None:
        for kid in node.kids:
            if (
                isinstance(kid, _Node)
                and kid.kind in ("Link", "Span", "NonStruct")
                and kid.page == link.page
            ):
                gather(kid)
            else:
                flat.append(kid)

    gather(link)
    link.kids = flat


def _label(document: pikepdf.Pdf, index: int | None) -> str:
    if index is None:
        return "?"
    try:
        return str(document.pages[index].label)
    except (AttributeError, ValueError):
        return str(index + 1)


# Elements kept even with nothing in them: a table keeps its shape with its empty cells.
_KEPT_EMPTY = {"Figure", "Table", "THead", "TBody", "TFoot", "TR", "TH", "TD"}
_PAGE_SUFFIX = re.compile(r"\s*\(\S+\s*\S+\)\s*$")


def _normal(rect: list[float]) -> list[float]:
    x0, y0, x1, y1 = rect
    return [min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)]


def _inside(inner: list[float], outer: list[float], slack: float = 0.5) -> bool:
    return (
        inner[0] >= outer[0] - slack
        and inner[1] >= outer[1] - slack
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


# ---------------------------------------------------------------------------------------------
# Metadata


def _pdfua_claim() -> bytes:
    return (
        f'<rdf:Description rdf:about="" xmlns:pdfuaid="{_PDFUA_NS}">'
        "<pdfuaid:part>1</pdfuaid:part></rdf:Description>"
    ).encode()


def _dc_source(source: str) -> bytes:
    from xml.sax.saxutils import escape

    return (
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:source>{escape(source)}</dc:source></rdf:Description>"
    ).encode()


def _drop_claim(document: pikepdf.Pdf) -> None:
    """Remove a PDF/UA claim written before (a file finished again is judged again)."""
    if "/Metadata" in document.Root:
        xmp = document.Root.Metadata.read_bytes()
        kept = re.sub(
            rb"<rdf:Description[^>]*pdfuaid[^>]*>.*?</rdf:Description>", b"", xmp, flags=re.S
        )
        if kept != xmp:
            document.Root.Metadata.write(kept)


def _add_xmp(document: pikepdf.Pdf, description: bytes) -> None:
    """Add an rdf:Description to the document's XMP packet."""
    if "/Metadata" not in document.Root:
        return
    xmp = document.Root.Metadata.read_bytes()
    closing = xmp.rfind(b"</rdf:RDF>")
    if closing < 0:
        return
    document.Root.Metadata.write(xmp[:closing] + description + xmp[closing:])


# ---------------------------------------------------------------------------------------------
# Checks: the machine-checkable part of PDF/UA-1


def problems(document: pikepdf.Pdf) -> list[str]:
    """What keeps `document` from PDF/UA-1, as far as a program can tell; [] when nothing.

    Checked: the catalog (Marked, /Lang, the title shown, dc:title), every painting operator
    inside tagged content or an artifact, every MCID in the tree once and its parent tree entry
    right, figures with alt text, headings that do not skip a level, notes with unique IDs,
    table headers with a Scope, Link elements with an annotation and text, every link
    annotation in a Link element with /Contents and written once, the structure tab order on
    pages with annotations, every font embedded. Not checked (a person's judgement): whether
    the reading order, the alt texts and the tags' choice fit the content.
    """
    found: list[str] = []
    root = document.Root
    if not ("/MarkInfo" in root and root.MarkInfo.get("/Marked")):
        found.append("the catalog's MarkInfo does not say Marked")
    if not str(root.get("/Lang", "")).strip():
        found.append("the document has no /Lang")
    if not ("/ViewerPreferences" in root and root.ViewerPreferences.get("/DisplayDocTitle")):
        found.append("the viewer does not show the title (DisplayDocTitle)")
    xmp = root.Metadata.read_bytes() if "/Metadata" in root else b""
    if b"<dc:title>" not in xmp:
        found.append("the XMP metadata has no dc:title")
    if "/StructTreeRoot" not in root:
        return [*found, "the document is not tagged"]
    tree = root.StructTreeRoot
    pages = {page.obj.objgen: i for i, page in enumerate(document.pages)}
    top = [_load(kid, pages) for kid in _dictionaries(tree.get("/K"))]
    reached: dict[tuple[int | None, int], _Node] = {}
    linked: dict[tuple[int, int], _Node] = {}
    headings: list[int] = []
    ids: set[str] = set()
    labels = [_label(document, i) for i in range(len(document.pages))]
    for node in (n for t in top for n in t.walk()):
        where = f"p. {labels[node.page] if node.page is not None else '?'}"
        if node.kind == "Figure" and not str(node.obj.get("/Alt", "")).strip():
            found.append(f"a figure on {where} has no alt text")
        if node.kind in ("H1", "H2", "H3", "H4", "H5", "H6"):
            headings.append(int(node.kind[1]))
        if node.kind == "Note":
            note_id = str(node.obj.get("/ID", ""))
            if not note_id or note_id in ids:
                found.append(f"a note on {where} has no unique ID")
            ids.add(note_id)
        if node.kind == "TH":
            attributes = node.obj.get("/A")
            if not (isinstance(attributes, Dictionary) and "/Scope" in attributes):
                found.append(f"a table header on {where} has no Scope")
        if node.kind == "Link":
            if not node.objrs():
                found.append(f"a Link element on {where} has no annotation")
            if not any(isinstance(k, int) for k in node.kids):
                found.append(f"a Link element on {where} has no text")
        for kid in node.kids:
            if isinstance(kid, int):
                if node.page is None or (node.page, kid) in reached:
                    found.append(f"marked content {kid} on {where} is misplaced")
                reached[(node.page, kid)] = node
            elif isinstance(kid, Dictionary) and "/Obj" in kid:
                linked[kid.Obj.objgen] = node
            elif isinstance(kid, Dictionary):
                found.append(f"a marked-content reference on {where} is not checked")
    if any(b - a > 1 for a, b in itertools.pairwise(headings)):
        found.append("headings skip a level")

    parent_tree = _number_tree(tree.get("/ParentTree"))
    fonts_checked: set = set()
    for index, page in enumerate(document.pages):
        where = f"p. {labels[index]}"
        annots = list(page.obj.get("/Annots", []))
        if annots and page.obj.get("/Tabs") != Name.S:
            found.append(f"{where} has annotations but not the structure's tab order")
        rects = set()
        for annot in annots:
            if annot.get("/Subtype") != Name.Link:
                continue
            if not str(annot.get("/Contents", "")).strip():
                found.append(f"a link on {where} has no /Contents")
            node = linked.get(annot.objgen)
            parent = parent_tree.get(int(annot.get("/StructParent", -1)))
            if node is None or node.kind != "Link":
                found.append(f"a link on {where} is not in a Link element")
            elif parent is None or parent.objgen != node.obj.objgen:
                found.append(f"a link on {where} is not in the parent tree")
            rect = tuple(round(float(v), 1) for v in annot.Rect)
            if rect in rects:
                found.append(f"a link on {where} is written twice")
            rects.add(rect)
        mapped = parent_tree.get(int(page.obj.get("/StructParents", -1)))
        for mcid, operator in _content_check(_contents(page)):
            if operator is not None:
                found.append(f"{where} paints outside tagged content and artifacts ({operator})")
                continue
            node = reached.get((index, mcid))
            if node is None:
                found.append(f"content {mcid} on {where} is not in the structure tree")
            elif mapped is None or mcid >= len(mapped) or mapped[mcid].objgen != node.obj.objgen:
                found.append(f"content {mcid} on {where} has a wrong parent tree entry")
        for font in (page.obj.get("/Resources", Dictionary()).get("/Font") or {}).values():
            if font.objgen in fonts_checked:
                continue
            fonts_checked.add(font.objgen)
            described = font.get("/DescendantFonts", [font])[0].get("/FontDescriptor", {})
            if not any(k in described for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                found.append(f"font {font.get('/BaseFont')} is not embedded")
    return list(dict.fromkeys(found))


_TOKENS = re.compile(
    rb"<<|>>|<[0-9A-Fa-f\s]*>|\((?:\\.|[^\\)])*\)|/[^\s/<>\[\]()]*|[^\s/<>\[\]()]+|[\[\]]"
)
_OPERAND = re.compile(rb"^[-+.0-9]|^true$|^false$|^null$")
_SPECIAL = re.compile(rb"[/<>\[\]()%]")
_WORD = re.compile(rb"^[A-Za-z'\"][A-Za-z0-9*]*$")


def _content_check(data: bytes) -> Iterator[tuple[int, str | None]]:
    """Over a content stream: (MCID, None) for each tagged sequence, (-1, operator) for each
    painting operator outside tagged content and artifacts."""
    stack: list[bool] = []  # for each open sequence: tagged or an artifact
    operands: list[bytes] = []
    for line in data.split(b"\n"):
        if line.endswith(b"] TJ") and line.startswith(b"[") and b"(" not in line:
            tokens = [b"TJ"]  # pydyf's text lines, read at once
        elif _SPECIAL.search(line) is None:
            tokens = line.split()
            if tokens and not _WORD.match(tokens[-1]):
                operands.extend(tokens)
                continue
            operands.extend(tokens[:-1])
            tokens = tokens[-1:]
        else:
            tokens = _TOKENS.findall(line)
        for token in tokens:
            if token[:1] in b"/<([]" or token == b">>" or _OPERAND.match(token):
                operands.append(token)
                continue
            operator = token.decode("latin-1")
            if operator in ("BDC", "BMC"):
                props = b" ".join(operands)
                mcid = _MCID.search(props)
                artifact = operands[:1] == [b"/Artifact"]
                if mcid and not artifact:
                    yield int(mcid[1]), None
                stack.append(bool(mcid) or artifact or (bool(stack) and stack[-1]))
            elif operator == "EMC":
                if stack:
                    stack.pop()
            elif (operator in _PAINTING or operator == "BI") and not (stack and stack[-1]):
                yield -1, operator
            operands = []


def _dictionaries(value) -> list[Dictionary]:
    if value is None:
        return []
    return [v for v in (value if isinstance(value, Array) else [value]) if "/S" in v]


def _number_tree(tree) -> dict[int, object]:
    out: dict[int, object] = {}
    if tree is None:
        return out
    nums = tree.get("/Nums")
    if nums is not None:
        for index in range(0, len(nums), 2):
            out[int(nums[index])] = nums[index + 1]
    for kid in tree.get("/Kids", []):
        out |= _number_tree(kid)
    return out
