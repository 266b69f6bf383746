"""Segments -> catalogs: `extract` writes the template, `update` merges it into every <lang>.po.

`update` behaves like GNU msgmerge, with the identity of a message being its English:

1. the same English in the same document keeps its message as it was (translation, flags,
   the translator's comments), wherever the paragraph moved;
2. the same English that left its old place (the document was renamed, or the paragraph moved
   to another document) takes its translation along, still not fuzzy;
3. English that changed takes the translation of the most similar text that left (msgmerge's
   fuzzy search: similarity at least 0.6, the best pairs first), marked fuzzy, with the English
   the translator last saw as `#| msgid`;
4. anything else is new and untranslated.

Translations whose English left the sources become obsolete (`#~`), where a later edit that
restores the English finds them again. A translation is never attached to a different English
without the fuzzy flag.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, replace
from pathlib import Path

from babel import Locale
from babel.messages.plurals import get_plural

from ..errors import Location
from ..finish import write_atomically
from ..model import Brochure
from . import pofile
from .pofile import Catalog, Message
from .segments import Entry, normalize
from .state import FUZZY_THRESHOLD, similarity

__all__ = ["LOCALES", "TEMPLATE", "Counts", "extract", "merge", "template", "update"]

LOCALES = "locales"
TEMPLATE = "brochure.pot"


@dataclass
class Counts:
    """What an update did to one catalog."""

    new: int = 0  # English no catalog had: to translate
    fuzzy: int = 0  # changed English: the old translation to review
    moved: int = 0  # unchanged English in a renamed document or moved across documents
    obsolete: int = 0  # English that left the sources


def template(brochure: Brochure, segments: list[Entry], content_dir: Path) -> Catalog:
    """The template catalog: one message per (document, English), every place it stands."""
    messages: dict[tuple[str | None, str], Message] = {}
    for entry in segments:
        path = _relative(entry.where.path, content_dir) if entry.context else entry.where.path
        location = f"{path}:{entry.where.line}"
        found = messages.get(entry.key)
        if found is None:
            flags = ("python-format",) if "%(" in entry.text and not entry.context else ()
            messages[entry.key] = Message(
                entry.text,
                context=entry.context or None,
                locations=(location,),
                extracted=(entry.comment,),
                flags=flags,
            )
        else:
            messages[entry.key] = replace(
                found,
                locations=(*found.locations, location),
                extracted=tuple(dict.fromkeys((*found.extracted, entry.comment))),
            )
    header = Message("", _header(brochure, None, ""), comments=_comment(brochure, None))
    return Catalog(header=header, messages=list(messages.values()))


def extract(brochure: Brochure, segments: list[Entry], content_dir: Path) -> Path:
    """Write content/locales/brochure.pot; its creation date changes only with its messages."""
    path = content_dir / LOCALES / TEMPLATE
    new = template(brochure, segments, content_dir)
    old = _read_if_there(path)
    date = _now()
    if old is not None and _same_messages(old, new):
        date = old.header_field("POT-Creation-Date") or date
        new = replace(new, header=replace(new.header, raw=old.header.raw), width=old.width)
        new.messages = [_keep_raw(m, old.find(m.context, m.id)) for m in new.messages]
    new = new.with_header_fields(POT_Creation_Date=date)
    write_atomically(path, pofile.dumps(new).encode("utf-8"))
    return path


def update(
    brochure: Brochure, segments: list[Entry], content_dir: Path, languages: list[str]
) -> dict[str, Counts]:
    """Merge the template into each language's catalog (created when missing)."""
    pot = template(brochure, segments, content_dir)
    written = _read_if_there(content_dir / LOCALES / TEMPLATE)
    created = (written.header_field("POT-Creation-Date") if written else None) or _now()
    report: dict[str, Counts] = {}
    for lang in languages:
        path = content_dir / LOCALES / f"{lang}.po"
        old = _read_if_there(path)
        if old is None:
            header = Message(
                "", _header(brochure, lang, created), comments=_comment(brochure, lang)
            )
            old = Catalog(header=header)
        new, counts = merge(old, pot)
        new = new.with_header_fields(POT_Creation_Date=created)
        write_atomically(path, pofile.dumps(new).encode("utf-8"))
        report[lang] = counts
    return report


