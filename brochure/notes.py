"""An edition's build -> what it tells the people who wrote it: the text set in the source
language (per file, with its pages; each stale segment at its catalog line), and the documents
a translation made longer than in the source language (from the two editions' layout reports).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from . import i18n
from .errors import Location, Problem

__all__ = ["fallbacks", "layout_fit"]

_WHY = {
    i18n.State.FUZZY: "fuzzy",
    i18n.State.UNTRANSLATED: "untranslated",
    i18n.State.STALE: "stale",
}


def fallbacks(
    edition: i18n.Edition,
    catalog: Path,
    layout: dict[str, dict[str, object]],
    severity: str = "warning",
) -> tuple[Problem, ...]:
    """What was set in the source language: one finding per source file, with its pages, and
    one per stale segment at the catalog's line (a translation of an older English is never
    printed)."""
    lang = edition.brochure.lang
    po = str(catalog)
    by_file: dict[str, list[i18n.Standing]] = {}
    for standing in edition.fallbacks:
        by_file.setdefault(standing.entry.where.path, []).append(standing)
    notes = []
    for standings in by_file.values():
        entry = standings[0].entry
        labels = layout.get(entry.context, {}).get("labels")
        pages = f" (PDF pages {labels[0]}–{labels[-1]})" if labels else ""
        why = Counter(_WHY[s.state] for s in standings)
        count = len(standings)
        notes.append(
            Problem(
                entry.where,
                "translation",
                "fallback",
                f"{count} segment{'s' * (count != 1)} not translated into {lang} "
                f"({', '.join(f'{n} {state}' for state, n in why.items())}), set in English"
                f"{pages}",
                severity,
            )
        )
        for standing in standings:
            if standing.state is not i18n.State.STALE:
                continue
            old = standing.message
            where = standing.entry.where
            if old is None:
                message = (
                    f"not in {lang}.po: the English at {where} is newer than the catalog; "
                    "run `i18n update`, then translate it"
                )
                notes.append(Problem(where, standing.entry.context, "stale", message, severity))
                continue
            message = (
                f"stale: this translation is of an older English of {where}, so the English "
                f"is printed{pages}; run `i18n update` and review it"
            )
            location = Location(po, old.string_line or old.line)
            notes.append(Problem(location, standing.entry.context, "stale", message, severity))
    return tuple(notes)


def layout_fit(
    lang: str, layout: dict[str, dict[str, object]], source: dict[str, dict[str, object]]
) -> tuple[Problem, ...]:
    """Warnings for documents the translation made longer than in the source language.

    Both reports come from `finish.document_pages`: per document id its pages, title lines,
    fact-box height, and the document's title and source file.
    """
    notes = []
    for id_, now in layout.items():
        was = source.get(id_, {})
        if "source" not in now:
            continue
        where = Location(*now["source"])
        title = now.get("title", id_)
        if now.get("title_lines", 0) > was.get("title_lines", 99):
            notes.append(
                Problem(
                    where,
                    "title",
                    "longer-title",
                    f"the title {title!r} takes {now['title_lines']} lines in {lang}, "
                    f"{was['title_lines']} in the source language",
                    "warning",
                )
            )
        if now.get("facts_mm", 0) > 1.15 * was.get("facts_mm", 1e9):
            notes.append(
                Problem(
                    where,
                    "facts",
                    "taller-fact-box",
                    f"the fact box is {now['facts_mm']} mm tall in {lang}, "
                    f"{was['facts_mm']} mm in the source language",
                    "warning",
                )
            )
        old, new = was.get("pages"), now.get("pages")
        if old and new and new > old:
            notes.append(
                Problem(
                    where,
                    "layout",
                    "longer-translation",
                    f"{title!r} takes {new} pages in {lang}, {old} in the source language; "
                    "shorten the translation or check the page breaks",
                    "warning",
                )
            )
    return tuple(notes)
