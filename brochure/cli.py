"""argv -> exit code: the commands users run, progress with timings, and every error in one list.

Exit codes: 0 success, 1 content errors (all reported together) or an output folder that is
busy or cannot be written (one line), 2 usage errors, 130 interrupted (Ctrl-C).
This is the only module that prints; a traceback here means a bug in our code, not the user's.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, TextIO, TypeVar

from babel import Locale

from . import build as pipeline
from . import content, i18n, outputs, render
from .errors import BrochureError, Problem, UsageError
from .model import Brochure

__all__ = ["main"]

T = TypeVar("T")

DESCRIPTION = """\
Build the brochure: YAML + Markdown sources in content/ become a typeset PDF in build/.

commands:
  build   (default) validate, typeset and write build/<slug>-<lang>.pdf
  check   report every problem (content, translations, pages), write nothing
  watch   rebuild whenever a source, template or stylesheet changes
  i18n    translation catalogs: extract, update, status, changes, export, import

examples:
  python make_brochure.py                      build the sample brochure
  python make_brochure.py check                validate after editing a file
  python make_brochure.py build --html         also write the intermediate HTML
  python make_brochure.py build --lang fr      the French edition
  python make_brochure.py build --all          every language in the manifest
  python make_brochure.py i18n extract         write content/locales/brochure.pot
  python make_brochure.py i18n update          merge it into every <lang>.po
  python make_brochure.py i18n status          how far each translation is
  python make_brochure.py i18n changes --lang fr   what changed in the English, for a translator
  python make_brochure.py i18n export --lang fr    XLIFF 1.2 for a CAT tool (build/i18n/)
  python make_brochure.py i18n import FILE.xlf     its translations back into fr.po
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
            self._print(f"  {name:<12} {time.perf_counter() - start:6.2f} s")

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
        lang=getattr(options, "lang", None),
        strict=getattr(options, "strict", False),
        variant=getattr(options, "variant", None),
        mark_untranslated=getattr(options, "mark_untranslated", False),
    )
    if not (opts.content_dir / "brochure.yaml").is_file():
        print(
            f"error: {opts.content_dir} has no brochure.yaml; pass the brochure's content "
            "folder with --content DIR",
            file=sys.stderr,
        )
        return 2
    as_json = getattr(options, "format", "text") == "json"
    log = Progress(sys.stderr, quiet=options.quiet or as_json)
    try:
        if options.command == "check":
            problems = pipeline.check(opts, log, quick=options.quick)
            if as_json:
                print(_as_json(problems))
                return 0
            _report(problems, sys.stderr)
            print(f"{opts.content_dir}: no errors ({log.total():.1f} s)", file=sys.stderr)
            return 0
        if options.command == "i18n":
            return _i18n(options, opts, log)
        if options.command == "watch":
            return _watch(opts, log)
        with outputs.lock(opts.out_dir):  # one build at a time per output folder
            return _build(options, opts, log)
    except UsageError as error:
        for problem in error.problems:
            print(f"error: {problem.message}", file=sys.stderr)
        return 2
    except outputs.OutputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrochureError as error:
        if as_json:
            print(_as_json(error.problems))
            return 1
        _report(error.problems, sys.stderr)
        if options.command == "build":
            print("The last good PDF was left as it was.", file=sys.stderr)
        return 1


def _build(options: argparse.Namespace, opts: pipeline.BuildOptions, log: Progress) -> int:
    editions = [(opts.lang, opts.variant)]
    if options.all:
        editions = log.step("editions", pipeline.editions, opts)
    for lang, variant in editions:
        result = pipeline.build(replace(opts, lang=lang, variant=variant), log)
        _report(result.findings, sys.stderr)
        print(f"wrote {result.pdf} ({result.pages} pages) in {log.total():.1f} s", file=sys.stderr)
        if result.html:
            print(f"wrote {result.html}", file=sys.stderr)
    return 0


def _watch(opts: pipeline.BuildOptions, log: Progress) -> int:
    """Rebuild whenever a source, template, stylesheet or asset changes; Ctrl-C stops."""
    print("watching content/, templates/, styles/ and assets/ (Ctrl-C stops)", file=sys.stderr)
    seen: dict[Path, int] = {}
    try:
        while True:
            now = pipeline.sources(opts)
            if now != seen:
                changed = sorted(p for p in now.keys() | seen.keys() if now.get(p) != seen.get(p))
                if seen:
                    print(f"changed: {', '.join(str(p) for p in changed[:3])}", file=sys.stderr)
                seen = now
                try:
                    with outputs.lock(opts.out_dir):
                        result = pipeline.build(opts, log)
                    _report(result.findings, sys.stderr)
                    print(f"wrote {result.pdf} ({result.pages} pages)", file=sys.stderr)
                except BrochureError as error:
                    _report(error.problems, sys.stderr)
                    print("The last good PDF was left as it was.", file=sys.stderr)
                except outputs.OutputError as error:
                    print(f"error: {error}", file=sys.stderr)
            time.sleep(1)
    except KeyboardInterrupt:  # how watching stops; a rebuild it cut short changed nothing
        print("interrupted", file=sys.stderr)
        return 130


