"""check: every problem in one list, errors and warnings apart; nothing is written."""

from __future__ import annotations

import json

import weasyprint
from PIL import Image

from brochure import check, cli, content
from brochure.errors import Location
from brochure.i18n import Entry

PARAGRAPH = "Traders walked the market at night with a county engineer and took notes."


def _entry(text: str) -> Entry:
    return Entry("x", text, Location("x.md", 3), "Case study", "body.s1.2", text)


def _pdf(body: str) -> bytes:
    return weasyprint.HTML(string=f"<html lang='en'><body>{body}</body></html>").write_pdf()


def test_a_paragraph_printed_once_is_complete():
    assert check.completeness(_pdf(f"<p>{PARAGRAPH}</p>"), [_entry(PARAGRAPH)], "en") == []


def test_a_paragraph_dropped_or_doubled_by_the_layout_is_reported():
    (missing,) = check.completeness(_pdf("<p>Something else.</p>"), [_entry(PARAGRAPH)], "en")
    assert missing.kind == "not-printed-once"
    assert "missing from the PDF" in missing.message
    assert str(missing.where) == "x.md:3"
    twice = _pdf(f"<p>{PARAGRAPH}</p><p>{PARAGRAPH}</p>")
    (doubled,) = check.completeness(twice, [_entry(PARAGRAPH)], "en")
    assert "printed 2 times" in doubled.message


def test_an_image_too_coarse_for_print_is_a_warning(sample_copy):
    Image.new("RGB", (600, 400), "white").save(sample_copy.content / "images" / "kisumu.png")
    sample_copy.edit("case-studies/kisumu.md", "src: images/kisumu.svg", "src: images/kisumu.png")
    (problem,) = check.image_resolution(content.load(sample_copy.content), sample_copy.content)
    assert problem.severity == "warning"
    assert "136 dpi" in problem.message  # 600 px across the illustration's 112 mm
    assert "1323 px" in problem.message


def test_check_catches_a_removed_alt_text_and_exits_1_with_json(sample_copy, capsys):
    text = sample_copy.read("case-studies/lahore.md")
    alt = next(line for line in text.splitlines() if line.startswith("  alt: "))
    sample_copy.edit("case-studies/lahore.md", alt + "\n", "")
    code = cli.main(["check", "--format", "json", "--content", str(sample_copy.content)])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    kinds = {(e["path"].rsplit("/", 1)[-1], e["field"], e["kind"]) for e in report["errors"]}
    assert ("lahore.md", "image.alt", "missing") in kinds
    assert report["warnings"] == []  # errors in the sources stop before later checks


def test_the_full_check_typesets_in_memory_and_writes_nothing(tmp_path, capsys):
    from .conftest import CONTENT

    out = tmp_path / "build"
    code = cli.main(["check", "--format", "json", "--content", str(CONTENT), "--out", str(out)])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["errors"] == []
    assert not out.exists()
