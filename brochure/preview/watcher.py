"""Saves -> the edited part's preview, then the edition: `watch`'s rebuild loop.

In: build options, and the file-system events of the content folder, templates/, styles/ and
assets/ (`file_events`, through watchfiles; tests pass their own). Out: on each save, printed
and published on a `Board` for the preview page:

- when the saved file is one document's Markdown, that document's pages laid out alone
  (`build.preview`, about 0.2 s warm): `  preview <id>  <seconds> s  <pdf>`. The document
  stays "the part being edited" until another one is saved, and its preview is written again
  first after any other save (a stylesheet, a template), so the page shows its new look at
  once;
- then the edition (`build.build`; only the pieces that changed are laid out again):
  `  edition <seconds> s  <pdf> (<n> pages)`. Seconds count from the moment the save was seen.

One `build.Warm` lives as long as the session: fonts loaded, stylesheets parsed, every
piece's layout remembered. So the first build is forced (a cached edition would leave it
cold, and the first save would lay out everything). Each write holds the output folder's lock;
another build in the same folder meanwhile makes that write one line (`OutputError`) and the
loop waits for the next save. Sources with errors leave the last good PDF as it was: every
problem is printed with its file and line, and shown on the page. The events only wake the
loop: what changed is read from the files themselves (`build.sources`), so a save made during
a build is built right after it, and an event missed is caught within `_RECHECK` seconds.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from threading import Event
from typing import TextIO

from .. import build as pipeline
from .. import outputs
from ..console import Progress, report
from ..errors import BrochureError, Problem
from ..options import BuildOptions
from .board import Board
from .pages import Shelf
from .server import ServeError, Server

__all__ = ["Session", "file_events", "watch"]

_RECHECK = 2.0  # seconds: the files are compared at least this often, events or not


def watch(
    opts: BuildOptions,
    log: pipeline.Progress,
    port: int | None = None,
    stream: TextIO | None = None,
) -> int:
    """`watch` (and with a port, `watch --serve`): rebuild on every save until Ctrl-C (130).
    Prints on `stream` (default: stderr)."""
    stream = stream or sys.stderr
    board = Board()
    shelf = Shelf(opts.out_dir, board.session) if port is not None else None
    server = None
    try:
        if shelf is not None and port is not None:
            try:
                server = Server(board, shelf, port).start()
            except ServeError as error:
                print(f"error: {error}", file=stream)
                return 1
            print(f"serving the preview on {server.url} (this machine only)", file=stream)
        roots = ", ".join(f"{root}/" for root in _roots(opts))
        print(f"watching {roots} (Ctrl-C stops)", file=stream, flush=True)
        Session(opts, log, board, shelf, stream).run(file_events(opts))
        return 0
    except KeyboardInterrupt:  # how watching stops; a rebuild it cut short changed nothing
        print("interrupted", file=stream)
        return 130
    finally:
        if server is not None:
            server.close()
        if shelf is not None:
            shelf.close()


def file_events(opts: BuildOptions, stop: Event | None = None) -> Iterator[set[Path]]:
    """The files saved under the watched folders, a batch at a time (debounced); an empty
    batch at least every `_RECHECK` seconds. Ends when `stop` is set; Ctrl-C raises."""
    import watchfiles  # only watch needs it

    for changes in watchfiles.watch(
        *_roots(opts),
        debounce=800,
        step=50,
        rust_timeout=int(_RECHECK * 1000),
        yield_on_timeout=True,
        stop_event=stop,
    ):
        yield {Path(path) for _change, path in changes}


class Session:
    """One watch session: its warm typesetters, the files as last built, the part being edited.

    `run(events)` builds the edition, then handles each batch of events until they end."""

    def __init__(
        self,
        opts: BuildOptions,
        log: pipeline.Progress,
        board: Board | None = None,
        shelf: Shelf | None = None,
        stream: TextIO | None = None,
    ):
        self.opts = opts
        self.log = log
        self.board = board if board is not None else Board()
        self.shelf = shelf
        self.stream = stream or sys.stderr
        self.warm = pipeline.Warm()
        self.editing: Path | None = None  # the Markdown file of the part being edited
        self._seen: dict[Path, int] = {}
        self._quiet = Progress(self.stream, quiet=True)  # a preview prints one line, not its steps

    def run(self, events: Iterable[set[Path]], first: bool = True) -> None:
        """Build the edition (unless not `first`), then rebuild after every save in `events`."""
        self._seen = pipeline.sources(self.opts)
        if first:
            self.board.building(True)
            self._edition(time.perf_counter(), force=True)
        for _batch in events:
            while self.update():
                pass  # what was saved during that build is built now

    def update(self) -> bool:
        """Build what the files changed since the last build ask for; False if none did."""
        now = pipeline.sources(self.opts)
        changed = sorted(
            p for p in now.keys() | self._seen.keys() if now.get(p) != self._seen.get(p)
        )
        if not changed:
            return False
        started = time.perf_counter()
        self._seen = now
        more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
        self._say(f"changed: {', '.join(str(p) for p in changed[:3])}{more}")
        saved = [p for p in changed if p in now and p.suffix == ".md" and self._content(p)]
        if saved:
            self.editing = max(saved, key=lambda p: now[p])  # the last one saved
        elif self.editing is not None and self.editing not in now:
            self.editing = None  # deleted or renamed
        self.board.building(True)
        if self.editing is None or self._preview(self.editing, started):
            self._edition(started)
        return True

    def _preview(self, path: Path, started: float) -> bool:
        """Write and show the preview of the document in `path`; False if the build failed."""
        try:
            with outputs.lock(self.opts.out_dir):
                shown = pipeline.preview(self.opts, self._quiet, self.warm, path)
                seconds = time.perf_counter() - started
                pages = None
                if shown is not None and self.shelf is not None:
                    pages = self.shelf.put("part", shown.document, shown.pdf, shown.pages, seconds)
        except BrochureError as error:
            self._failed(error.problems)
            return False
        except outputs.OutputError as error:
            self._busy(error)
            return False
        if shown is None:  # not a document's file (any more): no part to show
            self.editing = None
            self.board.publish(part=None)
            return True
        self._say(f"  preview {shown.document}  {seconds:.2f} s  {shown.pdf}")
        self.board.publish(part=pages, problems=(), error="")
        return True

    def _edition(self, started: float, force: bool = False) -> None:
        """Build the edition, print and show it."""
        opts = replace(self.opts, force=True) if force else self.opts
        try:
            with outputs.lock(self.opts.out_dir):
                result = pipeline.build(opts, self.log, self.warm)
                seconds = time.perf_counter() - started
                pages = None
                if self.shelf is not None and result.pdf is not None:
                    name = result.pdf.name
                    pages = self.shelf.put("edition", name, result.pdf, result.pages, seconds)
        except BrochureError as error:
            self._failed(error.problems)
            return
        except outputs.OutputError as error:
            self._busy(error)
            return
        report(result.findings, self.stream)
        self._say(f"  edition {seconds:.2f} s  {result.pdf} ({result.pages} pages)")
        self.board.publish(
            edition=pages, building=False, problems=(), error="", warnings=result.findings
        )

    def _failed(self, problems: tuple[Problem, ...]) -> None:
        report(problems, self.stream)
        self._say("The last good PDF was left as it was.")
        self.board.publish(building=False, problems=problems, error="")

    def _busy(self, error: outputs.OutputError) -> None:
        self._say(f"error: {error}")
        self.board.publish(building=False, problems=(), error=str(error))

    def _content(self, path: Path) -> bool:
        return path.is_relative_to(self.opts.content_dir)

    def _say(self, line: str) -> None:
        print(line, file=self.stream, flush=True)


def _roots(opts: BuildOptions) -> tuple[Path, ...]:
    """What a build reads: the content folder, templates/, styles/ and assets/."""
    return (opts.content_dir, opts.templates_dir, *opts.sandbox_roots[1:])
