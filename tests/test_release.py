"""`release`: the release folder and its sums, the announcement's .eml drafts and invitation read
back as a mail client would, and sending to a real SMTP server on 127.0.0.1 (aiosmtpd, with
STARTTLS and a login), interrupted and resumed.

The release is made once per test run from a cut-down brochure (one chapter, in English,
French and Spanish, screen and print); the sending tests each work on a copy of it.
"""

from __future__ import annotations

import datetime as dt
import email
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import icalendar
import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from pypdf import PdfReader

from brochure import build as pipeline
from brochure import cli, content, i18n
from brochure.errors import BrochureError
from brochure.release import DeliveryLog, Smtp, _announce, eml, folder, recipients
from brochure.release.send import send
from tests.conftest import ROOT, small_brochure

SLUG = "gender-equality-local-level"
NAME = f"{SLUG}-2021-06-23"
KEEP = ("environment/why-local.md",)
TITLES = {
    "en": "Capacity Building for Gender Equality at the Local Level",
    "fr": "Renforcement des capacités pour l’égalité femmes-hommes au niveau local",
    "es": "Fortalecimiento de capacidades para la igualdad de género en el ámbito local",
}
GREETING = {"en": "Dear colleagues,", "fr": "Chères et chers collègues,", "es": "Estimadas y"}
DAY = {"en": "Wednesday, June 23, 2021", "fr": "mercredi 23 juin 2021", "es": "miércoles, 23 de"}
USER, PASSWORD = "secretariat", "correct horse battery staple"


@dataclass
class Released:
    content: Path
    out: Path
    dist: Path

    @property
    def folder(self) -> Path:
        return self.dist / NAME

    def options(self, dist: Path | None = None) -> list[str]:
        dist = dist or self.dist
        return ["--content", str(self.content), "--out", str(self.out), "--dist", str(dist), "-q"]


@pytest.fixture(scope="session")
def released(tmp_path_factory: pytest.TempPathFactory) -> Released:
    root = tmp_path_factory.mktemp("release")
    made = Released(
        small_brochure(root / "content", KEEP, ("fr", "es")), root / "build", root / "dist"
    )
    assert cli.main(["release", *made.options()]) == 0
    return made


def _message(path: Path) -> EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=default)


def _draft(released: Released, lang: str) -> EmailMessage:
    return _message(released.folder / "announcement" / f"{SLUG}-{lang}.eml")


# The release folder


def test_the_release_folder_holds_every_published_edition_and_its_sums_verify(released):
    result = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=released.folder, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    listed = {
        line.split("  ", 1)[1] for line in (released.folder / "SHA256SUMS").read_text().splitlines()
    }
    files = {p.relative_to(released.folder).as_posix() for p in released.folder.rglob("*")}
    assert listed == {f for f in files if f != "SHA256SUMS" and not (released.folder / f).is_dir()}
    for lang in ("en", "fr", "es"):
        assert f"{SLUG}-{lang}.pdf" in listed
        assert f"{SLUG}-{lang}-print.pdf" in listed
        assert f"announcement/{SLUG}-{lang}.eml" in listed
        assert f"announcement/{SLUG}-{lang}.ics" in listed
    assert not any(
        name.startswith(".") for name in os.listdir(released.dist) if name != ".build.lock"
    )


def test_release_json_says_what_the_release_holds(released):
    summary = json.loads((released.folder / "release.json").read_text())
    assert summary["edition"] == "2021-06-23"
    assert summary["languages"] == {lang: {"completeness": 100.0} for lang in ("en", "fr", "es")}
    assert summary["sources"] is None  # the test's content folder is not in git
    assert len(summary["editions"]) == 6
    for record in summary["editions"]:
        pdf = released.folder / record["file"]
        assert record["bytes"] == pdf.stat().st_size
        assert record["pages"] == len(PdfReader(pdf).pages)


def test_a_release_of_the_same_date_is_not_overwritten_unless_asked(released, capsys):
    sums = (released.folder / "SHA256SUMS").read_bytes()
    assert cli.main(["release", *released.options()]) == 1
    assert "already exists" in capsys.readouterr().err
    assert (released.folder / "SHA256SUMS").read_bytes() == sums
    # Made again from the same sources: the same bytes, emails included.
    assert cli.main(["release", "--replace", *released.options()]) == 0
    assert (released.folder / "SHA256SUMS").read_bytes() == sums


