"""Rows 1 to 4: builds from the command line, from scratch, with nothing changed, after an
edit, and several editions side by side; each a ratio to W."""

from __future__ import annotations

import os
import re
import shutil
import statistics
from pathlib import Path
from typing import TYPE_CHECKING, Any

import measure
import pairing
import report
from common import EDITED, append_sentence, command, met, slug
from measure import ROOT, Failed, Run

if TYPE_CHECKING:
    from run import Bench

__all__ = ["all_editions", "nothing_changed", "one_case_study", "one_edition", "stage_table"]

QUICK_EDITIONS = ["--lang", "en", "--lang", "fr", "--variant", "screen"]  # row 4 with --quick


def one_edition(b: Bench, entry: dict[str, Any]) -> None:
    """Row 1: `build --force --html` in a fresh output folder (no cache, no page map)."""
    content = b.copy_sample(b.out / "content")
    out = b.out / "one"
    pairs = []
    for i in range(b.runs):
        x = b.build(content, out, [*b.force, "--html"], f"one-{i + 1}", fresh=True)
        x.pages = measure.count_pages(out / f"{slug(content)}-en.pdf")
        html = b.keep_html(out / f"{slug(content)}-en.html")
        w = b.w(html, f"one-{i + 1}")
        b.w_en.append(w)
        pairs.append(pairing.pair(x, [w]))
    b.row1_pairs = pairs
    b.row1_out = out
    summary = pairing.summary(pairs)
    entry["command"] = command(["build", *b.force, "--html"])
    entry["pairs"] = pairs
    entry["summary"] = summary
    entry["result"] = pairing.result(summary, pairs)
    entry["status"] = met(summary["ratio_wall"] <= 0.3)
    entry["stages"] = report.median_stages([ROOT / p["x"]["log"] for p in pairs])
    entry["details"] += pairing.table(pairs)
    entry["details"] += ["", *stage_table(entry["stages"], summary["wall_s"])]
    entry["notes"].append(
        "A first build lays the edition out twice: once from an estimated page map, once more "
        "for the pieces whose printed page numbers turned out wrong; then it writes the PDF and "
        "every handout. W lays out once and writes once."
    )


def cache_folders(b: Bench) -> tuple[Path, Path]:
    """The content and output folders rows 2 and 3 work in: a copy of row 1's last build (its
    cache and page map) when there is one, else a first build made now."""
    content, out = b.out / "cache" / "content", b.out / "cache" / "out"
    if content.is_dir() and out.is_dir():
        return content, out
    b.copy_sample(content)
    if out.exists():
        shutil.rmtree(out)
    if b.row1_out is not None and b.row1_out.is_dir():
        shutil.copytree(b.row1_out, out)
    else:
        b.say("  a first build to start from:")
        b.build(content, out, ["--html"], "cache-first", fresh=False)
        b.keep_html(out / f"{slug(content)}-en.html")  # W's HTML, when row 1 did not run
    return content, out


def nothing_changed(b: Bench, entry: dict[str, Any]) -> None:
    """Row 2: `build --html` again on the same sources: the edition comes from the cache."""
    if (b.out / "cache").exists():
        shutil.rmtree(b.out / "cache")
    content, out = cache_folders(b)
    first = b.build(content, out, ["--html"], "unchanged-0", fresh=False)
    runs = [
        b.build(content, out, ["--html"], f"unchanged-{i + 1}", fresh=False)
        for i in range(max(b.runs, 3))  # a tenth of a second each: three even with --quick
    ]
    missed = [r.log for r in runs if not _cached(r)]
    wall = statistics.median(r.wall_s for r in runs)
    w = b.w_median()
    entry["command"] = command(["build", "--html"]) + ", again with no edit"
    entry["runs"] = [r.as_dict() for r in runs]
    entry["summary"] = {"wall_s": wall, "cpu_s": statistics.median(r.cpu_s for r in runs)}
    entry["result"] = (
        f"{wall:.2f} s wall, {wall / w:.3f} W (CPU {entry['summary']['cpu_s']:.2f} s; "
        f"{len(runs)} runs" + pairing.busy([r.as_dict() for r in runs]) + ")"
    )
    entry["status"] = met(wall / w < 0.02 and not missed)
    entry["details"] += report.table(
        ["run", "wall (s)", "CPU (s)", "peak RSS (MB)"],
        [
            [
                f"first ({'from the cache' if _cached(first) else 'built'})",
                f"{first.wall_s:.2f}",
                f"{first.cpu_s:.2f}",
                f"{first.max_rss_mb:.0f}",
            ]
        ]
        + [
            [i + 1, f"{r.wall_s:.2f}", f"{r.cpu_s:.2f}", f"{r.max_rss_mb:.0f}"]
            for i, r in enumerate(runs)
        ],
    )
    entry["notes"].append(f"W for the ratio: row 1's median W ({w:.1f} s).")
    if missed:
        entry["notes"].append(f"Not answered from the cache: {', '.join(missed)}.")


