"""load: the sample loads into a frozen model; every mistake is named by file, line and field."""

from __future__ import annotations

import dataclasses

import pydantic
import pytest

from brochure import content
from brochure.errors import BrochureError
from brochure.model import CaseStudy, Tool

from .conftest import BAD, CONTENT


def test_the_sample_loads_with_twelve_case_studies_from_five_regions_or_more():
    brochure = content.load(CONTENT)
    studies = brochure.case_studies
    assert len(studies) == 12
    assert len({s.place.world_region for s in studies}) >= 5
    assert sum(isinstance(d, Tool) for d in brochure.documents) >= 5
    guidelines = next(p for p in brochure.parts if p.id == "guidelines")
    assert len(guidelines.documents) >= 5
    assert brochure.title == "Capacity Building for Gender Equality at the Local Level"
    assert brochure.source_language == "en"


def test_case_studies_carry_their_facts_typed():
    kisumu = next(s for s in content.load(CONTENT).case_studies if s.id == "kisumu")
    assert isinstance(kisumu, CaseStudy)
    assert kisumu.place.country == "KE"
    assert kisumu.period.start.year == 2017
    assert all(isinstance(f.value, int | float) for f in kisumu.key_figures)
    assert 2 <= len(kisumu.key_figures) <= 4
    assert kisumu.image.alt
    assert kisumu.source.path.endswith("case-studies/kisumu.md")


def test_the_model_is_immutable():
    brochure = content.load(CONTENT)
    with pytest.raises(pydantic.ValidationError):
        brochure.title = "Another title"
    assert isinstance(brochure.parts, tuple)
    assert isinstance(brochure.case_studies[0].themes, tuple)


def test_field_lines_point_at_the_yaml_line():
    kisumu = next(s for s in content.load(CONTENT).case_studies if s.id == "kisumu")
    lines = (CONTENT / "case-studies" / "kisumu.md").read_text().splitlines()
    assert lines[kisumu.line_of("period.start") - 1].strip().startswith("start:")
    assert lines[kisumu.line_of("image.alt") - 1].strip().startswith("alt:")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "period-in-words.md",
            "kisumu.md:14: period.start: expected a month like 2019-03, got 'March 2019'",
        ),
        ("unknown-key.md", "kisumu.md:17: sgds: unknown key; did you mean 'sdgs'?"),
        (
            "missing-alt.md",
            "kisumu.md:27: image.alt: missing; describe the image for screen readers",
        ),
        ("bad-country.md", "kisumu.md:7: place.country: expected an ISO 3166-1 country code"),
        ("figure-with-separator.md", "kisumu.md:19: key_figures[0].value: expected a plain number"),
        ("negative-before.md", "kisumu.md:20: key_figures[0].before: expected a number ≥ 0"),
        ("missing-image.md", "kisumu.md:28: image.src: no image at"),
        ("duplicate-id.md", "ouagadougou.md:2: id: 'ouagadougou' is already used at"),
        ("bad-yaml.md", "kisumu.md:10: this is not valid YAML"),
        (
            "unknown-theme.md",
            "kisumu.md:16: themes[0]: 'saftey' is not in the manifest's themes; "
            "did you mean 'safety'?",
        ),
        (
            "missing-section.md",
            "kisumu.md:33: body: expected the sections Context, Approach, Results, Lessons learned",
        ),
        (
            "broken-link.md",
            "kisumu.md:43: body: links to '#safety-audt', no such id; "
            "did you mean '#safety-audit'?",
        ),
        ("no-front-matter.md", "kisumu.md:1: expected YAML front matter between two '---' lines"),
    ],
)
def test_a_bad_case_study_is_reported_by_file_line_and_field(sample_copy, name, expected):
    sample_copy.replace_case_study(BAD / name)
    with pytest.raises(BrochureError) as caught:
        content.load(sample_copy.content)
    messages = [str(p) for p in caught.value.problems]
    assert any(expected in m for m in messages), messages


def test_all_problems_of_a_run_are_reported_together(sample_copy):
    sample_copy.replace_case_study(BAD / "period-in-words.md", "kisumu")
    sample_copy.replace_case_study(BAD / "unknown-key.md", "lahore")
    sample_copy.edit("brochure.yaml", "subtitle:", "subtitel:")
    with pytest.raises(BrochureError) as caught:
        content.load(sample_copy.content)
    kinds = {(p.where.path.rsplit("/", 1)[-1], p.kind) for p in caught.value.problems}
    assert ("kisumu.md", "bad-month") in kinds
    assert ("lahore.md", "unknown-key") in kinds
    assert ("brochure.yaml", "unknown-key") in kinds
    assert ("brochure.yaml", "missing") in kinds  # the misspelt subtitle is also missing


def test_a_file_listed_in_the_manifest_must_exist(sample_copy):
    (sample_copy.content / "case-studies" / "irbid.md").unlink()
    with pytest.raises(BrochureError) as caught:
        content.load(sample_copy.content)
    (problem,) = caught.value.problems
    assert problem.kind == "missing-file"
    assert problem.where.path.endswith("brochure.yaml")
    lines = sample_copy.read("brochure.yaml").splitlines()
    assert "case-studies/irbid.md" in lines[problem.where.line - 1]


def test_the_internal_fields_cannot_be_set_from_a_file(sample_copy):
    sample_copy.edit("foreword.md", "id: foreword", "id: foreword\nbody: sneaky")
    with pytest.raises(BrochureError) as caught:
        content.load(sample_copy.content)
    assert [p.kind for p in caught.value.problems] == ["unknown-key"]


def test_a_problem_reads_file_line_field_message():
    problem = dataclasses.replace(
        content.Problem(content.Location("a.md", 3), "period.start", "bad-month", "expected x")
    )
    assert str(problem) == "a.md:3: period.start: expected x"


def test_a_decorative_image_needs_no_alt_text_but_must_say_so(sample_copy):
    text = sample_copy.read("case-studies/irbid.md")
    alt = next(line for line in text.splitlines() if line.startswith("  alt: "))
    sample_copy.edit("case-studies/irbid.md", alt, "  decorative: true")
    study = next(s for s in content.load(sample_copy.content).case_studies if s.id == "irbid")
    assert study.image.decorative
    assert study.image.alt is None