def _kill_at(step: str, released: Released, *extra: str) -> subprocess.CompletedProcess:
    """A release in its own process, killed (SIGKILL) when it reaches `step`."""
    code = (
        "import os, signal, sys\n"
        "from brochure import cli\n"
        "from brochure.release import folder\n"
        "def step(name):\n"
        f"    if name.startswith({step!r}):\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "folder._on_step = step\n"
        "sys.exit(cli.main(sys.argv[1:]))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, "release", *extra, *released.options()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_killed_release_leaves_the_old_folder_or_none(released):
    sums = (released.folder / "SHA256SUMS").read_bytes()
    # Killed while writing the drafts of a replacement: the old release stands as it was.
    killed = _kill_at("write announcement", released, "--replace")
    assert killed.returncode == -signal.SIGKILL
    assert (released.folder / "SHA256SUMS").read_bytes() == sums
    # Killed between moving the old one aside and renaming the new one in: no folder at all,
    # never a half-written one; the next release puts the old one back first.
    killed = _kill_at("commit", released, "--replace")
    assert killed.returncode == -signal.SIGKILL
    assert not released.folder.exists()
    folder.recover(released.dist)
    assert (released.folder / "SHA256SUMS").read_bytes() == sums
    assert sorted(os.listdir(released.dist)) == [".build.lock", NAME]


# The drafts


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_each_draft_opens_with_the_text_in_its_language_and_the_pdf_attached(released, lang):
    message = _draft(released, lang)
    assert message.get_content_type() == "multipart/mixed"
    assert message["Content-Language"] == lang
    assert message["From"] == "UCLG CIB Working Group <cib@example.org>"
    assert message["Reply-To"].addresses[0].addr_spec == "cib-secretariat@example.org"
    assert message["X-Unsent"] == "1"  # Outlook opens it as a draft to send
    subject = {"en": "Invitation: online", "fr": "Invitation\u202f: lancement", "es": "Invitación:"}
    assert message["Subject"].startswith(subject[lang])
    body, pdf, ics = message.iter_parts()
    assert body.get_content_type() == "multipart/alternative"
    plain, html = body.iter_parts()
    assert plain.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"
    for part in (plain.get_content(), html.get_content()):
        assert GREETING[lang] in part
        assert DAY[lang] in part
        assert "15:00" in part
        assert "16:15" in part
        assert "https://www.example.org/cib/gender-equality-launch" in part
    html_text = html.get_content()
    assert f'<html lang="{lang}"' in html_text
    assert "<img" not in html_text
    assert "<style" not in html_text
    assert "<link" not in html_text
    assert 'style="' in html_text
    assert pdf.get_content_type() == "application/pdf"
    # The title in the language, with a plain apostrophe: every file system and client takes it.
    assert pdf.get_filename() == TITLES[lang].replace("’", "'") + ".pdf"
    assert pdf.get_content() == (released.folder / f"{SLUG}-{lang}.pdf").read_bytes()
    assert ics.get_content_type() == "text/calendar"
    assert ics.get_filename().endswith(".ics")
    ics_file = released.folder / "announcement" / f"{SLUG}-{lang}.ics"
    assert ics.get_payload(decode=True) == ics_file.read_bytes()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_invitation_is_in_the_events_own_time_zone(released, lang):
    data = (released.folder / "announcement" / f"{SLUG}-{lang}.ics").read_bytes()
    calendar = icalendar.Calendar.from_ical(data)
    (event,) = calendar.events
    assert calendar["METHOD"] == "PUBLISH"
    assert [tz["TZID"] for tz in calendar.timezones] == ["Europe/Brussels"]
    assert event.start.tzinfo.key == "Europe/Brussels"
    assert (event.start.hour, event.end.hour, event.end.minute) == (15, 16, 15)
    assert event.start.astimezone(dt.UTC).hour == 13  # CEST in June
    title = {"en": "Launch: Capacity", "fr": "Lancement\u202f: Renforcement"}[lang]
    assert str(event["SUMMARY"]).startswith(title)
    assert str(event["URL"]) == "https://www.example.org/cib/gender-equality-launch"
    # One event in every language: the same UID, so a calendar keeps it once.
    english = icalendar.Calendar.from_ical(
        (released.folder / "announcement" / f"{SLUG}-en.ics").read_bytes()
    )
    assert english.events[0]["UID"] == event["UID"]


def test_an_email_over_its_budget_stops_the_release_naming_the_attachment(released, tmp_path):
    brochure = content.load(released.content)
    small = brochure.announcement.model_copy(update={"size_budget_mb": 0.05})
    brochure = brochure.model_copy(update={"announcement": small})
    opts = pipeline.BuildOptions(content_dir=released.content, out_dir=released.out)
    pdfs = {lang: released.folder / f"{SLUG}-{lang}.pdf" for lang in ("en", "fr")}
    with pytest.raises(BrochureError) as raised, folder.Staging(tmp_path, "x", False) as staged:
        _announce(brochure, opts, pdfs, staged)
    problems = raised.value.problems
    assert [p.kind for p in problems] == ["email-too-large"] * 2
    assert f"{SLUG}-fr.pdf" in str(problems[1])
    assert "over its budget of 0.05 MB" in str(problems[1])
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("start", "23 June 2021 3pm", "announcement.event.start: expected a date and time like"),
        ("timezone", "CEST", "announcement.event.timezone: expected an IANA time zone"),
        ("end", "2021-06-23 14:00", "the event's end is not after its start"),
    ],
)
def test_a_bad_event_is_reported_by_file_line_and_field(
    sample_copy, capsys, field, value, expected
):
    lines = sample_copy.read("brochure.yaml").splitlines()
    event = lines.index("  event:")
    line, old = next(
        (i, text) for i, text in enumerate(lines[event:], event + 1) if f" {field}:" in text
    )
    sample_copy.edit("brochure.yaml", old, f"    {field}: {value}")
    assert cli.main(["check", "--quick", *sample_copy.options()]) == 1
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err
    if field != "end":
        assert f"brochure.yaml:{line}: " in err