def _i18n(options: argparse.Namespace, opts: pipeline.BuildOptions, log: Progress) -> int:
    brochure = log.step("load", content.load, opts.content_dir)
    templates = i18n.template_entries(opts.templates_dir)
    segments = i18n.entries(brochure) + templates
    languages = [
        lang
        for lang in brochure.languages
        if lang != brochure.source_language and options.lang in (None, lang)
    ]
    if options.lang is not None and options.lang not in brochure.languages:
        print(
            f"error: {options.lang!r} is not one of the manifest's languages "
            f"({', '.join(brochure.languages)})",
            file=sys.stderr,
        )
        return 2
    if options.action in ("export", "import"):
        return _exchange(options, opts, brochure, segments, languages)
    if options.action == "extract":
        path = log.step("extract", i18n.extract, brochure, segments, opts.content_dir)
        print(f"wrote {path} ({len(segments)} segments)", file=sys.stderr)
    elif options.action == "update":
        i18n.extract(brochure, segments, opts.content_dir)
        report = log.step("update", i18n.update, brochure, segments, opts.content_dir, languages)
        for lang, counts in report.items():
            print(
                f"{lang}.po: {counts.new} new, {counts.fuzzy} changed (now fuzzy), "
                f"{counts.moved} moved, {counts.obsolete} obsolete",
                file=sys.stderr,
            )
    elif options.action == "changes":
        pot = i18n.template(brochure, segments, opts.content_dir)
        titles = {d.id: d.title for d in brochure.documents} | {i18n.MANIFEST: brochure.title}
        for lang in languages:
            path = i18n.catalog_path(opts.content_dir, lang)
            catalog = i18n.read_catalog(path) if path.exists() else i18n.Catalog()
            merged, _ = i18n.merge(catalog, pot)
            pages = _layout_labels(opts, brochure, lang)
            jobs = i18n.changes(segments, merged, titles, pages)
            out = opts.out_dir / "i18n" / f"changes-{lang}.html"
            html = render.report(
                opts.templates_dir,
                "reports/changes.html",
                lang=lang,
                language=Locale.parse(lang.replace("-", "_")).english_name,
                brochure_title=brochure.title,
                jobs=jobs,
                words=sum(j.words for j in jobs),
            )
            outputs.write(out, html.encode())
            new = sum(j.new for j in jobs)
            changed = sum(j.changed for j in jobs)
            print(
                f"{lang}: {new} new and {changed} changed segments in {len(jobs)} files, "
                f"{sum(j.words for j in jobs)} words; wrote {out}",
                file=sys.stderr,
            )
    else:
        table = {}
        for lang in languages:
            path = i18n.catalog_path(opts.content_dir, lang)
            catalog = i18n.read_catalog(path) if path.exists() else None
            table[lang] = i18n.status(i18n.judge(segments, catalog))
        _print_status(table, as_json=options.json)
    return 0


def _exchange(
    options: argparse.Namespace,
    opts: pipeline.BuildOptions,
    brochure: Brochure,
    segments: list[i18n.Entry],
    languages: list[str],
) -> int:
    """`i18n export` a language's catalog to XLIFF for a CAT tool; `i18n import` it back."""
    catalogs: dict[str, i18n.Catalog] = {}
    for lang in languages:
        path = i18n.catalog_path(opts.content_dir, lang)
        catalog = i18n.read_catalog(path) if path.exists() else i18n.Catalog()
        behind = [s for s in i18n.judge(segments, catalog) if s.state is i18n.State.STALE]
        if behind or i18n.orphans(segments, catalog):
            print(
                f"error: {path} is older than the sources; run `i18n update` first", file=sys.stderr
            )
            return 1
        catalogs[lang] = catalog
    if options.action == "export":
        if options.lang is None:
            print("error: i18n export needs --lang CODE", file=sys.stderr)
            return 2
        out = options.file or opts.out_dir / "i18n" / f"{brochure.slug}-{options.lang}.xlf"
        data = i18n.export_xliff(catalogs[options.lang], brochure.source_language, options.lang)
        outputs.write(out, data)
        print(f"wrote {out} ({data.count(b'<trans-unit ')} units)", file=sys.stderr)
        return 0
    if options.file is None or not options.file.is_file():
        print("error: i18n import needs the XLIFF file to read", file=sys.stderr)
        return 2
    lang, catalog, changed = i18n.import_xliff(
        options.file.read_bytes(), options.file, catalogs, options.lang
    )
    path = i18n.catalog_path(opts.content_dir, lang)
    i18n.write_catalog(path, catalog)
    print(f"{path}: {changed} translations changed", file=sys.stderr)
    return 0


