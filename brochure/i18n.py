"""Brochure <-> gettext catalogs: segments, extract, update, status, and localize for one language.

Every text a reader sees is a segment: a translatable front-matter field (the models' TRANSLATABLE
lists say which) or the inline text of one Markdown block. A segment becomes a gettext message
whose msgid is the English and whose msgctxt is stable (`kisumu:quote.text`,
`kisumu:body.s3.2` for the second block of the third section), so the same sentence in two places
can be translated differently and editing one paragraph re-opens that paragraph only.

Catalogs live in content/locales: brochure.pot and one <lang>.po per language in the manifest.
"""

from __future__ import annotations

import difflib
import io
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import escape, read_po, unescape, write_po
from pydantic import BaseModel

from .errors import BrochureError, Location, Problem
from .finish import write_atomically
from .markdown import Markdown
from .model import Brochure, Document

__all__ = [
    "Change",
    "Entry",
    "changes",
    "check",
    "entries",
    "extract",
    "localize",
    "message_key",
    "read_catalog",
    "status",
    "template_entries",
    "update",
    "write_catalog",
]

LOCALES = "locales"
TEMPLATE = "brochure.pot"
_KIND = {"chapter": "Chapter", "tool": "Tool", "case-study": "Case study"}
_MANIFEST_MARKDOWN = ("imprint", "back_cover")


@dataclass(frozen=True, slots=True)
class Entry:
    """One segment as a catalog message: msgctxt, msgid, where it is, what it is."""

    context: str
    text: str
    where: Location
    comment: str


def entries(brochure: Brochure) -> list[Entry]:
    """Every segment of the brochure, in reading order."""
    out: list[Entry] = []
    markdown = Markdown(brochure.source_language)
    manifest = brochure.source.path

    def at(field: str, offset: int = 0) -> Location:
        return Location(manifest, brochure.field_lines.get(field, 0) + offset)

    for field in ("title", "subtitle", "publisher"):
        out.append(Entry(f"brochure:{field}", getattr(brochure, field), at(field), field))
    for field in _MANIFEST_MARKDOWN:
        for segment in markdown.segments(getattr(brochure, field)):
            out.append(
                Entry(
                    f"brochure:{field}.{segment.key}",
                    segment.text,
                    at(field, 1 + segment.line),  # block scalars start on the line after the key
                    f"{field.replace('_', ' ').capitalize()} ({segment.block})",
                )
            )
    for group in ("regions", "themes"):
        for id_, name in getattr(brochure, group).items():
            out.append(
                Entry(f"brochure:{group}.{id_}", name, at(f"{group}.{id_}"), f"{group[:-1]} name")
            )
    for index, part in enumerate(brochure.parts):
        label = f"Part: {part.title}"
        context = f"brochure:parts.{part.id}"
        out.append(Entry(f"{context}.title", part.title, at(f"parts[{index}].title"), label))
        for segment in markdown.segments(part.intro or ""):
            out.append(
                Entry(
                    f"{context}.intro.{segment.key}",
                    segment.text,
                    at(f"parts[{index}].intro", 1 + segment.line),
                    f"{label} — introduction",
                )
            )
    for document in brochure.documents:
        out += _document_entries(document, markdown)
    return out


