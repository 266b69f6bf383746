"""preview: `watch` and `watch --serve`. A save gives the edited part's preview, then the
edition; a broken save keeps the last good PDF and says where the mistake is; the preview page,
in a real headless Chromium, shows the pages, reloads by itself after a save and shows the
errors with file and line.

The loop is driven directly: with a fake event source (a generator that saves a file) for the
quick cases, and with watchfiles' real events for a session kept running across this module's
last tests, on a cut-down copy of the sample (one guideline, one tool, two case studies) so that
a full build takes seconds.
"""

from __future__ import annotations

import http.client
import io
import json
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
import pytest

from brochure import cli, commands
from brochure.console import Progress
from brochure.errors import Location, Problem
from brochure.options import BuildOptions
from brochure.preview import Board, Pages, Server, Session, State, file_events, server, watcher
from brochure.preview.pages import Shelf

from .conftest import CONTENT, ROOT, SLUG, ContentCopy, small_brochure

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
KEEP = (
    "guidelines/project-cycle.md",
    "tools/gender-checklist.md",
    "case-studies/kisumu.md",
    "case-studies/hue.md",
)
KISUMU = "case-studies/kisumu.md"
PREVIEW = re.compile(r"^  preview (\S+)  (\d+\.\d\d) s  (.+)$", re.M)
EDITION = re.compile(r"^  edition (\d+\.\d\d) s  (.+) \((\d+) pages\)$", re.M)


# The loop, with a fake event source --------------------------------------------------------------


def test_a_broken_save_keeps_the_last_good_pdf_and_says_where(sample_copy: ContentCopy):
    previous = sample_copy.previous_pdf()
    lines, board = Lines(), Board()
    opts = BuildOptions(content_dir=sample_copy.content, out_dir=sample_copy.out)

    def saves() -> Iterator[set[Path]]:
        sample_copy.edit(KISUMU, "start: 2017-03", "start: March 2017")
        yield {sample_copy.content / KISUMU}

    Session(opts, Progress(lines, quiet=True), board, None, lines).run(saves(), first=False)
    line = _line(sample_copy.content / KISUMU, "start: March 2017")
    assert f"{KISUMU}:{line}: period.start: expected a month like 2019-03" in lines.text
    assert "The last good PDF was left as it was." in lines.text
    assert not PREVIEW.search(lines.text)
    assert not EDITION.search(lines.text)
    assert previous.read_bytes() == b"%PDF-1.7 the last good PDF\n"
    state = board.state
    assert state.failed
    assert not state.building
    assert [(p.where.line, p.field) for p in state.problems] == [(line, "period.start")]


def test_a_busy_output_folder_is_one_line_and_the_loop_waits(sample_copy: ContentCopy):
    lines, board = Lines(), Board()
    opts = BuildOptions(content_dir=sample_copy.content, out_dir=sample_copy.out)
    sample_copy.out.mkdir()

    def saves() -> Iterator[set[Path]]:
        sample_copy.edit(KISUMU, "## Context\n", "## Context\n\nOne more sentence.\n")
        yield {sample_copy.content / KISUMU}

    with _held(sample_copy.out) as pid:
        Session(opts, Progress(lines, quiet=True), board, None, lines).run(saves(), first=False)
    errors = [line for line in lines.text.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: another build is running in {sample_copy.out}/ (pid {pid}); wait for it or "
        "use --out"
    ]
    assert not EDITION.search(lines.text)
    assert board.state.error == errors[0].removeprefix("error: ")


def test_ctrl_c_stops_watch_with_130(sample_copy: ContentCopy, monkeypatch, capsys):
    sample_copy.edit(KISUMU, "start: 2017-03", "start: March 2017")  # a first build that is quick

    def interrupted(_opts):
        raise KeyboardInterrupt
        yield  # a generator, as file_events is

    monkeypatch.setattr(watcher, "file_events", interrupted)
    assert cli.main(["watch", *sample_copy.options()]) == 130
    err = capsys.readouterr().err
    assert err.rstrip().endswith("interrupted")
    assert f"{KISUMU}:" in err


