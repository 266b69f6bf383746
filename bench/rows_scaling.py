"""Row 6: how a build from scratch grows with the brochure: the sample (x1, row 1's runs), x2,
x4 and 200 case studies (bench/generate.py), time per page and peak memory."""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING, Any

import generate
import measure
import pairing
import report
from common import command, slug
from measure import CLI, Failed

if TYPE_CHECKING:
    from run import Bench

__all__ = ["scaling"]


def scaling(b: Bench, entry: dict[str, Any]) -> None:
    sizes = ["x1", "x2"] if b.quick else ["x1", "x2", "x4", "cs200"]
    results = []
    failed = []
    for name in sizes:
        size = generate.SIZES[name]
        if name == "x1" and b.row1_pairs:
            pairs = b.row1_pairs
            b.say("  x1: row 1's runs (the same command on the sample)")
        else:
            try:
                pairs = scaling_size(b, size)
            except Failed as error:  # the other sizes are still worth measuring
                failed.append(f"{name}: {error}")
                b.say(f"  {name} FAILED: {error}")
                continue
        summary = pairing.summary(pairs)
        x_pages = pairs[0]["x"]["pages"] or 0
        max_rss = statistics.median(p["x"]["max_rss_mb"] for p in pairs)
        tree = statistics.median(p["x"]["tree_pss_mb"] for p in pairs)
        results.append(
            {
                "size": name,
                "label": size.label,
                "pages": x_pages,
                "w_pages": pairs[0]["w"][0]["pages"],
                "runs": len(pairs),
                "wall_s": summary["wall_s"],
                "s_per_page": summary["wall_s"] / x_pages if x_pages else None,
                "cpu_s_per_page": summary["cpu_s"] / x_pages if x_pages else None,
                "ratio_wall": summary["ratio_wall"],
                "ratio_cpu": summary["ratio_cpu"],
                "max_rss_mb": max_rss,
                "tree_pss_mb": tree,
                "mb_per_page": max_rss / x_pages if x_pages else None,
                "w_max_rss_mb": statistics.median(p["w"][0]["max_rss_mb"] for p in pairs),
                "w_s_per_page": summary["w_wall_s"] / (pairs[0]["w"][0]["pages"] or x_pages or 1),
                "w_cpu_s_per_page": statistics.median(p["w_cpu_s"] for p in pairs)
                / (pairs[0]["w"][0]["pages"] or x_pages or 1),
                "others_share": pairing.others_share(
                    [run for p in pairs for run in [p["x"], *p["w"]]]
                ),
                "pairs": pairs,
            }
        )
        b.say(
            f"  {name}: {x_pages} pages, {results[-1]['s_per_page'] or 0:.3f} s/page, "
            f"{summary['ratio_wall']:.2f} W, peak {max_rss:.0f} MB"
        )
        entry["sizes"] = results
        b.save()
    entry["notes"] += [f"Failed: {reason}" for reason in failed]
    wall = [r["s_per_page"] for r in results if r["s_per_page"]]
    cpu = [r["cpu_s_per_page"] for r in results if r["cpu_s_per_page"]]
    if len(wall) < 2:
        raise Failed("fewer than two sizes measured: " + ("; ".join(failed) or "no pages"))
    growth, cpu_growth = max(wall) / min(wall), max(cpu) / min(cpu)
    largest = max(results, key=lambda r: r["pages"])
    smallest = min(results, key=lambda r: r["pages"])
    w_growth = largest["w_s_per_page"] / smallest["w_s_per_page"]
    w_cpu_growth = largest["w_cpu_s_per_page"] / smallest["w_cpu_s_per_page"]
    memory_ok = largest["max_rss_mb"] < 400
    entry["command"] = command(["build", *b.force, "--html"]) + " on each size"
    entry["summary"] = {
        "s_per_page_growth": growth,
        "cpu_s_per_page_growth": cpu_growth,
        "largest_max_rss_mb": largest["max_rss_mb"],
    }
    entry["result"] = (
        f"wall s/page {min(wall):.3f} to {max(wall):.3f} (largest/smallest {growth:.2f}), "
        f"CPU s/page {min(cpu):.3f} to {max(cpu):.3f} ({cpu_growth:.2f}); W alone "
        f"{w_growth:.2f} (CPU {w_cpu_growth:.2f}); peak "
        f"{largest['max_rss_mb']:.0f} MB at {largest['pages']} pages"
        + (
            f"; the machine was busy during the {largest['size']} run (others used "
            f"{100 * largest['others_share']:.0f}%)"
            if largest["others_share"] >= 0.15
            else ""
        )
    )
    entry["status"] = scaling_status(
        growth <= 1.2, cpu_growth <= 1.2, memory_ok if largest["size"] == "cs200" else None
    )
    entry["details"] += report.table(
        [
            "size",
            "pages",
            "runs",
            "wall (s)",
            "s/page",
            "CPU s/page",
            "W s/page (CPU)",
            "ratio to W",
            "peak RSS (MB)",
            "MB/page",
            "tree PSS (MB)",
            "W peak (MB)",
            "others' share",
        ],
        [
            [
                f"{r['size']} ({r['label']})",
                r["pages"] if r["pages"] == r["w_pages"] else f"{r['pages']} (W {r['w_pages']})",
                r["runs"],
                f"{r['wall_s']:.1f}",
                f"{r['s_per_page']:.3f}",
                f"{r['cpu_s_per_page']:.3f}",
                f"{r['w_s_per_page']:.3f} ({r['w_cpu_s_per_page']:.3f})",
                f"{r['ratio_wall']:.2f}",
                f"{r['max_rss_mb']:.0f}",
                f"{r['mb_per_page']:.2f}",
                f"{r['tree_pss_mb']:.0f}",
                f"{r['w_max_rss_mb']:.0f}",
                f"{100 * r['others_share']:.0f}%",
            ]
            for r in results
        ],
    )
    entry["notes"] += [
        "Targets: the largest s/page at most 1.2 x the smallest, in wall time and in CPU "
        "time (wall time is what a user waits, but on a shared machine it also measures the "
        "other processes; CPU time is the work done), and the peak RSS of the "
        "largest process under 400 MB at about 460 pages. Peak RSS is the largest single "
        "process (`ru_maxrss` from `os.wait4`); tree PSS is the whole process tree at its "
        "peak (the sum of every process's proportional set size, sampled every 0.25 s), "
        "what a pool of workers needs in all. *Others' share*: the share of the machine's "
        "CPUs other processes used while that size's builds and W ran.",
        "x4 and the 200 case studies are measured once; the others "
        f"{b.runs} time{'s' * (b.runs != 1)} (median).",
        "Memory grows with the pages: an edition is laid out piece by piece, but every "
        "piece's laid-out pages stay in memory until the one PDF is written from all of "
        "them (`Document.copy(pages).write_pdf`), and a laid-out `Document` cannot be "
        "handed to another process or written to disk (it is not picklable). Memory per "
        "piece would need each piece written as its own PDF and the PDFs merged, which "
        "loses the tagged structure, links and outline unless they are rebuilt, and "
        "duplicates the font subsets.",
    ]
    if b.quick:
        entry["notes"].append("`--quick`: x1 and x2 only; memory at 460 pages not measured.")


