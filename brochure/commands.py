"""The commands users run -> what each does, with the pipeline loaded: build (one edition, or
several over the pool), watch and serve (`brochure.preview`), i18n. `cli` parses the command
line, finds a cached edition without loading any of this, and turns errors into exit codes.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from babel import Locale

from . import build as pipeline
from . import content, i18n, outputs, pool, render
from .console import Progress, report
from .model import Brochure

__all__ = ["build", "i18n_command", "watch"]


def build(options: argparse.Namespace, opts: pipeline.BuildOptions, log: Progress) -> int:
    langs = options.lang or []
    if not options.all and len(langs) <= 1 and not options.jobs:  # one edition, in this process
        result = pipeline.build(opts, log)
        report(result.findings, sys.stderr)
        print(f"wrote {result.pdf} ({result.pages} pages) in {log.total():.1f} s", file=sys.stderr)
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
            f"  {done.result.pdf}",
            file=sys.stderr,
        )
    for lang in dict.fromkeys(lang for lang, _ in editions):
        report(pipeline.layout_fit(opts, lang), sys.stderr)
    print(
        f"built {len(editions) - failed} of {len(editions)} editions in {log.total():.1f} s",
        file=sys.stderr,
    )
    return 1 if failed else 0


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
