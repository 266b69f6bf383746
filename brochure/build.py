"""Build options -> the finished PDF: the pipeline's stages, in order, in one place.

Reading `build` is reading the pipeline. Each stage takes what the previous one returned; none
reaches back into content/ or into an earlier stage's inputs.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol, TypeVar

from . import check as check_pages
from . import content, finish, fonts, i18n, outputs, references, render, typeset
from .errors import BrochureError, Location, Problem, UsageError
from .markdown import Markdown
from .model import Brochure, Variant

__all__ = ["BuildOptions", "Progress", "build", "check", "editions", "sources"]

_PACKAGE = Path(__file__).resolve().parent
# A checkout keeps templates/, styles/ and assets/ beside the package; an installed wheel
# carries them inside it (see pyproject.toml).
PROJECT = _PACKAGE.parent if (_PACKAGE.parent / "templates").is_dir() else _PACKAGE
T = TypeVar("T")


class Progress(Protocol):
    def step(self, name: str, fn: Callable[..., T], *args: Any) -> T: ...


@dataclass(frozen=True)
class BuildOptions:
    content_dir: Path = Path("content")
    out_dir: Path = Path("build")
    lang: str | None = None  # None: the manifest's source language
    write_html: bool = False
    variant: str | None = None  # None: the manifest's first (default) variant
    strict: bool = False  # fail on any segment that falls back to the source language
    mark_untranslated: bool = False  # highlight fallbacks in a draft PDF
    project_dir: Path = PROJECT  # where templates/, styles/ and assets/ live

    @property
    def templates_dir(self) -> Path:
        return self.project_dir / "templates"

    @property
    def fonts_dir(self) -> Path:
        return self.project_dir / "assets" / "fonts"

    @property
    def sandbox_roots(self) -> tuple[Path, ...]:
        # WeasyPrint resolves url() in CSS against the stylesheet's folder, and the fonts and the
        # map live in assets/, so the sandbox opens exactly these three folders.
        return (self.content_dir, self.project_dir / "styles", self.project_dir / "assets")


@dataclass(frozen=True)
class Result:
    pdf: Path | None
    html: Path | None
    pages: int
    findings: tuple[Problem, ...]


def build(opts: BuildOptions, log: Progress) -> Result:
    """Load, check, render, typeset and finish one edition. Raises BrochureError on errors."""
    source, warnings = log.step("load", _load, opts)
    name, variant = _variant(source, opts)
    _stop_on(log.step("styles", _check_styles, opts, variant))
    points = log.step("glyphs", fonts.coverage, opts.fonts_dir)
    edition = log.step("localize", _localize, source, opts, points)
    brochure = edition.brochure
    warnings += _stop_on(log.step("check", fonts.check_glyphs, brochure, points))
    if opts.strict and warnings:
        raise BrochureError(_as_errors(warnings))
    if opts.strict and edition.fallbacks:
        pages = _last_layout(opts, brochure)  # refused before typesetting: the last build's pages
        raise BrochureError(_fallback_notes(edition, opts, pages, severity="error"))
    is_default = name == next(iter(brochure.variants))
    stem = f"{brochure.slug}-{brochure.lang}" + ("" if is_default else f"-{name}")
    mark = opts.mark_untranslated and brochure.lang != source.source_language
    html, laid_out = _lay_out(brochure, opts, variant, stem, log, mark)
    _stop_on(laid_out.findings)
    html_path = opts.out_dir / f"{stem}.html" if opts.write_html else None
    # The edition's files are written aside and replace the previous ones together.
    names = outputs.edition_names(stem, brochure.lang if is_default else None)
    with outputs.Staging(opts.out_dir, names) as staged:
        if html_path is not None:
            staged.write(html_path.name, html.encode())
        pdf = opts.out_dir / f"{stem}.pdf"
        log.step(
            "finish", finish.finish, laid_out.document, brochure, staged.new / pdf.name, variant
        )
        if is_default:  # handouts and the layout report come from the default variant
            log.step("handouts", finish.handouts, laid_out.document, brochure, staged.new)
            layout = finish.document_pages(laid_out.document, brochure)
            staged.write(f"{stem}.layout.json", json.dumps(layout, indent=1).encode())
    findings = tuple(warnings) + laid_out.findings
    if not is_default:
        return Result(pdf, html_path, len(laid_out.document.pages), findings)
    notes = _fallback_notes(edition, opts, layout)
    if brochure.lang != source.source_language:
        notes += _layout_fit(
            brochure, layout, opts.out_dir / f"{brochure.slug}-{source.source_language}.layout.json"
        )
    return Result(pdf, html_path, len(laid_out.document.pages), findings + notes)


def _lay_out(
    brochure: Brochure,
    opts: BuildOptions,
    variant: Variant,
    stem: str,
    log: Progress,
    mark_untranslated: bool = False,
) -> tuple[str, typeset.Typeset]:
    """Render the edition to HTML and lay it out in pages, inside the sandbox."""
    options = _render_options(opts, variant)
    env = render.environment(
        opts.templates_dir,
        brochure.lang,
        brochure.interface,
        mark_untranslated,
        locale=brochure.locale or None,
        image_base=options["content_url"],
    )
    html = log.step("render", render.render, brochure, env, options)
    sandbox = typeset.Sandbox(opts.sandbox_roots)
    laid_out = log.step("typeset", typeset.typeset, html, opts.project_dir, sandbox, stem + ".html")
    return html, laid_out


def _localize(brochure: Brochure, opts: BuildOptions, points: frozenset[int]) -> i18n.Edition:
    """The edition in the requested language, with every segment's standing in its catalog.

    A catalog that is not what it claims (language, plural forms) or a translation that would
    break its segment (a link, image, footnote, number or placeholder lost or invented, raw
    HTML, markup left open, a character the fonts lack) stops the build here.
    """
    lang = opts.lang or brochure.source_language
    if lang == brochure.source_language:
        return i18n.Edition(brochure, [])
    if lang not in brochure.languages:
        raise UsageError(
            [
                Problem(
                    brochure.source,
                    "languages",
                    "unknown-language",
                    f"{lang!r} is not one of the manifest's languages "
                    f"({', '.join(brochure.languages)})",
                )
            ]
        )
    path = i18n.catalog_path(opts.content_dir, lang)
    catalog = i18n.read_catalog(path) if path.exists() else None
    if catalog is not None:
        _stop_on(i18n.check(catalog, path, lang, points, Markdown(lang)))
    templates = i18n.template_entries(opts.templates_dir)
    return i18n.localize(brochure, catalog, lang, templates, opts.mark_untranslated)


def _last_layout(opts: BuildOptions, brochure: Brochure) -> dict[str, dict[str, object]]:
    path = opts.out_dir / f"{brochure.slug}-{brochure.lang}.layout.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


_WHY = {
    i18n.State.FUZZY: "fuzzy",
    i18n.State.UNTRANSLATED: "untranslated",
    i18n.State.STALE: "stale",
}


def _fallback_notes(
    edition: i18n.Edition,
    opts: BuildOptions,
    layout: dict[str, dict[str, object]],
    severity: str = "warning",
) -> tuple[Problem, ...]:
    """What was set in the source language: one finding per source file, with its pages, and
    one per stale segment at the catalog's line (a translation of an older English is never
    printed)."""
    lang = edition.brochure.lang
    po = str(i18n.catalog_path(opts.content_dir, lang))
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


def _layout_fit(
    brochure: Brochure, layout: dict[str, dict[str, object]], source_layout: Path
) -> tuple[Problem, ...]:
    """Warnings for documents the translation made longer than in the source language."""
    if not source_layout.exists():
        return ()
    before = json.loads(source_layout.read_text())
    notes = []
    for document in brochure.documents:
        was, now = before.get(document.id, {}), layout.get(document.id, {})
        if now.get("title_lines", 0) > was.get("title_lines", 99):
            notes.append(
                Problem(
                    document.source,
                    "title",
                    "longer-title",
                    f"the title {document.title!r} takes {now['title_lines']} lines in "
                    f"{brochure.lang}, {was['title_lines']} in the source language",
                    "warning",
                )
            )
        if now.get("facts_mm", 0) > 1.15 * was.get("facts_mm", 1e9):
            notes.append(
                Problem(
                    document.source,
                    "facts",
                    "taller-fact-box",
                    f"the fact box is {now['facts_mm']} mm tall in {brochure.lang}, "
                    f"{was['facts_mm']} mm in the source language",
                    "warning",
                )
            )
        old, new = was.get("pages"), now.get("pages")
        if old and new and new > old:
            notes.append(
                Problem(
                    document.source,
                    "layout",
                    "longer-translation",
                    f"{document.title!r} takes {new} pages in {brochure.lang}, {old} in the "
                    "source language; shorten the translation or check the page breaks",
                    "warning",
                )
            )
    return tuple(notes)


def editions(opts: BuildOptions) -> list[tuple[str, str]]:
    """Every (language, variant) the manifest publishes, source language and default first."""
    brochure = content.load(opts.content_dir)
    return [(lang, name) for lang in brochure.languages for name in brochure.variants]


def check(opts: BuildOptions, log: Progress, quick: bool = False) -> list[Problem]:
    """Everything a careful editor wants to know, errors and warnings; writes nothing.

    Content, glyphs, translations and images always; unless `quick`, the source edition is
    also typeset in memory: WeasyPrint's findings, the size budget, and that every paragraph
    of the content is printed exactly once.
    """
    brochure, problems = log.step("load", _load, opts)
    _name, variant = _variant(brochure, opts)
    problems += log.step("styles", _check_styles, opts, variant)
    points = log.step("glyphs", fonts.coverage, opts.fonts_dir)
    problems += log.step("check", fonts.check_glyphs, brochure, points)
    problems += log.step("translations", _check_translations, brochure, opts, points)
    problems += check_pages.image_resolution(brochure, opts.content_dir)
    if quick or any(p.is_error for p in problems):
        _stop_on(problems)
        return problems
    stem = f"{brochure.slug}-{brochure.lang}"
    _html, laid_out = _lay_out(brochure, opts, variant, stem, log)
    problems += laid_out.findings
    pdf = log.step("finish", finish.pdf_bytes, laid_out.document, brochure, variant)
    problems += finish.over_budget(pdf, variant, Location(str(opts.out_dir / f"{stem}.pdf")))
    problems += log.step(
        "completeness", check_pages.completeness, pdf, i18n.entries(brochure), brochure.lang
    )
    _stop_on(problems)
    return problems


def _check_translations(
    brochure: Brochure, opts: BuildOptions, points: frozenset[int]
) -> list[Problem]:
    """Every catalog's faults (errors), and what would fall back to English (warnings)."""
    problems: list[Problem] = []
    templates = i18n.template_entries(opts.templates_dir)
    own = i18n.entries(brochure)
    segments = own + templates
    for lang in brochure.languages:
        if lang == brochure.source_language:
            continue
        path = i18n.catalog_path(opts.content_dir, lang)
        if not path.exists():
            problems.append(
                Problem(
                    Location(str(path)), "", "no-catalog", "missing; run `i18n update`", "warning"
                )
            )
            continue
        try:
            catalog = i18n.read_catalog(path)
        except BrochureError as error:
            problems += error.problems
            continue
        problems += i18n.check(catalog, path, lang, points, Markdown(lang))
        problems += i18n.dropped_contexts(catalog, path, segments)
        edition = i18n.localize(brochure, catalog, lang, templates, segments=own)
        states = Counter(s.state.value for s in edition.fallbacks)
        if states:
            problems.append(
                Problem(
                    Location(str(path)),
                    "",
                    "fallback",
                    f"{sum(states.values())} segments fall back to {brochure.source_language} ("
                    + ", ".join(f"{n} {state}" for state, n in sorted(states.items()))
                    + ")"
                    + ("; run `i18n update`" if states.get("stale") else ""),
                    "warning",
                )
            )
    return problems


