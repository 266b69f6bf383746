"""Page contents: the text of each marked-content sequence, read and changed line by line.

What the finishing needs from a page: each sequence's text (through its font's ToUnicode map),
whether it is drawn letter by letter, where it starts and how wide it is; and, to write back,
ActualText, pagination artifacts and erased "(p. 27)" references.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pikepdf
from pikepdf import Array, Dictionary, Name, String

__all__ = ["MCID", "PAINTING", "Fonts", "Marked", "Page", "contents"]

# The operators that put something on the page.
PAINTING = {
    *(b"Tj", b"TJ", b"'", b'"', b"f", b"F", b"f*", b"S", b"s", b"B", b"B*", b"b", b"b*"),
    *(b"Do", b"sh", b"BI"),
}


@dataclass
class Marked:
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


class Page:
    """A page's content stream, read once, with its marked content and what to change.

    pydyf writes one operator or operand per line ("/Span", "<</MCID 3>>", "BDC", "[...] TJ"),
    so the stream is read and changed line by line: an edited page differs from WeasyPrint's
    only in the lines that changed, and a page is read in milliseconds.
    """

    def __init__(self, pdf: pikepdf.Pdf, page: pikepdf.Page, fonts: Fonts):
        self.page = page
        self.pdf = pdf
        self.lines = contents(page).split(b"\n")
        self.marked: dict[int, Marked] = {}
        self.actual: dict[int, str] = {}  # MCID -> ActualText to set
        self.artifacts: set[int] = set()  # MCIDs to turn into pagination artifacts
        self.erased: set[int] = set()  # MCIDs whose text is taken off the page
        self.fonts: dict[int, tuple[Font, float]] = {}  # a text line -> its font and size
        resources = page.obj.get("/Resources") or Dictionary()
        font_resources = resources.get("/Font") or Dictionary()
        self.tagged: list[int] = []  # the MCIDs of its tagged sequences, in order
        self.outside: list[str] = []  # painting operators outside tagged content and artifacts
        stack: list[Marked | None] = []
        covered: list[bool] = []  # for each open sequence: tagged or an artifact
        font, size, matrix = None, 1.0, (0.0, 0.0)
        for index, line in enumerate(self.lines):
            operator = line.rsplit(b" ", 1)[-1]
            if operator == b"BDC":
                props = self.lines[index - 1] if line == b"BDC" else line
                tag = self.lines[index - 2] if line == b"BDC" else line
                mcid = MCID.search(props)
                artifact = tag.startswith(b"/Artifact")
                marked = None
                if mcid and line == b"BDC":
                    marked = Marked(int(mcid[1]), index - 2)
                    self.marked[marked.mcid] = marked
                if mcid and not artifact:
                    self.tagged.append(int(mcid[1]))
                stack.append(marked)
                covered.append(bool(mcid) or artifact or (bool(covered) and covered[-1]))
            elif operator == b"BMC":
                stack.append(None)
                tag = self.lines[index - 1] if line == b"BMC" else line
                artifact = tag.startswith(b"/Artifact")
                covered.append(artifact or (bool(covered) and covered[-1]))
            elif operator == b"EMC":
                if stack and (closed := stack.pop()) is not None:
                    closed.end = index
                if covered:
                    covered.pop()
            elif operator in PAINTING and not (covered and covered[-1]):
                self.outside.append(operator.decode("latin-1"))
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

    def written(self) -> list[tuple[int, str | None]]:
        """What `checks.problems` reads from the page as `save` writes it: (MCID, None) for
        each tagged sequence, (-1, operator) for painting outside tags and artifacts."""
        gone = self.artifacts | self.erased
        return [(m, None) for m in self.tagged if m not in gone] + [(-1, o) for o in self.outside]

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

    def _close_gap(self, lines: list[bytes], erased: Marked) -> None:
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


MCID = re.compile(rb"/MCID\s+(\d+)")
_TJ_ITEM = re.compile(rb"<([0-9A-Fa-f]*)>|(-?[0-9.]+(?:[eE]-?[0-9]+)?)")


def _number(value: float) -> bytes:
    return (b"%.4f" % value).rstrip(b"0").rstrip(b".") or b"0"


def contents(page: pikepdf.Page) -> bytes:
    contents = page.obj.get("/Contents")
    if contents is None:
        return b""
    if isinstance(contents, Array):
        return b"\n".join(part.read_bytes() for part in contents)
    return contents.read_bytes()


class Font:
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


class Fonts:
    def __init__(self):
        self.known: dict[tuple[int, int], Font] = {}

    def get(self, font) -> Font | None:
        if font is None:
            return None
        key = font.objgen
        if key not in self.known:
            self.known[key] = Font(font)
        return self.known[key]
