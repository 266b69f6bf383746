"""PO file bytes <-> `Catalog`: gettext's format read strictly and written without churn.

Reading reports what msgfmt would refuse, with the file and line: bytes that are not in the
declared charset (or a charset that does not match the bytes), syntax errors, and the same
message defined twice. `#|` previous strings, plural forms and obsolete (`#~`) entries are read
back too.

Writing keeps what it found: every string whose value did not change is written with the very
lines it was read from, so a file saved by Poedit or Weblate (wrapped at 79 columns or not at
all) does not churn. New or changed strings follow the file's own style: unwrapped, split only
after embedded newlines as `msgcat --no-wrap` does, or wrapped at the file's width the way
msgmerge wraps.
"""

from __future__ import annotations

import codecs
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import BrochureError, Location, Problem

__all__ = ["Catalog", "Message", "dumps", "parse", "read"]

WIDTH = 79  # gettext's default page width


@dataclass(frozen=True)
class Message:
    """One PO entry. `id == ""` (and no context) is the header."""

    id: str
    string: str = ""
    context: str | None = None
    plural_id: str | None = None
    plural_strings: tuple[str, ...] = ()  # msgstr[0..n] of a plural entry
    flags: tuple[str, ...] = ()
    previous_id: str | None = None  # `#| msgid`: the source text the translation was made for
    previous_context: str | None = None  # `#| msgctxt`
    locations: tuple[str, ...] = ()  # `#:` references, "path:line"
    extracted: tuple[str, ...] = ()  # `#.` comments for translators, from the sources
    comments: tuple[str, ...] = ()  # `# ` the translators' own comments
    obsolete: bool = False
    line: int = 0  # 1-based line of the entry's first keyword (msgctxt or msgid)
    string_line: int = 0  # 1-based line of msgstr (msgstr[0])
    # field name -> (value, the lines it was read from): written back as found while unchanged
    raw: dict[str, tuple[str, str]] = field(default_factory=dict, compare=False, repr=False)

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.context, self.id)

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    @property
    def translated(self) -> bool:
        """Has a translation that is not marked fuzzy (every plural form filled in)."""
        if self.fuzzy:
            return False
        if self.plural_id is not None:
            return bool(self.plural_strings) and all(self.plural_strings)
        return bool(self.string)

    def with_flag(self, flag: str, on: bool = True) -> Message:
        flags = tuple(f for f in self.flags if f != flag)
        if on:
            flags = (flag, *flags) if flag == "fuzzy" else (*flags, flag)
        return replace(self, flags=flags)


@dataclass
class Catalog:
    """A PO or POT file: the header, the messages in file order, and how it was wrapped."""

    header: Message = field(default_factory=lambda: Message(""))
    messages: list[Message] = field(default_factory=list)
    width: int = 0  # 0: strings are not wrapped (msgcat --no-wrap); else the page width
    path: Path | None = None

    def __iter__(self) -> Iterator[Message]:
        return iter(self.messages)

    @property
    def active(self) -> list[Message]:
        return [m for m in self.messages if not m.obsolete]

    def find(self, context: str | None, id_: str) -> Message | None:
        return self._index().get((context, id_))

    def _index(self) -> dict[tuple[str | None, str], Message]:
        return {m.key: m for m in self.messages if not m.obsolete}

    # The header's fields ("Language", "Plural-Forms" ...), in order.
    def header_fields(self) -> list[tuple[str, str]]:
        fields = []
        for line in self.header.string.split("\n"):
            name, colon, value = line.partition(":")
            if colon and name.strip():
                fields.append((name.strip(), value.strip()))
        return fields

    def header_field(self, name: str) -> str | None:
        return next((v for k, v in self.header_fields() if k.lower() == name.lower()), None)

    def header_line(self, name: str) -> int:
        """The line on which a header field is written (the header's line when unknown)."""
        raw = self.header.raw.get("msgstr", ("", ""))[1].split("\n")
        for offset, text in enumerate(raw):
            if text.lstrip('"').lower().startswith(name.lower() + ":"):
                return self.header.string_line + offset
        return self.header.string_line or 1

    def with_header_fields(self, **values: str) -> Catalog:
        """A copy with header fields set (`POT_Creation_Date=` for POT-Creation-Date);
        fields keep their order, new ones go at the end."""
        wanted = {k.replace("_", "-"): v for k, v in values.items()}
        fields = [(k, wanted.pop(k, v)) for k, v in self.header_fields()]
        fields += list(wanted.items())
        string = "".join(f"{k}: {v}\n" for k, v in fields)
        return replace(self, header=replace(self.header, string=string))