def one_case_study(b: Bench, entry: dict[str, Any]) -> None:
    """Row 3: a sentence appended to a case study, then `build --html` in a fresh process."""
    content, out = cache_folders(b)
    pairs = []
    for i in range(b.runs):
        line = append_sentence(content / EDITED, f"benchmark edit {i + 1}")
        b.say(f"  appended a sentence to {EDITED}:{line}")
        x = b.build(content, out, ["--html"], f"edited-{i + 1}", fresh=False)
        x.pages = measure.count_pages(out / f"{slug(content)}-en.pdf")
        # W on this very build's HTML; with --quick, row 1's (the same edition, one sentence
        # shorter) rather than another half minute per run.
        ws = (
            b.w_en[-1:]
            if b.quick and b.w_en
            else [b.w(out / f"{slug(content)}-en.html", f"edited-{i + 1}")]
        )
        pairs.append(pairing.pair(x, ws))
    summary = pairing.summary(pairs)
    entry["command"] = (
        f"append a sentence to a paragraph of {EDITED} (in a copy of the content), then "
        + command(["build", "--html"])
    )
    entry["pairs"] = pairs
    entry["summary"] = summary
    entry["stages"] = report.median_stages([ROOT / p["x"]["log"] for p in pairs])
    entry["result"] = pairing.result(summary, pairs)
    entry["status"] = met(summary["ratio_wall"] < 0.1)
    entry["details"] += pairing.table(pairs)
    entry["details"] += ["", *stage_table(entry["stages"], summary["wall_s"])]
    typeset = entry["stages"].get("typeset")
    entry["notes"].append(
        "The build starts from the last build's page map (one layout round instead of two), "
        "but in a new process: the laid-out pieces of the last build are not kept between "
        "processes (a WeasyPrint `Document` cannot be pickled), so every piece is laid out "
        "again"
        + (f" (typeset {typeset:.1f} s, median)" if typeset else "")
        + ", and the whole PDF and its handouts are written again. Only `watch`, which keeps "
        "the layouts in memory, lays out the edited piece alone (row 5)."
    )


def all_editions(b: Bench, entry: dict[str, Any]) -> None:
    """Row 4: several editions from scratch over the worker pool, against the same editions
    built one after the other (`--jobs 1`)."""
    content = b.out / "content"
    if not content.is_dir():
        b.copy_sample(content)
    which = QUICK_EDITIONS if b.quick else ["--all"]
    cores = len(os.sched_getaffinity(0))
    side = b.build(content, b.out / "all", [*b.force, *which], "all-pool", fresh=True)
    alone = b.build(
        content, b.out / "all-one", [*b.force, *which, "--jobs", "1"], "all-jobs-1", fresh=True
    )
    pool_times, one_times = _edition_times(ROOT / side.log), _edition_times(ROOT / alone.log)
    if not pool_times:
        raise Failed(f"no edition lines (`  en   screen  65 pages  40.1 s  ...`) in {side.log}")
    n = len(pool_times)
    ratio = side.wall_s / alone.wall_s
    w = b.w_median()
    entry["command"] = (
        command(["build", *b.force, *which])
        + f" ({cores} workers) against the same with `--jobs 1`"
    )
    entry["runs"] = {"pool": side.as_dict(), "jobs_1": alone.as_dict()}
    entry["summary"] = {
        "editions": n,
        "cores": cores,
        "pool_wall_s": side.wall_s,
        "one_by_one_wall_s": alone.wall_s,
        "ratio": ratio,
        "speedup": alone.wall_s / side.wall_s,
        "per_edition_w": side.wall_s / n / w,
    }
    entry["result"] = (
        f"{ratio:.2f} × one by one ({side.wall_s:.0f} s against {alone.wall_s:.0f} s for {n} "
        f"editions: speed-up {alone.wall_s / side.wall_s:.2f} on {cores} cores; "
        f"{side.wall_s / n / w:.2f} W per edition; CPU {side.cpu_s:.0f} s against "
        f"{alone.cpu_s:.0f} s; peak {side.max_rss_mb:.0f} MB per process, "
        f"{side.tree_pss_mb:.0f} MB in all; 1 run"
        + pairing.busy([side.as_dict(), alone.as_dict()])
        + ")"
    )
    entry["status"] = met(ratio <= 1.1 / cores)
    entry["details"] += report.table(
        ["edition", "pages", f"in the pool of {cores} (s)", "with --jobs 1 (s)"],
        [
            [name, pages, f"{seconds:.1f}", f"{one_times.get(name, (0, 0))[1]:.1f}"]
            for name, (pages, seconds) in pool_times.items()
        ],
    )
    entry["notes"] += [
        "The unit of parallel work is an edition (a WeasyPrint `Document` cannot leave its "
        "process): the pool is at best as fast as its longest edition, and each worker pays "
        "its own start-up (imports, fonts). With other processes on the machine, the pool "
        "loses what they take from its cores; one worker loses less.",
        f"W for *per edition*: row 1's median W ({w:.1f} s, the English screen edition).",
    ]
    if b.quick:
        entry["notes"].append(
            "`--quick`: two editions (`--lang en --lang fr --variant screen`) instead of `--all`."
        )


def stage_table(stages: dict[str, float], wall: float) -> list[str]:
    """The pipeline's own stage lines (median over the runs) against the whole wall time."""
    outside = wall - sum(stages.values())
    return report.table(
        ["stage (the build's own lines, median)", "s", "% of wall"],
        [[name, f"{s:.2f}", f"{100 * s / wall:.0f}"] for name, s in stages.items()]
        + [
            [
                "(outside the stages: start-up, imports, waiting)",
                f"{outside:.2f}",
                f"{100 * outside / wall:.0f}",
            ]
        ],
    )


def _cached(run: Run) -> bool:
    """Whether the build answered from the cache (`<pdf> is up to date (...)`)."""
    return "is up to date" in (ROOT / run.log).read_text(errors="replace")


def _edition_times(log: Path) -> dict[str, tuple[int, float]]:
    """Each edition's pages and seconds from the pool's lines
    (`  en   screen     65 pages   40.1 s  build/x-en.pdf`)."""
    found = {}
    for line in log.read_text(errors="replace").splitlines():
        match = re.match(r"^  (\S+)\s+(\S+)\s+(\d+) pages\s+([\d.]+) s\s", line)
        if match:
            found[f"{match.group(1)} {match.group(2)}"] = (
                int(match.group(3)),
                float(match.group(4)),
            )
    return found
