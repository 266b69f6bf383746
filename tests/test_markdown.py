"""Markdown: the one markdown-it-py configuration for checking and rendering bodies."""

from brochure.markdown import Markdown

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