def read(path: Path) -> Catalog:
    """Read a PO or POT file; raise `BrochureError` naming the file and line of what is wrong."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise BrochureError(
            [Problem(Location(str(path)), "", "unreadable", f"cannot read: {error.strerror}")]
        ) from None
    return parse(data, str(path))


def parse(data: bytes, path: str) -> Catalog:
    text = _decode(data, path)
    catalog, problems = _Parser(text, path).parse()
    if problems:
        raise BrochureError(problems)
    catalog.path = Path(path)
    return catalog


_CHARSET = re.compile(rb"charset=([A-Za-z0-9_.:-]+)")


def _decode(data: bytes, path: str) -> str:
    """The file's text. UTF-8 is expected; another charset is read only when it is declared in
    the header and the bytes really are in it (a declared ISO-8859-1 over UTF-8 bytes would
    print "Ã©" for every "é")."""
    found = _CHARSET.search(data)
    declared = found[1].decode("ascii") if found else "UTF-8"
    line_of = _line_of(data)
    try:
        codec = codecs.lookup(declared).name
    except LookupError:
        codec = "utf-8" if declared.upper() == "CHARSET" else ""  # a fresh template says CHARSET
        if not codec:
            raise BrochureError(
                [
                    Problem(
                        Location(path, line_of(found.start())),
                        "Content-Type",
                        "bad-charset",
                        f"unknown charset {declared!r}; save the file as UTF-8 and declare "
                        "charset=UTF-8",
                    )
                ]
            ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        if codec != "utf-8":
            return data.decode(codec, errors="replace")  # a legacy charset, declared and true
        line = line_of(error.start)
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise BrochureError(
            [
                Problem(
                    Location(path, line),
                    "",
                    "not-utf8",
                    f"column {column}: byte 0x{data[error.start]:02X} is not UTF-8, as the "
                    "header declares; save the file as UTF-8",
                )
            ]
        ) from None
    if codec != "utf-8" and not text.isascii():
        raise BrochureError(
            [
                Problem(
                    Location(path, line_of(found.start())),
                    "Content-Type",
                    "wrong-charset",
                    f"declares charset={declared} but the file is UTF-8 (its accented letters "
                    "would print as 'Ã©'); declare charset=UTF-8",
                )
            ]
        )
    return text.removeprefix("\ufeff")


def _line_of(data: bytes):
    return lambda offset: data.count(b"\n", 0, offset) + 1


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_ESCAPE = re.compile(r'\\(?:([ntrabfv"\\])|([0-7]{1,3})|x([0-9A-Fa-f]{1,2}))')
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"\s*$')
_KEYWORD = re.compile(r"(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(.*)$")


def _unescape(text: str) -> str:
    def sub(match: re.Match) -> str:
        simple, octal, hexa = match.groups()
        if simple:
            return _ESCAPES.get(simple, simple)
        return chr(int(octal, 8) if octal else int(hexa, 16))

    return _ESCAPE.sub(sub, text)


class _Parser:
    """A line-by-line reader that remembers where each string came from."""

    def __init__(self, text: str, path: str):
        self.lines = text.splitlines()
        self.path = path
        self.problems: list[Problem] = []

    def parse(self) -> tuple[Catalog, list[Problem]]:
        entries = list(self._entries())
        if self.problems:
            return Catalog(), self.problems
        catalog = Catalog(width=_width_of(self.lines))
        seen: dict[tuple[str | None, str], int] = {}
        for message in entries:
            if message.id == "" and message.context is None and not message.obsolete:
                if catalog.header.line:
                    self._fail(message.line, 'there are two headers (msgid ""); keep one')
                catalog.header = message
                continue
            if not message.obsolete:
                if message.key in seen:
                    self.problems.append(
                        Problem(
                            Location(self.path, message.line),
                            message.context or "",
                            "duplicate-message",
                            f"this message is already defined at line {seen[message.key]} "
                            "(the same msgctxt and msgid); keep one",
                        )
                    )
                    continue
                seen[message.key] = message.line
            catalog.messages.append(message)
        return catalog, self.problems

    def _fail(self, line: int, message: str) -> None:
        self.problems.append(
            Problem(Location(self.path, line), "", "bad-po", f"not a valid PO file: {message}")
        )

    def _entries(self) -> Iterator[Message]:
        """Group lines into entries: comments, then keywords with their string lines."""
        block: list[tuple[int, str]] = []
        for number, line in enumerate(self.lines, start=1):
            stripped = line.strip()
            if not stripped:
                if self._has_keyword(block):
                    yield from self._entry(block)
                    block = []
                continue
            starts_entry = not stripped.startswith(('"', '#~ "', '#| "', '#~| "')) and (
                _bare(stripped).startswith(("msgctxt", "msgid "))
                or (stripped.startswith("#") and not _bare(stripped).startswith(("msg", '"')))
            )
            if starts_entry and self._has_keyword(block) and self._ends_with_msgstr(block):
                yield from self._entry(block)
                block = []
            block.append((number, line))
        if block:
            yield from self._entry(block)

    @staticmethod
    def _has_keyword(block: list[tuple[int, str]]) -> bool:
        return any(_bare(text.strip()).startswith("msg") for _, text in block)

    @staticmethod
    def _ends_with_msgstr(block: list[tuple[int, str]]) -> bool:
        keywords = [_bare(t.strip()) for _, t in block if _bare(t.strip()).startswith("msg")]
        return bool(keywords) and keywords[-1].startswith("msgstr")

    def _entry(self, block: list[tuple[int, str]]) -> Iterator[Message]:
        fields: dict[str, list[str]] = {}
        raw: dict[str, list[str]] = {}
        lines: dict[str, int] = {}
        comments, extracted, locations, flags = [], [], [], []
        obsolete = False
        current: str | None = None
        for number, line in block:
            stripped = line.strip()
            if stripped.startswith("#~"):
                obsolete = True
            if stripped.startswith(("#|", "#~|")):
                body = stripped[stripped.index("|") + 1 :].strip()
                current = self._keyword(body, number, fields, raw, lines, "previous ", line)
                continue
            if stripped.startswith("#~"):
                body = stripped[2:].strip()
                if body.startswith(("msg", '"')):
                    current = self._keyword(body, number, fields, raw, lines, "", line, current)
                    continue
                stripped = "#" + body  # an obsolete entry's comment
            if stripped.startswith("#"):
                current = None
                kind, text = stripped[:2], stripped[2:].strip()
                if kind == "#.":
                    extracted.append(text)
                elif kind == "#:":
                    locations += text.split()
                elif kind == "#,":
                    flags += [f.strip() for f in text.split(",") if f.strip()]
                else:
                    comments.append(stripped[1:].removeprefix(" "))
                continue
            current = self._keyword(stripped, number, fields, raw, lines, "", line, current)
        if "msgid" not in fields:
            if fields or obsolete:
                first = block[0][0]
                if not obsolete:
                    self._fail(first, "a message without msgid")
            return
        if not any(k.startswith("msgstr") for k in fields):
            self._fail(lines["msgid"], f"missing msgstr after the msgid on line {lines['msgid']}")
            return
        value = {k: "".join(v) for k, v in fields.items()}
        plural = sorted(
            (int(k[7:-1]), v) for k, v in value.items() if re.fullmatch(r"msgstr\[\d+\]", k)
        )
        if plural and [i for i, _ in plural] != list(range(len(plural))):
            self._fail(lines["msgid"], "plural msgstr[n] are not numbered 0, 1, 2 ...")
            return
        if ("msgid_plural" in value) != bool(plural):
            self._fail(lines["msgid"], "msgid_plural needs msgstr[0], msgstr[1] ... and only it")
            return
        yield Message(
            id=value["msgid"],
            string=value.get("msgstr", plural[0][1] if plural else ""),
            context=value.get("msgctxt"),
            plural_id=value.get("msgid_plural"),
            plural_strings=tuple(v for _, v in plural),
            flags=tuple(dict.fromkeys(flags)),
            previous_id=value.get("previous msgid"),
            previous_context=value.get("previous msgctxt"),
            locations=tuple(locations),
            extracted=tuple(extracted),
            comments=tuple(comments),
            obsolete=obsolete,
            line=min(lines.get("msgctxt", lines["msgid"]), lines["msgid"]),
            string_line=lines.get("msgstr", lines.get("msgstr[0]", 0)),
            raw={k: (value[k], "\n".join(raw[k])) for k in value},
        )

    def _keyword(self, body, number, fields, raw, lines, prefix, line, current=None):
        if body.startswith('"'):
            name = current if current and current.startswith(prefix) else None
            match = _STRING.match(body)
            if name is None or match is None:
                self._fail(number, f"unexpected text {body[:40]!r}")
                return current
            fields[name].append(_unescape(match[1]))
            raw[name].append(line.rstrip())
            return name
        match = _KEYWORD.match(body)
        string = _STRING.match(match[3]) if match else None
        if match is None or string is None:
            self._fail(number, f"expected a keyword and a quoted string, got {body[:40]!r}")
            return None
        name = prefix + match[1]
        if name in fields:
            self._fail(number, f"{match[1]} is given twice in one message")
            return None
        fields[name], raw[name], lines[name] = [_unescape(string[1])], [line.rstrip()], number
        return name


def _bare(line: str) -> str:
    """A line without its obsolete marker."""
    return line[2:].strip() if line.startswith("#~") and not line.startswith("#~|") else line


def _width_of(lines: list[str]) -> int:
    """0 when the file's strings are not wrapped, else the page width it was wrapped at.

    A file is wrapped when a string continues on a next line that does not follow an escaped
    newline; msgmerge, Poedit and Weblate wrap at 79 columns (Weblate offers 77).
    """
    widest, wrapped = 0, False
    for previous, line in itertools.pairwise(lines):
        continued = line.startswith('"') and previous.startswith(('"', "msg"))
        if continued and not previous.rstrip().endswith(('\\n"', ' ""')):
            wrapped = True
        if line.startswith(('"', "msg")):
            widest = max(widest, len(line))
    if not wrapped:
        return 0
    return 77 if widest <= 77 else WIDTH


# ---------------------------------------------------------------------------------------------
# Writing


def dumps(catalog: Catalog) -> str:
    """The catalog as PO text, the way gettext's tools write it."""
    blocks = [_entry(catalog.header, catalog.width)]
    blocks += [_entry(m, catalog.width) for m in catalog.messages if not m.obsolete]
    blocks += [_entry(m, catalog.width) for m in catalog.messages if m.obsolete]
    return "\n".join(blocks)


