"""Watching and previewing: saves -> the edited part's pages and the edition, on the terminal
and, with `watch --serve`, on a local page that reloads itself.

- `watcher`: the rebuild loop (file-system events through watchfiles, one warm session, the
  preview of the part being edited before the edition, the output folder's lock around each
  write, errors printed with file and line while the last good PDF stays);
- `board`: what the loop has to show, shared with the server;
- `pages`: the PDFs shown, kept in `<out>/preview/pages/`, and their pages as PNG images;
- `server`: the page (`page.html`) and its event stream, on 127.0.0.1 only.
"""

from __future__ import annotations

from .board import Board, Pages, State
from .server import ServeError, Server
from .watcher import Session, file_events, watch

__all__ = ["Board", "Pages", "ServeError", "Server", "Session", "State", "file_events", "watch"]