def test_a_taken_port_is_one_line_before_anything_is_built(sample_copy: ContentCopy, capsys):
    with socket.socket() as taken:
        taken.bind((server.HOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = cli.main(["serve", "--port", str(port), *sample_copy.options()])
    assert code == 1
    assert capsys.readouterr().err == (
        f"error: port {port} on 127.0.0.1 is taken; choose another with --port\n"
    )
    assert not sample_copy.out.exists()


@pytest.mark.parametrize(
    ("argv", "port"),
    [
        (["watch"], None),
        (["watch", "--serve"], cli.PORT),
        (["watch", "--serve", "--port", "9001"], 9001),
        (["serve"], cli.PORT),
        (["serve", "--port", "0"], 0),
    ],
)
def test_watch_serves_only_when_asked(argv, port, monkeypatch):
    called = []
    monkeypatch.setattr(commands, "watch", lambda opts, log, port: called.append(port) or 0)
    assert cli.main([*argv, "--content", str(CONTENT), "-q"]) == 0
    assert called == [port]


def test_a_port_is_a_number(capsys):
    assert cli.main(["serve", "--port", "http"]) == 2
    assert "expected a port number from 0 to 65535" in capsys.readouterr().err


# The server, with a PDF of its own ----------------------------------------------------------------


def test_the_server_answers_on_loopback_with_the_preview_area_only(tmp_path: Path):
    out = tmp_path / "build"
    pdf = tmp_path / "part.pdf"
    _two_pages(pdf)
    (out / "secret.txt").parent.mkdir(parents=True)
    (out / "secret.txt").write_text("not for the page")
    board = Board()
    shelf = Shelf(out, board.session)
    pages = shelf.put("part", "kisumu", pdf, 2, 0.25)
    board.publish(part=pages)
    serving = Server(board, shelf, 0).start()
    try:
        assert serving.url == f"http://127.0.0.1:{serving.port}/"
        status, page = _get(serving.port, "/")
        assert status == 200
        assert f'src="/pages/{pages.key}/page-1.png"' in page.decode()
        status, png = _get(serving.port, f"/pages/{pages.key}/page-2.png")
        assert status == 200
        assert png.startswith(b"\x89PNG")
        assert (out / "preview" / "pages" / pages.key / "page-2.png").is_file()
        status, kept = _get(serving.port, f"/pages/{pages.key}/part.pdf")
        assert (status, kept) == (200, pdf.read_bytes())
        for path in (
            f"/pages/{pages.key}/page-3.png",
            f"/pages/{pages.key}/edition.pdf",
            f"/pages/{pages.key}/../../secret.txt",
            "/pages/../../secret.txt",
            "/secret.txt",
            "/etc/passwd",
            f"/pages/{pages.key}/%2e%2e/%2e%2e/secret.txt",
        ):
            status, body = _get(serving.port, path)
            assert status == 404, path
            assert b"not for the page" not in body
        assert _get(serving.port, "/", host="preview.example.com")[0] == 403
        assert json.loads(_get(serving.port, "/state.json")[1])["part"]["name"] == "kisumu"
    finally:
        serving.close()
        shelf.close()
    assert not (out / "preview").exists()
    assert (out / "secret.txt").exists()


def test_the_page_shows_problems_located_and_escaped():
    problem = Problem(Location("content/case-studies/kisumu.md", 14), "title", "x", "<b>bad</b>")
    warning = Problem(Location("content/foreword.md", 3), "", "y", "a & b", "warning")
    failed = server.page(State(version="v-2", problems=(problem,), warnings=(warning,)))
    assert '<code class="where">content/case-studies/kisumu.md:14</code>' in failed
    assert "&lt;b&gt;bad&lt;/b&gt;" in failed
    assert "<b>bad" not in failed
    assert "<img" not in failed
    assert 'data-version="v-2"' in failed
    busy = server.page(State(error="another build is running in build/ (pid 7)"))
    assert "another build is running in build/ (pid 7)" in busy
    edition = Pages("k-edition-1", "edition", "x.pdf", 3, (595.0, 842.0), 1.5, "build/x.pdf")
    shown = server.page(State(edition=edition, warnings=(warning,)))
    assert shown.count('<img src="/pages/k-edition-1/page-') == 3
    assert "content/foreword.md:3</code> a &amp; b" in shown


def test_the_event_stream_tells_each_new_state(tmp_path: Path):
    board = Board()
    shelf = Shelf(tmp_path, board.session)
    serving = Server(board, shelf, 0).start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", serving.port, timeout=10)
        connection.request("GET", "/events")
        response = connection.getresponse()
        assert response.getheader("Content-Type") == "text/event-stream"
        first = _event(response)
        assert first == {"version": board.state.version, "building": False}
        board.building(True)
        assert _event(response) == {"version": first["version"], "building": True}
        board.publish(building=False)
        assert _event(response) == {"version": board.state.version, "building": False}
        assert board.state.version != first["version"]
        connection.close()
    finally:
        serving.close()
        shelf.close()


# A running session: real file-system events, the preview page ----------------------------------


@dataclass
class Running:
    copy: ContentCopy
    board: Board
    lines: Lines
    server: Server
    thread: threading.Thread

    def wait(self, condition: Callable[[], object], what: str, timeout: float = 180) -> None:
        """Wait until `condition()` is true; fail with what watch printed if it never is."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            if not self.thread.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"{what}: not seen; watch printed:\n{self.lines.text}")

    def built(self, after: int) -> tuple[re.Match, re.Match | None]:
        """The edition line printed after offset `after`, and the preview line before it."""
        self.wait(lambda: EDITION.search(self.lines.text, after), "an edition line")
        edition = EDITION.search(self.lines.text, after)
        assert edition is not None
        return edition, PREVIEW.search(self.lines.text, after, edition.start())


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """`watch --serve` on a small copy of the sample, in a thread, its first build done."""
    root = tmp_path_factory.mktemp("watch")
    copy = ContentCopy(_small(root / "content"), root / "build")
    opts = BuildOptions(content_dir=copy.content, out_dir=copy.out)
    lines, board, stop = Lines(), Board(), threading.Event()
    shelf = Shelf(copy.out, board.session)
    serving = Server(board, shelf, 0).start()
    session = Session(opts, Progress(lines, quiet=True), board, shelf, lines)
    thread = threading.Thread(target=session.run, args=(file_events(opts, stop),), daemon=True)
    thread.start()
    started = Running(copy, board, lines, serving, thread)
    started.wait(lambda: board.state.edition is not None, "the first build")
    yield started
    stop.set()
    thread.join(timeout=60)
    serving.close()
    shelf.close()
    assert not thread.is_alive()


def test_a_save_writes_the_part_s_preview_then_the_edition(running: Running):
    after = len(running.lines.text)
    before = running.board.state
    _append(running.copy, KISUMU, "A sentence saved while watching.")
    edition, preview = running.built(after)
    assert preview is not None, running.lines.text
    doc, seconds, path = preview.groups()
    assert doc == "kisumu"
    assert float(seconds) < 30
    assert Path(path) == running.copy.out / "preview" / "kisumu.pdf"
    assert "Asentencesavedwhilewatching." in _text(Path(path))
    pdf = Path(edition[2])
    assert pdf == running.copy.out / f"{SLUG}-en.pdf"
    assert int(edition[3]) == len(pypdf.PdfReader(pdf).pages)
    assert "Asentencesavedwhilewatching." in _text(pdf)
    state = running.board.state
    assert state.part is not None
    assert state.part.name == "kisumu"
    assert state.edition is not None
    assert before.edition is not None
    assert state.edition.key != before.edition.key
    assert not state.building
    assert not state.failed


def test_the_page_shows_the_pages_reloads_itself_and_shows_errors(running: Running, tmp_path: Path):
    browser = _chromium(tmp_path)
    try:
        browser.get(running.server.url)
        _shows_pages(running, browser)
        browser.save_screenshot(str(tmp_path / "1-pages.png"))

        # A save: the page reloads by itself and shows the part and the new edition.
        browser.execute_script("window.notReloaded = true")
        before = running.board.state
        after = len(running.lines.text)
        _append(running.copy, KISUMU, "Another sentence, for the browser.")
        running.built(after)
        _shows_pages(running, browser)
        assert browser.execute_script("return window.notReloaded === undefined")
        state = running.board.state
        assert state.part is not None
        assert state.edition is not None
        assert before.edition is not None
        assert state.edition.key != before.edition.key
        part = browser.find_element("css selector", "#part")
        assert "kisumu" in part.find_element("css selector", "h2").text
        sources = [i.get_attribute("src") for i in part.find_elements("css selector", "img")]
        assert sources
        assert all(f"/pages/{state.part.key}/page-" in src for src in sources)
        browser.save_screenshot(str(tmp_path / "2-after-a-save.png"))
        browser.execute_script("document.getElementById('edition').scrollIntoView()")
        running.wait(lambda: _loaded(browser, "#edition img", 8), "the edition's thumbnails")
        browser.save_screenshot(str(tmp_path / "3-the-edition.png"))

        # A broken save: the errors with file:line instead of the pages; the PDF stays.
        pdf = running.copy.out / f"{SLUG}-en.pdf"
        good = pdf.read_bytes()
        running.copy.edit(KISUMU, "start: 2017-03", "start: March 2017")
        line = _line(running.copy.content / KISUMU, "start: March 2017")
        running.wait(lambda: running.board.state.failed, "the failed build")
        running.wait(
            lambda: _version(browser) == running.board.state.version, "the page of the failure"
        )
        errors = browser.find_element("css selector", "#errors").text
        assert f"{KISUMU}:{line}" in errors
        assert "period.start: expected a month like 2019-03, got 'March 2017'" in errors
        assert browser.find_elements("css selector", "img") == []
        assert pdf.read_bytes() == good
        browser.save_screenshot(str(tmp_path / "4-errors.png"))

        # Fixed: the pages are back.
        running.copy.edit(KISUMU, "start: March 2017", "start: 2017-03")
        running.wait(lambda: not running.board.state.failed, "the fixed build")
        running.wait(lambda: not running.board.state.building, "the end of the build")
        _shows_pages(running, browser)
    finally:
        browser.quit()


# Helpers ----------------------------------------------------------------------------------------


class Lines(io.TextIOBase):
    """A stream the watch loop prints to, read by the test while the loop runs."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            self._parts.append(text)
        return len(text)

    def writable(self) -> bool:
        return True

    @property
    def text(self) -> str:
        with self._lock:
            return "".join(self._parts)


def _small(folder: Path) -> Path:
    """The sample cut down to one guideline, one tool and two case studies, in English only
    (as tests/test_outputs.py makes it): a build of a few seconds."""
    return small_brochure(folder, KEEP)


def _append(copy: ContentCopy, relative: str, sentence: str) -> None:
    """Add a sentence to the first paragraph of the document's Context section."""
    text = copy.read(relative)
    start = text.index("## Context")
    end = text.index("\n\n", text.index("\n\n", start) + 2)
    copy.write(relative, f"{text[:end]} {sentence}{text[end:]}")


def _line(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if text in line)


def _text(pdf: Path) -> str:
    """The PDF's text without spaces, line breaks or hyphens (a hyphenated word is whole)."""
    text = "".join(page.extract_text() for page in pypdf.PdfReader(pdf).pages)
    return re.sub(r"[\s\-\u00ad\u2010]", "", text)


def _two_pages(path: Path) -> None:
    document = pdfium.PdfDocument.new()
    document.new_page(595, 842)
    document.new_page(595, 842)
    document.save(path)
    document.close()


def _get(port: int, path: str, host: str | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {"Host": host} if host else {}
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _event(response: http.client.HTTPResponse) -> dict[str, object]:
    """The next `state` event's data on an event stream."""
    kind = None
    while True:
        line = response.fp.readline().decode().rstrip("\n")
        if line.startswith("event: "):
            kind = line.removeprefix("event: ")
        elif line.startswith("data: ") and kind == "state":
            return json.loads(line.removeprefix("data: "))


class _held:
    """The output folder's lock, held by another process (as tests/test_outputs.py does)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def __enter__(self) -> int:
        code = (
            "import sys; from pathlib import Path; from brochure import outputs\n"
            "with outputs.lock(Path(sys.argv[1])):\n"
            "    print('held', flush=True); sys.stdin.read()\n"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, str(self.folder)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "held"
        return self.process.pid

    def __exit__(self, *exc: object) -> None:
        self.process.communicate("")


# The browser ------------------------------------------------------------------------------------


def _chromium(tmp_path: Path):
    """Debian's Chromium under its ChromeDriver, headless, with a fresh profile (skips if the
    machine has neither: `scripts/system-deps.sh --browser` installs them)."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.skip(f"no {' and no '.join(missing)} (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1280,1000",
    ):
        options.add_argument(argument)
    browser = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    browser.set_page_load_timeout(60)
    return browser


def _version(browser) -> str | None:
    try:
        return browser.execute_script("return document.body && document.body.dataset.version")
    except Exception:  # the page is reloading
        return None


def _shows_pages(running: Running, browser) -> None:
    """The page shows the board's current state, its first pages loaded."""
    running.wait(lambda: not running.board.state.building, "the end of the build")
    running.wait(lambda: _version(browser) == running.board.state.version, "the current page")
    running.wait(lambda: _loaded(browser, "#edition img", 2), "the edition's pages")
    assert browser.find_elements("css selector", "#errors") == []
    if running.board.state.part is not None:
        running.wait(lambda: _loaded(browser, "#part img", 2), "the part's pages")


def _loaded(browser, selector: str, first: int) -> bool:
    """The first `first` images `selector` finds (at least one) are loaded and not broken."""
    script = (
        "const images = [...document.querySelectorAll(arguments[0])].slice(0, arguments[1]);"
        "return images.length > 0 && images.every(i => i.complete && i.naturalWidth > 0)"
    )
    try:
        return browser.execute_script(script, selector, first)
    except Exception:  # the page is reloading
        return False