def _variant(brochure: Brochure, opts: BuildOptions) -> tuple[str, Variant]:
    name = opts.variant or next(iter(brochure.variants))
    if name not in brochure.variants:
        raise UsageError(
            [
                Problem(
                    Location(brochure.source.path, brochure.field_lines.get("variants", 0)),
                    "variants",
                    "unknown-variant",
                    f"{name!r} is not one of the manifest's variants "
                    f"({', '.join(brochure.variants)})",
                )
            ]
        )
    variant = brochure.variants[name]
    missing = [s for s in variant.stylesheets if not (opts.project_dir / "styles" / s).is_file()]
    if missing:
        line = brochure.field_lines.get(f"variants.{name}.stylesheets", 0)
        raise BrochureError(
            [
                Problem(
                    Location(brochure.source.path, line),
                    f"variants.{name}.stylesheets",
                    "missing-stylesheet",
                    f"no stylesheet styles/{s}",
                )
                for s in missing
            ]
        )
    return name, variant


def _render_options(opts: BuildOptions, variant: Variant) -> dict[str, object]:
    return {
        "stylesheets": ["styles/brochure.css", *(f"styles/{s}" for s in variant.stylesheets)],
        "content_url": opts.content_dir.resolve().as_uri(),
    }


def _stop_on(problems: list[Problem] | tuple[Problem, ...]) -> list[Problem]:
    """Raise if any problem is an error; else return them (warnings) to report."""
    if any(p.is_error for p in problems):
        raise BrochureError(problems)
    return list(problems)


def _as_errors(problems: list[Problem]) -> list[Problem]:
    """`--strict`: what is a warning for a draft is an error for a release."""
    return [replace(p, severity="error") for p in problems]


def _load(opts: BuildOptions) -> tuple[Brochure, list[Problem]]:
    return content.read(opts.content_dir)


def _check_styles(opts: BuildOptions, variant: Variant) -> list[Problem]:
    """The edition's stylesheets and what they import, by the rule in `references`."""
    sheets = [opts.project_dir / s for s in _render_options(opts, variant)["stylesheets"]]
    return references.check_stylesheets(sheets, opts.sandbox_roots[1:])


def sources(opts: BuildOptions) -> dict[Path, int]:
    """Every file a build reads, with its modification time: what `watch` compares."""
    roots = (opts.content_dir, opts.templates_dir, *opts.sandbox_roots[1:])
    return {
        path: path.stat().st_mtime_ns
        for root in roots
        for path in sorted(root.rglob("*"))
        if (path.is_file() and "locales" not in path.parts[-2:-1]) or path.suffix == ".po"
    }
