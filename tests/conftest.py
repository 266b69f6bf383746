"""Shared fixtures: the sample brochure built once per test run, and throwaway content copies."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from brochure import cli

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
BAD = Path(__file__).resolve().parent / "bad"
SLUG = "gender-equality-local-level"


@pytest.fixture(scope="session")
def sample_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample built through the command line, as a user runs it."""
    out = tmp_path_factory.mktemp("build")
    assert (
        cli.main(["build", "--content", str(CONTENT), "--out", str(out), "--quiet", "--html"]) == 0
    )
    return out / f"{SLUG}-en.pdf"


@dataclass
class ContentCopy:
    """A copy of the sample content in a temporary folder, to break on purpose."""

    content: Path
    out: Path

    def write(self, relative: str, text: str) -> Path:
        path = self.content / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def read(self, relative: str) -> str:
        return (self.content / relative).read_text(encoding="utf-8")

    def edit(self, relative: str, old: str, new: str) -> None:
        text = self.read(relative)
        assert old in text, f"{old!r} not in {relative}"
        self.write(relative, text.replace(old, new, 1))

    def replace_case_study(self, fixture: Path, name: str = "kisumu") -> None:
        """Put a broken case study from tests/bad/ in place of a real one."""
        shutil.copy(fixture, self.content / "case-studies" / f"{name}.md")

    def options(self) -> list[str]:
        """The command-line options that point a build at this copy."""
        return ["--content", str(self.content), "--out", str(self.out)]

    def previous_pdf(self) -> Path:
        """A stand-in for the last good PDF, to check that a failed build leaves it alone."""
        self.out.mkdir(parents=True, exist_ok=True)
        path = self.out / f"{SLUG}-en.pdf"
        path.write_bytes(b"%PDF-1.7 the last good PDF\n")
        return path


@pytest.fixture
def sample_copy(tmp_path: Path) -> ContentCopy:
    shutil.copytree(CONTENT, tmp_path / "content")
    return ContentCopy(tmp_path / "content", tmp_path / "build")


def _edition(sample_pdf: Path, lang: str) -> Path:
    """A translated edition, built into the same folder after the English (for the layout
    report, which compares with the English)."""
    out = sample_pdf.parent
    code = cli.main(["build", "--lang", lang, "--content", str(CONTENT), "--out", str(out), "-q"])
    assert code == 0
    return out / f"{SLUG}-{lang}.pdf"


@pytest.fixture(scope="session")
def french_pdf(sample_pdf: Path) -> Path:
    return _edition(sample_pdf, "fr")


@pytest.fixture(scope="session")
def spanish_pdf(sample_pdf: Path) -> Path:
    return _edition(sample_pdf, "es")


def small_brochure(folder: Path, keep: tuple[str, ...], languages: tuple[str, ...] = ()) -> Path:
    """The sample cut down to the files in `keep`, in the source language and `languages`:
    the other files removed and links to them left as plain text (catalogs kept as they are,
    so their messages for removed files are simply unused)."""
    shutil.copytree(CONTENT, folder)
    manifest = yaml.safe_load((folder / "brochure.yaml").read_text(encoding="utf-8"))
    manifest["languages"] = [manifest["source_language"], *languages]
    manifest["drafts"] = [lang for lang in manifest.get("drafts", ()) if lang in languages]
    manifest["parts"] = [
        {**part, "files": [f for f in part["files"] if f in keep]}
        for part in manifest["parts"]
        if set(part["files"]) & set(keep)
    ]
    text = yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True)
    (folder / "brochure.yaml").write_text(text, encoding="utf-8")
    listed = {*keep, *manifest.get("front_matter", []), *manifest.get("back_matter", [])}
    for path in folder.rglob("*.md"):
        if path.relative_to(folder).as_posix() not in listed:
            path.unlink()
            continue
        text = re.sub(r"\[([^\]]+)\]\(#[^)]*\)", r"\1", path.read_text(encoding="utf-8"))
        path.write_text(text, encoding="utf-8")
    if not languages:
        shutil.rmtree(folder / "locales")
    kept = {Path(name).stem for name in keep}
    for image in (folder / "images").iterdir():
        if image.stem not in kept:
            image.unlink()
    return folder
