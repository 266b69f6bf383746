"""Brochure + a language's catalog -> the brochure in that language, and what fell back.

Only translations `state.judge` accepts are used (the msgid is the segment's current English,
not fuzzy, not empty); every other segment keeps the source language's text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from ..model import Brochure, Document
from .pofile import Catalog
from .segments import Entry, entries
from .state import Standing, State, judge

__all__ = ["Edition", "locale_of", "localize"]


@dataclass(frozen=True)
class Edition:
    """The brochure in one language, and every segment's standing in its catalog."""

    brochure: Brochure
    standings: list[Standing]

    @property
    def fallbacks(self) -> list[Standing]:
        """The content's segments printed in the source language (templates' words aside)."""
        return [s for s in self.standings if s.state is not State.TRANSLATED and s.entry.context]


def localize(
    brochure: Brochure,
    catalog: Catalog | None,
    lang: str,
    templates: list[Entry] | None = None,
    mark_untranslated: bool = False,
    segments: list[Entry] | None = None,
) -> Edition:
    """The brochure in `lang`, with every segment's standing (what fell back and why).

    `segments` are `entries(brochure)` when the caller has them already.

    With `mark_untranslated` (drafts), a field that falls back is prefixed with the source
    language's code in brackets, so a reviewer sees it in titles and fact boxes too (Markdown
    bodies are highlighted by the renderer).
    """
    if segments is None:
        segments = entries(brochure)
    standings = judge(segments + (templates or []), catalog)
    done: dict[tuple[str, str], str] = {}  # (msgctxt, slot) -> translation
    interface: dict[str, str] = {}
    for standing in standings:
        if (text := standing.translation) is None:
            continue
        if standing.entry.context:
            done[(standing.entry.context, standing.entry.slot)] = text
        else:
            interface[standing.entry.text] = _format_safe(text)

    def tr(context: str) -> Callable[[str, str], str]:
        def translate(slot: str, text: str) -> str:
            if (context, slot) in done:
                return done[(context, slot)]
            return f"[{brochure.source_language}] {text}" if mark_untranslated else text

        return translate

    def slots(context: str, prefix: str) -> dict[str, str]:
        found = done.items()
        return {s[len(prefix) :]: t for (c, s), t in found if c == context and s.startswith(prefix)}

    def doc(document: Document) -> Document:
        update = _translated_fields(document, "", tr(document.id))
        return document.model_copy(update={**update, "translations": slots(document.id, "body.")})

    manifest = tr("brochure")
    parts = tuple(
        part.model_copy(
            update={
                "title": manifest(f"parts.{part.id}.title", part.title),
                "documents": tuple(doc(d) for d in part.documents),
            }
        )
        for part in brochure.parts
    )
    markdown = {f: slots("brochure", f"{f}.") for f in ("imprint", "back_cover")}
    announcement = brochure.announcement
    if announcement is not None:
        markdown["announcement.text"] = slots("brochure", "announcement.text.")
        update = _translated_fields(announcement, "announcement.", manifest)
        announcement = announcement.model_copy(update=update)
    for part in brochure.parts:
        markdown[f"parts.{part.id}.intro"] = slots("brochure", f"parts.{part.id}.intro.")
    localized = brochure.model_copy(
        update={
            "lang": lang,
            "locale": locale_of(lang, catalog),
            "title": manifest("title", brochure.title),
            "subtitle": manifest("subtitle", brochure.subtitle),
            "publisher": manifest("publisher", brochure.publisher),
            "regions": {k: manifest(f"regions.{k}", v) for k, v in brochure.regions.items()},
            "themes": {k: manifest(f"themes.{k}", v) for k, v in brochure.themes.items()},
            "parts": parts,
            "front_documents": tuple(doc(d) for d in brochure.front_documents),
            "back_documents": tuple(doc(d) for d in brochure.back_documents),
            "translations": markdown,
            "interface": interface,
            "announcement": announcement,
        }
    )
    return Edition(localized, standings)


def locale_of(lang: str, catalog: Catalog | None) -> str:
    """The Babel locale of an edition: the catalog's `Language:` when it names a variant of
    the language (pt_PT for pt: European Portuguese country names), else the language."""
    declared = (catalog.header_field("Language") if catalog else None) or ""
    declared = declared.replace("-", "_")
    base = lang.replace("-", "_")
    return declared if declared.split("_")[0] == base.split("_")[0] and declared else base


def _format_safe(text: str) -> str:
    """A template string's translation as a format string: Jinja's gettext always applies
    `%` formatting, so a translator's literal "100 %" is written "100 %%" for it."""
    return re.sub(r"%(\([a-z_]+\)s|%)?", lambda m: m[0] if m[1] else "%%", text)


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
