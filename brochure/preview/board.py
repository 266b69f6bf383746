"""What `watch` has to show, shared between its rebuild loop and the preview page's server.

In: the loop's results as they come (`Board.publish`: the edited part's pages, the edition's
pages, the problems of a failed build; `Board.building`: a rebuild started). Out: the latest
`State`, and a way to wait for the next one (`Board.wait`), which the server's event stream
uses to tell the page to reload. `State.version` changes only when what the page shows
changes; the `building` flag alone changes only the page's status line.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, replace

from ..errors import Problem

__all__ = ["Board", "Pages", "State"]


@dataclass(frozen=True)
class Pages:
    """A PDF whose pages the page shows, kept in the preview area under `key`."""

    key: str  # its folder under <out>/preview/pages/, and its URLs
    kind: str  # "part" (one document's preview) or "edition"
    name: str  # the document's id, or the edition's PDF file name
    count: int  # its pages
    size: tuple[float, float]  # its first page's width and height in points
    seconds: float  # how long it took from the save
    path: str  # where the build wrote it (for people: the page prints it)


@dataclass(frozen=True)
class State:
    """What the preview page shows."""

    version: str = ""  # "<session>-<n>": a page showing another version reloads
    building: bool = False
    part: Pages | None = None
    edition: Pages | None = None
    problems: tuple[Problem, ...] = ()  # the last build failed: every problem, located
    error: str = ""  # the output folder could not take the last build (one line)
    warnings: tuple[Problem, ...] = ()  # what the last good edition's build reported

    @property
    def failed(self) -> bool:
        return bool(self.problems or self.error)


class Board:
    """The latest `State`, replaced whole by the loop, read and waited on by the server."""

    def __init__(self) -> None:
        self._session = os.urandom(4).hex()
        self._count = 0
        self._state = State(version=f"{self._session}-0")
        self._tick = 0  # every change, the building flag's included
        self._changed = threading.Condition()
        self._closed = False

    @property
    def state(self) -> State:
        with self._changed:
            return self._state

    @property
    def session(self) -> str:
        """A name for this watch session, unique enough to keep its files apart."""
        return self._session

    def publish(self, **changes: object) -> State:
        """A new state: the current one with `changes`, under a new version."""
        with self._changed:
            self._count += 1
            version = f"{self._session}-{self._count}"
            self._state = replace(self._state, version=version, **changes)  # type: ignore[arg-type]
            self._tick += 1
            self._changed.notify_all()
            return self._state

    def building(self, flag: bool) -> None:
        """A rebuild started (or ended without anything new to show)."""
        with self._changed:
            if self._state.building != flag:
                self._state = replace(self._state, building=flag)
                self._tick += 1
                self._changed.notify_all()

    def wait(self, seen: int, timeout: float) -> tuple[int, State]:
        """Wait until something changed after tick `seen` (or `timeout` seconds, or the board
        is closed); returns the current tick and state."""
        with self._changed:
            self._changed.wait_for(lambda: self._tick != seen or self._closed, timeout)
            return self._tick, self._state

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """The session ends: wake every waiter, for good."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
