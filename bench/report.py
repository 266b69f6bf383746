"""The benchmark's results as build/bench/report.md (tables) and report.json (every run), and
the profile of one build summarised by stage, by module and by function."""

from __future__ import annotations

import json
import pstats
import re
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

__all__ = ["profile_summary", "stages", "write"]

STAGE_LINE = re.compile(r"^  ([a-z][\w-]*)\s+(\d+\.\d+) s\s*$")


def stages(log: Path) -> dict[str, float]:
    """The pipeline's own progress lines (`  typeset   16.09 s`), summed by stage name."""
    found: dict[str, float] = defaultdict(float)
    for line in log.read_text(errors="replace").splitlines():
        match = STAGE_LINE.match(line)
        if match:
            found[match.group(1)] += float(match.group(2))
    return dict(found)


def median_stages(logs: list[Path]) -> dict[str, float]:
    runs = [stages(log) for log in logs]
    names = list(dict.fromkeys(name for run in runs for name in run))
    return {name: statistics.median(run.get(name, 0.0) for run in runs) for name in names}


def profile_summary(path: Path, root: Path, top: int = 15) -> dict[str, Any]:
    """Own time by module and the top functions by own and by cumulative time."""
    stats = pstats.Stats(str(path))
    total = stats.total_tt  # type: ignore[attr-defined]
    table = stats.stats  # type: ignore[attr-defined]
    by_module: dict[str, float] = defaultdict(float)
    functions = []
    for (file, line, name), (_cc, calls, own, cumulative, _callers) in table.items():
        module = _module(file, root)
        by_module[module] += own
        functions.append(
            {
                "function": f"{_short(file, root)}:{line}({name})" if file != "~" else name,
                "calls": calls,
                "own_s": round(own, 3),
                "cumulative_s": round(cumulative, 3),
            }
        )
    modules = sorted(by_module.items(), key=lambda item: -item[1])
    made = [
        calls
        for (file, _line, name), (_cc, calls, *_rest) in table.items()
        if name == "make_page" and file.endswith("weasyprint/layout/page.py")
    ]
    return {
        "profiled_s": round(total, 3),
        "pages_laid_out": sum(made) or None,  # WeasyPrint's page layouts, repeated ones too
        "by_module": [{"module": m, "own_s": round(s, 3)} for m, s in modules[:top]],
        "by_own_time": sorted(functions, key=lambda f: -f["own_s"])[:top],
        "by_cumulative_time": sorted(functions, key=lambda f: -f["cumulative_s"])[: top + 10],
    }


def _short(file: str, root: Path) -> str:
    if "site-packages/" in file:
        return file.split("site-packages/", 1)[1]
    if file.startswith(str(root) + "/"):
        return file[len(str(root)) + 1 :]
    return file


def _module(file: str, root: Path) -> str:
    """weasyprint/layout, weasyprint/pdf, pydyf, fontTools, brochure ...; C functions apart."""
    if file == "~":
        return "(C functions called from Python)"
    if "site-packages/" not in file and not file.startswith(str(root) + "/"):
        return "(Python standard library)"
    parts = Path(_short(file, root)).parts
    if parts[0] in ("weasyprint", "fontTools") and len(parts) > 2:
        return "/".join(parts[:2])
    return parts[0].removesuffix(".py")


def write(out: Path, data: dict[str, Any]) -> None:
    (out / "report.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    (out / "report.md").write_text(markdown(data))


def markdown(data: dict[str, Any]) -> str:
    m = data["machine"]
    lines = [
        "# Build benchmark",
        "",
        f"{data['started']} · {m['cpus']} CPUs · Python {m['python']} · WeasyPrint "
        f"{m['weasyprint']} · commit {m['commit']} · "
        + (
            f"whole run {data['duration_s'] / 60:.0f} min"
            if data.get("duration_s")
            else "still running"
        )
        + (" · `--quick`" if data["quick"] else ""),
        "",
        "Every figure is a ratio to **W**: WeasyPrint alone, in a fresh process, on the "
        "single-document HTML that `build --html` writes for the same edition, measured in the "
        "same run next to the measurement it pairs with (the ratio is taken pair by pair, and "
        "the median of the pairs is quoted). Times are whole processes: wall time, and CPU "
        "(user + sys, including worker processes) from `os.wait4`.",
        "",
        *_others(data),
        *(
            [
                "`--quick`: one run of each row, row 4 on two editions, row 6 up to x2, no "
                "profile: a check that every row works more than a measurement to quote.",
                "",
            ]
            if data["quick"]
            else []
        ),
        "| # | measurement | result | target | status |",
        "|---|---|---|---|---|",
    ]
    for row in data["rows"]:
        name = row["name"]
        if row.get("measured", data["started"]) != data["started"]:
            name += f" (measured {row['measured']}, commit {row.get('commit')})"
        lines.append(
            f"| {row['id']} | {name} | {row.get('result') or '—'} | {row['target']} | "
            f"**{row['status']}** |"
        )
    for row in data["rows"]:
        if row.get("details") or row.get("notes"):
            lines += ["", f"## {row['id']}. {row['name']}", ""]
            lines += row.get("details", [])
            if row.get("notes"):
                lines += ["", *(f"- {note}" for note in row["notes"])]
    profile = data.get("profile")
    if profile:
        lines += ["", "## Where the time goes: one build of the English edition", ""]
        lines += profile.get("details", [])
    if data.get("notes"):
        lines += ["", "## How it was measured", "", *(f"- {n}" for n in data["notes"])]
    return "\n".join(lines) + "\n"


def _others(data: dict[str, Any]) -> list[str]:
    others = data.get("others")
    if not others or others["max_share"] < 0.05:
        return []
    loaded = "**Measured under load.** " if others["mean_share"] >= 0.15 else ""
    return [
        f"{loaded}While it measured, other processes used {100 * others['mean_share']:.0f}% of the "
        f"machine's CPU on average ({100 * others['max_share']:.0f}% at most during one "
        "measurement; *others' CPU* in the tables gives it per run, build / W). W uses one "
        "core; a build that uses every core (row 4) loses more of what the other processes "
        "take, so on a busy machine its ratios are worse than on an idle one. CPU ratios "
        "suffer less from the load than wall ratios.",
        "",
    ]


def table(header: list[str], rows: list[list[object]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out
