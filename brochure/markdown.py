"""Markdown text -> tokens and HTML: the one markdown-it-py configuration every stage shares.

The loader parses bodies to check links and sections (with line numbers from token maps); the
renderer turns them into HTML. Footnotes become inline `<span class="footnote">` elements at the
place they are called, because CSS Paged Media floats them to the foot of that page
(`float: footnote`); markdown-it's own footnote section at the end would never move there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

__all__ = ["Link", "Markdown", "Segment", "typography"]

# Typographic quotes per language: “double”, ‘single’ (markdown-it's option order).
_QUOTES = {
    "en": "“”‘’",
    "fr": ["«\u202f", "\u202f»", "“", "”"],
    "es": "«»“”",
    "pt": "“”‘’",
    "de": "„“‚‘",
}


_NNBSP = "\u202f"  # narrow no-break space
_FRENCH_SPACE = re.compile(r"[ \u00a0]*([;:!?])(?=\s|$|[»)\]])|(?<=\w)([;!?])")
_DOUBLE = re.compile(r'"([^"\n]*)"')


def typography(text: str, lang: str) -> str:
    """Plain text with the language's typography: apostrophes, quotation marks, French spacing.

    Markdown bodies get the same through markdown-it's typographer and a core rule; this is for
    the plain strings the templates print (titles, summaries, facts).
    """
    quotes = _quotes(lang)
    text = _DOUBLE.sub(lambda m: f"{quotes[0]}{m[1]}{quotes[1]}", text)
    text = re.sub(r"(?<=\w)'", "’", text)
    if lang.split("-")[0] == "fr":
        text = _FRENCH_SPACE.sub(lambda m: _NNBSP + (m[1] or m[2]), text)
    return text


@dataclass(frozen=True, slots=True)
class Link:
    href: str
    text: str
    line: int  # 0-based line of the block in the Markdown text


@dataclass(frozen=True, slots=True)
class Segment:
    """One block's inline text: what a translator translates, and where it stands.

    `key` is stable while the text is edited: the section's ordinal (`s2` is the second `##`
    section, `s0` what precedes the first) and the block's ordinal within it. Inserting a
    paragraph only renumbers the blocks after it in the same section.
    """

    key: str
    text: str
    line: int  # 0-based line of the block in the Markdown text
    block: str  # paragraph, heading, list item, table cell, quote, term, definition, footnote
    section: str  # the English text of the `##` heading it stands under ("" before the first)


_BLOCKS = {
    "heading_open": "heading",
    "list_item_open": "list item",
    "th_open": "table cell",
    "td_open": "table cell",
    "blockquote_open": "quote",
    "dt_open": "term",
    "dd_open": "definition",
    "footnote_open": "footnote",
}


class Markdown:
    """A markdown-it-py parser configured for the brochure, for one language.

    `heading_offset` shifts heading levels: a body's `##` becomes `<h3>` under the document's
    `<h2>` title, so authors never need to know where their file sits in the brochure.
    """

    def __init__(self, lang: str = "en", heading_offset: int = 1):
        # No raw HTML: text is text, so neither an editor nor a translator can break the layout.
        md = MarkdownIt("commonmark", {"html": False, "typographer": True, "quotes": _quotes(lang)})
        md.enable(["table", "replacements", "smartquotes", "strikethrough"])
        md.use(footnote_plugin, inline=False)
        md.use(deflist_plugin)
        md.use(tasklists_plugin, enabled=False)
        md.use(attrs_block_plugin, allowed=("id", "class"))
        md.use(attrs_plugin, allowed=("id", "class"))
        # markdown-it binds render rules to its renderer, so they receive it as first argument.
        md.add_render_rule("heading_open", lambda _r, *args: self._heading(*args))
        md.add_render_rule("heading_close", lambda _r, *args: self._heading(*args))
        md.add_render_rule("footnote_ref", lambda _r, *args: self._footnote_ref(*args))
        md.add_render_rule("link_open", lambda _r, *args: self._link_open(*args))
        # Tables get a wrapper block: in a multi-column body it can span all columns, which
        # WeasyPrint does for blocks but not for the table itself.
        md.add_render_rule(
            "table_open", lambda r, *args: '<div class="table-wrap">' + r.renderToken(*args)
        )
        md.add_render_rule("table_close", lambda r, *args: r.renderToken(*args) + "</div>")
        if lang.split("-")[0] == "fr":
            md.core.ruler.after("smartquotes", "french_spacing", _french_spacing)
        self._md = md
        self._offset = heading_offset
        self._notes: dict[int, str] = {}

    def parse(self, text: str) -> list[Token]:
        return self._md.parse(text, {})

    def segments(self, text: str) -> list[Segment]:
        """Every translatable block of `text`, in order, with its stable key."""
        return [segment for segment, _ in _walk(self._md.parse(text, {})) if segment.text.strip()]

    def render(
        self,
        text: str,
        translations: Mapping[str, str] | None = None,
        mark_missing: bool = False,
    ) -> str:
        """HTML for `text`; `translations` (segment key -> inline text) replace the blocks' text.

        Only the inline content of a block is ever replaced, so a translation can change words,
        emphasis and links but never the document's structure.
        """
        env: dict = {}
        tokens = self._md.parse(text, env)
        if translations or mark_missing:
            translations = translations or {}
            for segment, token in _walk(tokens):
                if segment.key in translations:
                    token.content = translations[segment.key]
                    token.children = []
                    self._md.inline.parse(token.content, self._md, env, token.children)
                elif mark_missing and segment.text.strip():
                    # A draft shows where the English stands in for a missing translation.
                    token.children = [
                        Token("html_inline", "", 0, content='<span class="untranslated">'),
                        *(token.children or []),
                        Token("html_inline", "", 0, content="</span>"),
                    ]
        body, notes = _split_footnotes(tokens)
        self._notes = {
            note_id: self._md.renderer.render(inner, self._md.options, env).strip()
            for note_id, inner in notes.items()
        }
        return self._md.renderer.render(body, self._md.options, env)

    def stray_markup(self, text: str) -> list[str]:
        """Emphasis or link markers that markdown-it left as literal text: unclosed markup."""
        stray: list[str] = []
        for token in self._md.parseInline(text, {}):
            for child in token.children or ():
                if child.type == "text":
                    stray += re.findall(r"\*+|_{2,}|\[|\]\(", child.content)
        return stray

    def render_inline(self, text: str) -> str:
        return self._md.renderInline(text)

    def links(self, text: str) -> Iterator[Link]:
        """Every link in `text`, with the line of its block."""
        line = 0
        for token in self.parse(text):
            if token.map:
                line = token.map[0]
            for child in token.children or ():
                if child.type == "link_open":
                    yield Link(str(child.attrs.get("href", "")), "", line)

    def headings(self, text: str, level: int = 2) -> list[tuple[str, int]]:
        """The text and 0-based line of every heading of `level` (as written: `##` is 2)."""
        tokens = self.parse(text)
        return [
            (tokens[i + 1].content, token.map[0] if token.map else 0)
            for i, token in enumerate(tokens)
            if token.type == "heading_open" and token.tag == f"h{level}"
        ]

    def _heading(self, tokens, idx, options, env) -> str:
        token = tokens[idx]
        level = min(int(token.tag[1]) + self._offset, 6)
        token = token.copy(tag=f"h{level}")
        return self._md.renderer.renderToken([token], 0, options, env)

    def _footnote_ref(self, tokens, idx, options, env) -> str:
        note = self._notes.get(tokens[idx].meta["id"], "")
        return f'<span class="footnote">{note}</span>'

    def _link_open(self, tokens, idx, options, env) -> str:
        token = tokens[idx]
        href = str(token.attrs.get("href", ""))
        if href.startswith("#"):
            token.attrSet("class", "xref")
        return self._md.renderer.renderToken(tokens, idx, options, env)


def _french_spacing(state) -> None:
    """A narrow no-break space before ; : ! ? in French text, as French typography wants."""
    for token in state.tokens:
        for child in token.children or ():
            if child.type == "text":
                child.content = _FRENCH_SPACE.sub(lambda m: _NNBSP + (m[1] or m[2]), child.content)


def _walk(tokens: list[Token]) -> Iterator[tuple[Segment, Token]]:
    """Each inline token (the text of one block) with the segment describing it."""
    section, ordinal, number, note = "", 0, 0, 0
    context: list[str] = []
    for i, token in enumerate(tokens):
        if token.type.endswith("_open") and token.type in _BLOCKS:
            context.append(_BLOCKS[token.type])
            if token.type == "heading_open" and token.tag == "h2":
                section, ordinal, number = tokens[i + 1].content, ordinal + 1, 0
            if token.type == "footnote_open":
                note += 1
        elif token.type.endswith("_close") and token.type.replace("_close", "_open") in _BLOCKS:
            context.pop()
        elif token.type == "inline":
            block = context[-1] if context else "paragraph"
            if block == "footnote":
                key = f"note{note}"
            else:
                number += 1
                key = f"s{ordinal}.{number}"
            line = token.map[0] if token.map else 0
            yield Segment(key, token.content, line, block, section), token


def _split_footnotes(tokens: list[Token]) -> tuple[list[Token], dict[int, list[Token]]]:
    """Take the footnote definitions out of the stream: {note id: the note's inline tokens}."""
    body: list[Token] = []
    notes: dict[int, list[Token]] = {}
    current: list[Token] | None = None
    for token in tokens:
        if token.type == "footnote_open":
            current = notes.setdefault(token.meta["id"], [])
        elif token.type == "footnote_close":
            current = None
        elif token.type in ("footnote_block_open", "footnote_block_close", "footnote_anchor"):
            continue
        elif current is not None:
            # A note's paragraphs become inline text: it is set as one line at the page foot.
            if token.type == "inline":
                current.append(token)
        else:
            body.append(token)
    return body, notes


def _quotes(lang: str) -> str | list[str]:
    return _QUOTES.get(lang.split("-")[0], _QUOTES["en"])
