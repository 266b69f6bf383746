"""Benchmark of the build (issue 9): every figure a ratio to W, WeasyPrint alone on the same
edition's HTML, measured in the same run.

    .venv/bin/python bench/run.py            # everything (over an hour on a loaded machine)
    .venv/bin/python bench/run.py --quick    # one run of each row, small sizes (7-20 min)
    .venv/bin/python bench/run.py --only 1,2 --runs 5

Writes build/bench/report.md, report.json, profile.pstats and profile.txt, each command's
output in build/bench/logs/, and at the end a copy of the report as bench/results.md. Every
build goes through the project's command line (`make_brochure.py build --content ... --out
...` into build/bench/), never through an import of the pipeline, so this measures whatever
the pipeline becomes. Nothing here asserts: the report says which target is met, and a row
that could not be measured says `Failed` and why, while the other rows go on.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import measure
import profiling
import report
import rows_build
import rows_scaling
import rows_watch
from common import SAMPLE, figures, slug
from measure import CLI, PYTHON, ROOT, Failed, Run

OUT = ROOT / "build" / "bench"
RESULTS = ROOT / "bench" / "results.md"  # the last complete run's report, kept in the repository
ROWS: dict[int, tuple[str, str, Callable[[Bench, dict[str, Any]], None]]] = {
    1: ("one edition from scratch", "≤ 0.3 W", rows_build.one_edition),
    2: ("nothing changed", "≈ 0: < 0.02 W", rows_build.nothing_changed),
    3: ("one case study edited", "< 0.1 W", rows_build.one_case_study),
    4: (
        "build --all on every core vs the editions one by one",
        "≤ 1.1 / cores × one by one",
        rows_build.all_editions,
    ),
    5: (
        "watch: save → preview, save → edition",
        "preview ≤ 1 s; edition < 0.1 W",
        rows_watch.watch,
    ),
    6: (
        "scaling: time and memory per page",
        "s/page: largest ≤ 1.2 × smallest; < 400 MB at 460 pages",
        rows_scaling.scaling,
    ),
}


class Bench:
    """What the rows share: the output folder, how to build and measure W, W of row 1."""

    def __init__(self, options: argparse.Namespace):
        self.out: Path = options.out
        self.runs: int = options.runs or (1 if options.quick else 3)
        self.quick: bool = options.quick
        self.only: set[int] = options.only or set(ROWS)
        self.started = time.perf_counter()
        self.rows: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self.profile: dict[str, Any] | None = None
        self.w_en: list[Run] = []  # W of the sample's English edition, for rows that need one
        self.row1_pairs: list[dict[str, Any]] = []
        self.row1_out: Path | None = None  # row 1's last output folder: a build to start from
        self.measured: list[Run] = []  # every build and W, for how busy the machine was
        self.data: dict[str, Any] = {
            "started": datetime.datetime.now().isoformat(timespec="seconds"),
            "quick": self.quick,
            "runs": self.runs,
            "machine": _machine(),
        }
        self.kept = _previous(self.out, self.only)  # rows of the last report not measured now
        self.force = ["--force"] if "--force" in _help("build") else []
        self.data["cli"] = {"build --force": bool(self.force)}

    # -- progress ------------------------------------------------------------------------

    def say(self, message: str) -> None:
        elapsed = time.perf_counter() - self.started
        print(f"[{elapsed / 60:5.1f} min] {message}", flush=True)

    def save(self) -> None:
        """The report as it stands: written after every row, so a long run can be read early."""
        rows = sorted(self.kept["rows"] + self.rows, key=lambda row: row["id"])
        profile = self.profile or self.kept["profile"]
        self.data |= {"rows": rows, "notes": self.notes, "profile": profile}
        if self.measured:
            cpus = os.cpu_count() or 1
            shares = [r.others_cpu_s / r.wall_s / cpus for r in self.measured if r.wall_s > 1]
            self.data["others"] = {
                "mean_share": sum(r.others_cpu_s for r in self.measured)
                / sum(r.wall_s for r in self.measured)
                / cpus,
                "max_share": max(shares, default=0.0),
            }
        report.write(self.out, self.data)

    # -- commands ------------------------------------------------------------------------

    def build(self, content: Path, out: Path, args: list[str], log: str, fresh: bool) -> Run:
        if fresh and out.exists():
            shutil.rmtree(out)
        argv = [*CLI, "build", "--content", str(content), "--out", str(out), *args]
        self.say("  $ " + " ".join(argv[1:]))
        result = measure.run(argv, self.out / "logs" / f"{log}.log")
        if result.returncode != 0:
            raise Failed(
                f"`{' '.join(argv[2:3] + args)}` exited {result.returncode}: "
                f"{_last_line(ROOT / result.log)} (see {result.log})"
            )
        self.measured.append(result)
        self.say(f"    {figures(result)}")
        return result

    def w(self, html: Path, name: str) -> Run:
        if not html.is_file():
            raise Failed(f"no HTML to measure W on: {html}")
        result = measure.weasyprint_alone(
            html, self.out / "w" / f"{name}.pdf", self.out / "logs" / f"w-{name}.log"
        )
        self.measured.append(result)
        self.say(f"    W {html.name}: {figures(result)}, {result.pages} pages")
        return result

    def copy_sample(self, dest: Path) -> Path:
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(SAMPLE, dest)
        return dest

    def keep_html(self, html: Path) -> Path:
        """A copy of the English edition's HTML that later rows can measure W on."""
        kept = self.out / "html" / html.name
        kept.parent.mkdir(parents=True, exist_ok=True)
        if not html.is_file():
            raise Failed(f"`build --html` wrote no {html}")
        shutil.copyfile(html, kept)
        return kept

    def english_w(self, name: str) -> Run:
        """W of the sample's English edition (its HTML from row 1, or from a build made now)."""
        html = self.out / "html" / f"{slug(SAMPLE)}-en.html"
        if not html.is_file():
            content = self.copy_sample(self.out / "content")
            self.say("  the English edition's HTML, for W:")
            self.build(content, self.out / "html-build", ["--html"], "html-en", fresh=True)
            self.keep_html(self.out / "html-build" / html.name)
        return self.w(html, name)

    def w_median(self) -> float:
        """Row 1's median W (measured now when row 1 was not)."""
        if not self.w_en:
            self.w_en.append(self.english_w("en"))
        walls = sorted(w.wall_s for w in self.w_en)
        return walls[len(walls) // 2]

    # -- the rows ------------------------------------------------------------------------

    def row(self, number: int) -> None:
        if number not in self.only:
            return
        name, target, measure_row = ROWS[number]
        entry: dict[str, Any] = {
            "id": number,
            "measured": self.data["started"],
            "commit": self.data["machine"]["commit"],
            "name": name,
            "target": target,
            "status": "not measured",
            "notes": [],
            "details": [],
        }
        self.rows.append(entry)
        self.say(f"row {number}: {name} (target {target})")
        try:
            measure_row(self, entry)
        except Failed as error:
            self._failed(entry, str(error))
        except Exception as error:  # a bug here, or a pipeline that changed: the next rows go on
            log = self.out / "logs" / f"row-{number}-traceback.txt"
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text(traceback.format_exc())
            self._failed(entry, f"{type(error).__name__}: {error} (traceback in {log})")
        self.say(f"  -> {entry.get('result')}: {entry['status']}")
        self.save()

    def _failed(self, entry: dict[str, Any], reason: str) -> None:
        entry["status"] = "Failed"
        entry["result"] = reason
        self.say(f"  FAILED: {reason}")


def _last_line(log: Path) -> str:
    """The command's last words (its error), for a row that failed."""
    try:
        lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return "no output"
    errors = [line for line in lines if line.startswith("error") or ".md:" in line]
    return (errors or lines or ["no output"])[-1].strip()


def _previous(out: Path, only: set[int]) -> dict[str, Any]:
    """With --only, the other rows (and the profile, unless row 1 is measured again) of the
    report already in `out`: re-measuring some rows updates the report instead of emptying it."""
    kept: dict[str, Any] = {"rows": [], "profile": None}
    path = out / "report.json"
    if only == set(ROWS) or not path.is_file():
        return kept
    try:
        previous = json.loads(path.read_text())
    except ValueError:
        return kept
    # Rows of an older numbering (another name under the same number) are left out.
    names = {number: name for number, (name, _target, _fn) in ROWS.items()}
    kept["rows"] = [
        row
        for row in previous.get("rows", [])
        if row["id"] not in only and names.get(row["id"]) == row.get("name")
    ]
    for row in kept["rows"]:
        row.setdefault("measured", previous.get("started"))
        row.setdefault("commit", previous.get("machine", {}).get("commit"))
    if 1 not in only:
        kept["profile"] = previous.get("profile")
    return kept


def _help(command: str) -> str:
    done = subprocess.run(
        [*CLI, command, "--help"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return done.stdout + done.stderr


def _machine() -> dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    version = subprocess.run(
        [PYTHON, "-c", "import weasyprint; print(weasyprint.__version__)"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "weasyprint": version,
        "commit": git("rev-parse", "--short", "HEAD")
        + (" (modified)" if git("status", "--porcelain", "--", "brochure") else ""),
        "platform": platform.platform(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument(
        "--quick",
        action="store_true",
        help="one run of each row, two editions for row 4, scaling up to x2, no profile",
    )
    parser.add_argument("--runs", type=int, help="runs of each small measurement (3; quick: 1)")
    parser.add_argument(
        "--only",
        type=lambda s: {int(n) for n in s.split(",")},
        help="only these rows, e.g. 1,2 (the profile comes with row 1); the other rows of the "
        "report already in --out are kept, marked with when they were measured",
    )
    parser.add_argument("--out", type=Path, default=OUT, help="default: build/bench")
    options = parser.parse_args(argv)
    options.out = options.out.resolve()
    options.out.mkdir(parents=True, exist_ok=True)
    bench = Bench(options)
    bench.notes += _method_notes(bench)
    bench.say(f"benchmark: {options.out}, {bench.runs} run(s) of each small measurement")
    try:
        bench.row(1)
        if 1 in bench.only and not bench.quick:
            profiling.profile_build(bench)
        bench.save()
        for number in sorted(ROWS)[1:]:
            bench.row(number)
    except KeyboardInterrupt:
        bench.say("interrupted: the report holds the rows measured so far")
        return 130
    finally:
        measure.stop_all()
        bench.data["duration_s"] = time.perf_counter() - bench.started
        bench.save()
    if options.out == OUT:
        shutil.copyfile(options.out / "report.md", RESULTS)
    bench.say(f"done in {bench.data['duration_s'] / 60:.1f} min: {options.out / 'report.md'}")
    print((options.out / "report.md").read_text())
    return 0


def _method_notes(bench: Bench) -> list[str]:
    return [
        "W = `weasyprint.HTML(filename=HTML, base_url=PROJECT).write_pdf(PDF, pdf_tags=True)` in "
        "a fresh `python -c` process, on the HTML that `build --html` wrote for the same "
        "edition. `base_url` is the project folder because the HTML links its stylesheets and "
        "the world map relatively to it (`styles/brochure.css`, `assets/maps/world.svg`), as "
        "the pipeline resolves them; tagged, as the pipeline writes its PDFs.",
        "Builds run with `--html` (a file write), so that W is measured on the HTML of that "
        "very build and rows 2 and 3 start from row 1's cache (the options are part of its "
        "key).",
        "Every command runs through `make_brochure.py` with `--content` and `--out` in "
        "build/bench/, on a copy of the sample (or a generated brochure), with a fresh output "
        "folder (no cache, no page map) for each build from scratch"
        + ("." if bench.force else " (`build` has no `--force`: nothing is cached)."),
        "Ratios are taken pair by pair (each build and the W measured right after it) and the "
        "median of the pairs is quoted, so a machine whose speed drifts still gives stable "
        "ratios. Peak RSS is the largest single process of the command (`os.wait4`).",
    ]


if __name__ == "__main__":
    sys.exit(main())
