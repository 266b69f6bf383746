"""Brochure + bundled fonts -> problems: every character the text uses must be in our fonts.

Pango would silently fall back to whatever font the machine has for a missing character, so the
PDF would differ between machines (or show a box). Checking before typesetting names the file,
the line, the character and its code point instead.

Bidirectional overrides and embeddings (U+202A to U+202E) are warned about too: pasted from the
web, an invisible U+202E prints the words after it backwards.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from fontTools.ttLib import TTFont

from . import i18n
from .errors import Location, Problem
from .model import Brochure

__all__ = ["check_glyphs", "coverage"]

# Invisible characters that reorder the text that follows them (a right-to-left mark,
# U+200F, or an isolate, U+2066 to U+2069, does not: Arabic text may need those).
_OVERRIDES = {chr(c) for c in range(0x202A, 0x202F)}
# Characters that never need a glyph: layout controls the typesetter consumes itself.
_INVISIBLE = {"\n", "\r", "\t", "\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}
_INVISIBLE |= {"\u200e", "\u200f", *(chr(c) for c in range(0x2066, 0x206A))} | _OVERRIDES


def coverage(fonts_dir: Path) -> frozenset[int]:
    """The code points every font family in `fonts_dir` can show (the union of their cmaps)."""
    points: set[int] = set()
    for path in sorted(fonts_dir.glob("*.[ot]tf")):
        with TTFont(path, lazy=True) as font:
            points.update(font.getBestCmap())
    return frozenset(points)


def check_glyphs(brochure: Brochure, points: frozenset[int]) -> list[Problem]:
    """A problem for each character in the brochure's text that no bundled font can show.

    The text is every segment a reader sees, as the translators' catalogs list it.
    """
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for entry in i18n.entries(brochure):
        field = "body" if entry.slot.startswith("body.") else entry.slot
        for offset, char in enumerate(entry.written):
            if char in _OVERRIDES and (entry.where.path, char) not in seen:
                seen.add((entry.where.path, char))
                problems.append(
                    Problem(
                        Location(entry.where.path, entry.line_of(offset)),
                        field,
                        "bidi-override",
                        f"an invisible {_describe(char)} makes the text after it run in another "
                        "direction (the words print reversed); delete it",
                        "warning",
                    )
                )
            if ord(char) in points or char in _INVISIBLE or (entry.where.path, char) in seen:
                continue
            seen.add((entry.where.path, char))
            line = entry.line_of(offset)
            problems.append(
                Problem(
                    Location(entry.where.path, line),
                    field,
                    "missing-glyph",
                    f"the fonts cannot show {char!r} ({_describe(char)}); replace it, or add a "
                    "font that has it to assets/fonts",
                )
            )
    return problems


def _describe(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, 'UNNAMED')}"
