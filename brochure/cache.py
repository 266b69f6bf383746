"""What a build may reuse, kept in `<out>/.cache/`: never wrong, only ever faster.

An edition's finished files (PDF, handouts, layout report, HTML) and everything its build
reported are kept under a key: a SHA-256 of everything they depend on. That is every file the
edition reads, by name and content: the content folder (its Markdown, manifest and images,
and the catalog of the edition's own language only, so that a French correction does not
rebuild the Spanish edition), templates/, styles/ and assets/ (fonts included); the pipeline's
own source code; the versions of the libraries that read, lay out and write; and the options
that change the result (language, variant, --html, --strict, --mark-untranslated). A build
whose key is in the cache copies the files instead of building them, and reports what the
build that made them reported.

Keys are made from files only, so this module reads them without loading the pipeline: a
build with nothing changed is over before WeasyPrint is even imported.

The page map each edition's layout starts from is kept here too (`pagemaps/`): only a first
guess, checked against the pages by the layout, so a stale one costs time, never
correctness. `--force` ignores the cached editions; deleting the folder (`make clean`) clears
everything. The 20 editions used last are kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from .errors import Location, Problem
from .options import BuildOptions
from .outputs import Staging, write_atomically

__all__ = ["FOLDER", "Cached", "EditionCache", "edition_key", "pagemap_path", "reuse"]

FOLDER = ".cache"
KEEP = 20
_LIBRARIES = (
    *("weasyprint", "pydyf", "fonttools", "pillow", "pypdf", "tinycss2", "cssselect2"),
    *("markdown-it-py", "mdit-py-plugins", "babel", "jinja2", "pyyaml", "pydantic"),
)
_PACKAGE = Path(__file__).resolve().parent
_OWN = ("templates", "styles", "assets")


def edition_key(
    content_dir: Path, project_dir: Path, lang: str | None, options: dict[str, object]
) -> str:
    """The SHA-256 of everything an edition's files depend on (see the module)."""
    digest = hashlib.sha256(json.dumps({"lang": lang, **options}, sort_keys=True).encode())
    own = f"{lang}.po" if lang else None
    for path in _files(content_dir):
        if path.parent.name == "locales" and path.suffix in (".po", ".pot") and path.name != own:
            continue  # another language's catalog, or the template: not read by this edition
        _add(digest, content_dir, path)
    for folder in (*(project_dir / name for name in _OWN), _PACKAGE):
        for path in _files(folder):
            if path.suffix != ".pyc":
                _add(digest, folder.parent, path)
    for library in _LIBRARIES:
        digest.update(f"{library}=={metadata.version(library)}\n".encode())
    return digest.hexdigest()


def digest(folders: list[Path], names: list[str]) -> str:
    """A SHA-256 of the files in `folders` and of `names` (what a warm typesetter was made
    from: if it changes, the typesetter is made anew)."""
    hashed = hashlib.sha256("|".join(names).encode())
    for folder in folders:
        for path in _files(folder):
            _add(hashed, folder.parent, path)
    return hashed.hexdigest()


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def _add(digest: hashlib._Hash, root: Path, path: Path) -> None:
    digest.update(str(path.relative_to(root)).encode() + b"\0")
    digest.update(hashlib.sha256(path.read_bytes()).digest())


def reuse(opts: BuildOptions) -> tuple[Path, Cached] | None:
    """When the edition `opts` asks for is cached (and not `opts.force`): its files put in
    place in the output folder (together, as a build does), its PDF's path and what its build
    reported. The caller holds the output folder's lock."""
    if opts.force:
        return None
    key = edition_key(opts.content_dir, opts.project_dir, opts.lang, opts.result_options)
    editions = EditionCache(opts.out_dir)
    names = editions.names(key)
    if names is None:
        return None
    with Staging(opts.out_dir, names) as staged:
        cached = editions.restore(key, staged.new)
    if cached is None:
        return None
    return opts.out_dir / names[0], cached


def pagemap_path(out_dir: Path, edition: str) -> Path:
    """Where the page map of an edition (`<slug>-<lang>[-variant]`) is kept."""
    return out_dir / FOLDER / "pagemaps" / f"{edition}.json"


class Cached:
    """One cached edition, as `EditionCache.restore` gives it back."""

    def __init__(self, names: tuple[str, ...], findings: tuple[Problem, ...], pages: int):
        self.names = names  # what it owns in the output folder (see outputs.edition_names)
        self.findings = findings  # what its build reported
        self.pages = pages


class EditionCache:
    """Finished editions by key, in `<out>/.cache/editions/`."""

    def __init__(self, out_dir: Path):
        self.root = out_dir / FOLDER / "editions"

    def names(self, key: str) -> tuple[str, ...] | None:
        """The names a cached edition owns in the output folder, or None if it is not cached."""
        saved = self._saved(key)
        return tuple(saved["names"]) if saved else None

    def restore(self, key: str, into: Path) -> Cached | None:
        """Copy a cached edition's files into `into` (a staging folder)."""
        saved = self._saved(key)
        if saved is None:
            return None
        files = self.root / key / "files"
        for path in sorted(files.rglob("*")):
            if path.is_file():
                target = into / path.relative_to(files)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
        os.utime(self.root / key)  # recently used
        findings = tuple(_problem(item) for item in saved["findings"])
        return Cached(tuple(saved["names"]), findings, saved["pages"])

    def store(
        self,
        key: str,
        files: Path,
        names: Iterable[str],
        findings: Iterable[Problem],
        pages: int,
    ) -> None:
        """Keep a copy of an edition's files (as staged in `files`) and its findings."""
        entry = self.root / key
        partial = self.root / f".{key}.{os.getpid()}"
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(files, partial / "files")
        saved = {"names": list(names), "findings": [_item(p) for p in findings], "pages": pages}
        write_atomically(partial / "edition.json", json.dumps(saved).encode())
        shutil.rmtree(entry, ignore_errors=True)
        partial.rename(entry)
        self._prune()

    def _saved(self, key: str) -> dict | None:
        try:
            return json.loads((self.root / key / "edition.json").read_text())
        except (OSError, ValueError):
            return None

    def _prune(self) -> None:
        entries = sorted(
            (p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
        for old in entries[KEEP:]:
            shutil.rmtree(old, ignore_errors=True)


def _item(problem: Problem) -> dict[str, object]:
    return {
        "path": problem.where.path,
        "line": problem.where.line,
        "field": problem.field,
        "kind": problem.kind,
        "message": problem.message,
        "severity": problem.severity,
    }


def _problem(item: dict) -> Problem:
    where = Location(item["path"], item["line"])
    return Problem(where, item["field"], item["kind"], item["message"], item["severity"])
