"""Segments + a catalog -> each segment's state: the one place that decides what is printed.

`status`, `check` and `build` all ask `judge`, so they always agree. A translation is used only
when its msgid is the segment's current English, it is not fuzzy and it is not empty; every
other segment is printed in the source language:

- fuzzy: the catalog has the English, with a translation still to review;
- untranslated: the catalog has the English, with no translation;
- stale: the catalog does not know this English: the sources changed since `i18n update`. When
  the catalog still holds a translation of an older English for it (an orphan message of the
  same document), that message is named so its line can be shown.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from .pofile import Catalog, Message
from .segments import Entry

__all__ = ["FileStatus", "Standing", "State", "judge", "orphans", "similarity", "status"]

FUZZY_THRESHOLD = 0.6  # msgmerge's: below it, two texts are not versions of one another
_SEARCH_LIMIT = 200  # stale segments for which the old version is looked for


class State(StrEnum):
    TRANSLATED = "translated"
    FUZZY = "fuzzy"
    UNTRANSLATED = "untranslated"
    STALE = "stale"


@dataclass(frozen=True, slots=True)
class Standing:
    entry: Entry
    state: State
    message: Message | None  # the catalog's message for it; for stale, the old version if any

    @property
    def translation(self) -> str | None:
        return self.message.string if self.state is State.TRANSLATED and self.message else None


def judge(segments: Iterable[Entry], catalog: Catalog | None) -> list[Standing]:
    """Each segment's state in `catalog` (None: no catalog, everything untranslated)."""
    segments = list(segments)
    if catalog is None:
        return [Standing(e, State.UNTRANSLATED, None) for e in segments]
    index = {m.key: m for m in catalog.active}
    out: list[Standing] = []
    stale: list[int] = []
    for entry in segments:
        message = index.get(entry.key)
        if message is None:
            stale.append(len(out))
            out.append(Standing(entry, State.STALE, None))
        elif message.translated:
            out.append(Standing(entry, State.TRANSLATED, message))
        elif message.fuzzy and (message.string or any(message.plural_strings)):
            out.append(Standing(entry, State.FUZZY, message))
        else:
            out.append(Standing(entry, State.UNTRANSLATED, message))
    if stale and len(stale) <= _SEARCH_LIMIT:  # beyond, the whole catalog is out of date
        left = orphans(segments, catalog)
        for i in stale:
            entry = out[i].entry
            same = [m for m in left if m.context == (entry.context or None)]
            old = _closest(entry.text, same) or _closest(entry.text, left)
            out[i] = Standing(entry, State.STALE, old)
    return out


def orphans(segments: Iterable[Entry], catalog: Catalog) -> list[Message]:
    """The catalog's translated messages whose English is no longer in the sources."""
    wanted = {e.key for e in segments}
    return [m for m in catalog.active if m.key not in wanted and m.string]


def similarity(a: str, b: str) -> float:
    """How alike two texts are, 0 to 1, by characters (as msgmerge's fuzzy search)."""
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < FUZZY_THRESHOLD or matcher.quick_ratio() < FUZZY_THRESHOLD:
        return 0.0
    return matcher.ratio()


def _closest(text: str, candidates: list[Message]) -> Message | None:
    scored = [(similarity(text, m.id), i) for i, m in enumerate(candidates)]
    best = max(scored, default=(0.0, -1))
    return candidates[best[1]] if best[0] >= FUZZY_THRESHOLD else None


@dataclass(frozen=True)
class FileStatus:
    """How far one source file is translated, in segments and in words."""

    path: str
    translated: int = 0
    fuzzy: int = 0
    untranslated: int = 0
    stale: int = 0
    words_translated: int = 0
    words_fuzzy: int = 0
    words_untranslated: int = 0
    words_stale: int = 0

    @property
    def total(self) -> int:
        return self.translated + self.fuzzy + self.untranslated + self.stale

    @property
    def percent(self) -> float:
        return 100.0 * self.translated / self.total if self.total else 100.0

    @property
    def words_to_do(self) -> int:
        return self.words_fuzzy + self.words_untranslated + self.words_stale


def status(standings: Iterable[Standing]) -> dict[str, FileStatus]:
    """Per source file: segments and words in each state."""
    counts: dict[str, dict[str, int]] = {}
    for standing in standings:
        path = standing.entry.where.path
        row = counts.setdefault(path, {})
        state = standing.state.value
        row[state] = row.get(state, 0) + 1
        words = f"words_{state}"
        row[words] = row.get(words, 0) + len(standing.entry.text.split())
    return {path: FileStatus(path, **row) for path, row in counts.items()}
