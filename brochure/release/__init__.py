"""Build options -> a release: every published edition built strictly and checked, the release
folder `dist/<slug>-<edition date>/` with its sums, and the launch announcement per language.

- `folder`        the release folder, written aside and renamed into place; SHA256SUMS
- `announcement`  the email's text in one language (template, Markdown, Babel's dates)
- `invite`        the launch event as an iCalendar invitation
- `eml`           the .eml drafts, and the message one recipient gets
- `recipients`    recipients.csv read and checked
- `send`          SMTP with STARTTLS and a login, at a rate, with a delivery log

`make` is the whole release; `plan` and `deliver` are `release --send`.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

from .. import build as pipeline
from .. import content, i18n, outputs, pool
from ..errors import BrochureError, Location, Problem
from ..model import Brochure
from . import announcement, eml, folder, invite
from .recipients import Recipient
from .recipients import read as read_recipients
from .send import DeliveryLog, Outcome, SendError, Smtp, send

__all__ = [
    "DeliveryLog",
    "Outcome",
    "Recipient",
    "Release",
    "SendError",
    "Smtp",
    "deliver",
    "log_path",
    "make",
    "name_of",
    "plan",
]

ANNOUNCEMENT = "announcement"


@dataclass(frozen=True)
class Release:
    folder: Path
    editions: list[dict]  # release.json's
    drafts: dict[str, Path]  # language -> its .eml
    warnings: tuple[Problem, ...]


def name_of(brochure: Brochure) -> str:
    return f"{brochure.slug}-{brochure.edition.isoformat()}"


def log_path(dist: Path, brochure: Brochure) -> Path:
    """The delivery log of a release: beside its folder, which stays as it was released."""
    return dist / f"{name_of(brochure)}.deliveries.jsonl"


def make(
    opts: pipeline.BuildOptions,
    log: pipeline.Progress,
    dist: Path,
    replace_existing: bool = False,
    jobs: int | None = None,
) -> Release:
    """Build, check and write the release folder. Raises BrochureError (the editions' or the
    check's errors, an email over its budget) or OutputError (the folder exists)."""
    brochure = log.step("load", content.load, opts.content_dir)
    with outputs.lock(dist):  # one release at a time in dist/
        folder.recover(dist)
        folder.refuse_existing(dist / name_of(brochure), replace_existing)
        return _make(brochure, opts, log, dist, replace_existing, jobs)


def _make(
    brochure: Brochure,
    opts: pipeline.BuildOptions,
    log: pipeline.Progress,
    dist: Path,
    replace_existing: bool,
    jobs: int | None,
) -> Release:
    target = dist / name_of(brochure)
    strict = replace(opts, strict=True, lang=None, variant=None, write_html=False)
    editions = pipeline.editions(strict)
    results: dict[tuple[str, str], pipeline.Result] = {}
    problems: list[Problem] = []
    with outputs.lock(opts.out_dir):
        done = log.step("editions", lambda: list(pool.build_all(strict, editions, jobs)))
    for edition in done:
        if edition.result is None:
            problems += edition.problems
        else:
            results[(edition.lang, edition.variant)] = edition.result
    if problems:  # each variant of a language finds the same: say it once
        raise BrochureError(dict.fromkeys(problems))
    warnings = tuple(p for r in results.values() for p in r.findings)
    warnings += tuple(pipeline.check(replace(strict, strict=False), log))
    default = next(iter(brochure.variants))
    screen = "screen" if "screen" in brochure.variants else default
    records: list[dict] = []
    drafts: list[str] = []
    with folder.Staging(dist, target.name, replace_existing) as staged:
        ordered = sorted(results.items(), key=lambda item: _order(item[0], brochure))
        for (lang, variant), result in ordered:
            assert result.pdf is not None
            staged.copy(result.pdf, result.pdf.name)
            records.append(
                {
                    "file": result.pdf.name,
                    "language": lang,
                    "variant": variant,
                    "pages": result.pages,
                    "bytes": result.pdf.stat().st_size,
                }
            )
            if variant == default:
                for handout in sorted((opts.out_dir / "handouts" / lang).glob("*.pdf")):
                    staged.copy(handout, f"handouts/{lang}/{handout.name}")
        if brochure.announcement is not None:
            pdfs = {lang: results[(lang, screen)].pdf for lang in brochure.published}
            drafts = log.step("announcement", _announce, brochure, opts, pdfs, staged)
        staged.write("release.json", _summary(brochure, opts, records))
    paths = {lang: target / ANNOUNCEMENT / f"{brochure.slug}-{lang}.eml" for lang in drafts}
    return Release(target, records, paths, warnings)


def _announce(
    brochure: Brochure,
    opts: pipeline.BuildOptions,
    pdfs: dict[str, Path | None],
    staged: folder.Staging,
) -> list[str]:
    """The .eml draft (and .ics) of every published language, each within its size budget."""
    assert brochure.announcement is not None
    templates = i18n.template_entries(opts.templates_dir)
    budget = brochure.announcement.size_budget_mb
    sender = brochure.announcement.sender
    domain = eml.mailbox(sender).domain
    event = brochure.announcement.event
    hour = event.start.replace(tzinfo=event.zone) if event else None
    # The drafts' Date: the edition's morning (in the event's time zone), not the clock's.
    date = dt.datetime.combine(brochure.edition, dt.time(9), hour.tzinfo if hour else dt.UTC)
    problems, drafts = [], []
    for lang, pdf in pdfs.items():
        assert pdf is not None
        edition = _localized(brochure, opts, lang, templates)
        data = pdf.read_bytes()
        letter = announcement.compose(edition, opts.templates_dir, len(data))
        ics = invite.invitation(edition, letter.text, domain) if event else None
        message = eml.draft(letter, data, ics, sender, brochure.announcement.reply_to, date)
        stem = f"{ANNOUNCEMENT}/{brochure.slug}-{lang}"
        if len(message) > budget * 1e6:
            problems.append(_too_big(brochure, lang, len(message), budget, pdf, len(data)))
            continue
        staged.write(f"{stem}.eml", message)
        drafts.append(lang)
        if ics is not None:
            staged.write(f"{stem}.ics", ics)
    if problems:
        raise BrochureError(problems)
    return drafts


def _localized(brochure: Brochure, opts: pipeline.BuildOptions, lang: str, templates) -> Brochure:
    if lang == brochure.source_language:
        return brochure
    path = i18n.catalog_path(opts.content_dir, lang)
    catalog = i18n.read_catalog(path) if path.exists() else None
    return i18n.localize(brochure, catalog, lang, templates).brochure


def _too_big(brochure: Brochure, lang: str, size: int, budget: float, pdf: Path, pdf_size: int):
    line = brochure.field_lines.get("announcement.size_budget_mb") or brochure.field_lines.get(
        "announcement", 0
    )
    return Problem(
        Location(brochure.source.path, line),
        "announcement.size_budget_mb",
        "email-too-large",
        f"the {lang} announcement is {size / 1e6:.1f} MB, over its budget of {budget:g} MB: the "
        f"attached {pdf.name} is {pdf_size / 1e6:.1f} MB (a third more once encoded for email); "
        "make the screen PDF smaller (its image_dpi) or raise size_budget_mb if every "
        "recipient's mail server takes more",
    )


def _order(edition: tuple[str, str], brochure: Brochure) -> tuple[int, int]:
    lang, variant = edition
    return brochure.languages.index(lang), list(brochure.variants).index(variant)


def _summary(brochure: Brochure, opts: pipeline.BuildOptions, records: list[dict]) -> bytes:
    """release.json: what the release holds and what it was made from."""
    segments = i18n.entries(brochure) + i18n.template_entries(opts.templates_dir)
    languages = {}
    for lang in brochure.published:
        catalog = None
        if lang != brochure.source_language:
            path = i18n.catalog_path(opts.content_dir, lang)
            catalog = i18n.read_catalog(path) if path.exists() else None
            standings = i18n.judge(segments, catalog)
            done = sum(s.state is i18n.State.TRANSLATED for s in standings)
            percent = round(100 * done / max(1, len(standings)), 1)
        else:
            percent = 100.0
        languages[lang] = {"completeness": percent}
    summary = {
        "brochure": brochure.slug,
        "title": brochure.title,
        "edition": brochure.edition.isoformat(),
        "source_language": brochure.source_language,
        "languages": languages,
        "drafts_left_out": list(brochure.drafts),
        "editions": records,
        "announcement": brochure.announcement is not None,
        "sources": _git(opts.content_dir),
    }
    return (json.dumps(summary, indent=2, ensure_ascii=False) + "\n").encode()


def _git(content_dir: Path) -> dict[str, object] | None:
    """The sources' commit, and whether the content differs from it; None outside git."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(content_dir), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        if commit.returncode != 0:
            return None
        status = subprocess.run(
            ["git", "-C", str(content_dir), "status", "--porcelain", "--", "."],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit.stdout.strip(), "modified": bool(status.stdout.strip())}


def plan(opts: pipeline.BuildOptions, recipients_csv: Path) -> tuple[Brochure, list[Recipient]]:
    """The brochure and who gets which language; raises BrochureError for a faulty CSV."""
    brochure = content.load(opts.content_dir)
    if brochure.announcement is None:
        raise BrochureError(
            [
                Problem(
                    brochure.source,
                    "announcement",
                    "no-announcement",
                    "the manifest has no announcement to send; add one (docs/content-format.md)",
                )
            ]
        )
    published = brochure.published
    return brochure, read_recipients(recipients_csv, published, brochure.source_language)


def deliver(
    release_folder: Path,
    brochure: Brochure,
    recipients: list[Recipient],
    smtp: Smtp,
    log: DeliveryLog,
    per_minute: float,
):
    """Send the release's drafts (`release_folder/announcement/`); yields each Outcome."""
    drafts = {}
    for lang in dict.fromkeys(r.lang for r in recipients):
        path = release_folder / ANNOUNCEMENT / f"{brochure.slug}-{lang}.eml"
        if not path.is_file():
            raise SendError(
                f"{release_folder} has no {lang} announcement ({path.name}); it was made before "
                "the manifest had this announcement or language: make it again with "
                "`release --replace`"
            )
        drafts[lang] = path.read_bytes()
    yield from send(recipients, drafts, smtp, log, per_minute)
