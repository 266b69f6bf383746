"""What a build is asked to do: the options every stage reads, and where the project lives.

Kept apart from the pipeline so that the command line can read them, and find a cached
edition, without loading it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["PROJECT", "BuildOptions"]

_PACKAGE = Path(__file__).resolve().parent
# A checkout keeps templates/, styles/ and assets/ beside the package; an installed wheel
# carries them inside it (see pyproject.toml).
PROJECT = _PACKAGE.parent if (_PACKAGE.parent / "templates").is_dir() else _PACKAGE


@dataclass(frozen=True)
class BuildOptions:
    content_dir: Path = Path("content")
    out_dir: Path = Path("build")
    lang: str | None = None  # None: the manifest's source language
    write_html: bool = False
    variant: str | None = None  # None: the manifest's first (default) variant
    strict: bool = False  # fail on any segment that falls back to the source language
    mark_untranslated: bool = False  # highlight fallbacks in a draft PDF
    force: bool = False  # lay out everything again, whatever the cache holds
    compare_layout: bool = True  # warn about translations longer than the source language's
    project_dir: Path = PROJECT  # where templates/, styles/ and assets/ live

    @property
    def templates_dir(self) -> Path:
        return self.project_dir / "templates"

    @property
    def fonts_dir(self) -> Path:
        return self.project_dir / "assets" / "fonts"

    @property
    def icc_dir(self) -> Path:
        """The print PDF's output profiles (assets/icc/README.md)."""
        return self.project_dir / "assets" / "icc"

    @property
    def sandbox_roots(self) -> tuple[Path, ...]:
        # WeasyPrint resolves url() in CSS against the stylesheet's folder, and the fonts and the
        # map live in assets/, so the sandbox opens exactly these three folders.
        return (self.content_dir, self.project_dir / "styles", self.project_dir / "assets")

    @property
    def result_options(self) -> dict[str, object]:
        """The options that change an edition's files or findings (for the cache's key)."""
        return {
            "variant": self.variant,
            "html": self.write_html,
            "strict": self.strict,
            "mark_untranslated": self.mark_untranslated,
            "compare_layout": self.compare_layout,
        }