def _entry(message: Message, width: int) -> str:
    out: list[str] = [f"# {c}".rstrip() if c else "#" for c in message.comments]
    if not message.obsolete:
        out += [f"#. {c}".rstrip() for c in message.extracted]
        out += _references(message.locations)
    if message.flags:
        out.append("#, " + ", ".join(message.flags))
    prefix = "#~ " if message.obsolete else ""
    previous = "#~| " if message.obsolete else "#| "
    if message.previous_context is not None:
        out.append(_field(previous, "msgctxt", message.previous_context, message, width))
    if message.previous_id is not None:
        out.append(_field(previous, "msgid", message.previous_id, message, width))
    if message.context is not None:
        out.append(_field(prefix, "msgctxt", message.context, message, width))
    out.append(_field(prefix, "msgid", message.id, message, width))
    if message.plural_id is not None:
        out.append(_field(prefix, "msgid_plural", message.plural_id, message, width))
        for i, text in enumerate(message.plural_strings):
            out.append(_field(prefix, f"msgstr[{i}]", text, message, width))
    else:
        out.append(_field(prefix, "msgstr", message.string, message, width))
    return "\n".join(out) + "\n"


def _references(locations: tuple[str, ...]) -> list[str]:
    """`#:` lines, several references to a line up to the page width, as gettext writes them."""
    lines: list[str] = []
    for location in locations:
        if lines and len(lines[-1]) + 1 + len(location) <= WIDTH:
            lines[-1] += " " + location
        else:
            lines.append("#: " + location)
    return lines


