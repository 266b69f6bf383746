"""Bad and hostile inputs, each caught at its source with its file, line and field.

Each case is one small fixture (tests/corpus/, or an edit of a sample file written here), put
into a copy of the sample. `check --quick` must name the problem in about a second, before any
typesetting, with the right exit code and no traceback.
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import struct
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PIL import Image as PILImage

from brochure import build, cli, content
from brochure.errors import BrochureError

from .conftest import CONTENT, ROOT, ContentCopy

CORPUS = Path(__file__).resolve().parent / "corpus"
KISUMU = "case-studies/kisumu.md"
APPROACH = "## Approach\n\n"


@dataclass(frozen=True)
class Expect:
    """A problem as the user reads it: which file, on the line holding `needle`, which field."""

    file: str  # relative to the content folder (or "styles/x.css", "templates/x.html")
    needle: str | int  # text on the line, or the line number
    field: str
    kind: str
    severity: str = "error"


@dataclass(frozen=True)
class Case:
    name: str
    apply: Callable[[ContentCopy], None]
    expect: tuple[Expect, ...]
    exit_code: int = 1
    words: tuple[str, ...] = field(default=())  # in the message, for the plain-words cases


def _insert(text: str, where: str = APPROACH, file: str = KISUMU):
    def apply(copy: ContentCopy) -> None:
        copy.edit(file, where, where + text + "\n\n")

    return apply


def _replace(old: str, new: str, file: str = KISUMU):
    return lambda copy: copy.edit(file, old, new)


def _fixture(name: str, target: str = KISUMU):
    return lambda copy: shutil.copy(CORPUS / name, copy.content / target)


def _symlinked_image(copy: ContentCopy) -> None:
    os.symlink("/etc/hosts", copy.content / "images" / "hosts.png")
    _insert("![The market at night](images/hosts.png)")(copy)


def _orphan(copy: ContentCopy) -> None:
    text = copy.read(KISUMU).replace("id: kisumu\n", "id: kisumu-two\n")
    copy.write("case-studies/kisumu-two.md", text)


def _nested(copy: ContentCopy) -> None:
    deep = "key_figures: " + "[" * 40 + "]" * 40 + "\n"
    copy.edit(KISUMU, "key_figures:\n", deep + "key_figure:\n")


def _huge(copy: ContentCopy) -> None:
    copy.edit(KISUMU, "summary: >-\n", "summary: >-\n  " + "word " * 130_000 + "\n")


def _png_claiming(width: int, height: int) -> bytes:
    """A few hundred bytes whose header claims a huge image (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def _image(name: str, data: bytes, markdown: str | None = None):
    """Put an image file into the sample and name it from the Kisumu case study."""

    def apply(copy: ContentCopy) -> None:
        (copy.content / "images" / name).write_bytes(data)
        if markdown is None:
            copy.edit(KISUMU, "src: images/kisumu.svg", f"src: images/{name}")
        else:
            _insert(markdown)(copy)

    return apply


def _truncated_jpeg() -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (120, 80), "teal").save(buffer, "JPEG")
    return buffer.getvalue()[:-200]


