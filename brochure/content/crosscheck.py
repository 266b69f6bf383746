"""The assembled brochure -> what no single file can know: ids, themes, regions, sections,
every link and image (by the rule in `references`), and files the manifest forgets."""

from __future__ import annotations

import difflib
from pathlib import Path

from ..errors import Location, Problem
from ..markdown import Markdown
from ..model import Brochure, CaseStudy, Document, Tool
from ..references import check_markdown, image_path
from .schema import line_of
from .yamlfile import Lines

__all__ = ["CASE_STUDY_SECTIONS", "cross_check"]

CASE_STUDY_SECTIONS = ("Context", "Approach", "Results", "Lessons learned")


def cross_check(
    brochure: Brochure, content_dir: Path, manifest_lines: Lines, listed: set[Path]
) -> tuple[list[Problem], list[tuple[Path | str, Location, str]]]:
    """Problems across files, and every image file the brochure uses (path, where, field)."""
    problems: list[Problem] = []
    images: list[tuple[Path | str, Location, str]] = []
    manifest = brochure.source.path
    ids: dict[str, Location] = {}
    for index, part in enumerate(brochure.parts):
        where = Location(manifest, line_of(manifest_lines, ("parts", index, "id")))
        _claim(ids, part.id, where, "id", problems)
    for document in brochure.documents:
        _claim(ids, document.id, _at(document, "id"), "id", problems)

    if brochure.source_language not in brochure.languages:
        problems.append(
            Problem(
                Location(manifest, line_of(manifest_lines, ("languages",))),
                "languages",
                "missing-source-language",
                f"expected the source language {brochure.source_language!r} in the list",
            )
        )

    translations = [x for x in brochure.languages if x != brochure.source_language]
    for lang in brochure.drafts:
        if lang == brochure.source_language or lang not in brochure.languages:
            problems.append(
                Problem(
                    Location(manifest, line_of(manifest_lines, ("drafts",))),
                    "drafts",
                    "unknown-draft",
                    f"{lang!r}: expected one of the translations listed in languages "
                    f"({', '.join(translations)})",
                )
            )

    markdown = Markdown(brochure.source_language)

    def judge(text: str, path: str, first_line: int, field: str) -> None:
        found, files = check_markdown(markdown, text, path, first_line, field, ids, content_dir)
        problems.extend(found)
        images.extend((file, where, field) for file, where in files)

    for field in ("imprint", "back_cover"):
        judge(getattr(brochure, field), manifest, line_of(manifest_lines, (field,)) + 1, field)
    if brochure.announcement is not None:
        line = line_of(manifest_lines, ("announcement", "text")) + 1
        judge(brochure.announcement.text, manifest, line, "announcement.text")
        problems += _email_images(markdown, brochure.announcement.text, manifest, line)
    for index, part in enumerate(brochure.parts):
        line = line_of(manifest_lines, ("parts", index, "intro"))
        judge(part.intro or "", manifest, line + 1, f"parts[{index}].intro")
    for document in brochure.documents:
        judge(document.body, document.source.path, document.body_line, "body")
        if isinstance(document, Tool):
            for i, related in enumerate(document.related):
                if related not in ids:
                    problems.append(_no_such(document, f"related[{i}]", related, ids))
        if isinstance(document, CaseStudy):
            problems += _check_case_study(brochure, document, markdown)
            where = _at(document, "image.src")
            found = image_path(document.image.src, where, "image.src", content_dir)
            if isinstance(found, Problem):
                problems.append(found)
            else:
                images.append((found, where, "image.src"))
    problems += _orphans(content_dir, listed, Location(manifest, 1))
    return problems, images


def _check_case_study(brochure: Brochure, study: CaseStudy, markdown: Markdown) -> list[Problem]:
    problems = []
    for i, theme in enumerate(study.themes):
        if theme not in brochure.themes:
            problems.append(_not_listed(study, f"themes[{i}]", theme, brochure.themes, "themes"))
    region = study.place.world_region
    if region not in brochure.regions:
        problems.append(
            _not_listed(study, "place.world_region", region, brochure.regions, "regions")
        )
    found = markdown.headings(study.body, 2)
    titles = tuple(title for title, _ in found)
    if titles != CASE_STUDY_SECTIONS:
        line = study.body_line + (found[0][1] if found else 0)
        problems.append(
            Problem(
                Location(study.source.path, line),
                "body",
                "sections",
                f"expected the sections {', '.join(CASE_STUDY_SECTIONS)} (as '## ' headings, "
                f"in this order), got {', '.join(titles) or 'none'}",
            )
        )
    return problems


def _orphans(content_dir: Path, listed: set[Path], manifest: Location) -> list[Problem]:
    """A warning for each Markdown file in the content folder that the manifest does not list:
    a case study added without its line in brochure.yaml would silently be left out."""
    problems = []
    for path in sorted(content_dir.rglob("*.md")):
        if path.resolve() in listed or "locales" in path.relative_to(content_dir).parts:
            continue
        problems.append(
            Problem(
                Location(str(path), 1),
                "",
                "not-listed",
                f"this file is not in the brochure: list it under a part's files in "
                f"{Path(manifest.path).name}, or move it out of the content folder",
                "warning",
            )
        )
    return problems


def _claim(ids: dict, id_: str, where: Location, field: str, problems: list[Problem]) -> None:
    if id_ in ids:
        problems.append(
            Problem(where, field, "duplicate-id", f"{id_!r} is already used at {ids[id_]}")
        )
    else:
        ids[id_] = where


def _at(document: Document, field: str) -> Location:
    return Location(document.source.path, document.line_of(field))


def _no_such(document: Document, field: str, value: str, ids: dict) -> Problem:
    close = difflib.get_close_matches(value, list(ids), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return Problem(
        _at(document, field), field, "unknown-id", f"no document has the id {value!r}{hint}"
    )


def _not_listed(document: Document, field: str, value: str, known: dict, key: str) -> Problem:
    close = difflib.get_close_matches(value, list(known), n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"expected one of {', '.join(known)}"
    return Problem(
        _at(document, field),
        field,
        f"unknown-{key[:-1]}",
        f"{value!r} is not in the manifest's {key}; {hint}",
    )


def _email_images(markdown: Markdown, text: str, path: str, first_line: int) -> list[Problem]:
    """An email shows no images: a mail client blocks remote ones, and the text stays light."""
    return [
        Problem(
            Location(path, first_line + link.line),
            "announcement.text",
            "image-in-email",
            f"an image ({link.href}) in the announcement's text; the email carries no images "
            "(mail clients block remote ones): describe it in words or leave it to the PDF",
        )
        for link in markdown.links(text)
        if link.kind == "image"
    ]
