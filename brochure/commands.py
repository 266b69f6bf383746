"""The commands users run -> what each does, with the pipeline loaded: build (one edition, or
several over the pool), watch and serve (`brochure.preview`), i18n. `cli` parses the command
line, finds a cached edition without loading any of this, and turns errors into exit codes.
"""

from __future__ import annotations

import argparse
import json
import os
import ssl
import sys
from collections import Counter
from dataclasses import asdict

from babel import Locale

from . import build as pipeline
from . import content, i18n, outputs, pool, render
from .console import Progress, report
from .errors import Location, Problem, UsageError
from .model import Brochure

__all__ = ["build", "i18n_command", "release", "watch"]


def build(options: argparse.Namespace, opts: pipeline.BuildOptions, log: Progress) -> int:
    langs = options.lang or []
    if not options.all and len(langs) <= 1 and not options.jobs:  # one edition, in this process
        result = pipeline.build(opts, log)
        report(result.findings, sys.stderr)
        print(
            f"wrote {result.pdf} ({result.pages} pages{_added(result)}) in {log.total():.1f} s",
            file=sys.stderr,
        )
        if result.html:
            print(f"wrote {result.html}", file=sys.stderr)
        return 0
    editions = log.step("editions", pipeline.editions, opts, langs)
    if opts.variant is not None:
        editions = [(lang, variant) for lang, variant in editions if variant == opts.variant]
    failed = 0
    for done in pool.build_all(opts, editions, options.jobs):
        if done.result is None:
            failed += 1
            report(done.problems, sys.stderr)
            print(f"  {done.lang} {done.variant}: failed", file=sys.stderr)
            continue
        report(done.result.findings, sys.stderr)
        print(
            f"  {done.lang:<4} {done.variant:<8} {done.result.pages:4} pages {done.seconds:6.1f} s"
            f"  {done.result.pdf}{_added(done.result)}",
            file=sys.stderr,
        )
    for lang in dict.fromkeys(lang for lang, _ in editions):
        report(pipeline.layout_fit(opts, lang), sys.stderr)
    print(
        f"built {len(editions) - failed} of {len(editions)} editions in {log.total():.1f} s",
        file=sys.stderr,
    )
    return 1 if failed else 0


def release(options: argparse.Namespace, opts: pipeline.BuildOptions, log: Progress) -> int:
    """`release`: build, check and write dist/<slug>-<date>/; with `--send`, send the
    announcement (`--dry-run`: say who would get which language). See `brochure.release`."""
    from . import release as releasing  # the email machinery: only for a release

    if options.send is not None:
        return _send(options, opts, log, releasing)
    made = releasing.make(opts, log, options.dist, options.replace, options.jobs)
    report(made.warnings, sys.stderr)
    for record in made.editions:
        print(
            f"  {record['language']:<4} {record['variant']:<8} {record['pages']:4} pages "
            f"{record['bytes'] / 1e6:6.1f} MB  {record['file']}",
            file=sys.stderr,
        )
    for lang, draft in made.drafts.items():
        print(f"  {lang:<4} announcement  {draft.relative_to(made.folder)}", file=sys.stderr)
    print(
        f"wrote {made.folder} in {log.total():.1f} s; verify it with: "
        f"(cd {made.folder} && sha256sum -c SHA256SUMS)",
        file=sys.stderr,
    )
    return 0


