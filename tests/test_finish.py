"""finish: atomic writes and the finisher's metadata, on a small document."""

import os
from pathlib import Path

import pytest
import weasyprint
from pypdf import PdfReader

from brochure import content, finish
from brochure.build import PROJECT
from brochure.model import Variant


def test_a_failed_write_leaves_the_previous_file_untouched(tmp_path: Path, monkeypatch):
    target = tmp_path / "brochure.pdf"
    target.write_bytes(b"last good")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        finish.write_atomically(target, b"new")
    assert target.read_bytes() == b"last good"
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind


def test_page_labels_follow_the_folios_and_metadata_is_written(tmp_path: Path):
    brochure = content.load(PROJECT / "content")
    first_part = brochure.parts[0].id
    html = (
        "<html lang='en'><title>T</title><style>div { break-before: page }</style>"
        f"<div>cover</div><div>contents</div><div id='{first_part}'>part one</div><div>next</div>"
    )
    document = weasyprint.HTML(string=html).render()
    assert finish.main_matter_start(document, brochure) == 2
    path = finish.finish(document, brochure, tmp_path / "out.pdf", Variant())
    reader = PdfReader(path)
    assert reader.page_labels == ["i", "ii", "1", "2"]
    assert reader.xmp_metadata.dc_language == ["en"]
    assert reader.xmp_metadata.dc_creator == [brochure.publisher]
    assert bool(reader.trailer["/Root"]["/ViewerPreferences"]["/DisplayDocTitle"])


def test_a_pdf_over_its_budget_is_not_written_and_names_its_largest_parts(tmp_path: Path):
    from brochure.errors import BrochureError

    brochure = content.load(PROJECT / "content")
    html = f"<html lang='en'><div id='{brochure.parts[0].id}'>part one</div></html>"
    document = weasyprint.HTML(string=html).render()
    target = tmp_path / "out.pdf"
    target.write_bytes(b"last good")
    with pytest.raises(BrochureError) as caught:
        finish.finish(document, brochure, target, Variant(size_budget_mb=0.001))
    (problem,) = caught.value.problems
    assert problem.kind == "over-budget"
    assert "largest parts: font" in problem.message
    assert target.read_bytes() == b"last good"


def test_the_size_budget_names_what_is_actually_large(sample_pdf):
    """Each object counted once, images inside forms found, sizes as stored: never '0.0 MB'."""
    from brochure.errors import Location
    from brochure.finish import over_budget
    from brochure.model import Variant

    (problem,) = over_budget(sample_pdf.read_bytes(), Variant(size_budget_mb=0.05), Location("x"))
    parts = problem.message.split("largest parts: ")[1].split(", ")
    assert len(parts) == 5
    assert all(not part.endswith((" 0 KB", " 0.0 MB")) for part in parts)
    assert "text and drawing of p. " in problem.message  # the overview map's page
