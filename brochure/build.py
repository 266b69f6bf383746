"""Build options -> the finished PDF: the pipeline's stages, in order, in one place.

Reading `build` is reading the pipeline. Each stage takes what the previous one returned; none
reaches back into content/ or into an earlier stage's inputs.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, TypeVar

from . import (
    cache,
    content,
    finish,
    fonts,
    i18n,
    layout,
    notes,
    outputs,
    parts,
    printing,
    references,
    render,
    typeset,
)
from . import check as check_pages
from .errors import BrochureError, Location, Problem, UsageError
from .markdown import Markdown
from .model import Brochure, Variant
from .options import PROJECT, BuildOptions

__all__ = [
    "PROJECT",
    "BuildOptions",
    "Preview",
    "Progress",
    "Warm",
    "build",
    "build_variants",
    "check",
    "editions",
    "preview",
    "sources",
]

T = TypeVar("T")


class Progress(Protocol):
    def step(self, name: str, fn: Callable[..., T], *args: Any) -> T: ...


@dataclass(frozen=True)
class Result:
    pdf: Path | None
    html: Path | None
    pages: int
    findings: tuple[Problem, ...]
    cached: bool = False  # copied from the cache, not built
    laid_out: int = 0  # pieces laid out by this build (the others were remembered by `warm`)
    added_pages: int = 0  # notes pages before the back cover, to make a multiple of 4 pages


def build(opts: BuildOptions, log: Progress, warm: Warm | None = None) -> Result:
    """Load, check, render, typeset and finish one edition. Raises BrochureError on errors.

    An edition whose sources are all unchanged is copied from the cache instead (unless
    `opts.force`); `warm` (from `watch`) keeps fonts, stylesheets and unchanged pieces' layouts
    from one build to the next."""
    ((_name, outcome),) = build_variants(opts, [opts.variant], log, warm)
    if isinstance(outcome, BrochureError):
        raise outcome
    return outcome


def build_variants(
    opts: BuildOptions, names: list[str | None], log: Progress, warm: Warm | None = None
) -> list[tuple[str | None, Result | BrochureError]]:
    """Several variants of one language's edition (`names`; None is the default variant), each
    as `build` makes it, laid out once for all those with the same stylesheets: the screen and
    print variants share their pages, and only their finishing differs (brochure/printing.py).

    Each variant's outcome is its Result, or the error that stopped it alone (its size budget);
    an error every variant shares (the sources, the layout) is raised."""
    outcomes: dict[str | None, Result | BrochureError] = {}
    for name in names:
        reused = log.step("cache", cache.reuse, replace(opts, variant=name))
        if reused is not None:
            pdf, cached = reused
            html = pdf.with_suffix(".html") if opts.write_html else None
            outcomes[name] = Result(pdf, html, cached.pages, cached.findings, cached=True)
    todo = [name for name in names if name not in outcomes]
    if not todo:
        return [(name, outcomes[name]) for name in names]
    source, warnings = log.step("load", _load, opts)
    chosen = {name: _variant(source, replace(opts, variant=name)) for name in todo}
    for variant in {v.stylesheets: v for _full, v in chosen.values()}.values():
        _stop_on(log.step("styles", _check_styles, opts, variant))
    points = log.step("glyphs", fonts.coverage, opts.fonts_dir)
    edition = log.step("localize", _localize, source, opts, points)
    brochure = edition.brochure
    warnings += _stop_on(log.step("check", fonts.check_glyphs, brochure, points))
    if opts.strict and warnings:
        raise BrochureError(_as_errors(warnings))
    if opts.strict and edition.fallbacks:
        # Refused before typesetting: the pages are the last build's.
        last = _read_layout(opts.out_dir / f"{brochure.slug}-{brochure.lang}.layout.json")
        catalog = i18n.catalog_path(opts.content_dir, brochure.lang)
        raise BrochureError(notes.fallbacks(edition, catalog, last, severity="error"))
    mark = opts.mark_untranslated and brochure.lang != source.source_language
    # Variants with the same stylesheets are laid out once, in the first one's name.
    groups: dict[tuple[str, ...], list[str | None]] = {}
    for name, (_full, variant) in chosen.items():
        groups.setdefault(variant.stylesheets, []).append(name)
    for group in groups.values():
        stems = {name: _stem(brochure, chosen[name][0]) for name in group}
        first = group[0]
        laid_out, html = _lay_out(brochure, opts, chosen[first][1], stems[first], log, warm, mark)
        _stop_on(laid_out.findings)
        unfit = [p for p in laid_out.findings if p.kind in layout.LAYOUT_FAULTS]
        if opts.strict and unfit:  # a release has no nearly empty page and no broken spread
            raise BrochureError(_as_errors(unfit))
        for name in group:
            if stems[name] != stems[first]:  # the same pages: the same map to start from
                layout.write_pagemap(
                    cache.pagemap_path(opts.out_dir, stems[name]), laid_out.pagemap
                )
            try:
                outcomes[name] = _write(
                    replace(opts, variant=name), source, edition, chosen[name], laid_out, html,
                    warnings, log, warm,
                )  # fmt: skip
            except BrochureError as error:
                outcomes[name] = error
    return [(name, outcomes[name]) for name in names]


def _stem(brochure: Brochure, name: str) -> str:
    """`<slug>-<lang>` for the default variant, `<slug>-<lang>-<variant>` for the others."""
    is_default = name == next(iter(brochure.variants))
    return f"{brochure.slug}-{brochure.lang}" + ("" if is_default else f"-{name}")


def _write(
    opts: BuildOptions,
    source: Brochure,
    edition: i18n.Edition,
    chosen: tuple[str, Variant],
    laid_out: layout.Edition,
    html: str | None,
    warnings: list[Problem],
    log: Progress,
    warm: Warm | None,
) -> Result:
    """One variant's files from the laid-out edition, staged and swapped in together, and
    kept in the cache."""
    brochure = edition.brochure
    name, variant = chosen
    is_default = name == next(iter(brochure.variants))
    stem = _stem(brochure, name)
    catalog = i18n.catalog_path(opts.content_dir, brochure.lang)
    # The edition's files are written aside and replace the previous ones together.
    names = outputs.edition_names(stem, brochure.lang if is_default else None)
    with outputs.Staging(opts.out_dir, names) as staged:
        if html is not None:
            staged.write(f"{stem}.html", html.encode())
        pdf = staged.new / f"{stem}.pdf"
        log.step("finish", finish.finish, laid_out.document, brochure, pdf, variant, opts.icc_dir)
        findings = tuple(warnings) + laid_out.findings
        if is_default:  # handouts and the layout report come from the default variant
            handouts = warm.handouts if warm is not None else None
            log.step("handouts", finish.handouts, laid_out.document, brochure, staged.new, handouts)
            report = finish.document_pages(laid_out.document, brochure)
            staged.write(f"{stem}.layout.json", json.dumps(report, indent=1).encode())
            findings += notes.fallbacks(edition, catalog, report)
            if brochure.lang != source.source_language and opts.compare_layout:
                english = f"{brochure.slug}-{source.source_language}.layout.json"
                findings += notes.layout_fit(
                    brochure.lang, report, _read_layout(opts.out_dir / english)
                )
        pages = len(laid_out.document.pages)
        key = cache.edition_key(opts.content_dir, opts.project_dir, opts.lang, opts.result_options)
        cache.EditionCache(opts.out_dir).store(key, staged.new, names, findings, pages)
    html_path = opts.out_dir / f"{stem}.html" if html is not None else None
    return Result(
        opts.out_dir / f"{stem}.pdf",
        html_path,
        pages,
        findings,
        laid_out=laid_out.laid_out,
        added_pages=laid_out.added_pages,
    )


@dataclass
class Warm:
    """What `watch` keeps from one build to the next: a typesetter per set of stylesheets,
    with its fonts loaded and the layouts of unchanged pieces remembered."""

    typesetters: dict[str, typeset.Typesetter] = field(default_factory=dict)
    handouts: dict[tuple, bytes] = field(default_factory=dict)  # see finish.handouts


def _lay_out(
    brochure: Brochure,
    opts: BuildOptions,
    variant: Variant,
    stem: str,
    log: Progress,
    warm: Warm | None = None,
    mark_untranslated: bool = False,
    remember: bool = True,
) -> tuple[layout.Edition, str | None]:
    """Lay out the edition's pieces inside the sandbox until their page numbers agree; the whole
    edition as one HTML document too when `--html` asks for it. The page map is kept for the
    next build unless `remember` is off (`check` writes nothing)."""
    options = _render_options(opts, variant)
    env = _environment(brochure, opts, options, mark_untranslated)
    typesetter = _typesetter(opts, options["stylesheets"], stem, warm)
    pagemap = _first_guess(opts, brochure, stem)
    laid_out = log.step(
        "typeset",
        layout.lay_out,
        brochure,
        env,
        options,
        typesetter,
        pagemap,
        stem + ".html",
    )
    if remember:
        layout.write_pagemap(cache.pagemap_path(opts.out_dir, stem), laid_out.pagemap)
    laid_out = replace(laid_out, findings=typesetter.findings + laid_out.findings)
    html = None
    if opts.write_html:
        numbers = render.PageNumbers(laid_out.pagemap.numbers())
        html = render.render(brochure, env, options, numbers)
    return laid_out, html


def _first_guess(opts: BuildOptions, brochure: Brochure, stem: str) -> parts.PageMap:
    """The page map to start from: this edition's last one; else its language's default
    variant's (the same pages, bleed aside); else the first language's (the same pieces, a
    rough guess). Whatever it says is checked against the pages."""
    default = f"{brochure.slug}-{brochure.lang}"
    first = f"{brochure.slug}-{brochure.languages[0]}"
    for edition in dict.fromkeys((stem, default, first)):
        pagemap = layout.read_pagemap(cache.pagemap_path(opts.out_dir, edition))
        if pagemap.anchors:
            return pagemap
    return parts.PageMap()


def _environment(
    brochure: Brochure, opts: BuildOptions, options: dict[str, object], mark: bool
) -> Any:
    return render.environment(
        opts.templates_dir,
        brochure.lang,
        brochure.interface,
        mark,
        locale=brochure.locale or None,
        content_dir=opts.content_dir,
    )


@dataclass(frozen=True)
class Preview:
    """One document's pages, laid out alone as the page map places them."""

    document: str  # its id
    pdf: Path
    pages: int


