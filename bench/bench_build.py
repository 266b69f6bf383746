"""Benchmark: the whole pipeline against WeasyPrint alone on the same HTML.

Targets are ratios, not seconds, so they hold on any machine: the pipeline's own stages (load,
checks, render, finishing) should add little to the typesetting WeasyPrint must do anyway.

    .venv/bin/python bench/bench_build.py [--runs 3]

Prints the median wall time of each and their ratio, and the peak memory (max RSS) of each run
in a fresh process. Target: ratio <= 1.25.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PIPELINE = """
import resource, sys, time
from brochure import cli
start = time.perf_counter()
code = cli.main(["build", "--quiet", "--out", sys.argv[1]])
assert code == 0, code
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

WEASYPRINT_ONLY = """
import resource, sys, time
from pathlib import Path
import weasyprint
html = Path(sys.argv[1]).read_text()
start = time.perf_counter()
weasyprint.HTML(string=html, base_url=sys.argv[2]).write_pdf(pdf_tags=True)
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _run(code: str, *args: str) -> tuple[float, int]:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[0]), int(out[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [sys.executable, "make_brochure.py", "build", "--quiet", "--html", "--out", out],
            cwd=ROOT,
            check=True,
        )
        html = next(Path(out).glob("*.html"))
        base = ROOT.as_uri() + "/"
        pipeline = [_run(PIPELINE, out) for _ in range(runs)]
        alone = [_run(WEASYPRINT_ONLY, str(html), base) for _ in range(runs)]
    result = {
        "pipeline_s": statistics.median(t for t, _ in pipeline),
        "weasyprint_s": statistics.median(t for t, _ in alone),
        "pipeline_max_rss_mb": max(m for _, m in pipeline) / 1024,
        "weasyprint_max_rss_mb": max(m for _, m in alone) / 1024,
    }
    result["time_ratio"] = result["pipeline_s"] / result["weasyprint_s"]
    result["memory_ratio"] = result["pipeline_max_rss_mb"] / result["weasyprint_max_rss_mb"]
    print(json.dumps({k: round(v, 3) for k, v in result.items()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
