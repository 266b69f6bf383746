"""Property-based tests (Hypothesis): the loader and the segment extraction on inputs nobody
would think of writing by hand. Whatever the text, the answer is a model or located problems;
never an exception, never a segment lost or printed twice."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brochure.content.schema import validate
from brochure.content.yamlfile import parse
from brochure.errors import Location
from brochure.i18n import normalize
from brochure.markdown import Markdown
from brochure.model import CaseStudy

_SCALARS = st.one_of(
    st.text(max_size=20),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.sampled_from(["NO", "yes", "012345", "2017-03", "ongoing", "1_000", "~", "0x1F"]),
)
_KEYS = st.sampled_from(
    [
        "id",
        "title",
        "summary",
        "place",
        "city",
        "country",
        "lat",
        "period",
        "start",
        "end",
        "themes",
        "sdgs",
        "key_figures",
        "value",
        "unit",
        "label",
        "quote",
        "image",
        "src",
        "alt",
        "decorative",
        "partners",
        "credit",
        "world_region",
        "x",
    ]
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=5),
    max_leaves=25,
)


def _dump(value, indent: int = 0) -> str:
    """A YAML document for `value`, the way an author might write it (no quoting help)."""
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "\n".join(
            f"{pad}{k}:"
            + (
                ("\n" + _dump(v, indent + 2))
                if isinstance(v, dict | list) and v
                else " " + _dump(v)
            )
            for k, v in value.items()
        )
    if isinstance(value, list):
        if not value:
            return "[]"
        return "\n".join(f"{pad}- " + _dump(v, indent + 2).lstrip() for v in value)
    if value is None:
        return "null"
    if isinstance(value, str):
        return value.replace("\n", " ")
    return str(value).lower() if isinstance(value, bool) else str(value)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.dictionaries(_KEYS, _VALUES, max_size=8).map(_dump), st.text(max_size=300)))
def test_the_front_matter_loader_answers_with_a_model_or_located_problems(text):
    problems = []
    where = Location("kisumu.md")
    data, lines = parse(text, where, 2, problems)
    if data is None:
        assert problems
    elif isinstance(data, dict):
        validate(CaseStudy, {**data, "body": ""}, lines, where, problems)
    last = 2 + text.count("\n") + 1
    for problem in problems:
        assert problem.where.path == "kisumu.md"
        assert 2 <= problem.where.line <= last, problem
        assert problem.message


_WORD = st.sampled_from(
    [
        "women",
        "council",
        "market",
        "lights",
        "budget",
        "l'égalité",
        '"quoted"',
        "*stress*",
        "**bold**",
        "`code`",
        "[audit](#safety-audit)",
        "1,200",
        "45 %",
        "it's",
        "a",
        "the",
    ]
)
_LINE = st.lists(_WORD, min_size=1, max_size=10).map(" ".join)
_BLOCK = st.one_of(
    _LINE,
    _LINE.map(lambda t: "## " + t),
    st.lists(_LINE, min_size=1, max_size=3).map(lambda items: "\n".join("- " + i for i in items)),
    st.lists(_LINE, min_size=2, max_size=3).map(
        lambda cells: (
            "| "
            + " | ".join(cells)
            + " |\n|"
            + "---|" * len(cells)
            + "\n| "
            + " | ".join("x" for _ in cells)
            + " |"
        )
    ),
    st.lists(_LINE, min_size=2, max_size=4).map("\n".join),  # a paragraph over several lines
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_BLOCK, min_size=1, max_size=8).map("\n\n".join))
def test_every_segment_is_replaced_once_by_its_translation(body):
    markdown = Markdown("fr")
    segments = markdown.segments(body)
    assert len({s.key for s in segments}) == len(segments)
    for segment in segments:
        assert normalize(segment.text) == normalize(normalize(segment.text))
        assert segment.text.strip()
    translations = {s.key: f"TRADUIT{i}X" for i, s in enumerate(segments)}
    html = markdown.render(body, translations)
    for i, _segment in enumerate(segments):
        assert len(re.findall(rf"TRADUIT{i}X", html)) == 1, (i, html)
    # Nothing of the English is left where every segment has its translation.
    leftover = re.sub(r"<[^>]+>|TRADUIT\d+X|\s", "", html)
    assert leftover == "", leftover
