"""A language's catalog -> the problems that would make its edition wrong, with .po lines.

A translation replaces the words of its segment, never what the segment points at or holds:
its links and images, footnote references, numbers and placeholders must be those of the
English; raw HTML and markup left open are refused, and so is a character the fonts cannot
show. The header must describe the file: its language and CLDR's plural forms for it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from babel.core import UnknownLocaleError
from babel.messages.plurals import get_plural
from markdown_it import MarkdownIt

from ..errors import Location, Problem
from ..markdown import Markdown
from .pofile import Catalog
from .segments import Entry

__all__ = ["check", "dropped_contexts"]

_NOTE_REF = re.compile(r"\[\^[^\]]+\]")
_PLACEHOLDER = re.compile(r"%\([a-z_]+\)s")
_NUMBER = re.compile(r"\d+(?:[.,\u202f\u00a0 ]\d{3})*(?:[.,]\d+)?")
# Only to find raw HTML: the brochure's own parser has HTML off and would print it as text.
_HTML = MarkdownIt("commonmark", {"html": True})


def check(
    catalog: Catalog, path: Path, lang: str, points: frozenset[int], markdown: Markdown
) -> list[Problem]:
    """Every problem of one catalog: its header, then each translated message."""
    problems = _header(catalog, path, lang)
    for message in catalog.active:
        if message.fuzzy or not message.id:
            continue
        where = Location(str(path), message.string_line or message.line)
        field = message.context or message.id[:40]
        pairs = [(message.id, message.string)]
        if message.plural_id is not None:
            pairs = [
                (message.plural_id if i else message.id, s)
                for i, s in enumerate(message.plural_strings)
            ]
        for english, translation in pairs:
            if not translation:
                continue
            for kind, text in _faults(english, translation, markdown, bool(message.context)):
                problems.append(Problem(where, field, kind, text))
            for char in dict.fromkeys(translation):
                if ord(char) not in points and not char.isspace():
                    problems.append(
                        Problem(
                            where,
                            field,
                            "missing-glyph",
                            f"the fonts cannot show {char!r} (U+{ord(char):04X} "
                            f"{unicodedata.name(char, 'UNNAMED')})",
                        )
                    )
    return problems


def dropped_contexts(catalog: Catalog, path: Path, segments: list[Entry]) -> list[Problem]:
    """A warning when the catalog looks like it went through a tool that dropped msgctxt
    (po2xliff then xliff2po, some online editors): most messages match no segment while their
    English is in the template under a context."""
    wanted = {e.key for e in segments}
    in_content = {e.text for e in segments if e.context}
    lost = [
        m
        for m in catalog.active
        if m.context is None and m.key not in wanted and m.id in in_content
    ]
    if len(lost) < max(10, len(catalog.active) // 4):
        return []
    return [
        Problem(
            Location(str(path)),
            "msgctxt",
            "dropped-contexts",
            f"{len(lost)} of {len(catalog.active)} messages have lost their msgctxt (the "
            "document they belong to); a tool this file went through dropped them. Run "
            "`i18n update`: it matches each translation to its English again. From a CAT tool, "
            "use `i18n export --format xliff` and `i18n import`, which keep them.",
            "warning",
        )
    ]


def _header(catalog: Catalog, path: Path, lang: str) -> list[Problem]:
    problems = []
    declared = catalog.header_field("Language")
    expected = lang.replace("-", "_")
    if declared is not None and declared.replace("-", "_").split("_")[0] != expected.split("_")[0]:
        problems.append(
            Problem(
                Location(str(path), catalog.header_line("Language")),
                "Language",
                "wrong-language",
                f"the header says Language: {declared}, but this is the catalog for {lang!r}",
            )
        )
    plural_forms = catalog.header_field("Plural-Forms")
    locale = expected
    if declared and declared.replace("-", "_").split("_")[0] == expected.split("_")[0]:
        locale = declared.replace("-", "_")  # pt_PT's plural rule is not Brazil's
    try:
        cldr = get_plural(locale).plural_forms
    except (UnknownLocaleError, ValueError):
        cldr = None
    if plural_forms is not None and cldr is not None and _squash(plural_forms) != _squash(cldr):
        problems.append(
            Problem(
                Location(str(path), catalog.header_line("Plural-Forms")),
                "Plural-Forms",
                "wrong-plural-forms",
                f"expected {cldr!r} (the CLDR rule for {locale}), got {plural_forms!r}",
            )
        )
    forms = int(re.search(r"nplurals\s*=\s*(\d+)", cldr or "nplurals=2")[1])
    for message in catalog.active:
        if message.plural_id is not None and len(message.plural_strings) != forms:
            problems.append(
                Problem(
                    Location(str(path), message.string_line),
                    message.context or message.id[:40],
                    "plural-count",
                    f"expected {forms} plural forms (msgstr[0] to msgstr[{forms - 1}]), got "
                    f"{len(message.plural_strings)}",
                )
            )
    return problems


def _squash(text: str) -> str:
    return re.sub(r"[\s;]+", "", text).replace("((", "(").replace("))", ")")


def _faults(
    english: str, translation: str, markdown: Markdown, is_content: bool
) -> Iterator[tuple[str, str]]:
    if is_content:
        was, now = _targets(english, markdown), _targets(translation, markdown)
        if was != now:
            yield (
                "changed-link",
                f"links and images to {_listing(now)}; the English has {_listing(was)}",
            )
        if _html(translation) and not _html(english):
            yield (
                "raw-html",
                f"raw HTML {_listing(_html(translation))} is not allowed in a translation; "
                "write the text with Markdown as the English does",
            )
    if sorted(_NOTE_REF.findall(english)) != sorted(_NOTE_REF.findall(translation)):
        yield (
            "changed-footnote",
            f"footnote references {_listing(_NOTE_REF.findall(translation))}; the English has "
            f"{_listing(_NOTE_REF.findall(english))}",
        )
    if sorted(_PLACEHOLDER.findall(english)) != sorted(_PLACEHOLDER.findall(translation)):
        yield (
            "changed-placeholder",
            f"placeholders {_listing(_PLACEHOLDER.findall(translation))}; the English has "
            f"{_listing(_PLACEHOLDER.findall(english))}",
        )
    if markdown.stray_markup(translation) and not markdown.stray_markup(english):
        yield (
            "unbalanced-markup",
            "emphasis or link markup is not closed: "
            + ", ".join(repr(s) for s in markdown.stray_markup(translation)),
        )
    digits = {_digits(n) for n in _NUMBER.findall(_prose(translation))}
    missing = [n for n in _NUMBER.findall(_prose(english)) if _digits(n) not in digits]
    if missing:
        yield ("missing-number", f"the English has {_listing(missing)}, the translation does not")


def _targets(text: str, markdown: Markdown) -> list[str]:
    """Every link target and image source of a text, autolinks included, sorted."""
    found: list[str] = []
    if not re.search(r"\]\(|\]\[|<|!\[", text):
        return found
    for block in markdown.parse(text):
        for token in block.children or ():
            if token.type == "link_open":
                found.append(str(token.attrs.get("href", "")))
            elif token.type == "image":
                found.append(f"image {token.attrs.get('src', '')}")
    return sorted(found)


def _html(text: str) -> list[str]:
    if "<" not in text:
        return []
    tokens = _HTML.parseInline(text)
    return [c.content for t in tokens for c in t.children or () if c.type == "html_inline"]


def _prose(text: str) -> str:
    """The text without link targets, footnote references and placeholders (not numbers)."""
    text = re.sub(r"\]\([^)]*\)|<[a-z][a-z0-9+.-]*:[^>\s]*>", "] ", text)
    for pattern in (_NOTE_REF, _PLACEHOLDER):
        text = pattern.sub(" ", text)
    return text


def _digits(number: str) -> str:
    """A number's digits, whatever the separators: 1,200 / 1 200 / 1.200 -> 1200."""
    whole, _, fraction = re.sub(r"[.,](?=\d{3}\b)|[\u202f\u00a0 ]", "", number).partition(",")
    whole, _, fraction2 = whole.partition(".")
    return whole + ("." + (fraction or fraction2) if (fraction or fraction2) else "")


def _listing(items: list[str]) -> str:
    return ", ".join(items) if items else "none"
