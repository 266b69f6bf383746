"""content/ -> Brochure: reads the manifest and every Markdown file, validates all of it.

Every problem of a run is collected, each with its file, line and field, and raised together in
one `BrochureError` at the end, so the secretariat fixes everything in one pass. Lines come from
the YAML parser's node marks and markdown-it's token maps, never from guessing.

- `yamlfile`    YAML read safely (1.2 core types, no aliases, bounded), with the line of every key
- `schema`      pydantic's errors as problems in the author's words
- `crosscheck`  what no single file knows: ids, links and images (`references`), sections,
                files the manifest forgets
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .. import images
from ..errors import BrochureError, Location, Problem
from ..model import Brochure, CaseStudy, Chapter, Document, Tool
from .crosscheck import CASE_STUDY_SECTIONS, cross_check
from .schema import validate
from .yamlfile import Lines, decode, field_name, parse, read_file, split_front_matter

__all__ = ["CASE_STUDY_SECTIONS", "MANIFEST", "Brochure", "load", "read"]

MANIFEST = "brochure.yaml"
_SCHEMAS: dict[str, type[Document]] = {"chapter": Chapter, "tool": Tool, "case-study": CaseStudy}


def load(content_dir: Path) -> Brochure:
    """Read and validate the brochure in `content_dir`; raise `BrochureError` with all problems."""
    return read(content_dir)[0]


def read(content_dir: Path) -> tuple[Brochure, list[Problem]]:
    """The brochure and the warnings about it (a file the manifest does not list); errors
    raise `BrochureError`, with the warnings beside them."""
    problems: list[Problem] = []
    manifest_path = content_dir / MANIFEST
    raw, lines = read_file(
        manifest_path,
        problems,
        "the manifest is missing; every brochure needs a brochure.yaml in its content folder",
    )
    if raw is not None and not isinstance(raw, dict):
        problems.append(
            Problem(
                Location(str(manifest_path), 1), "", "not-a-mapping", "expected 'key: value' lines"
            )
        )
        raw = None
    manifest = validate(Brochure, raw, lines, Location(str(manifest_path)), problems)

    documents: dict[str, Document] = {}
    listed: set[Path] = set()
    for rel, kind, line in _listed_files(raw, lines):
        where = Location(str(manifest_path), line)
        listed.add((content_dir / rel).resolve())
        document = _load_document(content_dir, rel, kind, where, problems)
        if document is not None:
            documents[rel] = document

    if manifest is None:
        raise BrochureError(problems)
    brochure = _assemble(manifest, documents, Location(str(manifest_path)), lines)
    found, used = cross_check(brochure, content_dir, lines, listed)
    problems += found
    limits = images.ImageLimits(megapixels=brochure.limits.image_megapixels)
    for image, where, field in dict.fromkeys(used):
        problems += images.judge(image, where, field, content_dir, limits)
    if any(p.is_error for p in problems):
        raise BrochureError(problems)
    return brochure, problems


def _listed_files(raw: Any, lines: Lines) -> Iterator[tuple[str, str, int]]:
    """(path, schema kind, manifest line) of every file the manifest lists, even a broken one."""
    if not isinstance(raw, dict):
        return
    for key in ("front_matter", "back_matter"):
        for i, rel in enumerate(raw.get(key) or ()):
            if isinstance(rel, str):
                yield rel, "chapter", lines.get((key, i), 0)
    parts = raw.get("parts")
    for p, part in enumerate(parts if isinstance(parts, list) else ()):
        if not isinstance(part, dict) or part.get("kind") not in _SCHEMAS:
            continue
        files = part.get("files")
        for i, rel in enumerate(files if isinstance(files, list) else ()):
            if isinstance(rel, str):
                yield rel, part["kind"], lines.get(("parts", p, "files", i), 0)


def _load_document(
    content_dir: Path, rel: str, kind: str, listed_at: Location, problems: list[Problem]
) -> Document | None:
    path = content_dir / rel
    where = Location(str(path))
    if not path.resolve().is_relative_to(content_dir.resolve()):
        problems.append(
            Problem(listed_at, "files", "outside-content", f"{rel!r} is outside {content_dir}")
        )
        return None
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        problems.append(
            Problem(listed_at, "files", "missing-file", f"{rel!r} is listed but does not exist")
        )
        return None
    except OSError as error:
        problems.append(Problem(listed_at, "files", "unreadable", f"{rel!r}: {error.strerror}"))
        return None
    text = decode(data, where, problems)
    if text is None:
        return None

    front, body, body_line = split_front_matter(text)
    if front is None:
        problems.append(
            Problem(
                Location(str(path), 1),
                "",
                "no-front-matter",
                "expected YAML front matter between two '---' lines at the top of the file",
            )
        )
        return None
    raw, lines = parse(front, where, 2, problems)
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.append(
            Problem(Location(str(path), 2), "", "not-a-mapping", "expected 'key: value' lines")
        )
        return None
    data = {
        **raw,
        "body": body,
        "body_line": body_line,
        "source": Location(str(path), 1),
        "field_lines": {field_name(loc): line for loc, line in lines.items() if loc},
    }
    if kind != "chapter":
        data["kind"] = kind
    return validate(_SCHEMAS[kind], data, lines, where, problems, user_keys=raw.keys())


def _assemble(
    manifest: Brochure, documents: dict[str, Document], where: Location, lines: Lines
) -> Brochure:
    parts = tuple(
        part.model_copy(
            update={"documents": tuple(documents[f] for f in part.files if f in documents)}
        )
        for part in manifest.parts
    )
    return manifest.model_copy(
        update={
            "parts": parts,
            "lang": manifest.source_language,
            "source": where,
            "field_lines": {field_name(loc): line for loc, line in lines.items() if loc},
            "front_documents": tuple(documents[f] for f in manifest.front_matter if f in documents),
            "back_documents": tuple(documents[f] for f in manifest.back_matter if f in documents),
        }
    )
