"""The cache is never wrong: an edit rebuilds exactly the editions and pieces it touches, and
what it rebuilds is byte for byte what a `--force` build of the same sources writes."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from brochure import build, cli, content, parts
from brochure.options import BuildOptions

from .conftest import ROOT, SLUG, small_brochure

KEEP = ("guidelines/project-cycle.md", "case-studies/kisumu.md", "case-studies/hue.md")
KISUMU = "Until 2017 the hours of darkness were the most dangerous part of the working day."


class _Quiet:
    def step(self, _name, fn, *args):
        return fn(*args)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project's templates, styles and assets, to edit."""
    for folder in ("templates", "styles", "assets"):
        shutil.copytree(ROOT / folder, tmp_path / "project" / folder)
    return tmp_path / "project"


@pytest.fixture
def small(tmp_path: Path) -> Path:
    return small_brochure(tmp_path / "content", KEEP, languages=("fr",))


def _opts(small: Path, project: Path, out: Path, lang: str, **more) -> BuildOptions:
    return BuildOptions(content_dir=small, out_dir=out, lang=lang, project_dir=project, **more)


def _build(small, project, out, lang, warm=None, **more) -> build.Result:
    return build.build(_opts(small, project, out, lang, **more), _Quiet(), warm)


def _same_as_forced(small, project, out, lang, tmp_path) -> None:
    """The edition in `out` is what a --force build of the same sources writes elsewhere."""
    fresh = tmp_path / f"forced-{time.monotonic_ns()}"
    _build(small, project, fresh, lang, force=True)
    name = f"{SLUG}-{lang}.pdf"
    assert (out / name).read_bytes() == (fresh / name).read_bytes()
    handouts = sorted(p.name for p in (out / "handouts" / lang).iterdir())
    assert handouts == sorted(p.name for p in (fresh / "handouts" / lang).iterdir())
    for handout in handouts:
        kept = (out / "handouts" / lang / handout).read_bytes()
        assert kept == (fresh / "handouts" / lang / handout).read_bytes(), handout


def test_each_edit_rebuilds_exactly_the_editions_it_touches(small, project, tmp_path):
    out = tmp_path / "out"
    for lang in ("en", "fr"):
        assert not _build(small, project, out, lang).cached
    assert all(_build(small, project, out, lang).cached for lang in ("en", "fr"))

    # A translation: the French edition only.
    po = small / "locales" / "fr.po"
    text = po.read_text()
    start = text.index(f'msgid "{KISUMU[:30]}')
    po.write_text(text[:start] + text[start:].replace('msgstr "', 'msgstr "Désormais : ', 1))
    assert _build(small, project, out, "en").cached
    assert not _build(small, project, out, "fr").cached
    _same_as_forced(small, project, out, "fr", tmp_path)

    # A colour in a stylesheet, a replaced image, a template: both editions.
    edits = [
        lambda: _edit(
            project / "styles" / "brochure.css", "--berry: #B0306A;", "--berry: #A0205A;"
        ),
        lambda: _edit(small / "images" / "kisumu.svg", "</svg>", "<circle r='3'/></svg>"),
        lambda: _edit(
            project / "templates" / "parts" / "case-study.html",
            '<p class="case__place">',
            '<p class="case__place" data-edited="yes">',
        ),
    ]
    for edit in edits:
        edit()
        for lang in ("en", "fr"):
            assert not _build(small, project, out, lang).cached
            assert _build(small, project, out, lang).cached
        _same_as_forced(small, project, out, "en", tmp_path)


def test_a_warm_build_lays_out_exactly_the_pieces_an_edit_touched(small, project, tmp_path):
    """What `watch` keeps between builds: unchanged pieces are not laid out again."""
    out = tmp_path / "out"
    warm = build.Warm()
    first = _build(small, project, out, "en", warm)
    assert first.laid_out > 5  # every piece, at least once
    assert _build(small, project, out, "en", warm, force=True).laid_out == 0

    _edit(small / "case-studies" / "kisumu.md", KISUMU, KISUMU.replace("2017", "2016"))
    assert _build(small, project, out, "en", warm).laid_out == 1
    _same_as_forced(small, project, out, "en", tmp_path)

    _edit(small / "images" / "hue.svg", "</svg>", "<circle r='2'/></svg>")
    assert _build(small, project, out, "en", warm).laid_out == 1  # the image is Hue's alone
    _same_as_forced(small, project, out, "en", tmp_path)

    _edit(project / "templates" / "parts" / "case-study.html", "case__place", "case__place x")
    assert _build(small, project, out, "en", warm).laid_out == 2  # the two case studies
    _same_as_forced(small, project, out, "en", tmp_path)

    _edit(project / "styles" / "brochure.css", "--berry: #B0306A;", "--berry: #A0205A;")
    every = len(parts.pieces(content.load(small)))
    assert _build(small, project, out, "en", warm).laid_out == every  # a new typesetter
    _same_as_forced(small, project, out, "en", tmp_path)


def test_nothing_changed_is_answered_from_the_cache_in_a_fraction_of_a_second(tmp_path, capsys):
    content = small_brochure(tmp_path / "content", KEEP)
    args = ["build", "--content", str(content), "--out", str(tmp_path / "out")]
    assert cli.main(args) == 0
    before = (tmp_path / "out" / f"{SLUG}-en.pdf").read_bytes()
    capsys.readouterr()
    started = time.perf_counter()
    assert cli.main(args) == 0
    assert time.perf_counter() - started < 0.5
    assert "is up to date" in capsys.readouterr().err
    assert (tmp_path / "out" / f"{SLUG}-en.pdf").read_bytes() == before
    assert cli.main([*args, "--force", "-q"]) == 0
    assert "is up to date" not in capsys.readouterr().err


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
