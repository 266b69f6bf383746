"""Markdown: the one markdown-it-py configuration for checking and rendering bodies."""

import pytest

from brochure.markdown import Markdown, typography

BODY = """The opening paragraph with a note[^1] and a [link](#kisumu).

## Context

| Budget line | Women | Men |
|---|---|---|
| Street lighting |  |  |

- [ ] Are women's organisations invited?

Term
: Its definition.

[^1]: The note's *text*.
"""


def test_footnotes_are_set_inline_where_they_are_called():
    html = Markdown("en").render(BODY)
    assert '<span class="footnote">The note’s <em>text</em>.</span>' in html
    assert "footnotes" not in html  # no end-of-document section that would never reach the page


def test_body_headings_sit_one_level_under_the_document_title():
    html = Markdown("en", heading_offset=1).render(BODY)
    assert "<h3>" in html
    assert "<h2>" not in html


def test_tables_task_lists_and_definition_lists_render():
    html = Markdown("en").render(BODY)
    assert "<table>" in html
    assert "<th>Budget line</th>" in html
    assert 'class="task-list-item"' in html
    assert "<dt>Term</dt>" in html


def test_internal_links_are_marked_for_page_references():
    assert '<a href="#kisumu" class="xref">link</a>' in Markdown("en").render(BODY)


def test_links_and_headings_come_with_their_lines():
    markdown = Markdown("en")
    assert [(link.href, link.line) for link in markdown.links(BODY)] == [("#kisumu", 0)]
    assert markdown.headings(BODY) == [("Context", 2)]


def test_quotes_follow_the_language():
    assert "“quoted”" in Markdown("en").render_inline('"quoted"')
    assert "«\u202fcité\u202f»" in Markdown("fr").render_inline('"cité"')


def test_raw_html_is_not_passed_through():
    html = Markdown("en").render("<script>alert(1)</script>\n\nText <b>bold</b>")
    assert "<script>" not in html
    assert "<b>" not in html


# Translations replace a block's inline text inside markdown-it's core chain, so the typographer
# and the language's rules see the translated text, not only the source.
ORIGINAL = """A paragraph with a note[^1].

## Context

Another paragraph.

[^1]: The note.
"""
NNBSP, NBSP = "\u202f", "\u00a0"


def test_a_translated_block_gets_the_language_typography():
    french = {"s0.1": """L'"égalité" : 45 % de 1 200 femmes, 12 km en 3 h pour 200 EUR[^1] !"""}
    html = Markdown("fr").render(ORIGINAL, french)
    assert (
        f"<p>L’«{NNBSP}égalité{NNBSP}»{NNBSP}: 45{NNBSP}% de 1{NNBSP}200 femmes, "
        f"12{NBSP}km en 3{NBSP}h pour 200{NBSP}EUR<span" in html
    )
    assert f"</span>{NNBSP}!</p>" in html  # the ! after the footnote call still gets its space


def test_french_spacing_replaces_the_space_typed_and_reads_across_markup():
    html = Markdown("fr").render(ORIGINAL, {"s1.2": "Un **mot** : un *autre*; fin\u00a0? Oui!"})
    assert f"<strong>mot</strong>{NNBSP}: un <em>autre</em>{NNBSP}; fin{NNBSP}? Oui{NNBSP}!" in html


def test_spanish_translations_get_spanish_quotes():
    html = Markdown("es").render(ORIGINAL, {"s1.2": """Dijo "la 'única' vía" y el 45 %."""})
    assert f"Dijo «la “única” vía» y el 45{NBSP}%." in html


def test_a_translated_footnote_is_set_at_its_call_with_typography():
    html = Markdown("fr").render(ORIGINAL, {"s0.1": "Un paragraphe[^1].", "note1": "La note d'ici"})
    assert '<p>Un paragraphe<span class="footnote">La note d’ici</span>.</p>' in html


def test_translations_are_keyed_like_the_segments():
    markdown = Markdown("fr")
    translations = {
        segment.key: f"[{segment.key}]" + "[^1]" * ("[^1]" in segment.text)
        for segment in markdown.segments(ORIGINAL)
    }
    html = markdown.render(ORIGINAL, translations)
    assert '<p>[s0.1]<span class="footnote">[note1]</span></p>' in html
    assert "[s1.1]</h3>" in html
    assert "<p>[s1.2]</p>" in html


def test_untranslated_blocks_are_marked_in_drafts():
    html = Markdown("fr").render(ORIGINAL, {"s1.2": "Un autre paragraphe."}, mark_missing=True)
    assert '<span class="untranslated">Context</span>' in html
    assert "<p>Un autre paragraphe.</p>" in html
    assert '<span class="untranslated">The note.</span>' in html
    assert Markdown("fr").render(ORIGINAL).count("untranslated") == 0


def test_a_translation_changes_text_never_structure():
    html = Markdown("fr").render(ORIGINAL, {"s1.2": "## Pas un titre\n\n- ni une liste"})
    assert html.count("<h3>") == 1
    assert "<li>" not in html


def test_typography_of_plain_strings_is_the_same_as_in_markdown():
    text = """Le "budget" d'une ville : 45 % de 1 200 000 EUR ?"""
    plain = typography(text, "fr")
    number = f"1{NNBSP}200{NNBSP}000{NBSP}EUR"
    assert plain == f"Le «{NNBSP}budget{NNBSP}» d’une ville{NNBSP}: 45{NNBSP}% de {number}{NNBSP}?"
    assert Markdown("fr").render_inline(text) == plain
    assert typography(plain, "fr") == plain  # setting twice changes nothing


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "women's \"safe\" city, the 1990's", "women’s “safe” city, the 1990’s"),
        ("en", "'quoted' and students' work", "‘quoted’ and students’ work"),
        ("de", '"Frauen"', "„Frauen“"),
        ("pt", '"mulheres"', "«mulheres»"),
        ("ar", '"نساء"', "«نساء»"),
        ("fr", "À 10:30 ; ratio 1:2", f"À 10:30{NNBSP}; ratio 1:2"),
        (
            "fr",
            "Voir https://uclg.org/a?b=c ; ou www.cib-uclg.org !",
            f"Voir https://uclg.org/a?b=c{NNBSP}; ou www.cib-uclg.org{NNBSP}!",
        ),
        ("fr", "« mot »,«autre» ?!", f"«{NNBSP}mot{NNBSP}»,«{NNBSP}autre{NNBSP}»{NNBSP}?!"),
        ("en", "in 2019 2 000 women", f"in 2019 2{NNBSP}000 women"),
    ],
)
def test_typography_rules(lang, text, expected):
    assert typography(text, lang) == expected
