"""argv -> exit code: the commands users run, progress with timings, and every error in one list.

Exit codes: 0 success, 1 content errors (all reported together), 2 usage errors.
This is the only module that prints; a traceback here means a bug in our code, not the user's.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO, TypeVar

from . import build as pipeline
from .errors import BrochureError, Problem

__all__ = ["main"]

T = TypeVar("T")

DESCRIPTION = """\
Build the brochure: YAML + Markdown sources in content/ become a typeset PDF in build/.

commands:
  build   (default) validate, typeset and write build/<slug>-<lang>.pdf
  check   validate the content only, write nothing

examples:
  python make_brochure.py                      build the sample brochure
  python make_brochure.py check                validate after editing a file
  python make_brochure.py build --html         also write the intermediate HTML
  python make_brochure.py build --content ../other-brochure --out /tmp/out
"""


class Progress:
    """Prints each stage's name and its time on stderr, the way a build log reads."""

    def __init__(self, stream: TextIO, quiet: bool = False):
        self.stream = stream
        self.quiet = quiet
        self.started = time.perf_counter()

    def step(self, name: str, fn: Callable[..., T], *args: Any) -> T:
        start = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self._print(f"  {name:<10} {time.perf_counter() - start:6.2f} s")

    def total(self) -> float:
        return time.perf_counter() - self.started

    def _print(self, line: str) -> None:
        if not self.quiet:
            print(line, file=self.stream, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or (args[0].startswith("-") and args[0] not in ("-h", "--help")):
        args.insert(0, "build")  # `build` is the default command
    try:
        options = parser.parse_args(args)
    except SystemExit as exit_:
        return int(exit_.code or 0)

    opts = pipeline.BuildOptions(
        content_dir=options.content,
        out_dir=options.out,
        write_html=getattr(options, "html", False),
    )
    if not (opts.content_dir / "brochure.yaml").is_file():
        print(
            f"error: {opts.content_dir} has no brochure.yaml; pass the brochure's content "
            "folder with --content DIR",
            file=sys.stderr,
        )
        return 2
    log = Progress(sys.stderr, quiet=options.quiet)
    try:
        if options.command == "check":
            problems = pipeline.check(opts, log)
            _report(problems, sys.stderr)
            print(
                f"{opts.content_dir}: the content is valid ({log.total():.1f} s)", file=sys.stderr
            )
            return 0
        result = pipeline.build(opts, log)
    except BrochureError as error:
        _report(error.problems, sys.stderr)
        if options.command == "build":
            print("The last good PDF was left as it was.", file=sys.stderr)
        return 1
    _report(result.findings, sys.stderr)
    print(f"wrote {result.pdf} ({result.pages} pages) in {log.total():.1f} s", file=sys.stderr)
    if result.html:
        print(f"wrote {result.html}", file=sys.stderr)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="make_brochure.py",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--content",
        type=Path,
        default=Path("content"),
        metavar="DIR",
        help="the brochure's content folder (default: content)",
    )
    common.add_argument(
        "--out",
        type=Path,
        default=Path("build"),
        metavar="DIR",
        help="output folder (default: build)",
    )
    common.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    commands = parser.add_subparsers(dest="command", metavar="command")
    build = commands.add_parser(
        "build", parents=[common], help="validate, typeset and write the PDF (default)"
    )
    build.add_argument("--html", action="store_true", help="also write the intermediate HTML")
    commands.add_parser("check", parents=[common], help="validate the content only")
    return parser


def _report(problems: Sequence[Problem], stream: TextIO) -> None:
    if not problems:
        return
    for problem in problems:
        label = "" if problem.is_error else "warning: "
        print(f"{label}{problem}", file=stream)
    errors = [p for p in problems if p.is_error]
    files = Counter(p.where.path for p in errors)
    if errors:
        noun = "problem" if len(errors) == 1 else "problems"
        print(f"{len(errors)} {noun} in {len(files)} file{'s' * (len(files) != 1)}.", file=stream)
