"""Brochure -> segments: every text a reader sees, as the message a translator translates.

A segment's identity is its English text within its document: the msgctxt is the document's id
(`kisumu`; `brochure` for the manifest's own texts; none for the templates' words) and the
msgid is the English with its line breaks undone, so re-wrapping a paragraph changes nothing
and moving it within its document keeps its translation. The same sentence in two documents is
two messages and may be translated differently; repeated in one document it is one message.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel.messages.extract import extract_from_dir
from jinja2 import TemplateSyntaxError
from pydantic import BaseModel

from ..errors import BrochureError, Location, Problem
from ..markdown import Markdown
from ..model import Brochure, Document

__all__ = ["MANIFEST", "Entry", "entries", "normalize", "template_entries"]

MANIFEST = "brochure"  # the msgctxt of the manifest's texts (title, imprint, part titles ...)
_KIND = {"chapter": "Chapter", "tool": "Tool", "case-study": "Case study"}
_MANIFEST_MARKDOWN = ("imprint", "back_cover")


@dataclass(frozen=True, slots=True)
class Entry:
    """One segment: its message (msgctxt, msgid), where it is written, and where it is printed.

    `slot` says where the build puts the translation ("title", "quote.text", "body.s2.3",
    "parts.tools.intro.s0.1"); it is the build's business and never written to a catalog.
    """

    context: str  # "" for the templates' own words
    text: str
    where: Location
    comment: str
    slot: str = ""
    written: str = ""  # the text as written in its file, line breaks and all

    @property
    def line_of(self) -> Callable[[int], int]:
        """The file line of a character of `written`."""
        return lambda offset: self.where.line + self.written.count("\n", 0, offset)

    @property
    def key(self) -> tuple[str | None, str]:
        """The (msgctxt, msgid) that identifies its message in a catalog."""
        return (self.context or None, self.text)


def normalize(text: str) -> str:
    """The English as a translator sees it: soft line breaks and runs of spaces become one
    space (a hard break, two spaces or a backslash before the newline, stays a newline)."""
    text = re.sub(r"(?: {2,}|\\)\n", "\x00", text.strip())
    text = re.sub(r"\s+", " ", text)
    return text.replace("\x00", "\\\n")


def entries(brochure: Brochure) -> list[Entry]:
    """Every segment of the brochure, in reading order."""
    out: list[Entry] = []
    markdown = Markdown(brochure.source_language)
    manifest = brochure.source.path

    def at(field: str, offset: int = 0) -> Location:
        return Location(manifest, brochure.field_lines.get(field, 0) + offset)

    def add(slot: str, text: str, where: Location, comment: str) -> None:
        out.append(Entry(MANIFEST, normalize(text), where, comment, slot, text))

    for field in ("title", "subtitle", "publisher"):
        add(field, getattr(brochure, field), at(field), field)
    for field in _MANIFEST_MARKDOWN:
        for segment in markdown.segments(getattr(brochure, field)):
            # Block scalars start on the line after their key.
            where = at(field, 1 + segment.line)
            label = f"{field.replace('_', ' ').capitalize()} ({segment.block})"
            add(f"{field}.{segment.key}", segment.text, where, label)
    if (announcement := brochure.announcement) is not None:
        email = "Announcement email"
        add("announcement.subject", announcement.subject, at("announcement.subject"), email)
        for segment in markdown.segments(announcement.text):
            where = at("announcement.text", 1 + segment.line)
            label = f"{email} ({segment.block})"
            add(f"announcement.text.{segment.key}", segment.text, where, label)
        event = announcement.event
        for field, text in _translatable(event, "announcement.event.") if event else ():
            add(field, text, at(field), f"{email} — launch event {field.rsplit('.', 1)[1]}")
    for group in ("regions", "themes"):
        for id_, name in getattr(brochure, group).items():
            add(f"{group}.{id_}", name, at(f"{group}.{id_}"), f"{group[:-1]} name")
    for index, part in enumerate(brochure.parts):
        label = f"Part: {part.title}"
        add(f"parts.{part.id}.title", part.title, at(f"parts[{index}].title"), label)
        for segment in markdown.segments(part.intro or ""):
            where = at(f"parts[{index}].intro", 1 + segment.line)
            add(f"parts.{part.id}.intro.{segment.key}", segment.text, where, f"{label} — intro")
    for document in brochure.documents:
        out += _document_entries(document, markdown)
    return out


def template_entries(templates_dir: Path) -> list[Entry]:
    """The templates' own words ("Contents", "Partners" ...), found by Babel's Jinja2 extractor.

    They have no msgctxt: a word such as "Case study" means the same wherever a template uses
    it.
    """
    found: dict[str, Entry] = {}
    reading: list[str] = []  # the template Babel is reading, for an error's location
    extracted = extract_from_dir(
        templates_dir,
        method_map=[("**.html", "jinja2.ext:babel_extract")],
        # Not silent: a template Jinja cannot parse stops extraction instead of dropping its
        # strings (which would move their translations to the obsolete section).
        options_map={
            "**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true", "silent": "false"}
        },
        comment_tags=("Translators:",),
        callback=lambda filename, _method, _options: reading.append(filename),
    )
    try:
        messages = list(extracted)
    except TemplateSyntaxError as error:
        where = Location(f"{templates_dir.name}/{reading[-1]}", error.lineno or 0)
        raise BrochureError(
            [Problem(where, "", "template-syntax", f"Jinja cannot read this template: {error}")]
        ) from None
    for filename, line, message, comments, _context in messages:
        if isinstance(message, str) and message not in found:
            # Named from the project's root, wherever the content folder is.
            where = Location(f"{templates_dir.name}/{filename}", line)
            comment = " — ".join([f"Template: {filename}", *comments])
            found[message] = Entry("", message, where, comment, message, message)
    return list(found.values())


def _document_entries(document: Document, markdown: Markdown) -> Iterator[Entry]:
    label = f"{_KIND[document.kind]}: {document.title}"
    path = document.source.path
    for field, text in _translatable(document, ""):
        where = Location(path, document.line_of(field))
        yield Entry(document.id, normalize(text), where, f"{label} — {field}", field, text)
    for segment in markdown.segments(document.body):
        stands = f"{segment.section} ({segment.block})" if segment.section else segment.block
        yield Entry(
            document.id,
            normalize(segment.text),
            Location(path, document.body_line + segment.line),
            f"{label} — {stands}",
            f"body.{segment.key}",
            segment.text,
        )


def _translatable(model: BaseModel, prefix: str) -> Iterator[tuple[str, str]]:
    for name in getattr(model, "TRANSLATABLE", ()):
        yield from _strings(getattr(model, name), f"{prefix}{name}")


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str) and value.strip():
        yield path, value
    elif isinstance(value, BaseModel):
        yield from _translatable(value, f"{path}.")
    elif isinstance(value, tuple):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}[{i}]")
