"""content/ -> Brochure: reads the manifest and every Markdown file, validates all of it.

Every problem of a run is collected, each with its file, line and field, and raised together in
one `BrochureError` at the end, so the secretariat fixes everything in one pass. Lines come from
the YAML parser's node marks and markdown-it's token maps, never from guessing.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .errors import BrochureError, Location, Problem
from .markdown import Markdown
from .model import Brochure, CaseStudy, Chapter, Document, Part, Tool

__all__ = ["load"]

MANIFEST = "brochure.yaml"
CASE_STUDY_SECTIONS = ("Context", "Approach", "Results", "Lessons learned")

_SCHEMAS: dict[str, type[Document]] = {"chapter": Chapter, "tool": Tool, "case-study": CaseStudy}
# Fields the loader fills in itself; a file that sets them is told they are unknown.
_INTERNAL = {
    Brochure: {
        *("lang", "source", "front_documents", "back_documents", "translations", "field_lines"),
        *("interface", "locale"),
    },
    Part: {"documents"},
    Chapter: {"body", "body_line", "source", "kind", "field_lines", "translations"},
    Tool: {"body", "body_line", "source", "kind", "field_lines", "translations"},
    CaseStudy: {"body", "body_line", "source", "kind", "field_lines", "translations"},
}
_HINTS = {
    "alt": "describe the image for screen readers",
    "id": "give the file an id, usually its file name without .md",
    "title": "every document needs a title",
}

Lines = dict[tuple, int]


def load(content_dir: Path) -> Brochure:
    """Read and validate the brochure in `content_dir`; raise `BrochureError` with all problems."""
    problems: list[Problem] = []
    manifest_path = content_dir / MANIFEST
    raw, lines = _read_yaml_file(manifest_path, problems)
    manifest = _validate(Brochure, raw, lines, Location(str(manifest_path)), problems)

    parts_raw = raw.get("parts") if isinstance(raw, dict) else None
    documents: dict[str, Document] = {}
    for rel, kind, line in _listed_files(raw, parts_raw):
        where = Location(str(manifest_path), line)
        document = _load_document(content_dir, rel, kind, where, problems)
        if document is not None:
            documents[rel] = document

    if manifest is None:
        raise BrochureError(problems)
    brochure = _assemble(manifest, documents, Location(str(manifest_path)), lines)
    problems += _cross_check(brochure, content_dir, lines)
    if any(p.is_error for p in problems):
        raise BrochureError(problems)
    return brochure


def _listed_files(raw: Any, parts_raw: Any) -> Iterator[tuple[str, str, int]]:
    """(path, schema kind, manifest line) of every file the manifest lists, even a broken one."""
    if not isinstance(raw, dict):
        return
    lines = raw.get("__lines__", {})
    for key in ("front_matter", "back_matter"):
        for i, rel in enumerate(raw.get(key) or ()):
            if isinstance(rel, str):
                yield rel, "chapter", lines.get((key, i), 0)
    for p, part in enumerate(parts_raw if isinstance(parts_raw, list) else ()):
        if not isinstance(part, dict) or part.get("kind") not in _SCHEMAS:
            continue
        files = part.get("files")
        for i, rel in enumerate(files if isinstance(files, list) else ()):
            if isinstance(rel, str):
                yield rel, part["kind"], lines.get(("parts", p, "files", i), 0)


def _load_document(
    content_dir: Path, rel: str, kind: str, listed_at: Location, problems: list[Problem]
) -> Document | None:
    path = content_dir / rel
    where = Location(str(path))
    if not _inside(path, content_dir):
        problems.append(
            Problem(listed_at, "files", "outside-content", f"{rel!r} is outside {content_dir}")
        )
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(
            Problem(listed_at, "files", "missing-file", f"{rel!r} is listed but does not exist")
        )
        return None
    except UnicodeDecodeError as error:
        line = path.read_bytes()[: error.start].count(b"\n") + 1
        problems.append(
            Problem(
                Location(str(path), line),
                "",
                "not-utf8",
                "expected UTF-8 text; save the file as UTF-8",
            )
        )
        return None

    front, body, body_line = _split_front_matter(text)
    if front is None:
        problems.append(
            Problem(
                Location(str(path), 1),
                "",
                "no-front-matter",
                "expected YAML front matter between two '---' lines at the top of the file",
            )
        )
        return None
    raw, lines = _parse_yaml(front, where, 2, problems)
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.append(
            Problem(Location(str(path), 2), "", "not-a-mapping", "expected 'key: value' lines")
        )
        return None
    data = {
        **raw,
        "body": body,
        "body_line": body_line,
        "source": Location(str(path), 1),
        "field_lines": {_field(loc): line for loc, line in lines.items() if loc},
    }
    if kind != "chapter":
        data["kind"] = kind
    return _validate(_SCHEMAS[kind], data, lines, where, problems, user_keys=raw.keys())


def _split_front_matter(text: str) -> tuple[str | None, str, int]:
    """(front matter, body, line where the body starts) of a Markdown file."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None, text, 1
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            return "".join(lines[1:i]), "".join(lines[i + 1 :]), i + 2
    return None, text, 1