def _field(prefix: str, keyword: str, value: str, message: Message, width: int) -> str:
    name = ("previous " if prefix.endswith("| ") else "") + keyword
    found = message.raw.get(name)
    if found is not None and found[0] == value and _prefix_of(found[1]) == prefix:
        return found[1]
    return "\n".join(prefix + line for line in _quoted(keyword, value, width, len(prefix)))


def _prefix_of(raw: str) -> str:
    for prefix in ("#~| ", "#| ", "#~ "):
        if raw.startswith(prefix):
            return prefix
    return ""


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\t", "\\t")
        .replace("\r", "\\r")
    )


def _quoted(keyword: str, value: str, width: int, indent: int) -> list[str]:
    """`keyword "value"` as one line or as `keyword ""` and a line per piece.

    Pieces end after each embedded newline; with a width, long pieces are also broken after
    spaces (and after '-' or '/' inside words) so that no line passes the width, quotes
    included.
    """
    pieces = [p for p in re.split(r"(?<=\n)", value) if p] or [""]
    if width:
        first = f'{keyword} "{_escape(value)}"'
        if len(pieces) == 1 and indent + len(first) <= width:
            return [first]
    elif len(pieces) == 1:
        return [f'{keyword} "{_escape(value)}"']
    lines = [f'{keyword} ""']
    for piece in pieces:
        escaped = _escape(piece)
        chunks = _wrap(escaped, width - indent - 2) if width else [escaped]
        lines += [f'"{chunk}"' for chunk in chunks]
    return lines