def preview(opts: BuildOptions, log: Progress, warm: Warm, changed: Path) -> Preview | None:
    """The document whose source file is `changed`, as a PDF of its own pages in
    `<out>/preview/<id>.pdf`: what `watch` shows within a second of a save, before the whole
    edition is rebuilt. None when the file is not one document's (the manifest, a template, a
    stylesheet). Raises BrochureError like a build when the sources are wrong."""
    source, _warnings = log.step("load", _load, opts)
    document = next(
        (d for d in source.documents if Path(d.source.path).resolve() == changed.resolve()),
        None,
    )
    if document is None:
        return None
    name, variant = _variant(source, opts)
    edition = _localize(source, opts, fonts.coverage(opts.fonts_dir))
    brochure = edition.brochure
    is_default = name == next(iter(brochure.variants))
    stem = f"{brochure.slug}-{brochure.lang}" + ("" if is_default else f"-{name}")
    options = _render_options(opts, variant)
    env = _environment(brochure, opts, options, opts.mark_untranslated)
    typesetter = _typesetter(opts, options["stylesheets"], stem, warm)
    pagemap = layout.read_pagemap(cache.pagemap_path(opts.out_dir, stem))
    laid = log.step(
        "preview",
        layout.lay_out_one,
        brochure,
        env,
        options,
        typesetter,
        pagemap,
        document.id,
        stem + ".html",
    )
    _stop_on(laid.findings)
    pdf = opts.out_dir / "preview" / f"{document.id}.pdf"
    outputs.write(pdf, printing.trimmed(laid.document).write_pdf())
    return Preview(document.id, pdf, len(laid.document.pages))


