"""YAML text -> plain data and the line of every key, read so that nothing surprises an author.

- YAML 1.2's core types only. `NO`, `yes` and `off` stay text (YAML 1.1 made them booleans, so
  Norway's country code became False); a number with a leading zero (`012345`) or with
  underscores stays text instead of becoming an octal number; `true`/`false`, integers,
  decimals, `null` and ISO dates (the edition) are what they look like.
- No anchors or aliases (`&x`, `*x`): a few lines of them expand into gigabytes ("billion
  laughs"). Nesting deeper than 12 levels and a text over 512 KB are refused too, all before
  anything is built from the text.
- Errors in plain words, with the line and column where the parser noticed, and for a list,
  mapping or quotation left open, where it was opened.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

import yaml
from yaml.composer import ComposerError

from ..errors import Location, Problem

__all__ = ["MAX_BYTES", "Lines", "field_name", "parse", "read_file", "split_front_matter"]

Lines = dict[tuple, int]  # key path ("parts", 2, "title") -> its line in the file
MAX_BYTES = 512 * 1024
MAX_DEPTH = 12


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2's core scalars, without anchors, aliases or depth."""

    yaml_implicit_resolvers: ClassVar[dict] = {}

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise ComposerError(
                None,
                None,
                "anchors and aliases (&name, *name) are not allowed; write the value out",
                event.start_mark,
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise ComposerError(
                    None, None, f"nested more than {MAX_DEPTH} levels deep", event.start_mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _resolver(tag: str, pattern: str, first: Iterable[str]) -> None:
    _Loader.add_implicit_resolver(tag, re.compile(pattern, re.X), list(first))


_resolver("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF")
_resolver("tag:yaml.org,2002:int", r"^[-+]?(?:0|[1-9][0-9]*)$", "-+0123456789")
_resolver(
    "tag:yaml.org,2002:float",
    r"^[-+]?(?:(?:0|[1-9][0-9]*)\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$",
    "-+0123456789.",
)
_resolver("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""])
_resolver("tag:yaml.org,2002:timestamp", r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "0123456789")


def read_file(path: Path, problems: list[Problem], missing: str) -> tuple[Any, Lines]:
    """Parse a YAML file; `missing` is the message when it does not exist."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        problems.append(Problem(Location(str(path)), "", "missing-file", missing))
        return None, {}
    except OSError as error:
        problems.append(
            Problem(Location(str(path)), "", "unreadable", f"cannot read: {error.strerror}")
        )
        return None, {}
    text = decode(data, Location(str(path)), problems)
    if text is None:
        return None, {}
    return parse(text, Location(str(path)), 1, problems)


def decode(data: bytes, where: Location, problems: list[Problem]) -> str | None:
    """UTF-8 text, or a problem at the line of the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        problems.append(
            Problem(
                Location(where.path, line),
                "",
                "not-utf8",
                f"column {column}: byte 0x{data[error.start]:02X} is not UTF-8; save the file "
                "as UTF-8 (most editors: Save with encoding, UTF-8)",
            )
        )
        return None


def parse(
    text: str, where: Location, first_line: int, problems: list[Problem]
) -> tuple[Any, Lines]:
    """Parse YAML and map every key path to its line (`first_line` is the line of `text`)."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        problems.append(
            Problem(
                Location(where.path, first_line),
                "",
                "too-large",
                f"this YAML is over {MAX_BYTES // 1024} KB; front matter and the manifest hold "
                "short fields, the long text belongs in the Markdown body",
            )
        )
        return None, {}
    loader = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        problems.append(_syntax_problem(error, where, first_line))
        return None, {}
    except yaml.reader.ReaderError as error:
        line = first_line + text.count("\n", 0, error.position)
        problems.append(
            Problem(
                Location(where.path, line),
                "",
                "bad-yaml",
                f"a control character (U+{error.character:04X}) that YAML does not allow; "
                "delete it",
            )
        )
        return None, {}
    except yaml.YAMLError as error:
        problems.append(
            Problem(Location(where.path, first_line), "", "bad-yaml", f"not valid YAML: {error}")
        )
        return None, {}
    finally:
        if loader is not None:
            loader.dispose()
    if data is None:  # an empty document: no fields at all, which the schema will say
        data = {}
    lines: Lines = {(): first_line}
    _map_lines(node, (), first_line, lines, where, problems)
    return data, lines


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """(front matter, body, line where the body starts) of a Markdown file."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None, text, 1
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            return "".join(lines[1:i]), "".join(lines[i + 1 :]), i + 2
    return None, text, 1


def field_name(loc: Iterable) -> str:
    """A key path as a dotted field name: ("key_figures", 2, "value") -> key_figures[2].value."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and not part.startswith(("function-", "tagged-union")):
            out += f".{part}" if out else part
    return out


# What the parser says, in words an editor understands.
_PLAIN = [
    (
        r"found unexpected end of stream",
        "while scanning a quoted scalar",
        "a quotation mark is never closed",
    ),
    (r"expected ',' or '\]'", "", "a list in [brackets] is not closed, or misses a comma"),
    (r"expected ',' or '\}'", "", "a mapping in {braces} is not closed, or misses a comma"),
    (
        r"mapping values are not allowed here",
        "",
        "a ':' where a value was expected; put text that contains ': ' in quotes",
    ),
    (r"could not find expected ':'", "", "expected 'key: value'; a ':' is missing"),
    (r"found character '\\t'", "", "a tab character; YAML indents with spaces only"),
    (r"expected <block end>", "", "the indentation does not line up with the lines above"),
    (
        r"found undefined alias|anchors and aliases",
        "",
        "anchors and aliases (&name, *name) are not allowed; write the value out",
    ),
    (r"found duplicate anchor", "", "anchors (&name) are not allowed"),
]


def _syntax_problem(error: yaml.MarkedYAMLError, where: Location, first_line: int) -> Problem:
    mark = error.problem_mark or error.context_mark
    line = first_line + mark.line if mark else first_line
    column = mark.column + 1 if mark else 0
    problem, context = error.problem or "", error.context or ""
    plain = next(
        (text for pattern, ctx, text in _PLAIN if re.search(pattern, problem) and ctx in context),
        f"{problem}" + (f" ({context})" if context else ""),
    )
    message = f"this is not valid YAML: {plain} (line {line}, column {column})"
    opened = error.context_mark
    if opened is not None and error.problem_mark is not None and opened.line != mark.line:
        message += f"; it opened at line {first_line + opened.line}, column {opened.column + 1}"
    return Problem(Location(where.path, line), "", "bad-yaml", message)


def _map_lines(
    node: yaml.Node | None,
    path: tuple,
    first_line: int,
    lines: Lines,
    where: Location,
    problems: list[Problem],
) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set = set()
        for key_node, value_node in node.value:
            key = key_node.value
            line = first_line + key_node.start_mark.line
            if key in seen:
                problems.append(
                    Problem(
                        Location(where.path, line),
                        field_name((*path, key)),
                        "duplicate-key",
                        "this key is set twice; keep one",
                    )
                )
            seen.add(key)
            lines[(*path, key)] = line
            _map_lines(value_node, (*path, key), first_line, lines, where, problems)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*path, i)] = first_line + item.start_mark.line
            _map_lines(item, (*path, i), first_line, lines, where, problems)