CASES = [
    # 4. Images judged from their bytes before anything decodes them.
    Case(
        "image-400-megapixels",
        _image("bomb.png", _png_claiming(20_000, 20_000)),
        (Expect(KISUMU, "src: images/bomb.png", "image.src", "too-many-pixels"),),
    ),
    Case(
        "image-truncated-jpeg",
        _image("cut.jpg", _truncated_jpeg(), "![The market at dusk](images/cut.jpg)"),
        (Expect(KISUMU, "images/cut.jpg", "body", "truncated-image"),),
    ),
    Case(
        "image-not-an-image",
        _image("notes.png", b"Meeting notes, not a picture.\n"),
        (Expect(KISUMU, "src: images/notes.png", "image.src", "unsupported-image"),),
    ),
    Case(
        "image-svg-entity-bomb",
        _image(
            "laughs.svg",
            b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;">]>'
            b'<svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>',
            "![A chart](images/laughs.svg)",
        ),
        (Expect(KISUMU, "images/laughs.svg", "body", "svg-entities"),),
    ),
    Case(
        "image-svg-remote-reference",
        _image(
            "remote.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
            b'<image xlink:href="https://tracker.example/pixel.png" width="1" height="1"/></svg>',
            "![A chart](images/remote.svg)",
        ),
        (Expect(KISUMU, "images/remote.svg", "body", "remote-reference"),),
    ),
    Case(
        "image-data-url-bomb",
        _insert(
            "![A tiny chart](data:image/png;base64,"
            + base64.b64encode(_png_claiming(20_000, 20_000)).decode()
            + ")"
        ),
        (Expect(KISUMU, "data:image/png", "body", "too-many-pixels"),),
    ),
    # 1. Every URL and path in the sources, judged at load by one rule.
    Case(
        "body-image-missing",
        _insert("![A map of the market](images/no-such-map.png)"),
        (Expect(KISUMU, "no-such-map", "body", "missing-image"),),
    ),
    Case(
        "body-image-remote",
        _insert("![A map](https://example.com/map.png)"),
        (Expect(KISUMU, "example.com", "body", "bad-image-source"),),
    ),
    Case(
        "body-image-file-url",
        _insert("![A map](file:///etc/hosts)"),
        (Expect(KISUMU, "file:///etc/hosts", "body", "bad-image-source"),),
    ),
    Case(
        "body-image-outside-content",
        _insert("![A map](../../../../etc/hosts)"),
        (Expect(KISUMU, "etc/hosts", "body", "outside-content"),),
    ),
    Case(
        "body-image-symlink-out",
        _symlinked_image,
        (Expect(KISUMU, "hosts.png", "body", "outside-content"),),
    ),
    Case(
        "body-image-without-alt",
        _insert("![](images/kisumu.svg)"),
        (Expect(KISUMU, "![](images/kisumu.svg)", "body", "missing-alt"),),
    ),
    Case(
        "front-matter-image-remote",
        _replace("src: images/kisumu.svg", "src: https://example.com/kisumu.svg"),
        (Expect(KISUMU, "src: https", "image.src", "bad-image-source"),),
    ),
    Case(
        "link-file-url",
        _insert("See [the notes](file:///etc/passwd)."),
        (Expect(KISUMU, "file:///etc/passwd", "body", "bad-link"),),
    ),
    Case(
        "link-javascript",
        _insert("[Click here](javascript:alert(1)) to vote."),
        (Expect(KISUMU, "javascript:", "body", "bad-link"),),
    ),
    Case(
        "link-relative-path",
        _insert("See [the page](evil.example/page)."),
        (Expect(KISUMU, "evil.example", "body", "bad-link"),),
    ),
    Case(
        "link-to-no-such-id",
        _insert("See [the audit](#safety-audti)."),
        (Expect(KISUMU, "safety-audti", "body", "broken-link"),),
        words=("did you mean '#safety-audit'?",),
    ),
    # 2. What used to crash.
    Case(
        "manifest-unknown-language",
        _replace("languages: [en, fr, es, pt, ar]", "languages: [en, fr, xx]", "brochure.yaml"),
        (Expect("brochure.yaml", "languages:", "languages[2]", "bad-language"),),
    ),
    Case(
        "manifest-latin-1",
        lambda copy: (copy.content / "brochure.yaml").write_bytes(
            copy.read("brochure.yaml").replace("Level\n", "Level, Café\n", 1).encode("latin-1")
        ),
        (Expect("brochure.yaml", 4, "", "not-utf8"),),
        words=("column 69",),
    ),
    Case(
        "front-matter-latin-1",
        _fixture("latin1-front-matter.bin"),
        (Expect(KISUMU, 3, "", "not-utf8"),),
    ),
    # 3. What used to be silently wrong.
    Case(
        "leading-zero-number",
        _replace("  - value: 140\n", "  - value: 0140\n"),
        (Expect(KISUMU, "value: 0140", "key_figures[0].value", "not-a-number"),),
        words=("write 140",),
    ),
    Case(
        "country-named-not-coded",
        _replace("country: KE", "country: Kenya"),
        (Expect(KISUMU, "country: Kenya", "place.country", "bad-country"),),
        words=("did you mean KE?",),
    ),
    Case(
        "orphan-case-study",
        _orphan,
        (Expect("case-studies/kisumu-two.md", 1, "", "not-listed", "warning"),),
        exit_code=0,
    ),
    Case(
        "right-to-left-override",
        _replace("Women traders and county", "Women traders \u202eand county"),
        (Expect(KISUMU, "summary:", "summary", "bidi-override", "warning"),),
        exit_code=0,
    ),
    # 4. Resource exhaustion, refused before anything is built.
    Case(
        "yaml-alias-bomb",
        _fixture("alias-bomb.md"),
        (Expect(KISUMU, "title: &a", "", "bad-yaml"),),
        words=("anchors and aliases",),
    ),
    Case(
        "yaml-deep-nesting",
        _nested,
        (Expect(KISUMU, "key_figures: [[", "", "bad-yaml"),),
        words=("nested more than",),
    ),
    Case("yaml-huge", _huge, (Expect(KISUMU, 2, "", "too-large"),)),
    # 7. Messages in plain words, with both ends of what was left open.
    Case(
        "yaml-unclosed-list",
        _fixture("unclosed-list.md"),
        (Expect(KISUMU, "sdgs:", "", "bad-yaml"),),
        words=("list in [brackets] is not closed", "opened at line 4"),
    ),
    Case(
        "alt-missing-with-other-errors",
        lambda copy: (
            _replace("  start: 2017-03", "  start: March 2017")(copy),
            _replace(
                "  alt: Women traders at fruit, vegetable and fish stalls under new solar "
                "street lights as dusk falls over a lakeside market\n",
                "",
            )(copy),
        ),
        (
            Expect(KISUMU, "start: March", "period.start", "bad-month"),
            Expect(KISUMU, "image:", "image.alt", "missing"),
        ),
    ),
]