def merge(old: Catalog, pot: Catalog) -> tuple[Catalog, Counts]:
    """`old` brought in line with the template `pot`; the header is the translator's."""
    counts = Counts()
    by_key = {m.key: m for m in old.active}
    revivable = {m.key: m for m in old.messages if m.obsolete and m.string}
    wanted = {m.key for m in pot.messages}
    # Old translated messages whose (document, English) is gone: candidates to carry along.
    left = [m for m in old.active if m.key not in wanted and m.string]
    by_text: dict[str, list[Message]] = {}
    for message in left:
        by_text.setdefault(normalize(message.id), []).append(message)

    merged: list[Message | None] = []
    pending: list[int] = []
    used: set[int] = set()
    for new in pot.messages:
        before = by_key.get(new.key) or revivable.get(new.key)
        if before is None and (same := by_text.get(new.id)):  # rule 2: moved or renamed
            before = min(same, key=lambda m: (m.context != new.context, id(m) in used))
            # Copies of the same English with the same translation go along with it.
            used.update(id(m) for m in same if m.string == before.string)
            counts.moved += 1
        if before is not None:
            merged.append(_carry(new, before, fuzzy=before.fuzzy))
        else:
            merged.append(None)
            pending.append(len(merged) - 1)

    # Rule 3: the most similar English that left, best pairs first, each used once; then the
    # rest may share one (a paragraph split in two).
    candidates = [m for m in left if id(m) not in used]
    scored = sorted(
        (
            (score, i, j)
            for i in pending
            for j, candidate in enumerate(candidates)
            if (score := _score(pot.messages[i], candidate)) >= FUZZY_THRESHOLD
        ),
        key=lambda pair: (-pair[0], pair[1]),
    )
    chosen: dict[int, Message] = {}
    taken: set[int] = set()
    for _, i, j in scored:
        if i not in chosen and j not in taken:
            chosen[i] = candidates[j]
            taken.add(j)
    for _, i, j in scored:
        chosen.setdefault(i, candidates[j])
    for i in pending:
        new = pot.messages[i]
        if i in chosen:
            merged[i] = _fuzzy(new, chosen[i])
            counts.fuzzy += 1
            used.add(id(chosen[i]))
        else:
            merged[i] = new
            counts.new += 1

    messages = [m for m in merged if m is not None]
    # What no message took, exactly or as a fuzzy source, becomes obsolete, as with msgmerge.
    gone = [
        replace(m, obsolete=True, locations=(), extracted=()) for m in left if id(m) not in used
    ]
    counts.obsolete = len(gone)
    kept = {m.key for m in messages} | {m.key for m in gone}
    gone += [m for m in old.messages if m.obsolete and m.string and m.key not in kept]
    return Catalog(header=old.header, messages=messages + gone, width=old.width), counts


def _score(new: Message, old: Message) -> float:
    score = similarity(new.id, normalize(old.id))
    return score + (0.001 if new.context == old.context else 0.0)  # ties go to the same document


def _carry(new: Message, before: Message, fuzzy: bool) -> Message:
    """The template's message with the translator's work from `before`."""
    message = replace(
        new,
        string=before.string,
        plural_strings=before.plural_strings if new.plural_id is not None else (),
        comments=before.comments,
        flags=tuple(dict.fromkeys((*(("fuzzy",) if fuzzy else ()), *new.flags))),
        previous_id=before.previous_id if fuzzy else None,
        previous_context=before.previous_context if fuzzy else None,
    )
    return _keep_raw(message, before)


def _fuzzy(new: Message, before: Message) -> Message:
    """The translation of a similar English, to review: fuzzy, with the English it was for."""
    # Keep the English the translator last translated, not an intermediate draft.
    seen_id = before.previous_id if before.fuzzy and before.previous_id else before.id
    seen_context = before.previous_context if before.fuzzy else before.context
    message = _carry(new, before, fuzzy=True)
    return replace(
        message,
        previous_id=seen_id,
        previous_context=seen_context if seen_context != new.context else None,
    )


def _keep_raw(message: Message, before: Message | None) -> Message:
    """Strings that did not change are written back with the lines they were read from."""
    if before is None:
        return message
    return replace(message, raw=before.raw)


def _same_messages(a: Catalog, b: Catalog) -> bool:
    def shape(catalog: Catalog) -> list[tuple]:
        return [(m.key, m.locations, m.extracted, m.flags) for m in catalog.active]

    return shape(a) == shape(b)


def _read_if_there(path: Path) -> Catalog | None:
    return pofile.read(path) if path.exists() else None


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M+0000")


def _header(brochure: Brochure, lang: str | None, created: str) -> str:
    fields = {
        "Project-Id-Version": f"{brochure.title} {brochure.edition.isoformat()}",
        "Report-Msgid-Bugs-To": "",
        "POT-Creation-Date": created,
        "PO-Revision-Date": "YEAR-MO-DA HO:MI+ZONE" if lang is None else created,
        "Last-Translator": "FULL NAME <EMAIL@ADDRESS>",
        "Language-Team": f"{_english_name(lang)} translators" if lang else "LANGUAGE <LL@li.org>",
    }
    if lang:
        fields["Language"] = lang.replace("-", "_")
    fields |= {
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
    }
    if lang:
        fields["Plural-Forms"] = get_plural(lang.replace("-", "_")).plural_forms
    return "".join(f"{k}: {v}\n" for k, v in fields.items())


def _comment(brochure: Brochure, lang: str | None) -> tuple[str, ...]:
    what = f"{_english_name(lang)} translation" if lang else "Translation template"
    return (
        f"{what} of {brochure.title}.",
        f"Copyright (C) {brochure.edition.year} {brochure.publisher}",
        "This file is distributed under the same licence as the brochure (CC BY 4.0).",
    )


def _english_name(lang: str | None) -> str:
    return Locale.parse(lang.replace("-", "_")).english_name if lang else ""


def _relative(path: str, content_dir: Path) -> str:
    """A #: reference relative to the catalogs' content folder, as gettext tools expect."""
    return os.path.relpath(Path(path).resolve(), content_dir.resolve())


def location_of(message: Message, path: Path) -> Location:
    """Where a message stands in its .po file: the line of its msgstr."""
    return Location(str(path), message.string_line or message.line)
