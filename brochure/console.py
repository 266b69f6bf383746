"""What a command prints: each stage with its time, problems as people read them, or JSON.

Only the command line prints (`cli`, `commands`); every stage returns what it found.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, TextIO, TypeVar

from .errors import Problem

__all__ = ["Progress", "as_json", "report"]

T = TypeVar("T")


class Progress:
    """Prints each stage's name and its time on stderr, the way a build log reads."""

    def __init__(self, stream: TextIO, quiet: bool = False):
        self.stream = stream
        self.quiet = quiet
        self.started = time.perf_counter()

    def step(self, name: str, fn: Callable[..., T], *args: Any) -> T:
        start = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self._print(f"  {name:<12} {time.perf_counter() - start:6.2f} s")

    def total(self) -> float:
        return time.perf_counter() - self.started

    def _print(self, line: str) -> None:
        if not self.quiet:
            print(line, file=self.stream, flush=True)


def as_json(problems: Sequence[Problem]) -> str:
    def item(problem: Problem) -> dict[str, object]:
        return {
            "path": problem.where.path,
            "line": problem.where.line,
            "field": problem.field,
            "kind": problem.kind,
            "message": problem.message,
        }

    return json.dumps(
        {
            "errors": [item(p) for p in problems if p.is_error],
            "warnings": [item(p) for p in problems if not p.is_error],
        },
        indent=2,
        ensure_ascii=False,
    )


def report(problems: Sequence[Problem], stream: TextIO) -> None:
    if not problems:
        return
    for problem in problems:
        label = "" if problem.is_error else "warning: "
        print(f"{label}{problem}", file=stream)
    errors = [p for p in problems if p.is_error]
    files = Counter(p.where.path for p in errors)
    if errors:
        noun = "problem" if len(errors) == 1 else "problems"
        print(f"{len(errors)} {noun} in {len(files)} file{'s' * (len(files) != 1)}.", file=stream)
