"""HTML -> laid-out WeasyPrint document and PDF bytes, inside a sandbox, with its log captured.

The sandbox serves only files inside the project's content/, assets/ and styles/ folders: no
network and no other file, so a brochure cannot pull in something that is not in the repository.
Whatever WeasyPrint logs (an image it could not load, CSS it ignored, a missing glyph) becomes a
finding with its source, instead of scrolling past on stderr.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote, urlsplit

import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .errors import BrochureError, Location, Problem

__all__ = ["Sandbox", "Typeset", "Typesetter", "typeset"]


@dataclass
class Sandbox(URLFetcher):
    """A URL fetcher that reads local files under `roots` and refuses everything else."""

    roots: tuple[Path, ...]
    refused: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(allowed_protocols={"file"})
        self.roots = tuple(root.resolve() for root in self.roots)

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        path = Path(unquote(parts.path)).resolve() if parts.scheme == "file" else None
        if path is None or not any(path.is_relative_to(root) for root in self.roots):
            self.refused.append(url)
            raise ValueError(f"outside the brochure's folders: {url}")
        return URLFetcherResponse(url, body=path.read_bytes(), headers=_content_type(path))


@dataclass(frozen=True)
class Typeset:
    document: weasyprint.Document
    findings: tuple[Problem, ...]


def typeset(html: str, base_dir: Path, sandbox: Sandbox, source: str) -> Typeset:
    """Lay out `html` (whose relative URLs resolve against `base_dir`) into pages.

    `source` names the HTML in findings (the templates and content it came from).
    """
    return _lay_out(
        lambda: weasyprint.HTML(
            string=html, base_url=base_dir.resolve().as_uri() + "/", url_fetcher=sandbox
        ).render(pdf_tags=True),
        sandbox,
        source,
    )


class Typesetter:
    """Lays out many HTML documents of one edition with its stylesheets parsed once and its
    fonts loaded once, and remembers each layout by the HTML it came from: a piece whose HTML
    did not change is not laid out again (within one process: `watch` keeps it warm)."""

    def __init__(self, stylesheets: list[Path], base_dir: Path, sandbox: Sandbox, source: str):
        self.base_url = base_dir.resolve().as_uri() + "/"
        self.sandbox = sandbox
        self.font_config = FontConfiguration()
        self._laid_out: dict[str, Typeset] = {}

        def parse() -> list[weasyprint.CSS]:
            return [
                weasyprint.CSS(
                    filename=str(path), url_fetcher=sandbox, font_config=self.font_config
                )
                for path in stylesheets
            ]

        self.stylesheets, self.findings = _run(parse, sandbox, source)

    def knows(self, html: str) -> bool:
        """Whether this HTML was laid out already (and will not be again)."""
        return hashlib.sha256(html.encode()).hexdigest() in self._laid_out

    def lay_out(self, html: str, source: str) -> Typeset:
        """The pages of one HTML document, laid out once for the same HTML."""
        key = hashlib.sha256(html.encode()).hexdigest()
        if key not in self._laid_out:
            self._laid_out[key] = _lay_out(
                lambda: weasyprint.HTML(
                    string=html, base_url=self.base_url, url_fetcher=self.sandbox
                ).render(stylesheets=self.stylesheets, font_config=self.font_config, pdf_tags=True),
                self.sandbox,
                source,
            )
        return self._laid_out[key]

    def forget(self, keep: set[str]) -> None:
        """Drop the layouts of HTML no longer in use (`keep`: the HTML still wanted)."""
        wanted = {hashlib.sha256(html.encode()).hexdigest() for html in keep}
        self._laid_out = {k: v for k, v in self._laid_out.items() if k in wanted}


def _lay_out(render: Callable[[], weasyprint.Document], sandbox: Sandbox, source: str) -> Typeset:
    document, findings = _run(render, sandbox, source)
    return Typeset(document, findings)


T = TypeVar("T")


def _run(work: Callable[[], T], sandbox: Sandbox, source: str) -> tuple[T, tuple[Problem, ...]]:
    """Run WeasyPrint with its log captured as findings; its failure is a located error."""
    sandbox.refused.clear()
    with _captured_log() as records:
        try:
            result = work()
        except (KeyboardInterrupt, MemoryError):
            raise
        except Exception as error:  # WeasyPrint's own failure: a located error, not a crash
            raise BrochureError(
                [
                    Problem(
                        Location(source),
                        "typeset",
                        "weasyprint-failed",
                        f"WeasyPrint could not lay out the pages ({type(error).__name__}: "
                        f"{error or 'no message'}); the stylesheets are the likely cause: run "
                        "`check --quick`, which reads them, or undo the last edit of styles/",
                    )
                ]
            ) from None
    findings = [_finding(record, source) for record in records]
    findings += [
        Problem(Location(source), "url", "refused-url", f"not loaded (outside the sandbox): {url}")
        for url in dict.fromkeys(sandbox.refused)
    ]
    return result, tuple(findings)


@contextmanager
def _captured_log() -> Iterator[list[logging.LogRecord]]:
    records: list[logging.LogRecord] = []

    class _Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = _Keep(level=logging.WARNING)
    logger = weasyprint.LOGGER
    saved = logger.propagate, logger.level
    logger.addHandler(handler)
    logger.propagate = False  # the findings report them; nothing should reach stderr twice
    logger.setLevel(logging.WARNING)
    try:
        yield records
    finally:
        logger.removeHandler(handler)
        logger.propagate, logger.level = saved


def _finding(record: logging.LogRecord, source: str) -> Problem:
    message = record.getMessage().strip()
    kind = "weasyprint-" + record.levelname.lower()
    severity = "error" if record.levelno >= logging.ERROR else "warning"
    return Problem(Location(source), "typeset", kind, message, severity)


def _content_type(path: Path) -> dict[str, str]:
    types = {".svg": "image/svg+xml", ".css": "text/css", ".png": "image/png", ".jpg": "image/jpeg"}
    types |= {".jpeg": "image/jpeg", ".ttf": "font/ttf", ".otf": "font/otf", ".woff2": "font/woff2"}
    return {"Content-Type": types.get(path.suffix.lower(), "application/octet-stream")}
