"""argv -> exit code: parses the command line, runs the command, turns every error into one
list and an exit code.

Exit codes: 0 success, 1 content errors (all reported together) or an output folder that is
busy or cannot be written (one line), 2 usage errors, 130 interrupted (Ctrl-C).
Only this module and `commands` print; a traceback means a bug in our code, not the user's.

A build whose edition is cached is finished here, before the pipeline (WeasyPrint and all)
is even imported: with nothing changed, `make_brochure.py` is done in a fraction of a second.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from . import cache, outputs
from .console import Progress, as_json, report
from .errors import BrochureError, UsageError
from .options import BuildOptions

__all__ = ["PORT", "main"]

PORT = 8765  # the preview page's, on 127.0.0.1 (`watch --serve`, `serve`)

DESCRIPTION = """\
Build the brochure: YAML + Markdown sources in content/ become a typeset PDF in build/.

commands:
  build   (default) validate, typeset and write build/<slug>-<lang>.pdf
  check   report every problem (content, translations, pages), write nothing
  watch   on every save: the edited part's preview, then the edition
  serve   watch, and a preview page on http://127.0.0.1:8765/ that reloads itself
  i18n    translation catalogs: extract, update, status, changes, export, import
  release every published edition, strict and checked, into dist/<slug>-<date>/ with the
          launch announcement's email drafts; --send recipients.csv sends them

