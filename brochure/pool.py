"""Several editions -> built side by side in worker processes, every core busy to the end.

WeasyPrint lays out on one core and its laid-out documents cannot leave their process (they
hold the font machinery), so the unit of parallel work is a language: a worker builds its
editions (its screen and print variants, laid out once) from their sources to their files. The
parent holds the output folder's lock while the workers run; each worker stages and swaps in
its own editions' files, whose names no other edition shares. The source language starts
first, and the layout reports of translations are compared with the source language's only
once every edition is built, so the comparison is with this build's English.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from . import build as pipeline
from . import outputs
from .errors import BrochureError, Problem

__all__ = ["Done", "build_all", "workers"]

T = TypeVar("T")


@dataclass(frozen=True)
class Done:
    """One edition's outcome, as the parent receives it."""

    lang: str
    variant: str
    result: pipeline.Result | None  # None when it failed
    problems: tuple[Problem, ...]  # its errors, when it failed
    seconds: float


def workers() -> int:
    """As many workers as the cores this process may use."""
    return max(1, len(os.sched_getaffinity(0)))


def build_all(
    opts: pipeline.BuildOptions,
    editions: list[tuple[str, str]],
    jobs: int | None = None,
) -> Iterator[Done]:
    """Build `editions` ((language, variant) pairs) over a pool of processes; yield each as it
    finishes. The caller holds the output folder's lock."""
    jobs = min(jobs or workers(), len({lang for lang, _variant in editions}) or 1)
    context = multiprocessing.get_context("spawn")  # a clean process: no state from the parent
    with ProcessPoolExecutor(
        jobs, mp_context=context, initializer=outputs.adopt, initargs=(opts.out_dir,)
    ) as pool:
        pending: dict[Future, str] = {}
        # One job per language: its variants share one layout (pipeline.build_variants).
        variants: dict[str, list[str]] = {}
        for lang, variant in editions:
            variants.setdefault(lang, []).append(variant)
        for lang, names in variants.items():
            single = replace(opts, lang=lang, compare_layout=False)
            pending[pool.submit(_build_one, single, names)] = lang
        try:
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    lang = pending.pop(future)
                    for variant, result, problems, seconds in future.result():
                        yield Done(lang, variant, result, problems, seconds)
        except BaseException:
            for future in pending:
                future.cancel()
            raise


def _build_one(
    opts: pipeline.BuildOptions, variants: list[str]
) -> list[tuple[str, pipeline.Result | None, tuple[Problem, ...], float]]:
    """In a worker: one language's editions in `variants`, laid out once, each with its result
    or its errors as values (an exception does not carry its problems across processes), and
    the time since the job started."""
    started = time.perf_counter()
    try:
        outcomes = pipeline.build_variants(opts, list(variants), _Quiet())
    except BrochureError as error:
        seconds = time.perf_counter() - started
        return [(variant, None, error.problems, seconds) for variant in variants]
    seconds = time.perf_counter() - started
    return [
        (variant, None, outcome.problems, seconds)
        if isinstance(outcome, BrochureError)
        else (variant, outcome, (), seconds)
        for variant, outcome in outcomes
    ]


class _Quiet:
    def step(self, _name: str, fn: Callable[..., T], *args: Any) -> T:
        return fn(*args)