def _read_yaml_file(path: Path, problems: list[Problem]) -> tuple[Any, Lines]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(
            Problem(
                Location(str(path)),
                "",
                "missing-file",
                "the manifest is missing; "
                "every brochure needs a brochure.yaml in its content folder",
            )
        )
        return None, {}
    raw, lines = _parse_yaml(text, Location(str(path)), 1, problems)
    if isinstance(raw, dict):
        raw["__lines__"] = lines
    return raw, lines


def _parse_yaml(
    text: str, where: Location, first_line: int, problems: list[Problem]
) -> tuple[Any, Lines]:
    """Parse YAML and map every key path to the line it is on (`first_line` = line of `text`)."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else {}
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = first_line + mark.line if mark else first_line
        message = f"this is not valid YAML: {error.problem}"
        if error.context:
            message += f" ({error.context})"
        problems.append(Problem(Location(where.path, line), "", "bad-yaml", message))
        return None, {}
    finally:
        loader.dispose()
    lines: Lines = {(): first_line}
    _map_lines(node, (), first_line, lines, where, problems)
    return data, lines


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
                        _field((*path, key)),
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


def _validate(
    schema: type[BaseModel],
    data: Any,
    lines: Lines,
    where: Location,
    problems: list[Problem],
    user_keys: Iterable[str] | None = None,
) -> Any:
    if data is None:
        return None
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k != "__lines__"}
        keys = set(data if user_keys is None else user_keys)
        for key in sorted(keys & _INTERNAL.get(schema, set())):
            problems.append(_unknown(schema, (key,), lines, where))
        if user_keys is None:
            data = {k: v for k, v in data.items() if k not in _INTERNAL.get(schema, ())}
        if schema is Brochure and isinstance(data.get("parts"), list):
            data["parts"] = [
                {k: v for k, v in p.items() if k != "documents"} if isinstance(p, dict) else p
                for p in data["parts"]
            ]
    try:
        return schema.model_validate(data)
    except ValidationError as error:
        problems.extend(_problem(schema, e, lines, where) for e in error.errors())
        return None


def _problem(schema: type[BaseModel], error: Any, lines: Lines, where: Location) -> Problem:
    loc = tuple(error["loc"])
    kind = error["type"]
    got = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        return _unknown(schema, loc, lines, where)
    if kind == "missing":
        hint = _HINTS.get(str(loc[-1]), "this field is required")
        message = f"missing; {hint}"
    elif kind == "literal_error":
        message = f"expected one of {ctx.get('expected')}, got {got!r}"
    elif kind in ("too_short", "too_long"):
        bound = "at least" if kind == "too_short" else "at most"
        limit = ctx.get("min_length" if kind == "too_short" else "max_length")
        message = f"expected {bound} {limit} item{'s' if limit != 1 else ''}, got {len(got)}"
    elif kind in ("tuple_type", "list_type"):
        message = f"expected a list (one '- item' per line), got {got!r}"
    elif kind in ("model_type", "dict_type", "model_attributes_type"):
        message = f"expected a group of 'key: value' lines, got {got!r}"
    elif kind in ("float_parsing", "float_type", "int_parsing", "int_type"):
        message = f"expected a number, got {got!r}"
    elif kind in ("greater_than_equal", "less_than_equal"):
        low, high = ctx.get("ge"), ctx.get("le")
        message = f"expected a number {'≥ ' + str(low) if low is not None else '≤ ' + str(high)}"
        message += f", got {got!r}"
    else:
        message = error["msg"]
    line = _line(lines, loc if kind != "missing" else loc[:-1])
    return Problem(Location(where.path, line), _field(loc), kind.replace("_", "-"), message)


def _unknown(schema: type[BaseModel], loc: tuple, lines: Lines, where: Location) -> Problem:
    key = str(loc[-1])
    known = [k for k in _fields_at(schema, loc[:-1]) if k not in _INTERNAL.get(schema, ())]
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        message = f"unknown key; did you mean {close[0]!r}?"
    else:
        message = f"unknown key; expected one of {', '.join(sorted(known))}"
    return Problem(Location(where.path, _line(lines, loc)), _field(loc), "unknown-key", message)


def _fields_at(schema: type[BaseModel], loc: tuple) -> list[str]:
    """The field names of the model found by following `loc` from `schema`."""
    model: Any = schema
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if isinstance(model, type) else None
        if field is None:
            return []
        model = _model_in(field.annotation)
        if model is None:
            return []
    return list(model.model_fields)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _model_in(typing.get_args(annotation)[0])
    if origin in (tuple, list, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if (found := _model_in(arg)) is not None:
                return found
    return None


def _line(lines: Lines, loc: tuple) -> int:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return lines.get((), 1)


def _field(loc: Iterable) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and not part.startswith(("function-", "tagged-union")):
            out += f".{part}" if out else part
    return out


def _assemble(
    manifest: Brochure, documents: dict[str, Document], where: Location, lines: Lines
) -> Brochure:
    parts = tuple(
        part.model_copy(
            update={"documents": tuple(documents[f] for f in part.files if f in documents)}
        )
        for part in manifest.parts
    )
    return manifest.model_copy(
        update={
            "parts": parts,
            "lang": manifest.source_language,
            "source": where,
            "field_lines": {_field(loc): line for loc, line in lines.items() if loc},
            "front_documents": tuple(documents[f] for f in manifest.front_matter if f in documents),
            "back_documents": tuple(documents[f] for f in manifest.back_matter if f in documents),
        }
    )


def _cross_check(brochure: Brochure, content_dir: Path, manifest_lines: Lines) -> list[Problem]:
    """What no single file can know: ids, themes, regions, images, links and sections."""
    problems: list[Problem] = []
    manifest = brochure.source.path
    ids: dict[str, Location] = {}
    for index, part in enumerate(brochure.parts):
        where = Location(manifest, _line(manifest_lines, ("parts", index, "id")))
        _claim(ids, part.id, where, "id", problems)
    for document in brochure.documents:
        _claim(ids, document.id, _at(document, "id"), "id", problems)

    if brochure.source_language not in brochure.languages:
        problems.append(
            Problem(
                Location(manifest, _line(manifest_lines, ("languages",))),
                "languages",
                "missing-source-language",
                f"expected the source language {brochure.source_language!r} in the list",
            )
        )

    markdown = Markdown(brochure.source_language)
    for field in ("imprint", "back_cover"):
        line = _line(manifest_lines, (field,))
        problems += _check_links(markdown, getattr(brochure, field), ids, manifest, line, field)
    for document in brochure.documents:
        problems += _check_links(
            markdown, document.body, ids, document.source.path, document.body_line, "body"
        )
        if isinstance(document, Tool):
            for i, related in enumerate(document.related):
                if related not in ids:
                    problems.append(_no_such(document, f"related[{i}]", related, ids))
        if isinstance(document, CaseStudy):
            problems += _check_case_study(brochure, document, content_dir, markdown)
    return problems


def _check_case_study(
    brochure: Brochure, study: CaseStudy, content_dir: Path, markdown: Markdown
) -> list[Problem]:
    problems = []
    for i, theme in enumerate(study.themes):
        if theme not in brochure.themes:
            problems.append(_not_listed(study, f"themes[{i}]", theme, brochure.themes, "themes"))
    region = study.place.world_region
    if region not in brochure.regions:
        problems.append(
            _not_listed(study, "place.world_region", region, brochure.regions, "regions")
        )
    if study.image.alt is None and not study.image.decorative:
        problems.append(
            Problem(
                _at(study, "image.alt"),
                "image.alt",
                "missing",
                "missing; describe the image for screen readers (or, if it shows nothing a "
                "reader needs, say `decorative: true`)",
            )
        )
    image = content_dir / study.image.src
    if not _inside(image, content_dir) or not image.is_file():
        problems.append(
            Problem(
                _at(study, "image.src"),
                "image.src",
                "missing-image",
                f"no image at {image}; put the file there or correct the path "
                f"(relative to {content_dir})",
            )
        )
    found = markdown.headings(study.body, 2)
    titles = tuple(title for title, _ in found)
    if titles != CASE_STUDY_SECTIONS:
        line = study.body_line + (found[0][1] if found else 0)
        problems.append(
            Problem(
                Location(study.source.path, line),
                "body",
                "sections",
                f"expected the sections {', '.join(CASE_STUDY_SECTIONS)} (as '## ' headings, "
                f"in this order), got {', '.join(titles) or 'none'}",
            )
        )
    return problems


def _check_links(
    markdown: Markdown, text: str, ids: dict, path: str, first_line: int, field: str
) -> list[Problem]:
    problems = []
    for link in markdown.links(text):
        where = Location(path, first_line + link.line)
        if link.href.startswith("#"):
            target = link.href[1:]
            if target not in ids:
                close = difflib.get_close_matches(target, list(ids), n=1)
                hint = f"; did you mean '#{close[0]}'?" if close else ""
                problems.append(
                    Problem(where, field, "broken-link", f"links to '#{target}', no such id{hint}")
                )
        elif not link.href.startswith(("https://", "http://", "mailto:")):
            problems.append(
                Problem(
                    where,
                    field,
                    "bad-link",
                    f"expected a link to '#id' or a web address, got {link.href!r}",
                )
            )
    return problems


def _claim(ids: dict, id_: str, where: Location, field: str, problems: list[Problem]) -> None:
    if id_ in ids:
        problems.append(
            Problem(where, field, "duplicate-id", f"{id_!r} is already used at {ids[id_]}")
        )
    else:
        ids[id_] = where


def _at(document: Document, field: str) -> Location:
    return Location(document.source.path, document.line_of(field))


def _no_such(document: Document, field: str, value: str, ids: dict) -> Problem:
    close = difflib.get_close_matches(value, list(ids), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return Problem(
        _at(document, field), field, "unknown-id", f"no document has the id {value!r}{hint}"
    )


def _not_listed(document: Document, field: str, value: str, known: dict, key: str) -> Problem:
    close = difflib.get_close_matches(value, list(known), n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"expected one of {', '.join(known)}"
    return Problem(
        _at(document, field),
        field,
        f"unknown-{key[:-1]}",
        f"{value!r} is not in the manifest's {key}; {hint}",
    )


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())