def _send(
    options: argparse.Namespace, opts: pipeline.BuildOptions, log: Progress, releasing
) -> int:
    brochure, recipients = releasing.plan(opts, options.send)
    delivery_log = releasing.DeliveryLog(releasing.log_path(options.dist, brochure))
    states = delivery_log.states()
    if options.dry_run:
        for r in recipients:
            state = states.get(r.email.lower())
            done = {"sent": "  (sent already)", "sending": "  (may have been sent: not again)"}
            note = f"  ({r.note})" if r.note else ""
            print(f"line {r.line:<4} {r.lang:<4} {r.email}{note}{done.get(state or '', '')}")
        todo = [r for r in recipients if states.get(r.email.lower()) not in ("sent", "sending")]
        counts = Counter(r.lang for r in todo)
        print(
            f"would send {len(todo)} of {len(recipients)} messages ("
            + ", ".join(f"{lang} {n}" for lang, n in sorted(counts.items()))
            + ")"
        )
        return 0
    smtp = _smtp(options)
    target = options.dist / releasing.name_of(brochure)
    if not target.is_dir():  # the drafts are sent as the release wrote them
        releasing.make(opts, log, options.dist, False, options.jobs)
    print(
        f"sending the drafts of {target} through {smtp}, {options.rate:g} a minute", file=sys.stderr
    )
    sent = 0
    for outcome in releasing.deliver(
        target, brochure, recipients, smtp, delivery_log, options.rate
    ):
        r = outcome.recipient
        if outcome.state == "sent":
            sent += 1
            print(f"  sent     {r.lang:<4} {r.email}", file=sys.stderr)
        elif outcome.state == "uncertain":
            print(
                f"  warning: {r.email}: an earlier run stopped while sending to them; it may have "
                f"arrived, so it is not sent again (delete its lines from {delivery_log.path} "
                "to send it)",
                file=sys.stderr,
            )
    print(f"sent {sent} messages; {delivery_log.path} records every delivery", file=sys.stderr)
    return 0


def _smtp(options: argparse.Namespace):
    """The SMTP server from the options or the environment; the password from the environment
    only (never a file in the repository, never printed)."""
    from .release import Smtp

    host = options.smtp_host or os.environ.get("BROCHURE_SMTP_HOST", "")
    port = options.smtp_port or os.environ.get("BROCHURE_SMTP_PORT") or "587"
    user = options.smtp_user or os.environ.get("BROCHURE_SMTP_USER", "")
    password = os.environ.get("BROCHURE_SMTP_PASSWORD", "")
    missing = []
    if not host:
        missing.append("the SMTP server: --smtp-host HOST or BROCHURE_SMTP_HOST")
    if not str(port).isdigit():
        missing.append(f"BROCHURE_SMTP_PORT: expected a port number, got {port!r}")
    if not user:
        missing.append("the login: --smtp-user NAME or BROCHURE_SMTP_USER")
    if not password:
        missing.append("the password: in the environment variable BROCHURE_SMTP_PASSWORD")
    if missing:
        raise UsageError(
            [Problem(Location(""), "", "smtp-settings", f"sending needs {m}") for m in missing]
        )
    cafile = os.environ.get("BROCHURE_SMTP_CAFILE") or None
    try:
        context = ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as error:
        message = f"BROCHURE_SMTP_CAFILE: cannot read {cafile} as certificates ({error})"
        raise UsageError([Problem(Location(""), "", "smtp-settings", message)]) from None
    return Smtp(host, int(port), user, password, context=context)


def _added(result: pipeline.Result) -> str:
    """What the layout added to make the page count a multiple of 4, if anything."""
    if not result.added_pages:
        return ""
    return (
        f", {result.added_pages} notes page{'s' * (result.added_pages != 1)} added before the "
        "back cover for a multiple of 4"
    )


def watch(opts: pipeline.BuildOptions, log: Progress, port: int | None = None) -> int:
    """On every save, the edited part's preview and then the edition; with a port, also the
    preview page on 127.0.0.1 (`brochure.preview`). Ctrl-C stops (130)."""
    from .preview import watch as watching  # watchfiles and the server: only for watch

    return watching(opts, log, port)


def i18n_command(options: argparse.Namespace, opts: pipeline.BuildOptions, log: Progress) -> int:
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
        updated = log.step("update", i18n.update, brochure, segments, opts.content_dir, languages)
        for lang, counts in updated.items():
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
