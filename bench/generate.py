"""Larger brochures made from the sample, for measuring how a build scales with its length.

    .venv/bin/python bench/generate.py x2 build/bench/content-x2
    .venv/bin/python bench/generate.py cs200 build/bench/content-cs200

Sizes: `x1` (the sample as it is), `x2` and `x4` (every chapter, tool and case study there
twice or four times), `cs200` (the chapters and tools once, 200 case studies). A copy of a
document gets a new id and file name (`kisumu` -> `kisumu-2`, `kisumu-3` ...) and is listed
after the originals in the same part of the manifest; its text is the original's, so its links
still point at ids that exist (the originals'). The generated manifest lists only English
(`languages: [en]`, no `drafts:`): the catalogs have no entries for the new ids. Each
variant's size budget grows with the number of documents, since the budget is set for the
sample's length.

The sample is read, never written; the destination folder is replaced.
"""

from __future__ import annotations

import argparse
import math
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "content"
MANIFEST = "brochure.yaml"

__all__ = ["SIZES", "Size", "generate"]


@dataclass(frozen=True)
class Size:
    name: str
    copies: int  # how many times each chapter, tool and case study appears
    case_studies: int | None = None  # if set: this many case studies, the rest once
    label: str = ""


SIZES = {
    "x1": Size("x1", 1, label="the sample"),
    "x2": Size("x2", 2, label="sample x2"),
    "x4": Size("x4", 4, label="sample x4"),
    "cs200": Size("cs200", 1, case_studies=200, label="200 case studies"),
}

_ID = re.compile(r"^id:\s*(\S+)\s*$", re.MULTILINE)


def generate(size: Size, dest: Path, sample: Path = SAMPLE) -> dict[str, int]:
    """Write the brochure of `size` into `dest` (replaced); return its count of each kind."""
    if dest.exists():
        shutil.rmtree(dest)
    # The catalogs would not match the new ids: the generated brochures are English only.
    shutil.copytree(sample, dest, ignore=shutil.ignore_patterns("locales"))
    text = (sample / MANIFEST).read_text(encoding="utf-8")
    manifest = yaml.safe_load(text)
    added: dict[str, list[str]] = {}  # a part's last file -> the files to list after it
    counts: dict[str, int] = {}
    for part in manifest["parts"]:
        files = list(part["files"])
        wanted = _wanted(size, part["kind"], len(files))
        new = []
        for n in range(len(files), wanted):
            original = files[n % len(files)]
            copy = _copy_document(dest, original, n // len(files) + 1)
            new.append(copy)
        if new:
            added[files[-1]] = new
        counts[part["kind"]] = counts.get(part["kind"], 0) + wanted
    text = _list_files(text, added)
    factor = sum(counts.values()) / sum(len(p["files"]) for p in manifest["parts"])
    text = _english_only(text)
    text = _scale_budgets(text, factor)
    (dest / MANIFEST).write_text(text, encoding="utf-8")
    _verify(dest, manifest, sum(counts.values()))
    return counts


def _wanted(size: Size, kind: str, present: int) -> int:
    if size.case_studies is not None:
        return size.case_studies if kind == "case-study" else present
    return present * size.copies


def _copy_document(dest: Path, original: str, n: int) -> str:
    """Copy content/<original> as its n-th copy, with id `<id>-<n>`; its manifest path."""
    source = dest / original
    target = source.with_name(f"{source.stem}-{n}{source.suffix}")
    text = source.read_text(encoding="utf-8")
    match = _ID.search(text)
    if match is None:
        raise SystemExit(f"{source}: no `id:` line in its front matter")
    text = text[: match.start(1)] + f"{match.group(1)}-{n}" + text[match.end(1) :]
    target.write_text(text, encoding="utf-8")
    return str(Path(original).with_name(target.name))


def _list_files(text: str, added: dict[str, list[str]]) -> str:
    """Insert each part's new files after its last listed file, in the manifest's own style
    (its comments and layout are kept)."""
    lines = text.splitlines(keepends=True)
    out = []
    for line in lines:
        out.append(line)
        match = re.match(r"^(\s*-\s+)(\S+)\s*(#.*)?$", line)
        if match and match.group(2) in added:
            out += [f"{match.group(1)}{name}\n" for name in added.pop(match.group(2))]
    if added:
        raise SystemExit(f"could not find these files in the manifest: {', '.join(added)}")
    return "".join(out)


def _english_only(text: str) -> str:
    text, n = re.subn(r"^languages:.*$", "languages: [en]", text, count=1, flags=re.MULTILINE)
    if n != 1:
        raise SystemExit("the manifest has no `languages:` line")
    # Drafts are translations still being made: an English-only brochure has none.
    return re.sub(r"^drafts:.*\n", "", text, flags=re.MULTILINE)


def _scale_budgets(text: str, factor: float) -> str:
    def scaled(match: re.Match[str]) -> str:
        return f"{match.group(1)}{math.ceil(float(match.group(2)) * factor)}"

    return re.sub(r"^(\s*size_budget_mb:\s*)(\d+(?:\.\d+)?)", scaled, text, flags=re.MULTILINE)


def _verify(dest: Path, before: dict, documents: int) -> None:
    """The manifest written is the sample's plus the copies, and every listed file exists."""
    after = yaml.safe_load((dest / MANIFEST).read_text(encoding="utf-8"))
    listed = sum(len(part["files"]) for part in after["parts"])
    if (
        after["languages"] != ["en"]
        or len(after["parts"]) != len(before["parts"])
        or listed != documents
    ):
        raise SystemExit(f"{dest / MANIFEST}: not written as intended")
    for part in after["parts"]:
        for name in part["files"]:
            if not (dest / name).is_file():
                raise SystemExit(f"{dest / MANIFEST}: lists {name}, which was not written")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", choices=SIZES)
    parser.add_argument("dest", type=Path)
    parser.add_argument("--sample", type=Path, default=SAMPLE, help="default: content/")
    options = parser.parse_args(argv)
    counts = generate(SIZES[options.size], options.dest, options.sample)
    print(f"wrote {options.dest}: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
