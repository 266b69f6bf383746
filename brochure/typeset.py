"""HTML -> laid-out WeasyPrint document and PDF bytes, inside a sandbox, with its log captured.

The sandbox serves only files inside the project's content/, assets/ and styles/ folders: no
network and no other file, so a brochure cannot pull in something that is not in the repository.
Whatever WeasyPrint logs (an image it could not load, CSS it ignored, a missing glyph) becomes a
finding with its source, instead of scrolling past on stderr.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import weasyprint
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .errors import BrochureError, Location, Problem

__all__ = ["Sandbox", "typeset"]


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
    with _captured_log() as records:
        try:
            document = weasyprint.HTML(
                string=html, base_url=base_dir.resolve().as_uri() + "/", url_fetcher=sandbox
            ).render(pdf_tags=True)
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
    return Typeset(document, tuple(findings))


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