# Recipients


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "recipients.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_recipients_get_their_language_or_the_source_language(tmp_path):
    path = _csv(
        tmp_path,
        "name;email;language\n"
        "Ana;ana@example.org;es\n"
        "Luc;luc@example.org;fr-CA\n"
        "Joana;joana@example.org;pt\n"
        "Kim;kim@example.org;\n",
    )
    found = recipients.read(path, ("en", "fr", "es"), "en")
    assert [(r.email, r.lang, r.line) for r in found] == [
        ("ana@example.org", "es", 2),
        ("luc@example.org", "fr", 3),
        ("joana@example.org", "en", 4),
        ("kim@example.org", "en", 5),
    ]
    assert found[2].note == "pt is not published"


def test_faulty_recipients_are_all_reported_with_their_lines(tmp_path):
    path = _csv(
        tmp_path,
        "email,language\n"
        "ana@example.org,es\n"
        "not-an-address,fr\n"
        "luc@example.org,french\n"
        "\n"
        "ANA@example.org,en\n",
    )
    with pytest.raises(BrochureError) as raised:
        recipients.read(path, ("en", "fr", "es"), "en")
    lines = [str(p) for p in raised.value.problems]
    assert lines == [
        f"{path}:3: email: not an email address: 'not-an-address'",
        f"{path}:4: language: 'french' is not a language code; write one like en, fr, es, or "
        "leave it empty for en",
        f"{path}:6: email: ANA@example.org is already on line 2",
    ]


# Sending, to a real SMTP server on 127.0.0.1


