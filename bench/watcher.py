"""`make_brochure.py watch` run in the background, its output lines timestamped as they arrive."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from measure import ROOT, Failed

__all__ = ["Watcher"]


class Watcher:
    """`make_brochure.py watch` in its own process group, its lines timestamped as they come."""

    def __init__(self, argv: list[str], log: Path):
        self.argv = argv
        self.log = log
        self.queue: queue.Queue[tuple[float, str | None]] = queue.Queue()
        self.started = 0.0
        self.last = ""  # the last line watch printed: its error, when it exits

    def __enter__(self) -> Watcher:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.file = self.log.open("w")
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,
            env=os.environ | {"PYTHONUNBUFFERED": "1"},
        )
        threading.Thread(target=self._read, daemon=True).start()
        return self

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            stamp = time.perf_counter()
            self.file.write(f"{stamp - self.started:8.2f} {line}")
            self.file.flush()
            if line.strip():
                self.last = line.strip()
            self.queue.put((stamp, line))
        self.queue.put((time.perf_counter(), None))

    def lines(self, timeout: float) -> Iterator[tuple[float, str]]:
        """Each line (time it was read, text) until `timeout` seconds pass or watch exits."""
        deadline = time.perf_counter() + timeout
        while (left := deadline - time.perf_counter()) > 0:
            try:
                stamp, line = self.queue.get(timeout=left)
            except queue.Empty:
                return
            if line is None:
                raise self._exited()
            yield stamp, line

    def until(self, test: Callable[[str], bool], timeout: float) -> tuple[float, str] | None:
        for stamp, line in self.lines(timeout):
            if test(line):
                return stamp - self.started, line
        return None

    def settle(self, quiet: float = 3.0, longest: float = 600) -> None:
        """Wait until watch has printed nothing for `quiet` seconds (its work is done)."""
        deadline = time.perf_counter() + longest
        while time.perf_counter() < deadline:
            try:
                _stamp, line = self.queue.get(timeout=quiet)
            except queue.Empty:
                return
            if line is None:
                raise self._exited()

    def _exited(self) -> Failed:
        return Failed(f"watch exited ({self.proc.wait()}): {self.last} (see {self.log})")

    def __exit__(self, *exc: object) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGINT)  # how a user stops watching
            self.proc.wait(timeout=60)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.file.close()
