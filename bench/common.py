"""Small helpers every row uses: the sample's paths, an edit to a case study, figures as text."""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from measure import ROOT, Run

__all__ = ["EDITED", "SAMPLE", "append_sentence", "command", "figures", "met", "slug"]

SAMPLE = ROOT / "content"
EDITED = Path("case-studies") / "kisumu.md"  # the case study rows 3 and 5 edit


def figures(run: Run) -> str:
    others = run.others_cpu_s / run.wall_s / (os.cpu_count() or 1) if run.wall_s else 0
    return f"{run.wall_s:.2f} s wall, {run.cpu_s:.2f} s CPU, peak {run.max_rss_mb:.0f} MB" + (
        f" (other processes used {100 * others:.0f}% of the machine)" if others > 0.1 else ""
    )


def met(ok: bool) -> str:
    return "met" if ok else "not met"


def command(args: list[str]) -> str:
    return "`make_brochure.py " + " ".join(args) + " --content DIR --out DIR`"


def slug(content: Path) -> str:
    return yaml.safe_load((content / "brochure.yaml").read_text(encoding="utf-8"))["slug"]


def append_sentence(path: Path, words: str) -> int:
    """Append a sentence to the first paragraph under the first `## ` heading; its line."""
    lines = path.read_text(encoding="utf-8").split("\n")
    heading = next((i for i, line in enumerate(lines) if line.startswith("## ")), None)
    if heading is None:
        raise ValueError(f"{path}: no `## ` heading to edit under")
    start = next(i for i in range(heading + 1, len(lines)) if lines[i].strip())
    end = start
    while end + 1 < len(lines) and lines[end + 1].strip():
        end += 1
    lines[end] = lines[end].rstrip() + f" This sentence was added by the {words}."
    path.write_text("\n".join(lines), encoding="utf-8")
    return end + 1
