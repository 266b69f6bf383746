"""Problems found in the content, and the one error type the command line turns into exit code 1."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["BrochureError", "Location", "Problem", "UsageError"]


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """A place in a source file: the path as the user typed it, the line as editors count it."""

    path: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True, slots=True)
class Problem:
    where: Location
    field: str  # dotted path: "period.start", "key_figures[2].value"; "" for the whole file
    kind: str  # stable, for tests: "bad-month", "unknown-key", "missing-image"
    message: str  # for people: what was expected, what was found, what to do
    severity: str = "error"  # "error" stops the build; "warning" is reported only

    def __str__(self) -> str:
        field = f" {self.field}:" if self.field else ""
        return f"{self.where}:{field} {self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


class BrochureError(Exception):
    """Raised by a stage that found problems it cannot build past. Carries all of them."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = tuple(sorted(problems, key=_order))
        super().__init__("\n".join(map(str, self.problems)))


class UsageError(BrochureError):
    """The command asked for something the brochure does not have (`--lang xx`): exit code 2."""


def _order(problem: Problem) -> tuple[str, int, str]:
    return (problem.where.path, problem.where.line, problem.field)
