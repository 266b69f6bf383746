"""Brochure + bundled fonts -> problems: every character the text uses must be in our fonts.

Pango would silently fall back to whatever font the machine has for a missing character, so the
PDF would differ between machines (or show a box). Checking before typesetting names the file,
the line, the character and its code point instead.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from pathlib import Path

from fontTools.ttLib import TTFont
from pydantic import BaseModel

from .errors import Location, Problem
from .model import Brochure, Document

__all__ = ["check_glyphs", "coverage"]

# Characters that never need a glyph: layout controls the typesetter consumes itself.
_INVISIBLE = {"\n", "\r", "\t", "\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}


def coverage(fonts_dir: Path) -> frozenset[int]:
    """The code points every font family in `fonts_dir` can show (the union of their cmaps)."""
    points: set[int] = set()
    for path in sorted(fonts_dir.glob("*.[ot]tf")):
        with TTFont(path, lazy=True) as font:
            points.update(font.getBestCmap())
    return frozenset(points)


def check_glyphs(brochure: Brochure, points: frozenset[int]) -> list[Problem]:
    """A problem for each character in the brochure's text that no bundled font can show."""
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for where, field, text in _texts(brochure):
        for offset, char in enumerate(text):
            if ord(char) in points or char in _INVISIBLE or (where.path, char) in seen:
                continue
            seen.add((where.path, char))
            line = where.line + (text.count("\n", 0, offset) if field == "body" else 0)
            problems.append(
                Problem(
                    Location(where.path, line),
                    field,
                    "missing-glyph",
                    f"the fonts cannot show {char!r} ({_describe(char)}); replace it, or add a "
                    "font that has it to assets/fonts",
                )
            )
    return problems


def _texts(brochure: Brochure) -> Iterator[tuple[Location, str, str]]:
    manifest = brochure.source.path
    for field in ("title", "subtitle", "publisher", "imprint", "back_cover"):
        yield Location(manifest), field, getattr(brochure, field)
    for part in brochure.parts:
        yield Location(manifest), f"parts.{part.id}", f"{part.title} {part.intro or ''}"
    for name in (*brochure.regions.values(), *brochure.themes.values()):
        yield Location(manifest), "regions/themes", name
    for document in brochure.documents:
        yield Location(document.source.path, document.body_line), "body", document.body
        for field, text in _strings(document, ""):
            yield Location(document.source.path, document.line_of(field)), field, text


def _strings(value: object, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, Document) and not path:
        fields = [f for f in type(value).model_fields if f not in Document.model_fields] + [
            "title",
            "summary",
        ]
        for name in fields:
            yield from _strings(getattr(value, name), name)
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _strings(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, tuple):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}[{i}]")
    elif isinstance(value, str):
        yield path, value


def _describe(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, 'UNNAMED')}"