def _copy(tmp_path: Path) -> ContentCopy:
    """The sample without its catalogs (they are checked elsewhere): a faster check."""
    shutil.copytree(CONTENT, tmp_path / "content", ignore=shutil.ignore_patterns("locales"))
    copy = ContentCopy(tmp_path / "content", tmp_path / "build")
    copy.edit("brochure.yaml", "languages: [en, fr, es, pt, ar]", "languages: [en]")
    copy.edit("brochure.yaml", "drafts: [pt, ar]", "drafts: []")
    return copy


def _line(copy: ContentCopy, expect: Expect) -> int:
    if isinstance(expect.needle, int):
        return expect.needle
    text = (copy.content / expect.file).read_text(encoding="utf-8", errors="replace")
    return next(i for i, line in enumerate(text.splitlines(), 1) if expect.needle in line)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_a_bad_input_is_named_where_it_is_written(tmp_path, capsys, case):
    copy = _copy(tmp_path)
    if case.name == "manifest-unknown-language":
        copy.edit("brochure.yaml", "languages: [en]", "languages: [en, fr, es, pt, ar]")
        copy.edit("brochure.yaml", "drafts: []", "drafts: [pt, ar]")
    case.apply(copy)
    started = time.perf_counter()
    code = cli.main(["check", "--quick", "--format", "json", "--content", str(copy.content)])
    seconds = time.perf_counter() - started
    report = json.loads(capsys.readouterr().out)
    assert code == case.exit_code, report
    found = report["errors"] + report["warnings"]
    for expect in case.expect:
        where = [p for p in found if p["path"] == str(copy.content / expect.file)]
        match = [
            p
            for p in where
            if (p["line"], p["field"], p["kind"])
            == (_line(copy, expect), expect.field, expect.kind)
        ]
        assert match, (expect, where)
        assert match[0] in report["errors" if expect.severity == "error" else "warnings"]
    for word in case.words:
        assert any(word in p["message"] for p in found), (word, found)
    assert seconds < 5


