"""glyphs: a character the bundled fonts cannot show fails with its file, line and code point."""

import pytest

from brochure import content, fonts
from brochure.build import PROJECT

FONTS = PROJECT / "assets" / "fonts"


@pytest.fixture(scope="module")
def points():
    return fonts.coverage(FONTS)


def test_the_bundled_fonts_cover_the_sample_and_its_languages(points):
    assert fonts.check_glyphs(content.load(PROJECT / "content"), points) == []
    for char in "àâçéèêëîïôùûüÿœæ ñáíóú¿¡ ãõ ă ș ț ế «» “” ‘’ – — \u202f":
        assert ord(char) in points, char


def test_a_character_the_fonts_lack_is_named_with_file_line_and_code_point(sample_copy, points):
    sample_copy.edit("case-studies/kisumu.md", "## Results\n", "## Results\n\nA smile ☺ here.\n")
    brochure = content.load(sample_copy.content)
    (problem,) = fonts.check_glyphs(brochure, points)
    assert problem.kind == "missing-glyph"
    assert "U+263A WHITE SMILING FACE" in problem.message
    lines = sample_copy.read("case-studies/kisumu.md").splitlines()
    assert "☺" in lines[problem.where.line - 1]
    assert problem.where.path.endswith("kisumu.md")


def test_a_front_matter_field_is_named_too(sample_copy, points):
    sample_copy.edit("case-studies/irbid.md", "title: ", "title: ✈ ")
    (problem,) = fonts.check_glyphs(content.load(sample_copy.content), points)
    assert problem.field == "title"
    assert "U+2708" in problem.message
    lines = sample_copy.read("case-studies/irbid.md").splitlines()
    assert lines[problem.where.line - 1].startswith("title:")