def _layout_labels(
    opts: pipeline.BuildOptions, brochure: Brochure, lang: str
) -> dict[str, list[str]]:
    """msgctxt -> the PDF page labels of its document, from the last build of the language
    (or of the source language)."""
    for edition in (lang, brochure.source_language):
        path = opts.out_dir / f"{brochure.slug}-{edition}.layout.json"
        if path.exists():
            layout = json.loads(path.read_text())
            return {k: v.get("labels", []) for k, v in layout.items()}
    return {}


def _print_status(table: dict[str, dict[str, i18n.FileStatus]], as_json: bool) -> None:
    if as_json:
        data = {
            lang: {
                "percent": round(_total(files).percent, 1),
                "files": {
                    path: {**asdict(s), "percent": round(s.percent, 1)} for path, s in files.items()
                },
            }
            for lang, files in table.items()
        }
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return
    for lang, files in table.items():
        total = _total(files)
        print(
            f"{lang}: {total.percent:.1f}% translated ({total.translated} translated, "
            f"{total.fuzzy} fuzzy, {total.untranslated} untranslated, {total.stale} stale "
            f"segments; {total.words_to_do} words to do)"
        )
        if total.stale:
            print(f"  {total.stale} segments are newer than {lang}.po: run `i18n update`")
        print("   done  translated / fuzzy / untranslated / stale  file")
        for path, s in files.items():
            print(
                f"  {s.percent:5.1f}%  {s.translated:5} / {s.fuzzy:3} / {s.untranslated:4} / "
                f"{s.stale:3}  {path}"
            )


def _total(files: dict[str, i18n.FileStatus]) -> i18n.FileStatus:
    counts = [f for f in i18n.FileStatus.__dataclass_fields__ if f != "path"]
    return i18n.FileStatus("all", **{f: sum(getattr(s, f) for s in files.values()) for f in counts})


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
    which = build.add_mutually_exclusive_group()
    which.add_argument("--lang", metavar="CODE", help="the language to build (default: the source)")
    which.add_argument(
        "--all", action="store_true", help="every language and variant in the manifest"
    )
    build.add_argument(
        "--variant", metavar="NAME", help="screen or print (default: the manifest's first)"
    )
    build.add_argument(
        "--strict", action="store_true", help="fail if any text falls back to the source language"
    )
    build.add_argument(
        "--mark-untranslated",
        action="store_true",
        help="highlight text that falls back to the source language (drafts)",
    )
    watching = commands.add_parser(
        "watch", parents=[common], help="rebuild whenever a source file changes"
    )
    watching.add_argument("--lang", metavar="CODE", help="the language to build")
    checking = commands.add_parser(
        "check", parents=[common], help="report every problem, errors and warnings; write nothing"
    )
    checking.add_argument(
        "--quick", action="store_true", help="the sources only: no typesetting (about a second)"
    )
    checking.add_argument("--format", choices=["text", "json"], default="text")
    translate = commands.add_parser(
        "i18n", parents=[common], help="translation catalogs (gettext PO) for translators"
    )
    translate.add_argument(
        "action", choices=["extract", "update", "status", "changes", "export", "import"]
    )
    translate.add_argument(
        "file", nargs="?", type=Path, help="import: the XLIFF file; export: where to write it"
    )
    translate.add_argument("--lang", metavar="CODE", help="only this language")
    translate.add_argument(
        "--format", choices=["xliff"], default="xliff", help="export: XLIFF 1.2 (default)"
    )
    translate.add_argument("--json", action="store_true", help="machine-readable status")
    return parser


def _as_json(problems: Sequence[Problem]) -> str:
    def item(problem: Problem) -> dict[str, object]:
        return {
            "path": problem.where.path,
            "line": problem.where.line,
            "field": problem.field,
            "kind": problem.kind,
            "message": problem.message,
        }

    return json.dumps(
        {
            "errors": [item(p) for p in problems if p.is_error],
            "warnings": [item(p) for p in problems if not p.is_error],
        },
        indent=2,
        ensure_ascii=False,
    )


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
