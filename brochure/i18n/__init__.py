"""Translations: the brochure's segments <-> gettext catalogs, and the edition in one language.

The package is split the way Babel splits `babel.messages`:

- `segments`  what a translator translates: every text of the brochure, with its identity
              (msgctxt = the document's id, msgid = the English);
- `pofile`    PO files read strictly (file:line for every fault) and written without churn;
- `merge`     `extract` the template, `update` the catalogs (msgmerge's behaviour);
- `state`     the one place that decides each segment's state: translated, fuzzy,
              untranslated or stale; status counts;
- `checks`    what a translation must not break, and a catalog's header;
- `localize`  the brochure in one language;
- `changes`   the translator's job after an edit of the English;
- `xliff`     XLIFF 1.2 export and import for CAT tools.
"""

from __future__ import annotations

from pathlib import Path

from ..finish import write_atomically
from .changes import Change, DocumentJob, changes
from .checks import check, dropped_contexts
from .localize import Edition, locale_of, localize
from .merge import LOCALES, TEMPLATE, Counts, extract, merge, template, update
from .pofile import Catalog, Message, dumps
from .pofile import read as read_catalog
from .segments import MANIFEST, Entry, entries, normalize, template_entries
from .state import FileStatus, Standing, State, judge, orphans, status
from .xliff import export as export_xliff
from .xliff import import_ as import_xliff

__all__ = [
    "LOCALES",
    "MANIFEST",
    "TEMPLATE",
    "Catalog",
    "Change",
    "Counts",
    "DocumentJob",
    "Edition",
    "Entry",
    "FileStatus",
    "Message",
    "Standing",
    "State",
    "catalog_path",
    "changes",
    "check",
    "dropped_contexts",
    "dumps",
    "entries",
    "export_xliff",
    "extract",
    "import_xliff",
    "judge",
    "locale_of",
    "localize",
    "merge",
    "normalize",
    "orphans",
    "read_catalog",
    "status",
    "template",
    "template_entries",
    "update",
    "write_catalog",
]


def catalog_path(content_dir: Path, lang: str) -> Path:
    return content_dir / LOCALES / f"{lang}.po"


def write_catalog(path: Path, catalog: Catalog) -> None:
    """Write a catalog the way gettext's tools do, atomically."""
    write_atomically(path, dumps(catalog).encode("utf-8"))