def template_entries(templates_dir: Path) -> list[Entry]:
    """The templates' own strings ("Contents", "Partners" ...), found by Babel's Jinja2 extractor.

    They have no msgctxt: a string such as "Case study" means the same wherever a template
    uses it.
    """
    found: dict[str, Entry] = {}
    for filename, line, message, _comments, _context in extract_from_dir(
        templates_dir,
        method_map=[("**.html", "jinja2.ext:babel_extract")],
        options_map={"**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}},
    ):
        if isinstance(message, str) and message not in found:
            where = Location(str(templates_dir / filename), line)
            found[message] = Entry("", message, where, f"Template: {filename}")
    return list(found.values())


def _document_entries(document: Document, markdown: Markdown) -> Iterator[Entry]:
    label = f"{_KIND[document.kind]}: {document.title}"
    path = document.source.path
    for field, text in _translatable(document, ""):
        yield Entry(
            f"{document.id}:{field}",
            text,
            Location(path, document.line_of(field)),
            f"{label} — {field}",
        )
    for segment in markdown.segments(document.body):
        where = f"{segment.section} ({segment.block})" if segment.section else segment.block
        yield Entry(
            f"{document.id}:body.{segment.key}",
            segment.text,
            Location(path, document.body_line + segment.line),
            f"{label} — {where}",
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


def extract(brochure: Brochure, content_dir: Path, templates_dir: Path) -> Path:
    """Write content/locales/brochure.pot with every segment; return its path."""
    catalog = _new_catalog(brochure, None)
    for entry in entries(brochure) + template_entries(templates_dir):
        catalog.add(
            entry.text,
            context=entry.context or None,
            locations=[(_relative(entry.where.path, content_dir), entry.where.line)],
            auto_comments=[entry.comment],
        )
    path = content_dir / LOCALES / TEMPLATE
    write_catalog(path, catalog)
    return path


def update(brochure: Brochure, content_dir: Path, templates_dir: Path) -> dict[str, Counts]:
    """Merge the current segments into every <lang>.po of the manifest; return what changed.

    Messages are matched on their msgctxt only, never carried from one context to another
    (Babel's own Catalog.update matches fuzzy candidates by msgid across contexts):
    unchanged English keeps its translation; changed English keeps the old translation as fuzzy
    with the previous English (`#| msgid`) so the translator sees the difference; segments no
    longer in the source become obsolete (`#~`).
    """
    template = {message_key(e): e for e in entries(brochure) + template_entries(templates_dir)}
    report: dict[str, Counts] = {}
    for lang in brochure.languages:
        if lang == brochure.source_language:
            continue
        path = content_dir / LOCALES / f"{lang}.po"
        old = read_catalog(path, lang) if path.exists() else _new_catalog(brochure, lang)
        new = _new_catalog(brochure, lang)
        if path.exists():
            new.header_comment = old.header_comment
        counts = Counts()
        previous = {message_key(m): m for m in old if m.id}
        for key, entry in template.items():
            context = entry.context or None
            message = Message(
                entry.text,
                context=context,
                locations=[(_relative(entry.where.path, content_dir), entry.where.line)],
                auto_comments=[entry.comment],
            )
            before = previous.pop(key, None)
            if before is None:
                counts.new += 1
            elif before.string:
                message.string = before.string
                message.user_comments = list(before.user_comments)
                if before.id != entry.text:
                    message.flags.add("fuzzy")
                    # Keep the English the translator last saw, not an intermediate draft.
                    seen = before.previous_id if before.fuzzy and before.previous_id else before.id
                    message.previous_id = [seen] if isinstance(seen, str) else list(seen)
                    counts.fuzzy += 1
                elif before.fuzzy:
                    message.flags.add("fuzzy")
                    message.previous_id = list(before.previous_id)
            new[message.id] = message  # Babel keys it by msgid and msgctxt together
        for message in previous.values():
            new.obsolete[(message.id, message.context)] = message
            counts.obsolete += 1
        for key, message in old.obsolete.items():
            new.obsolete.setdefault(key, message)
        write_catalog(path, new)
        report[lang] = counts
    return report


@dataclass
class Counts:
    new: int = 0
    fuzzy: int = 0
    obsolete: int = 0


def read_catalog(path: Path, lang: str) -> Catalog:
    """Read a .po file; a malformed one is a problem naming the file and line."""
    try:
        with path.open("rb") as file:
            catalog = read_po(file, locale=lang.replace("-", "_"), abort_invalid=True)
    except Exception as error:  # Babel raises PoFileError and others with a line in the text
        line = getattr(error, "lineno", -1) + 1  # Babel counts lines from 0
        raise BrochureError(
            [Problem(Location(str(path), line), "", "bad-po", f"not a valid PO file: {error}")]
        ) from None
    # Babel writes the previous English (`#| msgid`) but does not read it back.
    for context, previous in _previous_ids(path.read_text(encoding="utf-8")).items():
        for message in catalog:
            if message.context == context and message.id:
                message.previous_id = [previous]
    return catalog


def _previous_ids(text: str) -> dict[str, str]:
    """msgctxt -> the `#| msgid` recorded above it, from a PO file's text."""
    found: dict[str, str] = {}
    previous: list[str] = []
    in_previous = False
    for line in text.splitlines():
        if line.startswith("#| msgid "):
            previous, in_previous = [line[len("#| msgid ") :]], True
        elif line.startswith('#| "') and in_previous:
            previous.append(line[3:])
        elif line.startswith("msgctxt ") and previous:
            found[unescape(line[len("msgctxt ") :])] = "".join(unescape(p) for p in previous)
            previous, in_previous = [], False
        elif not line.startswith("#"):
            previous, in_previous = [], False
    return found


def localize(
    brochure: Brochure, catalog: Catalog | None, lang: str, mark_untranslated: bool = False
) -> tuple[Brochure, list[Entry]]:
    """The brochure in `lang`, and the segments that fell back to English (missing or fuzzy).

    With `mark_untranslated` (drafts), a field that falls back is prefixed with the source
    language's code in brackets, so a reviewer sees it in titles and fact boxes too (Markdown
    bodies are highlighted by the renderer).
    """
    translated: dict[str, str] = {}
    interface: dict[str, str] = {}
    for message in catalog or ():
        if message.id and message.string and not message.fuzzy:
            if message.context:
                translated[message.context] = message.string
            else:
                interface[message.id] = message.string
    fallbacks = [e for e in entries(brochure) if e.context not in translated]

    def tr(context: str, text: str) -> str:
        if context in translated:
            return translated[context]
        return f"[{brochure.source_language}] {text}" if mark_untranslated else text

    def body(document: Document) -> dict[str, str]:
        prefix = f"{document.id}:body."
        return {c[len(prefix) :]: t for c, t in translated.items() if c.startswith(prefix)}

    def doc(document: Document) -> Document:
        update = _translated_fields(
            document, "", lambda path, text: tr(f"{document.id}:{path}", text)
        )
        return document.model_copy(update={**update, "translations": body(document)})

    parts = tuple(
        part.model_copy(
            update={
                "title": tr(f"brochure:parts.{part.id}.title", part.title),
                "documents": tuple(doc(d) for d in part.documents),
            }
        )
        for part in brochure.parts
    )
    manifest_md = {
        field: _prefixed(translated, f"brochure:{field}.") for field in _MANIFEST_MARKDOWN
    }
    for part in brochure.parts:
        manifest_md[f"parts.{part.id}.intro"] = _prefixed(
            translated, f"brochure:parts.{part.id}.intro."
        )
    localized = brochure.model_copy(
        update={
            "lang": lang,
            "title": tr("brochure:title", brochure.title),
            "subtitle": tr("brochure:subtitle", brochure.subtitle),
            "publisher": tr("brochure:publisher", brochure.publisher),
            "regions": {k: tr(f"brochure:regions.{k}", v) for k, v in brochure.regions.items()},
            "themes": {k: tr(f"brochure:themes.{k}", v) for k, v in brochure.themes.items()},
            "parts": parts,
            "front_documents": tuple(doc(d) for d in brochure.front_documents),
            "back_documents": tuple(doc(d) for d in brochure.back_documents),
            "translations": manifest_md,
            "interface": interface,
        }
    )
    return localized, fallbacks


def _translated_fields(model: BaseModel, prefix: str, tr) -> dict[str, Any]:
    update: dict[str, Any] = {}
    for name in getattr(model, "TRANSLATABLE", ()):
        update[name] = _translate_value(getattr(model, name), f"{prefix}{name}", tr)
    return update


def _translate_value(value: Any, path: str, tr) -> Any:
    if isinstance(value, str) and value.strip():
        return tr(path, value)
    if isinstance(value, BaseModel):
        return value.model_copy(update=_translated_fields(value, f"{path}.", tr))
    if isinstance(value, tuple):
        return tuple(_translate_value(v, f"{path}[{i}]", tr) for i, v in enumerate(value))
    return value


def _prefixed(translated: dict[str, str], prefix: str) -> dict[str, str]:
    return {c[len(prefix) :]: t for c, t in translated.items() if c.startswith(prefix)}


@dataclass(frozen=True)
class FileStatus:
    path: str
    translated: int = 0
    fuzzy: int = 0
    untranslated: int = 0
    words_translated: int = 0
    words_fuzzy: int = 0
    words_untranslated: int = 0

    @property
    def percent(self) -> float:
        total = self.translated + self.fuzzy + self.untranslated
        return 100.0 * self.translated / total if total else 100.0


def status(
    brochure: Brochure, catalogs: dict[str, Catalog | None], templates_dir: Path
) -> dict[str, dict[str, FileStatus]]:
    """Per language and per source file: translated, fuzzy and untranslated segments and words."""
    result: dict[str, dict[str, FileStatus]] = {}
    segments = entries(brochure) + template_entries(templates_dir)
    for lang, catalog in catalogs.items():
        messages = {message_key(m): m for m in catalog or () if m.id}
        files: dict[str, dict[str, int]] = {}
        for entry in segments:
            counts = files.setdefault(
                entry.where.path, dict.fromkeys(FileStatus.__annotations__, 0)
            )
            message = messages.get(message_key(entry))
            words = len(entry.text.split())
            if message is None or not message.string:
                state = "untranslated"
            elif message.fuzzy or message.id != entry.text:
                state = "fuzzy"
            else:
                state = "translated"
            counts[state] += 1
            counts[f"words_{state}"] += words
        result[lang] = {
            path: FileStatus(path, **{k: v for k, v in c.items() if k != "path"})
            for path, c in files.items()
        }
    return result


def _new_catalog(brochure: Brochure, lang: str | None) -> Catalog:
    # Dates come from the edition, never the clock, so an unchanged update rewrites nothing.
    from datetime import datetime, time

    stamp = datetime.combine(brochure.edition, time())
    return Catalog(
        locale=lang.replace("-", "_") if lang else None,
        domain="brochure",
        project=brochure.title,
        version=brochure.edition.isoformat(),
        copyright_holder=brochure.publisher,
        msgid_bugs_address="",
        last_translator="the brochure's translators",
        language_team=f"{Locale.parse(lang.replace('-', '_')).english_name} translators"
        if lang
        else "translators",
        creation_date=stamp,
        revision_date=stamp,
        fuzzy=False,
    )


def write_catalog(path: Path, catalog: Catalog) -> None:
    """Write a catalog as gettext tools expect it, atomically."""
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=0, include_previous=False, sort_output=False)
    text = buffer.getvalue().decode("utf-8")
    # Babel wraps `#| msgid` across lines without quoting each one, which gettext tools and
    # Poedit misread; write the previous English the way msgmerge does.
    for message in catalog:
        if message.id and message.previous_id and message.context:
            anchor = f"msgctxt {escape(message.context)}\n"
            previous = f"#| msgid {escape(message.previous_id[0])}\n"
            text = text.replace(anchor, previous + anchor, 1)
    write_atomically(path, text.encode("utf-8"))


def message_key(item: Entry | Message) -> str:
    """How a message is matched between catalogs: its msgctxt, or its msgid when it has none."""
    return item.context or f"\x04{item.text if isinstance(item, Entry) else item.id}"


def _relative(path: str, content_dir: Path) -> str:
    """A #: reference relative to the catalogs' content folder, as gettext tools expect."""
    return os.path.relpath(Path(path).resolve(), content_dir.resolve())


_LINK_TARGET = re.compile(r"\]\((#[^)\s]*|[a-z]+:[^)\s]*)\)")
_NOTE_REF = re.compile(r"\[\^[^\]]+\]")
_PLACEHOLDER = re.compile(r"%\([a-z_]+\)s")
_NUMBER = re.compile(r"\d+(?:[.,\u202f\u00a0 ]\d{3})*(?:[.,]\d+)?")


def check(
    catalog: Catalog, path: Path, points: frozenset[int], markdown: Markdown
) -> list[Problem]:
    """What a translation must not do: break a segment's structure, lose or invent a link, a
    footnote, a number or a placeholder, or use a character the fonts cannot show.

    Each problem names the .po file and the line of the message.
    """
    problems: list[Problem] = []
    for message in catalog:
        if not message.id or not message.string or message.fuzzy:
            continue
        where = Location(str(path), (message.lineno or 0) + 1)
        field = message.context or message.id[:40]
        for kind, text in _faults(message.id, message.string, markdown):
            problems.append(Problem(where, field, kind, text))
        for char in dict.fromkeys(message.string):
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


def _faults(english: str, translation: str, markdown: Markdown) -> Iterator[tuple[str, str]]:
    if sorted(_LINK_TARGET.findall(english)) != sorted(_LINK_TARGET.findall(translation)):
        yield (
            "changed-link",
            f"links to {_listing(_LINK_TARGET.findall(translation))}; the English links to "
            f"{_listing(_LINK_TARGET.findall(english))}",
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


def _prose(text: str) -> str:
    """The text without link targets, footnote references and placeholders (not numbers)."""
    for pattern in (_LINK_TARGET, _NOTE_REF, _PLACEHOLDER):
        text = pattern.sub(" ", text)
    return text


def _digits(number: str) -> str:
    """A number's digits, whatever the separators: 1,200 / 1 200 / 1.200 -> 1200."""
    whole, _, fraction = re.sub(r"[.,](?=\d{3}\b)|[\u202f\u00a0 ]", "", number).partition(",")
    whole, _, fraction2 = whole.partition(".")
    return whole + ("." + (fraction or fraction2) if (fraction or fraction2) else "")


def _listing(items: list[str]) -> str:
    return ", ".join(items) if items else "none"


@dataclass(frozen=True)
class Change:
    """A segment whose English changed since it was translated (a fuzzy message)."""

    context: str
    where: str  # the #: reference
    comment: str
    old: str  # the English the translator last translated
    new: str  # the English now
    translation: str  # their translation of the old English
    words_old: int
    words_new: int
    diff: tuple[tuple[str, str], ...]  # (op, words): op is "same", "removed" or "added"


def changes(catalog: Catalog) -> list[Change]:
    """What changed in the English since the last translation, from the catalog's #| msgid."""
    found = []
    for message in catalog:
        if not (message.id and message.fuzzy and message.previous_id):
            continue
        old, new = message.previous_id[0], message.id
        location = ", ".join(f"{path}:{line}" for path, line in message.locations)
        found.append(
            Change(
                message.context or "",
                location,
                " ".join(message.auto_comments),
                old,
                new,
                message.string,
                len(old.split()),
                len(new.split()),
                _word_diff(old, new),
            )
        )
    return found


def _word_diff(old: str, new: str) -> tuple[tuple[str, str], ...]:
    a, b = old.split(), new.split()
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("same", " ".join(a[i1:i2])))
        if op in ("delete", "replace"):
            out.append(("removed", " ".join(a[i1:i2])))
        if op in ("insert", "replace"):
            out.append(("added", " ".join(b[j1:j2])))
    return tuple(out)