class _Inbox:
    """aiosmtpd's handler: keeps what it accepts; can drop the connection at a message."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.drop_at: int | None = None  # 1-based: the message whose DATA is cut off
        self.seen = 0

    async def handle_DATA(self, server, session, envelope):
        self.seen += 1
        if self.seen == self.drop_at:
            server.transport.close()  # halfway: the message is never acknowledged
            return "421 closing"
        message = email.message_from_bytes(envelope.content, policy=default)
        assert envelope.rcpt_tos == [message["To"].addresses[0].addr_spec]
        self.messages.append(message)
        return "250 OK"


def _authenticate(server, session, envelope, mechanism, auth_data):
    given = (auth_data.login, auth_data.password) if isinstance(auth_data, LoginPassword) else ()
    ok = [v.decode() if isinstance(v, bytes) else v for v in given] == [USER, PASSWORD]
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 235 or 535


@pytest.fixture(scope="module")
def certificate_authority(tmp_path_factory) -> tuple[trustme.CA, Path]:
    ca = trustme.CA()
    pem = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    return ca, pem


@pytest.fixture
def smtp_server(certificate_authority, monkeypatch):
    ca, pem = certificate_authority
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    inbox = _Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        auth_required=True,
        authenticator=_authenticate,
    )
    controller.start()
    for name, value in {
        "BROCHURE_SMTP_HOST": "127.0.0.1",
        "BROCHURE_SMTP_PORT": str(port),
        "BROCHURE_SMTP_USER": USER,
        "BROCHURE_SMTP_PASSWORD": PASSWORD,
        "BROCHURE_SMTP_CAFILE": str(pem),
    }.items():
        monkeypatch.setenv(name, value)
    yield inbox
    controller.stop()


@pytest.fixture
def dist(released, tmp_path) -> Path:
    """A copy of the release, with its own delivery log."""
    shutil.copytree(released.folder, tmp_path / "dist" / NAME)
    return tmp_path / "dist"


RECIPIENTS = (
    "email,language,name\n"
    "ana@example.org,es,Ana Pérez\n"
    "luc@example.org,fr,Luc Martin\n"
    "joana@example.org,pt,Joana Silva\n"
    "kim@example.org,,Kim Lee\n"
)


def _send(released, dist, csv, *extra) -> list[str]:
    return ["release", "--send", str(csv), "--rate", "0", *extra, *released.options(dist)]


def _received(inbox: _Inbox) -> dict[str, str]:
    return {m["To"].addresses[0].addr_spec: m["Content-Language"] for m in inbox.messages}


def test_each_recipient_gets_one_message_in_their_language(
    released, dist, smtp_server, tmp_path, capsys
):
    csv = _csv(tmp_path, RECIPIENTS)
    assert cli.main(_send(released, dist, csv)) == 0
    assert _received(smtp_server) == {
        "ana@example.org": "es",
        "luc@example.org": "fr",
        "joana@example.org": "en",
        "kim@example.org": "en",
    }
    assert len(smtp_server.messages) == 4
    luc = next(m for m in smtp_server.messages if m["Content-Language"] == "fr")
    assert str(luc["To"]) == "Luc Martin <luc@example.org>"
    assert luc["Subject"].startswith("Invitation\u202f: lancement")
    assert "X-Unsent" not in luc
    pdf = next(p for p in luc.iter_attachments() if p.get_content_type() == "application/pdf")
    assert pdf.get_content() == (dist / NAME / f"{SLUG}-fr.pdf").read_bytes()
    assert len({m["Message-ID"] for m in smtp_server.messages}) == 4
    # Run again: everyone has it, nobody gets it twice.
    assert cli.main(_send(released, dist, csv)) == 0
    assert len(smtp_server.messages) == 4
    output = capsys.readouterr()
    assert PASSWORD not in output.out + output.err
    assert PASSWORD not in (dist / f"{NAME}.deliveries.jsonl").read_text()


def test_a_dropped_connection_is_resumed_without_sending_anyone_twice(
    released, dist, smtp_server, tmp_path, capsys
):
    csv = _csv(tmp_path, RECIPIENTS)
    smtp_server.drop_at = 3
    assert cli.main(_send(released, dist, csv)) == 1
    err = capsys.readouterr().err
    assert "run the same command again" in err
    assert "Traceback" not in err
    first = _received(smtp_server)
    assert len(first) == 2
    smtp_server.drop_at = None
    assert cli.main(_send(released, dist, csv)) == 0
    addresses = [m["To"].addresses[0].addr_spec for m in smtp_server.messages]
    assert sorted(addresses) == sorted(set(addresses))  # nobody twice
    assert set(addresses) == {
        "ana@example.org",
        "luc@example.org",
        "joana@example.org",
        "kim@example.org",
    }


def test_a_refused_login_is_a_clear_error_and_sends_nothing(
    released, dist, smtp_server, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("BROCHURE_SMTP_PASSWORD", "wrong password")
    assert cli.main(_send(released, dist, _csv(tmp_path, RECIPIENTS))) == 1
    err = capsys.readouterr().err
    assert "refused the login of 'secretariat'" in err
    assert "BROCHURE_SMTP_PASSWORD" in err
    assert "wrong password" not in err
    assert "Traceback" not in err
    assert smtp_server.messages == []


def test_a_faulty_csv_is_reported_before_anything_is_sent(
    released, dist, smtp_server, tmp_path, capsys
):
    csv = _csv(tmp_path, RECIPIENTS + "luc@example.org,es,Luc again\nkim@,en,\n")
    assert cli.main(_send(released, dist, csv)) == 1
    err = capsys.readouterr().err
    assert f"{csv}:6: email: luc@example.org is already on line 3" in err
    assert f"{csv}:7: email: not an email address: 'kim@'" in err
    assert smtp_server.messages == []


def test_dry_run_says_who_gets_which_language_and_connects_to_nothing(
    released, dist, tmp_path, capsys, monkeypatch
):
    monkeypatch.delenv("BROCHURE_SMTP_PASSWORD", raising=False)
    csv = _csv(tmp_path, RECIPIENTS)
    assert cli.main(_send(released, dist, csv, "--dry-run")) == 0
    out = capsys.readouterr().out
    assert "line 2    es   ana@example.org" in out
    assert "line 4    en   joana@example.org  (pt is not published)" in out
    assert "would send 4 of 4 messages (en 2, es 1, fr 1)" in out
    assert not (dist / f"{NAME}.deliveries.jsonl").exists()


def test_a_message_for_a_recipient_keeps_the_draft_and_changes_only_its_envelope(released):
    data = (released.folder / "announcement" / f"{SLUG}-es.eml").read_bytes()
    when = dt.datetime(2021, 6, 10, 8, 0, tzinfo=dt.UTC)
    message = eml.for_recipient(data, "Ana Pérez <ana@example.org>", when)
    again = eml.for_recipient(data, "Ana Pérez <ana@example.org>", when)
    assert message["Message-ID"] == again["Message-ID"] != _message_from(data)["Message-ID"]
    assert message["Date"].datetime == when
    assert message["To"].addresses[0].display_name == "Ana Pérez"
    assert b"P=C3=A9rez" in message.as_bytes() or b"UMOpcmV6" in message.as_bytes()  # encoded


def _message_from(data: bytes) -> EmailMessage:
    return email.message_from_bytes(data, policy=default)


def test_a_message_a_killed_run_may_have_sent_is_not_sent_again(tmp_path):
    found = recipients.read(
        _csv(tmp_path, "email\nana@example.org\nluc@example.org\n"), ("en",), "en"
    )
    log = DeliveryLog(tmp_path / "deliveries.jsonl")
    log.record(found[0], "sending", "<a@example.org>")  # killed before the server answered
    log.record(found[1], "sending", "<b@example.org>")
    log.record(found[1], "sent", "<b@example.org>")
    # Nothing to send: no connection is even tried (nothing listens on port 9).
    outcomes = list(send(found, {}, Smtp("127.0.0.1", 9), log, per_minute=0))
    assert [(o.recipient.email, o.state) for o in outcomes] == [
        ("ana@example.org", "uncertain"),
        ("luc@example.org", "skipped"),
    ]


def test_a_release_refuses_a_language_that_would_fall_back_to_english(released, tmp_path, capsys):
    content_dir = tmp_path / "content"
    shutil.copytree(released.content, content_dir)
    manifest = content_dir / "brochure.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace("Dear colleagues,", "Dear members,"), encoding="utf-8")
    segments = i18n.entries(content.load(content_dir))
    line = next(e.where.line for e in segments if e.text == "Dear members,")
    dist = tmp_path / "dist"
    options = ["--content", str(content_dir), "--out", str(tmp_path / "build"), "--dist", str(dist)]
    assert cli.main(["release", "-q", *options]) == 1
    err = capsys.readouterr().err
    # The segment French and Spanish lack, by file and line; no folder, not even half of one.
    assert f"brochure.yaml:{line}: translation: 1 segment not translated into fr" in err
    assert f"brochure.yaml:{line}: translation: 1 segment not translated into es" in err
    assert not (dist / NAME).exists()


def test_messages_go_at_the_rate_asked(released, smtp_server, certificate_authority, tmp_path):
    ca, _pem = certificate_authority
    context = ssl.create_default_context()
    ca.configure_trust(context)
    port = int(os.environ["BROCHURE_SMTP_PORT"])
    smtp = Smtp("127.0.0.1", port, USER, PASSWORD, context=context)
    found = recipients.read(_csv(tmp_path, RECIPIENTS), ("en", "fr", "es"), "en")
    drafts = {
        lang: (released.folder / "announcement" / f"{SLUG}-{lang}.eml").read_bytes()
        for lang in ("en", "fr", "es")
    }
    pauses: list[float] = []
    log = DeliveryLog(tmp_path / "deliveries.jsonl")
    sent = list(send(found, drafts, smtp, log, per_minute=30, sleep=pauses.append))
    assert [o.state for o in sent] == ["sent"] * 4
    assert pauses == [2.0, 2.0, 2.0]  # 30 a minute: one every two seconds, none before the first
    assert len(smtp_server.messages) == 4