def test_a_file_the_manifest_does_not_list_fails_a_strict_build(tmp_path, capsys):
    copy = _copy(tmp_path)
    _orphan(copy)
    previous = copy.previous_pdf()
    assert cli.main(["build", "--strict", *copy.options()]) == 1
    assert "kisumu-two.md:1: this file is not in the brochure" in capsys.readouterr().err
    assert previous.read_bytes() == b"%PDF-1.7 the last good PDF\n"


def test_yaml_keeps_what_the_author_typed(tmp_path):
    """Norway's code is not False, and a leading zero is not an octal number."""
    copy = _copy(tmp_path)
    copy.edit(KISUMU, "country: KE", "country: NO")
    kisumu = next(s for s in content.load(copy.content).case_studies if s.id == "kisumu")
    assert kisumu.place.country == "NO"


def test_an_unknown_language_or_variant_on_the_command_line_is_a_usage_error(tmp_path, capsys):
    copy = _copy(tmp_path)
    assert cli.main(["build", "--lang", "xx", *copy.options()]) == 2
    assert "error: 'xx' is not one of the manifest's languages" in capsys.readouterr().err
    assert cli.main(["build", "--variant", "poster", *copy.options()]) == 2
    assert "'poster' is not one of the manifest's variants" in capsys.readouterr().err


# --- The project's own files: stylesheets and templates ----------------------------------


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of the project's templates, styles and assets, to break on purpose."""
    for folder in ("templates", "styles", "assets"):
        shutil.copytree(ROOT / folder, tmp_path / "project" / folder)
    return tmp_path / "project"


class _Quiet:
    def step(self, _name, fn, *args):
        return fn(*args)


def _problems(call) -> list:
    with pytest.raises(BrochureError) as caught:
        call()
    return list(caught.value.problems)


@pytest.mark.parametrize(
    ("sheet", "expected"),
    [
        ("hostile.css", [(2, "bad-url"), (3, "bad-url"), (4, "bad-url")]),
        ("broken.css", [(2, "bad-css"), (3, "bad-css")]),
    ],
)
def test_a_hostile_or_broken_stylesheet_is_refused_with_its_line(
    tmp_path, project, sheet, expected
):
    copy = _copy(tmp_path)
    shutil.copy(CORPUS / sheet, project / "styles" / "extra.css")
    copy.edit("brochure.yaml", "    bleed: true", "    stylesheets: [extra.css]\n    bleed: true")
    opts = build.BuildOptions(
        content_dir=copy.content, out_dir=copy.out, project_dir=project, variant="print"
    )
    started = time.perf_counter()
    problems = _problems(lambda: build.check(opts, _Quiet(), quick=True))
    assert time.perf_counter() - started < 5  # found before any typesetting
    found = [(p.where.line, p.kind) for p in problems if p.where.path.endswith("extra.css")]
    assert found == expected


def test_a_template_error_is_named_at_its_template_line(tmp_path, project):
    copy = _copy(tmp_path)
    opts = build.BuildOptions(content_dir=copy.content, out_dir=copy.out, project_dir=project)
    template = project / "templates" / "parts" / "case-study.html"
    original = template.read_text()
    lines = original.splitlines()
    at = next(i for i, line in enumerate(lines) if "case__title" in line)
    lines[at] = lines[at].replace("}}", "}", 1)  # an expression left open
    template.write_text("\n".join(lines))
    (problem,) = _problems(lambda: build.build(opts, _Quiet()))
    assert (problem.where.path, problem.kind) == (
        "templates/parts/case-study.html",
        "template-syntax",
    )
    assert problem.where.line == at + 1
    lines[at] = original.splitlines()[at].replace("study.title", "study.no_such_field")
    template.write_text("\n".join(lines))
    (problem,) = _problems(lambda: build.build(opts, _Quiet()))
    assert (problem.where.path, problem.kind) == (
        "templates/parts/case-study.html",
        "template-error",
    )
    assert problem.where.line == at + 1
    assert "no_such_field" in problem.message
