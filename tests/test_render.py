"""render: templates receive data and return one HTML document; Python adds no markup."""

import re

import jinja2
import pytest

from brochure import content, render
from brochure.build import PROJECT

OPTIONS = {"stylesheets": ["styles/brochure.css"], "content_url": "file:///content"}


@pytest.fixture(scope="module")
def brochure():
    return content.load(PROJECT / "content")


@pytest.fixture(scope="module")
def html(brochure):
    return render.render(brochure, render.environment(PROJECT / "templates", "en"), OPTIONS)


def test_the_document_carries_language_title_and_metadata(html, brochure):
    assert '<html lang="en" dir="ltr">' in html
    assert f"<title>{brochure.title}</title>" in html
    assert '<meta name="author" content="UCLG Capacity' in html


def test_every_document_has_an_anchor_and_a_contents_entry(html, brochure):
    for document in brochure.documents:
        assert f'id="{document.id}"' in html
        assert re.search(f'<a href="#{document.id}" data-page="[0-9ivx]+">', html)


def test_case_studies_show_their_facts_formatted_for_the_locale(html):
    assert "Kisumu, Kisumu County, Kenya" in html
    assert "March 2017 – December 2020" in html
    assert "1,200" in html  # key figures formatted by Babel, not as typed


def test_text_is_escaped(brochure):
    env = render.environment(PROJECT / "templates", "en")
    hostile = brochure.model_copy(update={"title": "Budgets <script>"})
    assert "Budgets &lt;script&gt;" in render.render(hostile, env, OPTIONS)


def test_a_missing_template_variable_is_an_error_not_an_empty_string(brochure):
    env = render.environment(PROJECT / "templates", "en")
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ nothing }}").render()


def test_dates_and_countries_follow_the_language():
    env = render.environment(PROJECT / "templates", "fr")
    out = env.from_string("{{ d | month }} {{ 'KE' | country }} {{ 1200 | number }}")
    import datetime as dt

    assert out.render(d=dt.date(2017, 3, 1)) == "mars 2017 Kenya 1\u202f200"


def test_map_pins_stand_where_the_places_are_and_never_overlap():
    nairobi, lima = (-1.3, 36.8), (-12.0, -77.0)
    (left, top), _ = render.map_pins([nairobi, lima])
    assert left == pytest.approx((36.8 + 180) / 360 * 100, abs=0.01)
    assert top == pytest.approx((84 + 1.3) / 142 * 100, abs=0.01)
    hue, battambang = (16.46, 107.59), (13.1, 103.2)
    pins = render.map_pins([hue, battambang])
    dx = (pins[0][0] - pins[1][0]) / 100 * 172
    dy = (pins[0][1] - pins[1][1]) / 100 * 67.8
    assert (dx**2 + dy**2) ** 0.5 >= 5.5


def test_translated_template_strings_get_the_language_typography():
    env = render.environment(PROJECT / "templates", "fr", {"Where": "D'où ? Là"})
    assert env.from_string("{{ _('Where') }}").render() == "D’où\u202f? Là"


@pytest.mark.parametrize(
    ("lang", "value", "unit", "expected"),
    [
        ("en", 45, "%", ("45", "%")),
        ("fr", 45, "%", ("45", "\u00a0%")),
        ("fr", 1200, "women", ("1\u202f200", " women")),
        ("en", 25000, "EUR", ("€25,000.00", "")),
        ("es", 37.5, "", ("37,5", "")),
    ],
)
def test_key_figures_follow_the_locale(lang, value, unit, expected):
    from brochure.model import KeyFigure

    env = render.environment(PROJECT / "templates", lang)
    figure = KeyFigure(value=value, unit=unit, label="x")
    assert env.filters["figure"](figure) == expected


def test_lists_take_the_locale_separator():
    arabic = render.environment(PROJECT / "templates", "ar")
    assert arabic.from_string("{{ ['a', 'b', 'c'] | separated }}").render() == "a، b، c"
    assert arabic.globals["list_separator"] == "، "
    english = render.environment(PROJECT / "templates", "en")
    assert english.from_string("{{ ['a', 'b'] | separated }}").render() == "a, b"


def test_the_place_line_is_a_list_in_the_edition_language(brochure):
    html = render.render(brochure, render.environment(PROJECT / "templates", "ar"), OPTIONS)
    assert "Kisumu، Kisumu County، كينيا" in html


def test_the_babel_locale_can_differ_from_the_language():
    portuguese = render.environment(PROJECT / "templates", "pt")
    european = render.environment(PROJECT / "templates", "pt", locale="pt_PT")
    assert portuguese.from_string("{{ 'KE' | country }}").render() == "Quênia"
    assert european.from_string("{{ 'KE' | country }}").render() == "Quénia"
    assert european.from_string("{{ text }}").render(text='"x"') == "«x»"  # typography: lang


def test_the_css_string_filter_escapes_hostile_text():
    css_string = render.environment(PROJECT / "templates", "en").filters["css_string"]
    hostile = '</style><script>alert("x")</script>\\\n\'&'
    escaped = css_string(hostile)
    assert escaped == (
        '"\\3c /style\\3e \\3c script\\3e alert(\\22 x\\22 )\\3c /script\\3e \\5c \\a \\27 \\26 "'
    )
    assert css_string("pág.") == '"pág."'


def test_words_the_stylesheet_prints_come_from_the_catalog(brochure):
    spanish = {"p.": "pág."}
    env = render.environment(PROJECT / "templates", "es", spanish)
    html = render.render(brochure, env, OPTIONS)
    assert 'a.xref::after { content: "\\00A0(" "pág." "\\00A0" attr(data-page) ")"; }' in html
    assert 'html { quotes: "«" "»" "“" "”"; }' in html
    hostile = render.environment(PROJECT / "templates", "es", {"p.": "</style><b>"})
    assert "</style><b>" not in render.render(brochure, hostile, OPTIONS)


def test_translated_template_strings_are_text_not_markup():
    env = render.environment(PROJECT / "templates", "fr", {"Where": "<b>Où</b>"})
    assert env.from_string("{{ _('Where') }}").render() == "&lt;b&gt;Où&lt;/b&gt;"
