"""Raw YAML data + a pydantic model -> the validated model, or problems that say what to write.

pydantic's errors carry the path of the field; the line comes from the YAML reader's map of
key paths to lines, and the message says what was expected and what was found, in the
author's words ("expected a month like 2019-03, got 'March 2019'").
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import Location, Problem
from ..model import Brochure, CaseStudy, Chapter, Part, Tool
from .yamlfile import Lines, field_name

__all__ = ["INTERNAL", "line_of", "validate"]

# Fields the loader fills in itself; a file that sets them is told they are unknown.
INTERNAL = {
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
    "id": "give the file an id, usually its file name without .md",
    "title": "every document needs a title",
}


def validate(
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
        for key in sorted(keys & INTERNAL.get(schema, set())):
            problems.append(_unknown(schema, (key,), lines, where))
        if user_keys is None:
            data = {k: v for k, v in data.items() if k not in INTERNAL.get(schema, ())}
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
        hint = ctx.get("hint") or _HINTS.get(str(loc[-1]), "this field is required")
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
    line = line_of(lines, loc if kind != "missing" else loc[:-1])
    return Problem(Location(where.path, line), field_name(loc), kind.replace("_", "-"), message)


def _unknown(schema: type[BaseModel], loc: tuple, lines: Lines, where: Location) -> Problem:
    key = str(loc[-1])
    known = [k for k in _fields_at(schema, loc[:-1]) if k not in INTERNAL.get(schema, ())]
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        message = f"unknown key; did you mean {close[0]!r}?"
    else:
        message = f"unknown key; expected one of {', '.join(sorted(known))}"
    return Problem(
        Location(where.path, line_of(lines, loc)), field_name(loc), "unknown-key", message
    )


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


def line_of(lines: Lines, loc: tuple) -> int:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return lines.get((), 1)
