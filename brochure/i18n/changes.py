"""A catalog brought up to date -> the translator's job: what to translate or review, per
document, with its PDF pages and word counts, so a translator can quote it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from .pofile import Catalog
from .segments import Entry
from .state import State, judge

__all__ = ["Change", "DocumentJob", "changes"]


@dataclass(frozen=True)
class Change:
    """One segment to work on: new English, or English that changed since its translation."""

    kind: str  # "new" or "changed"
    context: str
    where: str  # source file:line
    comment: str
    old: str  # the English the translator last translated ("" when new)
    new: str  # the English now
    translation: str  # their translation of the old English ("" when new)
    words: int  # words of English to translate or review
    diff: tuple[tuple[str, str], ...]  # (op, words): op is "same", "removed" or "added"


@dataclass(frozen=True)
class DocumentJob:
    """Everything to do in one source file."""

    path: str
    title: str
    pages: str  # "12–15" in the last build of this language (or the source's), or ""
    changes: tuple[Change, ...]

    @property
    def words(self) -> int:
        return sum(c.words for c in self.changes)

    @property
    def new(self) -> int:
        return sum(c.kind == "new" for c in self.changes)

    @property
    def changed(self) -> int:
        return sum(c.kind == "changed" for c in self.changes)


def changes(
    segments: list[Entry],
    merged: Catalog,
    titles: dict[str, str],
    pages: dict[str, list[str]],
) -> list[DocumentJob]:
    """Per document, in reading order: the new and changed segments of the catalog as
    `i18n update` leaves it (`merged`). `titles` and `pages` are keyed by msgctxt."""
    jobs: dict[str, list[Change]] = {}
    first: dict[str, Entry] = {}
    for standing in judge(segments, merged):
        entry, message = standing.entry, standing.message
        if standing.state is State.TRANSLATED:
            continue
        if standing.state is State.FUZZY and message is not None and message.previous_id:
            old = message.previous_id
            change = Change(
                "changed",
                entry.context,
                str(entry.where),
                entry.comment,
                old,
                entry.text,
                message.string,
                len(entry.text.split()),
                _word_diff(old, entry.text),
            )
        else:
            change = Change(
                "new",
                entry.context,
                str(entry.where),
                entry.comment,
                "",
                entry.text,
                "",
                len(entry.text.split()),
                (("added", entry.text),),
            )
        jobs.setdefault(entry.where.path, []).append(change)
        first.setdefault(entry.where.path, entry)
    out = []
    for path, found in jobs.items():
        context = first[path].context
        labels = pages.get(context) or []
        span = f"{labels[0]}–{labels[-1]}" if len(labels) > 1 else "".join(labels)
        out.append(DocumentJob(path, titles.get(context, path), span, tuple(found)))
    return out


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
