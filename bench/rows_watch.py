"""Row 5: `watch`, from saving a case study to its preview and to the edition's PDF.

What watch prints (brochure/preview/watcher.py), one line each:

    changed: <path>[, ...]
      preview <doc-id>  <seconds> s  <pdf>           the saved part alone (build/preview/)
      edition <seconds> s  <pdf> (<n> pages)          the whole edition

Its seconds count from the moment watch saw the save; the benchmark times both lines from the
moment it wrote the file, so the file-system event's delay is counted too.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import measure
import report
from common import EDITED, append_sentence, command
from measure import CLI, ROOT, Failed
from watcher import Watcher

if TYPE_CHECKING:
    from run import Bench

__all__ = ["edition_line", "preview_line", "watch"]

PREVIEW = re.compile(r"^  preview (\S+)\s+([\d.]+) s\s+(.+?)\s*$")
EDITION = re.compile(r"^  edition ([\d.]+) s\s+(.+?) \((\d+) pages\)\s*$")
FAILED = ("The last good PDF was left as it was.", "error: ")


def preview_line(line: str) -> dict[str, Any] | None:
    """`  preview <doc-id>  <seconds> s  <pdf>`: the part watch previewed, how fast, where."""
    match = PREVIEW.match(line)
    if match is None:
        return None
    path = Path(match.group(3))
    return {
        "doc": match.group(1),
        "watch_s": float(match.group(2)),
        "path": str(path),
        "exists": (path if path.is_absolute() else ROOT / path).is_file(),
    }


def edition_line(line: str) -> dict[str, Any] | None:
    """`  edition <seconds> s  <pdf> (<n> pages)`."""
    match = EDITION.match(line)
    if match is None:
        return None
    return {"watch_s": float(match.group(1)), "path": match.group(2), "pages": int(match.group(3))}


def watch(b: Bench, entry: dict[str, Any]) -> None:
    content = b.copy_sample(b.out / "watch" / "content")
    out = b.out / "watch" / "out"
    if out.exists():
        shutil.rmtree(out)
    argv = [*CLI, "watch", "--content", str(content), "--out", str(out)]
    entry["command"] = (
        command(["watch"]) + f"; append a sentence to {EDITED}; wait for `  preview ` and "
        "`  edition `"
    )
    b.say("  $ " + " ".join(argv[1:]))
    saves = []
    with Watcher(argv, b.out / "logs" / "watch.log") as watcher:
        first = watcher.until(lambda line: _edition_or_failure(line), timeout=900)
        if first is None:
            raise Failed(
                f"watch's first build printed no `  edition ` line in 15 min; see {watcher.log}"
            )
        if edition_line(first[1]) is None:
            raise Failed(f"watch's first build failed: {first[1].strip()} (see {watcher.log})")
        b.say(f"    first build done after {first[0]:.1f} s")
        watcher.settle()
        busy, started = measure.busy_s(), time.perf_counter()
        for i in range(max(b.runs, 2)):  # a few seconds each: two even with --quick
            saves.append(_save(b, watcher, content, i + 1))
            watcher.settle()
        share = (measure.busy_s() - busy) / (time.perf_counter() - started) / (os.cpu_count() or 1)
    entry["saves"] = saves
    entry["machine_busy_share"] = share
    entry["notes"].append(
        f"While it measured the saves, the machine's CPUs were {100 * share:.0f}% busy, watch "
        "included (it uses one core at most)."
    )
    _summarise(b, entry, saves)


def _save(b: Bench, watcher: Watcher, content: Path, n: int) -> dict[str, Any]:
    append_sentence(content / EDITED, f"watch edit {n}")
    saved = time.perf_counter()
    b.say(f"  saved {EDITED}; waiting for `  preview ` and `  edition `")
    found: dict[str, Any] = {"seen_s": None, "preview": None, "edition": None}
    for stamp, line in watcher.lines(timeout=600):
        after = stamp - saved
        if line.startswith("changed: ") and found["seen_s"] is None:
            found["seen_s"] = after
        elif (preview := preview_line(line)) is not None and found["preview"] is None:
            shown = line.strip().replace(f"{ROOT}/", "")  # the report names paths as in the repo
            found["preview"] = preview | {"after_s": after, "line": shown}
            b.say(f"    preview after {after:.2f} s: {line.strip()}")
        elif (edition := edition_line(line)) is not None:
            found["edition"] = edition | {"after_s": after}
            b.say(f"    edition written after {after:.2f} s")
            break
        elif line.startswith(FAILED):
            raise Failed(f"watch failed after a save: {line.strip()} (see {watcher.log})")
    return found


def _summarise(b: Bench, entry: dict[str, Any], saves: list[dict[str, Any]]) -> None:
    previews = [s["preview"]["after_s"] for s in saves if s["preview"]]
    editions = [s["edition"]["after_s"] for s in saves if s["edition"]]
    if not editions:
        raise Failed(
            f"no `  edition ` line within 10 min of a save; see {b.out / 'logs/watch.log'}"
        )
    w = b.w_median()
    edition = statistics.median(editions)
    entry["details"] += report.table(
        ["save", "seen (s)", "preview (s)", "preview line", "edition (s)", "edition (W)"],
        [
            [
                i + 1,
                "—" if s["seen_s"] is None else f"{s['seen_s']:.2f}",
                f"{s['preview']['after_s']:.2f}" if s["preview"] else "—",
                f"`{s['preview']['line'].strip()}`" if s["preview"] else "—",
                f"{s['edition']['after_s']:.2f}" if s["edition"] else "—",
                f"{s['edition']['after_s'] / w:.3f}" if s["edition"] else "—",
            ]
            for i, s in enumerate(saves)
        ],
    )
    entry["notes"].append(
        "Times from the moment the benchmark wrote the file; *seen* is when watch printed "
        "`changed:` (the file-system event, debounced by watchfiles). "
        f"W for the ratio: row 1's median W ({w:.1f} s)."
    )
    entry["summary"] = {
        "preview_s": statistics.median(previews) if previews else None,
        "edition_s": edition,
        "edition_w": edition / w,
    }
    if not previews:
        entry["status"] = "not met (no preview)"
        entry["result"] = f"no `  preview ` line; edition {edition:.1f} s = {edition / w:.2f} W"
        return
    other = {s["preview"]["doc"] for s in saves if s["preview"]} - {EDITED.stem}
    if other:
        entry["notes"].append(f"The preview named {', '.join(other)}, not {EDITED.stem}.")
    missing = [s["preview"]["path"] for s in saves if s["preview"] and not s["preview"]["exists"]]
    if missing:
        entry["notes"].append(f"No file at the preview's path: {', '.join(missing)}.")
    preview = statistics.median(previews)
    entry["result"] = (
        f"preview {preview:.2f} s, edition {edition:.1f} s = {edition / w:.2f} W after saving "
        f"(medians of {len(saves)} saves)"
    )
    entry["status"] = (
        "met"
        if len(previews) == len(saves) and preview <= 1.0 and edition / w < 0.1
        else "not met ("
        + " and ".join(
            ([] if preview <= 1.0 and len(previews) == len(saves) else ["preview"])
            + ([] if edition / w < 0.1 else ["edition"])
        )
        + ")"
    )


def _edition_or_failure(line: str) -> bool:
    return edition_line(line) is not None or line.startswith(FAILED)
