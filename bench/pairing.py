"""A measurement paired with the W measured next to it, and the figures quoted from the pairs.

The ratio is taken pair by pair and the median of the pairs is quoted: when the machine's speed
drifts during the run, both members of a pair drift together.
"""

from __future__ import annotations

import os
import statistics
from typing import Any

import report
from measure import Run

__all__ = ["busy", "others_share", "pair", "result", "sequence", "summary", "table"]


def pair(x: Run, ws: list[Run]) -> dict[str, Any]:
    """A measurement and the W measured next to it (the mean of several editions' W)."""
    w_wall = statistics.fmean(w.wall_s for w in ws)
    w_cpu = statistics.fmean(w.cpu_s for w in ws)
    return {
        "x": x.as_dict(),
        "w": [w.as_dict() for w in ws],
        "w_wall_s": w_wall,
        "w_cpu_s": w_cpu,
        "ratio_wall": x.wall_s / w_wall,
        "ratio_cpu": x.cpu_s / w_cpu,
        "w_pages": sum(w.pages or 0 for w in ws),
    }


def summary(pairs: list[dict[str, Any]]) -> dict[str, float]:
    return {
        "runs": len(pairs),
        "wall_s": statistics.median(p["x"]["wall_s"] for p in pairs),
        "cpu_s": statistics.median(p["x"]["cpu_s"] for p in pairs),
        "w_wall_s": statistics.median(p["w_wall_s"] for p in pairs),
        "ratio_wall": statistics.median(p["ratio_wall"] for p in pairs),
        "ratio_cpu": statistics.median(p["ratio_cpu"] for p in pairs),
        "max_rss_mb": max(p["x"]["max_rss_mb"] for p in pairs),
    }


def result(summary: dict[str, float], pairs: list[dict[str, Any]]) -> str:
    spread = [p["ratio_wall"] for p in pairs]
    pages = pairs[0]["x"]["pages"]
    w_pages = pairs[0]["w_pages"]
    if pages and w_pages != pages:
        pages = f"{pages} (W: {w_pages})"
    return (
        f"{summary['ratio_wall']:.2f} W ({summary['wall_s']:.1f} s vs W "
        f"{summary['w_wall_s']:.1f} s; pairs {min(spread):.2f}–{max(spread):.2f}; CPU "
        f"{summary['ratio_cpu']:.2f} W; peak {summary['max_rss_mb']:.0f} MB"
        + (f"; {pages} pages" if pages else "")
        + f"; {len(pairs)} run{'s' * (len(pairs) != 1)}"
        + busy([run for p in pairs for run in [p["x"], *p["w"]]])
        + ")"
    )


def others_share(runs: list[dict[str, Any]]) -> float:
    """The share of the machine's CPUs other processes used while `runs` ran."""
    wall = sum(r["wall_s"] for r in runs)
    return sum(r["others_cpu_s"] for r in runs) / wall / (os.cpu_count() or 1) if wall else 0.0


def busy(runs: list[dict[str, Any]]) -> str:
    """`; machine busy: ...` when other processes took a noticeable share of the CPUs."""
    share = others_share(runs)
    return f"; machine busy: others used {100 * share:.0f}% of it" if share >= 0.15 else ""


def table(pairs: list[dict[str, Any]], w_label: str = "W") -> list[str]:
    return report.table(
        [
            "run",
            "wall (s)",
            "CPU (s)",
            "peak RSS (MB)",
            f"{w_label} wall (s)",
            "ratio",
            "CPU ratio",
            "others' CPU (s)",
        ],
        [
            [
                i + 1,
                f"{p['x']['wall_s']:.2f}",
                f"{p['x']['cpu_s']:.2f}",
                f"{p['x']['max_rss_mb']:.0f}",
                f"{p['w_wall_s']:.2f}",
                f"{p['ratio_wall']:.3f}",
                f"{p['ratio_cpu']:.3f}",
                f"{p['x']['others_cpu_s']:.1f} / {sum(w['others_cpu_s'] for w in p['w']):.1f}",
            ]
            for i, p in enumerate(pairs)
        ],
    )


def sequence(runs: list[Run]) -> Run:
    """Several commands one after the other, as one measurement."""
    return Run(
        argv=[a for r in runs for a in [*r.argv, ";"]][:-1],
        wall_s=sum(r.wall_s for r in runs),
        user_s=sum(r.user_s for r in runs),
        sys_s=sum(r.sys_s for r in runs),
        max_rss_mb=max(r.max_rss_mb for r in runs),
        tree_pss_mb=max(r.tree_pss_mb for r in runs),
        returncode=0,
        others_cpu_s=sum(r.others_cpu_s for r in runs),
        log=", ".join(r.log for r in runs),
    )