def scaling_size(b: Bench, size: generate.Size) -> list[dict[str, Any]]:
    content = b.out / f"content-{size.name}"
    counts = generate.generate(size, content)
    b.say(
        f"  {size.name}: generated {content} ("
        + ", ".join(f"{n} {kind}" for kind, n in counts.items())
        + ")"
    )
    check = measure.run(
        [*CLI, "check", "--quick", "--content", str(content)],
        b.out / "logs" / f"check-{size.name}.log",
    )
    if check.returncode != 0:
        raise Failed(f"`check --quick` refused {content}; see {check.log}")
    out = b.out / f"scale-{size.name}"
    runs = b.runs if size.name in ("x1", "x2") else 1
    pairs = []
    for i in range(runs):
        x = b.build(content, out, [*b.force, "--html"], f"scale-{size.name}-{i + 1}", fresh=True)
        x.pages = measure.count_pages(out / f"{slug(content)}-en.pdf")
        w = b.w(out / f"{slug(content)}-en.html", f"scale-{size.name}-{i + 1}")
        pairs.append(pairing.pair(x, [w]))
    return pairs


def scaling_status(wall_flat: bool, cpu_flat: bool, memory_ok: bool | None) -> str:
    """The verdict. Time per page must be flat in wall time and in CPU time: wall time
    alone is at the mercy of other processes on a shared machine, CPU time alone would miss
    a build that stops using both cores as it grows."""
    wrong = []
    if not (wall_flat and cpu_flat):
        which = "wall" if cpu_flat else "CPU" if wall_flat else "wall and CPU"
        wrong.append(f"time per page grows ({which})")
    if memory_ok is False:
        wrong.append("memory")
    verdict = f"not met ({' and '.join(wrong)})" if wrong else "met"
    if memory_ok is None:
        verdict += " (memory at 460 pages not measured)"
    return verdict
