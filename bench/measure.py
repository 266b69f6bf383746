"""Whole-process measurements: a command's wall time, CPU time and memory, as the kernel counts
them, and W, WeasyPrint alone on an edition's single-document HTML.

CPU time and the largest process's peak RSS come from `os.wait4`: they include the worker
processes the command waited for. The peak memory of the whole process tree (what the machine
must have) is sampled from /proc every quarter second: the sum of the processes' proportional
set sizes (PSS), so pages shared between a parent and its forked workers count once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from pypdf import PdfReader

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CLI = [PYTHON, "make_brochure.py"]

# W, the yardstick: WeasyPrint alone in a fresh process. The HTML's links to the stylesheets
# and the map (styles/..., assets/...) are relative to the project folder, where the pipeline
# resolves them too; the images are absolute file: URLs. Tagged, as the pipeline writes it.
W_CODE = (
    "import sys, weasyprint; "
    "weasyprint.HTML(filename=sys.argv[1], base_url=sys.argv[2])"
    ".write_pdf(sys.argv[3], pdf_tags=True)"
)

__all__ = ["Failed", "Run", "busy_s", "count_pages", "run", "weasyprint_alone"]


class Failed(Exception):
    """A command the benchmark needed did not succeed; its row says so and the run goes on."""


@dataclass
class Run:
    argv: list[str]
    wall_s: float
    user_s: float
    sys_s: float
    max_rss_mb: float  # the largest single process (the kernel's ru_maxrss)
    tree_pss_mb: float  # the whole process tree at its peak (sampled)
    returncode: int
    others_cpu_s: float  # CPU time the rest of the machine used meanwhile (a noisy machine)
    log: str
    pages: int | None = None

    @property
    def cpu_s(self) -> float:
        return self.user_s + self.sys_s

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["cpu_s"] = self.cpu_s
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in data.items()}


class _TreeSampler(threading.Thread):
    """The peak PSS of a process and all its descendants, sampled every `interval` seconds."""

    def __init__(self, pid: int, interval: float = 0.25):
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_kb = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak_kb = max(self.peak_kb, sum(_pss_kb(p) for p in _tree(self.pid)))
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    todo += [int(c) for c in children.read().split()]
        except OSError:  # gone meanwhile
            continue
    return pids


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    try:  # no smaps_rollup: the resident set, which counts shared pages in each process
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except (OSError, ValueError):
        return 0


_running: set[int] = set()  # process groups started here and not yet reaped


def stop_all() -> None:
    """Kill what this benchmark started and has not reaped (on Ctrl-C or an error)."""
    for pgid in list(_running):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
    _running.clear()


def run(argv: Sequence[str], log: Path, timeout: float = 3600, env: dict | None = None) -> Run:
    """Run `argv` from the project folder, its output into `log`; measure it as a whole."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        busy = busy_s()
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(argv),
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so that its workers can be stopped
            env=env,
        )
        _running.add(proc.pid)
        sampler = _TreeSampler(proc.pid)
        sampler.start()
        timer = threading.Timer(timeout, os.killpg, (proc.pid, signal.SIGKILL))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
            sampler.stop()
        wall = time.perf_counter() - start
        busy = busy_s() - busy
        _running.discard(proc.pid)
        proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(
        argv=[str(a) for a in argv],
        wall_s=wall,
        user_s=usage.ru_utime,
        sys_s=usage.ru_stime,
        max_rss_mb=usage.ru_maxrss / 1024,
        tree_pss_mb=sampler.peak_kb / 1024,
        returncode=proc.returncode,
        others_cpu_s=max(0.0, busy - usage.ru_utime - usage.ru_stime),
        log=str(log.relative_to(ROOT) if log.is_relative_to(ROOT) else log),
    )


def busy_s() -> float:
    """CPU seconds every processor of the machine has spent busy since it started."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(n) for n in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle and iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def weasyprint_alone(html: Path, pdf: Path, log: Path) -> Run:
    """W: `weasyprint.HTML(filename=html).write_pdf(pdf)` in a fresh Python process."""
    pdf.parent.mkdir(parents=True, exist_ok=True)
    result = run([PYTHON, "-c", W_CODE, str(html), ROOT.as_uri() + "/", str(pdf)], log)
    if result.returncode != 0:
        raise Failed(f"WeasyPrint alone failed on {html}; see {result.log}")
    result.pages = count_pages(pdf)
    return result


def count_pages(pdf: Path) -> int | None:
    try:
        return len(PdfReader(pdf).pages)
    except Exception:  # missing or unreadable: the report shows no page count
        return None