# Where gettext (through the Unicode line-breaking rules, UAX #14) may break Latin text:
# after spaces, but never before closing or separating punctuation, even after spaces
# ("crise ; reconnaissance" keeps " ;" together); after a hyphen or a slash followed by a
# letter; between a closing and an opening bracket ("[data](#data)").
_BREAK = re.compile(
    r"(?<= )(?=[^ )\]}!?,.;:/»])"  # after spaces
    r"|(?<=[^\s][-/])(?=[^\W\d_])"  # after a hyphen or slash inside a word
    r"|(?<=[\])])(?=[(\[])"  # between brackets: "](" and ")["
)


def _wrap(text: str, room: int) -> list[str]:
    """Greedy line breaking of escaped text into chunks of at most `room` characters."""
    chunks: list[str] = []
    while len(text) > room:
        cut = 0
        for match in _BREAK.finditer(text, 1, room + 1):
            if not _inside_escape(text, match.start()):
                cut = match.start()
        if cut == 0:  # a word longer than the line: break at its end
            found = _BREAK.search(text, room + 1)
            cut = found.start() if found else len(text)
        chunks.append(text[:cut])
        text = text[cut:]
    if text or not chunks:
        chunks.append(text)
    return chunks


def _inside_escape(text: str, position: int) -> bool:
    backslashes = len(text[:position]) - len(text[:position].rstrip("\\"))
    return backslashes % 2 == 1