examples:
  python make_brochure.py                      build the sample brochure
  python make_brochure.py check                validate after editing a file
  python make_brochure.py build --html         also write the intermediate HTML
  python make_brochure.py build --lang fr      the French edition
  python make_brochure.py build --all          every language in the manifest
  python make_brochure.py watch --serve        rebuild on save, show the pages in a browser
  python make_brochure.py i18n extract         write content/locales/brochure.pot
  python make_brochure.py i18n update          merge it into every <lang>.po
  python make_brochure.py i18n status          how far each translation is
  python make_brochure.py i18n changes --lang fr   what changed in the English, for a translator
  python make_brochure.py i18n export --lang fr    XLIFF 1.2 for a CAT tool (build/i18n/)
  python make_brochure.py i18n import FILE.xlf     its translations back into fr.po
  python make_brochure.py release              dist/<slug>-<date>/: PDFs, sums, .eml drafts
  python make_brochure.py release --send recipients.csv --dry-run   who gets which language
  python make_brochure.py build --content ../other-brochure --out /tmp/out
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or (args[0].startswith("-") and args[0] not in ("-h", "--help")):
        args.insert(0, "build")  # `build` is the default command
    try:
        options = parser.parse_args(args)
    except SystemExit as exit_:
        return int(exit_.code or 0)

    opts = BuildOptions(
        content_dir=options.content,
        out_dir=options.out,
        write_html=getattr(options, "html", False),
        lang=_one(getattr(options, "lang", None)),
        strict=getattr(options, "strict", False),
        force=getattr(options, "force", False),
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
    in_json = getattr(options, "format", "text") == "json"
    log = Progress(sys.stderr, quiet=options.quiet or in_json)
    try:
        return _run(options, opts, log, in_json)
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
    except _send_error() as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except BrochureError as error:
        if in_json:
            print(as_json(error.problems))
            return 1
        report(error.problems, sys.stderr)
        if options.command == "build":
            print("The last good PDF was left as it was.", file=sys.stderr)
        return 1


def _run(options: argparse.Namespace, opts: BuildOptions, log: Progress, in_json: bool) -> int:
    if options.command == "build" and _single(options):
        with outputs.lock(opts.out_dir):  # one build at a time per output folder
            reused = log.step("cache", cache.reuse, opts)
        if reused is not None:
            pdf, cached = reused
            report(cached.findings, sys.stderr)
            print(
                f"{pdf} is up to date ({cached.pages} pages, {log.total():.1f} s)", file=sys.stderr
            )
            return 0
    from . import commands  # the pipeline: loaded only when there is work for it

    if options.command == "check":
        problems = commands.pipeline.check(opts, log, quick=options.quick)
        if in_json:
            print(as_json(problems))
            return 0
        report(problems, sys.stderr)
        print(f"{opts.content_dir}: no errors ({log.total():.1f} s)", file=sys.stderr)
        return 0
    if options.command == "i18n":
        return commands.i18n_command(options, opts, log)
    if options.command == "release":
        return commands.release(options, opts, log)
    if options.command in ("watch", "serve"):
        serving = options.command == "serve" or options.serve
        return commands.watch(opts, log, options.port if serving else None)
    with outputs.lock(opts.out_dir):  # one build at a time per output folder
        return commands.build(options, opts, log)


def _send_error() -> type[Exception]:
    """`release --send`'s error when the mail server refuses or stops (loaded only if the
    release machinery was)."""
    module = sys.modules.get("brochure.release.send")
    return module.SendError if module is not None else _Never


class _Never(Exception):
    pass


def _single(options: argparse.Namespace) -> bool:
    """A build of one edition (the cache answers it without the pipeline)."""
    return not options.all and len(options.lang or []) <= 1 and not options.jobs


def _port(text: str) -> int:
    """`--port`: a TCP port number (0: any free one)."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 0 to 65535, got {text!r}")
    return int(text)


def _one(lang: str | list[str] | None) -> str | None:
    """`--lang`: a build may name several languages; every other command names one."""
    if isinstance(lang, list):
        return lang[0] if len(lang) == 1 else None
    return lang


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
    which.add_argument(
        "--lang",
        metavar="CODE",
        action="append",
        help="a language to build (default: the source); repeat it for several",
    )
    which.add_argument(
        "--all", action="store_true", help="every published language (not the drafts) and variant"
    )
    build.add_argument(
        "--force", action="store_true", help="lay out everything again, ignoring the cache"
    )
    build.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help="editions built side by side (default: one per core)",
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
    for name, purpose in (
        ("watch", "on every save, the edited part's preview, then the edition"),
        ("serve", "watch --serve: rebuild on every save and show the pages in a browser"),
    ):
        watching = commands.add_parser(name, parents=[common], help=purpose)
        watching.add_argument("--lang", metavar="CODE", help="the language to build")
        if name == "watch":
            watching.add_argument(
                "--serve", action="store_true", help="also serve a preview page on 127.0.0.1"
            )
        watching.add_argument(
            "--port",
            type=_port,
            default=PORT,
            metavar="N",
            help=f"the preview page's port on 127.0.0.1 (default: {PORT}; 0: any free one)",
        )
    checking = commands.add_parser(
        "check", parents=[common], help="report every problem, errors and warnings; write nothing"
    )
    checking.add_argument(
        "--quick", action="store_true", help="the sources only: no typesetting (about a second)"
    )
    checking.add_argument("--format", choices=["text", "json"], default="text")
    _release_parser(commands, common)
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


def _release_parser(commands, common: argparse.ArgumentParser) -> None:
    releasing = commands.add_parser(
        "release",
        parents=[common],
        help="every published edition (strict) and the announcement into dist/<slug>-<date>/",
    )
    releasing.add_argument(
        "--dist",
        type=Path,
        default=Path("dist"),
        metavar="DIR",
        help="where release folders go (default: dist)",
    )
    releasing.add_argument(
        "--replace", action="store_true", help="make again a release of the same edition date"
    )
    releasing.add_argument(
        "--jobs", type=int, metavar="N", help="editions built side by side (default: one per core)"
    )
    releasing.add_argument(
        "--send",
        type=Path,
        metavar="CSV",
        help="send the announcement to the recipients of CSV (columns email, language, name)",
    )
    releasing.add_argument(
        "--dry-run", action="store_true", help="with --send: say who would get which language"
    )
    releasing.add_argument(
        "--rate",
        type=float,
        default=20,
        metavar="N",
        help="with --send: messages a minute (default: 20; 0: no pause)",
    )
    releasing.add_argument("--smtp-host", metavar="HOST", help="or BROCHURE_SMTP_HOST")
    releasing.add_argument(
        "--smtp-port", type=_port, metavar="N", help="or BROCHURE_SMTP_PORT (587)"
    )
    releasing.add_argument("--smtp-user", metavar="NAME", help="or BROCHURE_SMTP_USER")
