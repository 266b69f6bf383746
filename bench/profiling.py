"""One build of the English edition under cProfile, and where its time went: by stage (the
pipeline's own lines, from row 1), by module and by function."""

from __future__ import annotations

import io
import pstats
import shutil
from typing import TYPE_CHECKING, Any

import measure
import report
from common import figures, slug
from measure import PYTHON, ROOT, Run

if TYPE_CHECKING:
    from run import Bench

__all__ = ["profile_build"]


def profile_build(b: Bench) -> None:
    """Profile one build from scratch (row 1's command); the report's last section."""
    b.say("profile: one build of the English edition under cProfile")
    content = b.out / "content"
    pstats_path = b.out / "profile.pstats"
    out = b.out / "profile"
    if out.exists():
        shutil.rmtree(out)
    argv = [PYTHON, "-m", "cProfile", "-o", str(pstats_path), "make_brochure.py", "build"]
    argv += [*b.force, "--content", str(content), "--out", str(out)]
    b.say("  $ " + " ".join(argv[1:]))
    result = measure.run(argv, b.out / "logs" / "profile.log")
    if result.returncode != 0 or not pstats_path.is_file():
        b.notes.append(f"The profiled build failed; see {result.log}.")
        return
    b.say(f"    {figures(result)} (with the profiler's overhead)")
    summary = report.profile_summary(pstats_path, ROOT)
    text = io.StringIO()
    stats = pstats.Stats(str(pstats_path), stream=text)
    stats.sort_stats("cumulative").print_stats(60)
    stats.sort_stats("tottime").print_stats(60)
    (b.out / "profile.txt").write_text(text.getvalue())
    row1 = next((r for r in b.rows if r["id"] == 1 and "stages" in r), None)
    result.pages = measure.count_pages(out / f"{slug(content)}-en.pdf")
    b.profile = {"run": result.as_dict(), **summary, "details": []}
    b.profile["details"] = _details(b.profile, row1, result)


def _details(profile: dict[str, Any], row1: dict | None, run: Run) -> list[str]:
    lines = []
    if row1:
        stages = row1["stages"]
        wall = row1["summary"]["wall_s"]
        lines += [
            "By stage, as the pipeline reports it (median of row 1's runs, without the "
            f"profiler; the build's whole wall time {wall:.1f} s):",
            "",
            *report.table(
                ["stage", "s", "% of wall"],
                [[n, f"{s:.2f}", f"{100 * s / wall:.0f}"] for n, s in stages.items()]
                + [
                    [
                        "(outside the stages: start-up, imports, waiting)",
                        f"{wall - sum(stages.values()):.2f}",
                        f"{100 * (wall - sum(stages.values())) / wall:.0f}",
                    ]
                ],
            ),
            "",
        ]
    total = profile["profiled_s"]
    lines += [
        f"By module and by function (cProfile of one build: {total:.1f} s profiled in the "
        f"main process, whose run took {run.wall_s:.1f} s wall and {run.cpu_s:.1f} s CPU with "
        "the profiler's overhead; `build/bench/profile.pstats`, `profile.txt`):",
    ]
    made = profile.get("pages_laid_out")
    if made and run.pages:
        lines.append(
            f"\nWeasyPrint laid out {made} pages (calls of `weasyprint/layout/page.py`'s "
            f"`make_page`) to print {run.pages}."
        )
    if run.cpu_s > 1.25 * total:
        lines.append(
            f"\n(only {100 * total / run.cpu_s:.0f}% of the CPU time was in the profiled process: "
            "the rest ran in worker processes, which cProfile does not see)"
        )
    lines += [
        "",
        *report.table(
            ["module (own time)", "s", "%"],
            [
                [m["module"], f"{m['own_s']:.2f}", f"{100 * m['own_s'] / total:.0f}"]
                for m in profile["by_module"]
            ],
        ),
        "",
        *report.table(
            ["function (by own time)", "calls", "own s", "cumulative s"],
            [
                [f"`{f['function']}`", f["calls"], f["own_s"], f["cumulative_s"]]
                for f in profile["by_own_time"]
            ],
        ),
        "",
        *report.table(
            ["function (by cumulative time)", "calls", "own s", "cumulative s"],
            [
                [f"`{f['function']}`", f["calls"], f["own_s"], f["cumulative_s"]]
                for f in profile["by_cumulative_time"]
            ],
        ),
    ]
    return lines
