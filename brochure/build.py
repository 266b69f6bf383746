"""Build options -> the finished PDF: the pipeline's stages, in order, in one place.

Reading `build` is reading the pipeline. Each stage takes what the previous one returned; none
reaches back into content/ or into an earlier stage's inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from . import content, finish, fonts, i18n, render, typeset
from .errors import BrochureError, Problem
from .model import Brochure

__all__ = ["BuildOptions", "Progress", "build", "check", "languages"]

PROJECT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


class Progress(Protocol):
    def step(self, name: str, fn: Callable[..., T], *args: Any) -> T: ...


@dataclass(frozen=True)
class BuildOptions:
    content_dir: Path = Path("content")
    out_dir: Path = Path("build")
    lang: str | None = None  # None: the manifest's source language
    write_html: bool = False
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
    source = log.step("load", content.load, opts.content_dir)
    brochure, fallbacks = log.step("localize", _localize, source, opts)
    points = log.step("glyphs", fonts.coverage, opts.fonts_dir)
    _stop_on(log.step("check", fonts.check_glyphs, brochure, points))
    env = render.environment(opts.templates_dir, brochure.lang, brochure.interface)
    html = log.step("render", render.render, brochure, env, _render_options(opts))
    stem = f"{brochure.slug}-{brochure.lang}"
    html_path = opts.out_dir / f"{stem}.html" if opts.write_html else None
    if html_path is not None:
        finish.write_atomically(html_path, html.encode())
    sandbox = typeset.Sandbox(opts.sandbox_roots)
    laid_out = log.step("typeset", typeset.typeset, html, opts.project_dir, sandbox, stem + ".html")
    _stop_on(laid_out.findings)
    pdf = log.step(
        "finish", finish.finish, laid_out.document, brochure, opts.out_dir / f"{stem}.pdf"
    )
    notes = _fallback_notes(fallbacks, brochure.lang)
    return Result(pdf, html_path, len(laid_out.document.pages), laid_out.findings + notes)


def _localize(brochure: Brochure, opts: BuildOptions) -> tuple[Brochure, list[i18n.Entry]]:
    """The edition in the requested language, and the segments that fell back to English."""
    lang = opts.lang or brochure.source_language
    if lang == brochure.source_language:
        return brochure, []
    if lang not in brochure.languages:
        raise BrochureError(
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
    path = opts.content_dir / i18n.LOCALES / f"{lang}.po"
    catalog = i18n.read_catalog(path, lang) if path.exists() else None
    return i18n.localize(brochure, catalog, lang)


def _fallback_notes(fallbacks: list[i18n.Entry], lang: str) -> tuple[Problem, ...]:
    """One warning per source file whose segments fell back to the English."""
    by_file: dict[str, list[i18n.Entry]] = {}
    for entry in fallbacks:
        by_file.setdefault(entry.where.path, []).append(entry)
    return tuple(
        Problem(
            entries[0].where,
            "translation",
            "fallback",
            f"{len(entries)} segment{'s' * (len(entries) != 1)} not translated into {lang} "
            "(or fuzzy); set in English",
            "warning",
        )
        for entries in by_file.values()
    )


def languages(opts: BuildOptions) -> tuple[str, ...]:
    """The languages the manifest publishes, source language first."""
    return content.load(opts.content_dir).languages


def check(opts: BuildOptions, log: Progress) -> list[Problem]:
    """Validate the content without typesetting: every problem, errors and warnings."""
    brochure = log.step("load", content.load, opts.content_dir)
    points = log.step("glyphs", fonts.coverage, opts.fonts_dir)
    problems = log.step("check", fonts.check_glyphs, brochure, points)
    _stop_on(problems)
    return problems


def _render_options(opts: BuildOptions) -> dict[str, str]:
    return {
        "stylesheets": ["styles/brochure.css"],
        "content_url": opts.content_dir.resolve().as_uri(),
    }


def _stop_on(problems: list[Problem] | tuple[Problem, ...]) -> None:
    if any(p.is_error for p in problems):
        raise BrochureError(problems)