def _typesetter(
    opts: BuildOptions, stylesheets: list[str], stem: str, warm: Warm | None
) -> typeset.Typesetter:
    """The edition's typesetter: a warm one from `watch` while its stylesheets are unchanged."""
    sheets = [opts.project_dir / s for s in stylesheets]
    # Whatever the stylesheets read (fonts, the map) is in styles/ and assets/.
    key = cache.digest([opts.project_dir / "styles", opts.project_dir / "assets"], stylesheets)
    if warm is not None and key in warm.typesetters:
        return warm.typesetters[key]
    sandbox = typeset.Sandbox(opts.sandbox_roots)
    typesetter = typeset.Typesetter(sheets, opts.project_dir, sandbox, stem + ".html")
    if warm is not None:
        warm.typesetters = {key: typesetter}  # one set of stylesheets at a time
    return typesetter


def _read_layout(path: Path) -> dict[str, dict[str, object]]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


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


def editions(opts: BuildOptions, langs: list[str] | None = None) -> list[tuple[str, str]]:
    """(language, variant) of every edition to build: every published language of the
    manifest (not its drafts), or `langs`, each in every variant; the source language and the
    default variant first."""
    brochure = content.load(opts.content_dir)
    unknown = [lang for lang in langs or () if lang not in brochure.languages]
    if unknown:
        raise UsageError(
            [
                Problem(
                    brochure.source,
                    "languages",
                    "unknown-language",
                    f"{lang!r} is not one of the manifest's languages "
                    f"({', '.join(brochure.languages)})",
                )
                for lang in unknown
            ]
        )
    chosen = [lang for lang in brochure.languages if lang in langs] if langs else brochure.published
    return [(lang, name) for lang in chosen for name in brochure.variants]


def layout_fit(opts: BuildOptions, lang: str) -> tuple[Problem, ...]:
    """The layout-fit warnings of a translated edition, from its and the source language's
    layout reports (`build --all` compares once every edition is built)."""
    brochure = content.load(opts.content_dir)
    if lang == brochure.source_language:
        return ()
    report = _read_layout(opts.out_dir / f"{brochure.slug}-{lang}.layout.json")
    english = _read_layout(opts.out_dir / f"{brochure.slug}-{brochure.source_language}.layout.json")
    return notes.layout_fit(lang, report, english)


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
    laid_out, _html = _lay_out(brochure, opts, variant, stem, log, remember=False)
    problems += laid_out.findings
    pdf = log.step("finish", finish.pdf_bytes, laid_out.document, brochure, variant, opts.icc_dir)
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
