"""Benchmark of the build (issue 9): every figure a ratio to W, WeasyPrint alone on the same
edition's HTML, measured in the same run.

    .venv/bin/python bench/run.py            # everything (about an hour on today's pipeline)
    .venv/bin/python bench/run.py --quick    # without the x4 and 200-case-study brochures
    .venv/bin/python bench/run.py --only 1,4 --runs 5

Writes build/bench/report.md, report.json, profile.pstats and profile.txt; each command's
output goes to build/bench/logs/. Every build goes through the project's command line
(`make_brochure.py build --content ... --out ...` into build/bench/), never through an import
of the pipeline, so this measures whatever the pipeline becomes. Nothing here asserts: the
report says which target is met.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import platform
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import generate
import measure
import pairing
import report
import yaml
from measure import CLI, PYTHON, ROOT, Failed, Run
from watcher import Watcher

OUT = ROOT / "build" / "bench"
SAMPLE = ROOT / "content"
EDITED = Path("case-studies") / "kisumu.md"  # the case study rows 5 and 6 edit
ROWS = {
    1: "one edition from scratch",
    2: "three languages from scratch",
    3: "all editions of the sample",
    4: "nothing changed",
    5: "one case study edited",
    6: "watch: preview of the edited part",
    7: "scaling: time and memory per page",
}


class Bench:
    def __init__(self, options: argparse.Namespace):
        self.out: Path = options.out
        self.runs: int = options.runs
        self.quick: bool = options.quick
        self.only: set[int] = options.only or set(ROWS)
        self.started = time.perf_counter()
        self.rows: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self.profile: dict[str, Any] | None = None
        self.w_en: list[Run] = []  # W of the sample's English edition, for rows that need one
        self.row1_pairs: list[dict[str, Any]] = []
        self.measured: list[Run] = []  # every build and W, for how busy the machine was
        self.data: dict[str, Any] = {
            "started": datetime.datetime.now().isoformat(timespec="seconds"),
            "quick": self.quick,
            "runs": self.runs,
            "machine": _machine(),
        }
        self.kept = _previous(self.out, self.only)  # rows of the last report not measured now
        build_help = _help("build")
        self.force = ["--force"] if "--force" in build_help else []
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
            raise Failed(f"`{' '.join(argv[1:])}` exited {result.returncode}; see {result.log}")
        self.measured.append(result)
        self.say(f"    {_figures(result)}")
        return result

    def w(self, html: Path, name: str) -> Run:
        if not html.is_file():
            raise Failed(f"no HTML to measure W on: {html}")
        result = measure.weasyprint_alone(
            html, self.out / "w" / f"{html.stem}.pdf", self.out / "logs" / f"w-{name}.log"
        )
        self.measured.append(result)
        self.say(f"    W {html.name}: {_figures(result)}, {result.pages} pages")
        return result

    def copy_sample(self, dest: Path) -> Path:
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(SAMPLE, dest)
        return dest

    # -- the rows ------------------------------------------------------------------------

    def row(self, number: int, target: str, fn: Callable[[dict[str, Any]], None]) -> None:
        if number not in self.only:
            return
        entry: dict[str, Any] = {
            "id": number,
            "measured": self.data["started"],
            "commit": self.data["machine"]["commit"],
            "name": ROWS[number],
            "target": target,
            "status": "not measured",
            "notes": [],
            "details": [],
        }
        self.rows.append(entry)
        self.say(f"row {number}: {ROWS[number]} (target {target})")
        try:
            fn(entry)
        except Failed as error:
            entry["status"] = "failed"
            entry["result"] = str(error)
            self.say(f"  FAILED: {error}")
        self.say(f"  -> {entry.get('result')}: {entry['status']}")
        self.save()

    def one_edition(self, entry: dict[str, Any]) -> None:
        content = self.copy_sample(self.out / "content")
        out = self.out / "one"
        pairs = []
        for i in range(self.runs):
            x = self.build(content, out, [*self.force, "--html"], f"one-{i + 1}", fresh=True)
            x.pages = measure.count_pages(out / f"{_slug(content)}-en.pdf")
            html = self.keep_html(out / f"{_slug(content)}-en.html")
            w = self.w(html, f"one-{i + 1}")
            self.w_en.append(w)
            pairs.append(pairing.pair(x, [w]))
        self.row1_pairs = pairs
        summary = pairing.summary(pairs)
        entry["command"] = _command(["build", *self.force, "--html"])
        entry["pairs"] = pairs
        entry["summary"] = summary
        entry["result"] = pairing.result(summary, pairs)
        entry["status"] = _met(summary["ratio_wall"] <= 0.3)
        stage_logs = [ROOT / p["x"]["log"] for p in pairs]
        entry["stages"] = report.median_stages(stage_logs)
        entry["details"] += pairing.table(pairs)
        if not self.force:
            entry["notes"].append(
                "`build` has no `--force` yet (there is no cache): every build is from scratch."
            )

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
        html = self.out / "html" / f"{_slug(SAMPLE)}-en.html"
        if not html.is_file():
            content = self.copy_sample(self.out / "content")
            self.say("  the English edition's HTML, for W:")
            self.build(content, self.out / "html-build", ["--html"], "html-en", fresh=True)
            self.keep_html(self.out / "html-build" / html.name)
        return self.w(html, name)

    def profile_build(self) -> None:
        """One build of the English edition under cProfile, and where its time went."""
        if 1 not in self.only:
            return
        self.say("profile: one build of the English edition under cProfile")
        content = self.out / "content"
        pstats_path = self.out / "profile.pstats"
        out = self.out / "profile"
        if out.exists():
            shutil.rmtree(out)
        argv = [PYTHON, "-m", "cProfile", "-o", str(pstats_path), "make_brochure.py", "build"]
        argv += [*self.force, "--content", str(content), "--out", str(out)]
        self.say("  $ " + " ".join(argv[1:]))
        result = measure.run(argv, self.out / "logs" / "profile.log")
        if result.returncode != 0 or not pstats_path.is_file():
            self.notes.append(f"The profiled build failed; see {result.log}.")
            return
        self.say(f"    {_figures(result)} (with the profiler's overhead)")
        summary = report.profile_summary(pstats_path, ROOT)
        text = io.StringIO()
        stats = pstats.Stats(str(pstats_path), stream=text)
        stats.sort_stats("cumulative").print_stats(60)
        stats.sort_stats("tottime").print_stats(60)
        (self.out / "profile.txt").write_text(text.getvalue())
        row1 = next((r for r in self.rows if r["id"] == 1 and "stages" in r), None)
        result.pages = measure.count_pages(out / f"{_slug(content)}-en.pdf")
        self.profile = {"run": result.as_dict(), **summary, "details": []}
        self.profile["details"] = _profile_details(self.profile, row1, result)

    def three_languages(self, entry: dict[str, Any]) -> None:
        content = self.out / "content"
        if not content.is_dir():
            self.copy_sample(content)
        slug = _slug(content)
        out = self.out / "three"
        langs = ["en", "fr", "es"]
        several = [*self.force, "--html", "--lang", "en", "--lang", "fr", "--lang", "es"]
        pairs = []
        sequential = False
        for i in range(self.runs):
            if not sequential:
                try:
                    x = self.build(content, out, several, f"three-{i + 1}", fresh=True)
                except Failed:  # a command line that refuses several --lang
                    shutil.rmtree(out, ignore_errors=True)
                written = [lang for lang in langs if (out / f"{slug}-{lang}.pdf").is_file()]
                if written != langs:
                    sequential = True
                    self.say(f"  the command line built only {written}: three builds instead")
                    one = " ".join(["build", *self.force, "--html", "--lang en"])
                    entry["notes"].append(
                        "`build` does not build several languages given as `--lang en --lang fr "
                        f"--lang es` (it built {', '.join(written) or 'nothing'}; that probe is "
                        f"not counted): measured as three builds one after the other (`{one}`, "
                        "then fr, then es), each a separate process."
                    )
            if sequential:
                parts = [
                    self.build(
                        content,
                        out,
                        [*self.force, "--html", "--lang", lang],
                        f"three-{i + 1}-{lang}",
                        fresh=lang == "en",
                    )
                    for lang in langs
                ]
                x = pairing.sequence(parts)
            x.pages = sum(measure.count_pages(out / f"{slug}-{lang}.pdf") or 0 for lang in langs)
            ws = [self.w(out / f"{slug}-{lang}.html", f"three-{i + 1}-{lang}") for lang in langs]
            pairs.append(pairing.pair(x, ws))
        summary = pairing.summary(pairs)
        entry["command"] = _command(
            ["build", *self.force, "--html"] + ([] if sequential else several[-6:])
        )
        entry["sequential"] = sequential
        entry["pairs"] = pairs
        entry["summary"] = summary
        vs_en = statistics.median(p["x"]["wall_s"] / p["w"][0]["wall_s"] for p in pairs)
        summary["ratio_wall_vs_w_en"] = vs_en
        entry["result"] = (
            ("three builds in a row: " if sequential else "")
            + pairing.result(summary, pairs)
            + f"; {vs_en:.2f} × W of en alone"
        )
        entry["status"] = _met(summary["ratio_wall"] <= 0.8)
        entry["details"] += pairing.table(pairs, "W (mean of en, fr, es)")
        entry["notes"].append(
            "W here is the mean of W over the three editions (each on its own HTML, measured "
            "right after the build it pairs with): the time of the three editions against one "
            "edition's WeasyPrint time. Against W of the English edition alone, the ratio is "
            f"{vs_en:.2f}."
        )

    def all_editions(self, entry: dict[str, Any]) -> None:
        content = self.out / "content"
        if not content.is_dir():
            self.copy_sample(content)
        out = self.out / "all"
        x = self.build(content, out, [*self.force, "--all", "--html"], "all", fresh=True)
        htmls = sorted(out.glob("*.html"))
        if not htmls:
            raise Failed(f"`build --all --html` wrote no HTML in {out}")
        editions = []
        ws = []
        logged = _edition_times(ROOT / x.log)
        for html in htmls:
            w = self.w(html, f"all-{html.stem}")
            ws.append(w)
            editions.append(
                {"edition": html.stem, "pages": measure.count_pages(html.with_suffix(".pdf"))}
                | {"build_s": logged.get(html.stem), "w_pages": w.pages}
                | {"w_wall_s": round(w.wall_s, 2)}
            )
        n = len(htmls)
        x.pages = sum(e["pages"] or 0 for e in editions)
        pair = pairing.pair(x, ws)
        per_edition = pair["ratio_wall"] / n
        entry["command"] = _command(["build", *self.force, "--all", "--html"])
        entry["pairs"] = [pair]
        entry["editions"] = editions
        entry["summary"] = {
            "editions": n,
            "wall_s": x.wall_s,
            "wall_per_edition_s": x.wall_s / n,
            "w_mean_s": pair["w_wall_s"],
            "ratio_wall_per_edition": per_edition,
            "ratio_cpu_per_edition": pair["ratio_cpu"] / n,
        }
        entry["result"] = (
            f"{per_edition:.2f} W per edition ({x.wall_s / n:.1f} s per edition, {n} editions in "
            f"{x.wall_s:.0f} s; mean W {pair['w_wall_s']:.1f} s; CPU "
            f"{pair['ratio_cpu'] / n:.2f} W; peak {x.max_rss_mb:.0f} MB; 1 run"
            + pairing.busy([pair["x"], *pair["w"]])
            + ")"
        )
        entry["status"] = _met(per_edition <= 0.2)
        entry["details"] += report.table(
            ["edition", "pages", "its build (s, from the log)", "W pages", "W wall (s)"],
            [
                [
                    e["edition"],
                    e["pages"],
                    "—" if e["build_s"] is None else f"{e['build_s']:.1f}",
                    e["w_pages"],
                    e["w_wall_s"],
                ]
                for e in editions
            ],
        )
        entry["notes"].append(
            "One run (it is the longest measurement after the 460-page brochure); W is the mean "
            "of W over every edition, each on its own HTML, measured right after the build."
        )
        _page_mismatch(entry, editions)

    def nothing_changed(self, entry: dict[str, Any]) -> None:
        content, out = self.cache_folders(fresh=True)
        warm = self.build(content, out, [], "unchanged-0-first", fresh=False)
        runs = [
            self.build(content, out, [], f"unchanged-{i + 1}", fresh=False)
            for i in range(self.runs)
        ]
        wall = statistics.median(r.wall_s for r in runs)
        w = statistics.median(p.wall_s for p in self.w_en) if self.w_en else None
        entry["command"] = _command(["build"]) + ", a second time with no edit"
        entry["runs"] = [r.as_dict() for r in runs]
        entry["first_build"] = warm.as_dict()
        entry["summary"] = {"wall_s": wall, "cpu_s": statistics.median(r.cpu_s for r in runs)}
        ratio = f"; {wall / w:.2f} W" if w else ""
        entry["result"] = (
            f"{wall:.2f} s wall (CPU {entry['summary']['cpu_s']:.2f} s{ratio}; first build "
            f"{warm.wall_s:.1f} s; {len(runs)} run{'s' * (len(runs) != 1)}"
            + pairing.busy([r.as_dict() for r in runs])
            + ")"
        )
        entry["status"] = _met(wall < 0.5)
        entry["details"] += report.table(
            ["run", "wall (s)", "CPU (s)", "peak RSS (MB)"],
            [["first build", f"{warm.wall_s:.2f}", f"{warm.cpu_s:.2f}", f"{warm.max_rss_mb:.0f}"]]
            + [
                [i + 1, f"{r.wall_s:.2f}", f"{r.cpu_s:.2f}", f"{r.max_rss_mb:.0f}"]
                for i, r in enumerate(runs)
            ],
        )
        if w:
            entry["notes"].append(f"W for the ratio: row 1's median W ({w:.1f} s).")

    def cache_folders(self, fresh: bool) -> tuple[Path, Path]:
        content, out = self.out / "cache" / "content", self.out / "cache" / "out"
        if fresh or not content.is_dir():
            self.copy_sample(content)
            if out.exists():
                shutil.rmtree(out)
        return content, out

    def one_case_study(self, entry: dict[str, Any]) -> None:
        fresh = 4 not in self.only  # after row 4, its folders hold a build to start from
        content, out = self.cache_folders(fresh=fresh)
        if fresh:
            self.build(content, out, [], "edited-0-first", fresh=False)
        pairs = []
        for i in range(self.runs):
            paragraph = _append_sentence(content / EDITED, f"benchmark edit {i + 1}")
            self.say(f"  appended a sentence to {EDITED}:{paragraph}")
            x = self.build(content, out, [], f"edited-{i + 1}", fresh=False)
            x.pages = measure.count_pages(out / f"{_slug(content)}-en.pdf")
            pairs.append(pairing.pair(x, [self.english_w(f"edited-{i + 1}")]))
        summary = pairing.summary(pairs)
        entry["command"] = (
            f"append a sentence to a paragraph of {EDITED} (a copy of the content), then "
            + _command(["build"])
        )
        entry["pairs"] = pairs
        entry["summary"] = summary
        entry["result"] = pairing.result(summary, pairs)
        entry["status"] = _met(summary["ratio_wall"] < 0.1)
        entry["details"] += pairing.table(pairs)

    def watch(self, entry: dict[str, Any]) -> None:
        content = self.copy_sample(self.out / "watch" / "content")
        out = self.out / "watch" / "out"
        if out.exists():
            shutil.rmtree(out)
        argv = [*CLI, "watch", "--content", str(content), "--out", str(out)]
        entry["command"] = _command(["watch"]) + f"; edit {EDITED}; wait for `  preview `"
        self.say("  $ " + " ".join(argv[1:]))
        with Watcher(argv, self.out / "logs" / "watch.log") as watcher:
            first = watcher.until(lambda line: line.startswith("wrote "), timeout=900)
            if first is None:
                raise Failed(f"watch's first build did not finish; see {watcher.log}")
            self.say(f"    first build done after {first[0]:.1f} s")
            watcher.settle()
            saves = []
            for i in range(self.runs):
                _append_sentence(content / EDITED, f"watch edit {i + 1}")
                saved = time.perf_counter()
                self.say(f"  saved {EDITED}; waiting for `  preview ` and `wrote `")
                preview = done = None
                for stamp, line in watcher.lines(timeout=300):
                    if line.startswith("  preview ") and preview is None:
                        preview = {"after_s": stamp - saved, "line": line.rstrip()}
                        preview |= _preview(line)
                        self.say(f"    preview after {stamp - saved:.2f} s: {line.strip()}")
                    elif line.startswith("wrote "):
                        done = stamp - saved
                        self.say(f"    edition written after {done:.1f} s")
                        break
                saves.append({"preview": preview, "edition_s": done})
                watcher.settle()
        entry["saves"] = saves
        previews = [s["preview"]["after_s"] for s in saves if s["preview"]]
        editions = [s["edition_s"] for s in saves if s["edition_s"] is not None]
        edition = f"{statistics.median(editions):.1f} s" if editions else "none seen"
        entry["details"] += report.table(
            ["save", "preview printed after (s)", "preview line", "edition written after (s)"],
            [
                [
                    i + 1,
                    f"{s['preview']['after_s']:.2f}" if s["preview"] else "—",
                    f"`{s['preview']['line'].strip()}`" if s["preview"] else "—",
                    f"{s['edition_s']:.1f}" if s["edition_s"] is not None else "—",
                ]
                for i, s in enumerate(saves)
            ],
        )
        if not previews:
            entry["status"] = "not implemented"
            entry["result"] = (
                f"watch prints no `  preview ` line; the whole edition is written {edition} "
                f"after saving (median of {len(saves)} saves)"
            )
            return
        other = {s["preview"].get("doc") for s in saves if s["preview"]} - {EDITED.stem}
        if other:
            entry["notes"].append(
                f"The preview named {', '.join(map(str, other))}, not {EDITED.stem}, the part "
                "edited."
            )
        missing = [
            s["preview"]["path"] for s in saves if s["preview"] and not s["preview"]["exists"]
        ]
        if missing:
            entry["notes"].append(f"No file at the preview's path: {', '.join(missing)}.")
        median = statistics.median(previews)
        entry["result"] = (
            f"preview {median:.2f} s after saving (edition {edition}; {len(saves)} saves)"
        )
        entry["status"] = _met(len(previews) == len(saves) and median <= 1.0)

    def scaling(self, entry: dict[str, Any]) -> None:
        sizes = ["x1", "x2"] if self.quick else ["x1", "x2", "x4", "cs200"]
        results = []
        for name in sizes:
            size = generate.SIZES[name]
            if name == "x1" and self.row1_pairs:
                pairs = self.row1_pairs
                self.say("  x1: row 1's runs (the same command on the sample)")
            else:
                pairs = self.scaling_size(size)
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
                    "others_share": pairing.others_share(
                        [run for p in pairs for run in [p["x"], *p["w"]]]
                    ),
                    "pairs": pairs,
                }
            )
            self.say(
                f"  {name}: {x_pages} pages, {results[-1]['s_per_page'] or 0:.3f} s/page, "
                f"{summary['ratio_wall']:.2f} W, peak {max_rss:.0f} MB"
            )
            entry["sizes"] = results
            self.save()
        wall = [r["s_per_page"] for r in results if r["s_per_page"]]
        cpu = [r["cpu_s_per_page"] for r in results if r["cpu_s_per_page"]]
        growth, cpu_growth = max(wall) / min(wall), max(cpu) / min(cpu)
        largest = results[-1]
        memory_ok = largest["max_rss_mb"] < 400
        entry["command"] = _command(["build", *self.force, "--html"]) + " on each size"
        entry["summary"] = {
            "s_per_page_growth": growth,
            "cpu_s_per_page_growth": cpu_growth,
            "largest_max_rss_mb": largest["max_rss_mb"],
        }
        entry["result"] = (
            f"wall s/page {min(wall):.3f} to {max(wall):.3f} (largest/smallest {growth:.2f}), "
            f"CPU s/page {min(cpu):.3f} to {max(cpu):.3f} ({cpu_growth:.2f}); peak "
            f"{largest['max_rss_mb']:.0f} MB at {largest['pages']} pages"
            + (
                f"; the machine was busy during the {largest['size']} run (others used "
                f"{100 * largest['others_share']:.0f}%)"
                if largest["others_share"] >= 0.15
                else ""
            )
        )
        entry["status"] = _scaling_status(
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
                    r["pages"]
                    if r["pages"] == r["w_pages"]
                    else f"{r['pages']} (W {r['w_pages']})",
                    r["runs"],
                    f"{r['wall_s']:.1f}",
                    f"{r['s_per_page']:.3f}",
                    f"{r['cpu_s_per_page']:.3f}",
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
            f"{self.runs} time{'s' * (self.runs != 1)} (median).",
        ]

    def scaling_size(self, size: generate.Size) -> list[dict[str, Any]]:
        content = self.out / f"content-{size.name}"
        counts = generate.generate(size, content)
        self.say(
            f"  {size.name}: generated {content} ("
            + ", ".join(f"{n} {kind}" for kind, n in counts.items())
            + ")"
        )
        check = measure.run(
            [*CLI, "check", "--quick", "--content", str(content)],
            self.out / "logs" / f"check-{size.name}.log",
        )
        if check.returncode != 0:
            raise Failed(f"`check --quick` refused {content}; see {check.log}")
        out = self.out / f"scale-{size.name}"
        runs = self.runs if size.name in ("x1", "x2") else 1
        pairs = []
        for i in range(runs):
            x = self.build(
                content, out, [*self.force, "--html"], f"scale-{size.name}-{i + 1}", fresh=True
            )
            x.pages = measure.count_pages(out / f"{_slug(content)}-en.pdf")
            w = self.w(out / f"{_slug(content)}-en.html", f"scale-{size.name}-{i + 1}")
            pairs.append(pairing.pair(x, [w]))
        return pairs


# -- figures ---------------------------------------------------------------------------------


def _page_mismatch(entry: dict[str, Any], editions: list[dict[str, Any]]) -> None:
    odd = [e["edition"] for e in editions if e["pages"] != e["w_pages"]]
    if odd:
        entry["notes"].append(
            f"WeasyPrint alone gave a different page count for {', '.join(odd)} (see the table)."
        )


def _profile_details(profile: dict[str, Any], row1: dict | None, run: Run) -> list[str]:
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


def _edition_times(log: Path) -> dict[str, float]:
    """Each edition's time from `wrote <pdf> (N pages) in T s` lines, where T counts from the
    start of the command (today's format; a format it does not know gives nothing)."""
    times, before = {}, 0.0
    for line in log.read_text(errors="replace").splitlines():
        match = re.match(r"^wrote (\S+)\.pdf \(\d+ pages\) in ([\d.]+) s", line)
        if match:
            times[Path(match.group(1)).name] = float(match.group(2)) - before
            before = float(match.group(2))
    return times


def _preview(line: str) -> dict[str, Any]:
    """`  preview <doc-id>  <seconds> s  <path>`: what watch says it previewed, and how fast."""
    match = re.match(r"^  preview (\S+)\s+([\d.]+) s\s+(.+?)\s*$", line)
    if match is None:
        return {"doc": None, "path": None, "exists": False}
    path = Path(match.group(3))
    return {
        "doc": match.group(1),
        "watch_s": float(match.group(2)),
        "path": str(path),
        "exists": (path if path.is_absolute() else ROOT / path).is_file(),
    }


def _figures(run: Run) -> str:
    others = run.others_cpu_s / run.wall_s / (os.cpu_count() or 1) if run.wall_s else 0
    return f"{run.wall_s:.2f} s wall, {run.cpu_s:.2f} s CPU, peak {run.max_rss_mb:.0f} MB" + (
        f" (other processes used {100 * others:.0f}% of the machine)" if others > 0.1 else ""
    )


def _met(ok: bool) -> str:
    return "met" if ok else "not met"


def _scaling_status(wall_flat: bool, cpu_flat: bool, memory_ok: bool | None) -> str:
    """Row 7's verdict. Time per page must be flat in wall time and in CPU time: wall time
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
        verdict += " (memory at 460 pages not measured: --quick)"
    return verdict


def _command(args: list[str]) -> str:
    return "`make_brochure.py " + " ".join(args) + " --content DIR --out DIR`"


def _slug(content: Path) -> str:
    return yaml.safe_load((content / "brochure.yaml").read_text(encoding="utf-8"))["slug"]


def _append_sentence(path: Path, words: str) -> int:
    """Append a sentence to the first paragraph under the first `## ` heading; its line."""
    lines = path.read_text(encoding="utf-8").split("\n")
    heading = next(i for i, line in enumerate(lines) if line.startswith("## "))
    start = next(i for i in range(heading + 1, len(lines)) if lines[i].strip())
    end = start
    while end + 1 < len(lines) and lines[end + 1].strip():
        end += 1
    lines[end] = lines[end].rstrip() + f" This sentence was added by the {words}."
    path.write_text("\n".join(lines), encoding="utf-8")
    return end + 1


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
    kept["rows"] = [row for row in previous.get("rows", []) if row["id"] not in only]
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
        + (" (modified)" if git("status", "--porcelain") else ""),
        "platform": platform.platform(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the x4 and 200-case-study sizes")
    parser.add_argument("--runs", type=int, default=3, help="runs of each small measurement (3)")
    parser.add_argument(
        "--only",
        type=lambda s: {int(n) for n in s.split(",")},
        help="only these rows, e.g. 1,4 (the profile comes with row 1); the other rows of the "
        "report already in --out are kept, marked with when they were measured",
    )
    parser.add_argument("--out", type=Path, default=OUT, help="default: build/bench")
    options = parser.parse_args(argv)
    options.out = options.out.resolve()
    options.out.mkdir(parents=True, exist_ok=True)
    bench = Bench(options)
    bench.notes += _method_notes(bench)
    bench.say(f"benchmark: {options.out}, {options.runs} run(s) of each small measurement")
    try:
        bench.row(1, "≤ 0.3 W", bench.one_edition)
        bench.profile_build()
        bench.save()
        bench.row(2, "≤ 0.8 W", bench.three_languages)
        bench.row(3, "≤ 0.2 W per edition", bench.all_editions)
        bench.row(4, "< 0.5 s wall", bench.nothing_changed)
        bench.row(5, "< 0.1 W", bench.one_case_study)
        bench.row(6, "≤ 1 s after saving", bench.watch)
        bench.row(
            7,
            "s/page, wall and CPU: largest ≤ 1.2 × smallest; < 400 MB at 460 pages",
            bench.scaling,
        )
    except KeyboardInterrupt:
        bench.say("interrupted: the report holds the rows measured so far")
        return 130
    finally:
        measure.stop_all()
        bench.data["duration_s"] = time.perf_counter() - bench.started
        bench.save()
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
        "Each measured build also writes its HTML (`--html`, a file write), so that W is "
        "measured on the HTML of that very build; rows 4 to 6 build without it.",
        "Every command runs through `make_brochure.py` with `--content` and `--out` in "
        "build/bench/, on a copy of the sample (or a generated brochure), with a fresh output "
        "folder for each build from scratch"
        + ("." if bench.force else " (`build` has no `--force` yet: nothing is cached today)."),
        "Ratios are taken pair by pair (each build and the W measured right after it) and the "
        "median of the pairs is quoted, so a machine whose speed drifts still gives stable "
        "ratios. Peak RSS is the largest single process of the command (`os.wait4`).",
    ]


if __name__ == "__main__":
    sys.exit(main())
