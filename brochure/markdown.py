"""Markdown text -> tokens and HTML: the one markdown-it-py configuration every stage shares.

The loader parses bodies to check links and sections (with line numbers from token maps); the
renderer turns them into HTML, with a block's translation put in place of its English inside
markdown-it's core chain, so translated text gets the same typography as the source. Footnotes
become inline `<span class="footnote">` elements at the place they are called, because CSS Paged
Media floats them to the foot of that page (`float: footnote`); markdown-it's own footnote section
at the end would never move there.

`typography(text, lang)` gives plain strings (titles, summaries, template strings) the same
typography as Markdown text: one set of rules for both.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from babel.numbers import list_currencies
from markdown_it import MarkdownIt
from markdown_it.rules_core.smartquotes import smartquotes
from markdown_it.rules_core.state_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

__all__ = ["Link", "Markdown", "Segment", "quotation_marks", "typography"]

# ---------- Typography: one set of rules for Markdown text and plain strings ----------

_NBSP = "\u00a0"  # no-break space
_NNBSP = "\u202f"  # narrow no-break space
_SPACE = "[ \u00a0\u202f]"  # a space as typed: ordinary, no-break or narrow no-break

# Quotation marks per language, in markdown-it's order: “double” (outer), then ‘single’ (inner).
_QUOTES = {
    "en": ("“", "”", "‘", "’"),
    "fr": ("«" + _NNBSP, _NNBSP + "»", "“", "”"),
    "es": ("«", "»", "“", "”"),
    "pt": ("«", "»", "“", "”"),  # European Portuguese
    "pt-BR": ("“", "”", "‘", "’"),
    "de": ("„", "“", "‚", "‘"),
    "ar": ("«", "»", "“", "”"),
}

# What a number is never separated from at a line end: units, the percent sign, currencies.
_UNITS = "|".join(
    re.escape(unit)
    for unit in sorted(
        {"%", "‰", "°C", "km²", "km", "m²", "m", "cm", "mm", "ha", "kg", "g", "h", "min"}
        | {"€", "$", "£"}
        | set(list_currencies()),  # ISO codes: EUR, USD, KES ...
        key=len,
        reverse=True,  # longest first: "km²" before "km" before "m"
    )
)

# Each rule: a pattern and what replaces it, applied in order. Quotation marks are paired
# before these run (markdown-it's smartquotes, across the tokens of a block).
_RULES = (
    # A straight ' still standing once quotes are paired is an apostrophe: l'égalité, women's.
    (re.compile("'"), "’"),
    # No line break inside a number: "1 200 000" (groups of three digits after one to three).
    (
        re.compile(rf"\b\d{{1,3}}(?:{_SPACE}\d{{3}})+\b"),
        lambda m: re.sub(_SPACE, _NNBSP, m[0]),
    ),
    # Nor between a number and its unit: "12 km", "3 h", "45 %", "200 EUR".
    (re.compile(rf"(?<=\d){_SPACE}+(?=(?:{_UNITS})(?![\w’']))"), _NBSP),
)
_FRENCH_RULES = (
    # The percent sign takes a narrow no-break space, typed or not: "45 %".
    (re.compile(rf"(?<=\d){_SPACE}*(?=%)"), _NNBSP),
    # So do ; : ! ? after a word or a closing mark, in place of whatever space was typed; not
    # between two of them (?!), and not in a time or a ratio (10:30, 1:2).
    (re.compile(rf"(?<=[^\s(\[«“‘;:!?]){_SPACE}*(?=[;:!?])(?!(?<=\d):\d)"), _NNBSP),
    # And the inside of « guillemets », whether a space was typed there or not.
    (re.compile(rf"«{_SPACE}*"), "«" + _NNBSP),
    (re.compile(rf"{_SPACE}*»"), _NNBSP + "»"),
)
# Web and mail addresses in running text are left exactly as written (https://, ?query=); a
# final . , ; : ! ? or ) is the sentence's, not the address's.
_ADDRESS = re.compile(
    r"(?:[a-z][a-z0-9+.-]*://|www\.|mailto:)[^\s<>«»“”]*[^\s<>«»“”.,;:!?)]", re.IGNORECASE
)
_MASK = "\uffff"  # a noncharacter, never in text: holds an address's place while rules run


def typography(text: str, lang: str) -> str:
    """Plain text with the language's typography, exactly as Markdown text gets it.

    - quotation marks: the language's (fr « » with narrow no-break spaces inside, es « » with
      “ ” inside, pt « », de „ “, ar « », en “ ” ‘ ’), paired as markdown-it pairs them;
    - apostrophes: ’ (l’égalité, women’s);
    - numbers: no line break inside one (1 200) or before its unit (12 km, 45 %, 200 EUR);
    - French: a narrow no-break space before ; : ! ? and inside « », replacing any space typed
      there, never in a web address or a time (10:30).

    For the plain strings the templates print (titles, summaries, facts, template strings);
    Markdown bodies get the same rules from the `typography` core rule.
    """
    word = Token("text", "", 0, content=text)
    block = Token("inline", "", 0, content=text, children=[word])
    state = StateCore(text, _quoting(lang), {}, [block])
    smartquotes(state)
    _typography(state, lang)
    return word.content


def quotation_marks(lang: str) -> tuple[str, str, str, str]:
    """The language's quotation marks: outer opening and closing, inner opening and closing."""
    return _QUOTES.get(lang.replace("_", "-")) or _QUOTES.get(_base(lang)) or _QUOTES["en"]


def _typography(state: StateCore, lang: str) -> None:
    """Core rule: the language's typography in every text token, once quotes are paired.

    Each token is set knowing the character before it in its block, so the colon after
    *emphasis* or a footnote call still gets its space (outside the emphasis). The text of an
    autolink (a URL written as the link's text) is left alone.
    """
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        tokens = block.children
        in_url = False
        for i, token in enumerate(tokens):
            if token.type == "link_open":
                in_url = token.markup in ("autolink", "linkify")
            elif token.type == "link_close":
                in_url = False
            elif token.type == "text" and not in_url:
                token.content = _after(_last_character(tokens[:i]), token.content, lang)


def _after(before: str, text: str, lang: str) -> str:
    """`text` set as if `before` (a character, or "") stood just before it."""
    framed = _set(before + text, lang)
    if framed.startswith(before):
        return framed[len(before) :]
    return _set(text, lang)  # a rule changed the character before: set the text on its own


def _set(text: str, lang: str) -> str:
    """The rules applied to `text`; the web addresses in it are left exactly as written."""
    addresses = iter(_ADDRESS.findall(text))
    text = _ADDRESS.sub(_MASK, text)
    for pattern, replacement in _RULES + (_FRENCH_RULES if _base(lang) == "fr" else ()):
        text = pattern.sub(replacement, text)
    return re.sub(_MASK, lambda _: next(addresses), text)


def _last_character(tokens: list[Token]) -> str:
    """The last character of the nearest of `tokens` with content (a text, a code span); a
    space if a line break comes first; "" at the start of the block."""
    for token in reversed(tokens):
        if token.type in ("softbreak", "hardbreak"):
            return " "
        if token.content:
            return token.content[-1]
    return ""


@functools.cache
def _quoting(lang: str) -> MarkdownIt:
    """A bare markdown-it with the language's quotes, for smartquotes on plain strings."""
    return MarkdownIt("zero", {"typographer": True, "quotes": list(quotation_marks(lang))})


def _base(lang: str) -> str:
    return lang.replace("_", "-").split("-")[0]


@dataclass(frozen=True, slots=True)
class Link:
    """A link or an image as written, for the loader to judge."""

    href: str  # the link target or the image source, as the author wrote it
    text: str  # an image's alt text ("" for a link)
    line: int  # 0-based line in the Markdown text
    kind: str = "link"  # "link" (autolinks too) or "image"


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

    def __init__(
        self,
        lang: str = "en",
        heading_offset: int = 1,
        image_url: Callable[[str], str] | None = None,
    ):
        # No raw HTML: text is text, so neither an editor nor a translator can break the layout.
        md = MarkdownIt(
            "commonmark",
            {"html": False, "typographer": True, "quotes": list(quotation_marks(lang))},
        )
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
        md.add_render_rule("image", lambda r, *args: self._image(r, *args))
        # Tables get a wrapper block: in a multi-column body it can span all columns, which
        # WeasyPrint does for blocks but not for the table itself.
        md.add_render_rule("table_open", _table_open)
        md.add_render_rule("table_close", lambda r, *args: r.renderToken(*args) + "</div>")
        # Translations go in once the block structure and the footnotes are final (so segment
        # keys are those `segments` gives), before the typographer's rules see the text.
        md.core.ruler.after("footnote_tail", "translate", _translate)
        md.core.ruler.after("smartquotes", "typography", functools.partial(_typography, lang=lang))
        self._md = md
        # The loader's view: the same structure without the typographer (segments, headings),
        # and every link and image as written, even those the renderer would refuse (file:,
        # javascript:) and print as text, so that each is judged and located.
        scan = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
        scan.use(footnote_plugin, inline=False).use(deflist_plugin)
        scan.use(tasklists_plugin, enabled=False)
        scan.use(attrs_block_plugin, allowed=("id", "class"))
        scan.use(attrs_plugin, allowed=("id", "class"))
        scan.validateLink = lambda _url: True
        self._scan = scan
        self._image_url = image_url
        self._offset = heading_offset
        self._notes: dict[int, str] = {}

    def parse(self, text: str) -> list[Token]:
        """The tokens of `text` as written: no typography, every link kept (for checks)."""
        return self._scan.parse(text, {})

    def segments(self, text: str) -> list[Segment]:
        """Every translatable block of `text`, in order, with its stable key."""
        return [segment for segment, _ in _walk(self.parse(text)) if segment.text.strip()]

    def render(
        self,
        text: str,
        translations: Mapping[str, str] | None = None,
        mark_missing: bool = False,
        pages: Callable[[str], str] | None = None,
        sections: bool = False,
    ) -> str:
        """HTML for `text`; `translations` (segment key -> inline text) replace the blocks' text.

        With `sections`, each `##` section is wrapped in a `<div class="section">` (tools: kept
        on one page); not in multi-column bodies, whose tables span the columns only as their
        direct children.

        Only the inline content of a block is ever replaced, so a translation can change words,
        emphasis and links but never the document's structure. With `mark_missing`, blocks
        without a translation are wrapped in `<span class="untranslated">` (drafts).
        """
        env: dict = {
            "translations": translations or {},
            "mark_missing": mark_missing,
            "pages": pages,
        }
        tokens = self._md.parse(text, env)
        body, notes = _split_footnotes(tokens)
        self._notes = {
            note_id: self._md.renderer.render(inner, self._md.options, env).strip()
            for note_id, inner in notes.items()
        }
        body = _sections(body) if sections else body
        return self._md.renderer.render(body, self._md.options, env)

    def stray_markup(self, text: str) -> list[str]:
        """Emphasis or link markers that markdown-it left as literal text: unclosed markup."""
        stray: list[str] = []
        if not re.search(r"[*_\[]", text):
            return stray
        for token in self._scan.parseInline(text, {}):
            for child in token.children or ():
                if child.type == "text":
                    stray += re.findall(r"\*+|_{2,}|\[|\]\(", child.content)
        return stray

    def render_inline(self, text: str) -> str:
        return self._md.renderInline(text)

    def links(self, text: str) -> Iterator[Link]:
        """Every link and image in `text` as written (autolinks and refused schemes too), with
        its line."""
        lines = text.splitlines()
        for token in self.parse(text):
            if token.type != "inline" or not token.map:
                continue
            for child in token.children or ():
                if child.type == "link_open":
                    href, alt, kind = str(child.attrs.get("href", "")), "", "link"
                elif child.type == "image":
                    href, alt, kind = str(child.attrs.get("src", "")), child.content, "image"
                else:
                    continue
                line = token.map[0]
                written = (child.markup == "autolink" and href) or _unnormalized(href)
                for offset, source in enumerate(lines[token.map[0] : token.map[1]]):
                    if written in source:
                        line = token.map[0] + offset
                        break
                yield Link(href, alt, line, kind)

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

    def _image(self, renderer, tokens, idx, options, env) -> str:
        """Images name files relative to the content folder, wherever the Markdown file is."""
        token = tokens[idx]
        src = str(token.attrs.get("src", ""))
        if self._image_url is not None and not re.match(r"[a-z][a-z0-9+.-]*:|/|#", src):
            token.attrSet("src", self._image_url(src))
        return renderer.image(tokens, idx, options, env)

    def _link_open(self, tokens, idx, options, env) -> str:
        token = tokens[idx]
        href = str(token.attrs.get("href", ""))
        if href.startswith("#"):
            token.attrSet("class", "xref")
            if env.get("pages") is not None:  # the page the reference prints, from the page map
                token.attrSet("data-page", env["pages"](href[1:]))
        return self._md.renderer.renderToken(tokens, idx, options, env)


SMALL_TABLE = 6  # rows: a table this short is never split across pages


def _table_open(renderer, tokens: list[Token], idx: int, options, env) -> str:
    """A table in a wrapper block, which a multi-column body can span (WeasyPrint spans blocks,
    not tables); a table of a few rows is marked small, to be kept on one page."""
    rows = 0
    for token in tokens[idx:]:
        if token.type == "table_close":
            break
        rows += token.type == "tr_open"
    small = " table-wrap--small" if rows <= SMALL_TABLE else ""
    return f'<div class="table-wrap{small}">' + renderer.renderToken(tokens, idx, options, env)


def _sections(tokens: list[Token]) -> list[Token]:
    """Each `##` section of a body in a `<div class="section">`: what a stylesheet keeps together
    (a tool's phase on one page) or lets flow (a chapter's columns)."""
    out: list[Token] = []
    opened = False
    for token in tokens:
        if token.type == "heading_open" and token.tag == "h2" and token.level == 0:
            if opened:
                out.append(Token("html_block", "", 0, content="</div>\n"))
            out.append(Token("html_block", "", 0, content='<div class="section">\n'))
            opened = True
        out.append(token)
    if opened:
        out.append(Token("html_block", "", 0, content="</div>\n"))
    return out


def _unnormalized(url: str) -> str:
    """The URL roughly as written: markdown-it percent-encodes what it stores."""
    return unquote(url)


def _translate(state: StateCore) -> None:
    """Core rule: each block's inline content replaced by its translation, before typography.

    `env["translations"]` maps segment keys to translated inline Markdown; with
    `env["mark_missing"]`, a block without one is wrapped in a `<span class="untranslated">`.
    """
    translations = state.env.get("translations") or {}
    mark_missing = state.env.get("mark_missing", False)
    if not translations and not mark_missing:
        return
    for segment, token in _walk(state.tokens):
        if segment.key in translations:
            token.content = translations[segment.key]
            token.children = []
            state.md.inline.parse(token.content, state.md, state.env, token.children)
        elif mark_missing and segment.text.strip():
            # A draft shows where the English stands in for a missing translation. The span
            # tokens carry no text, so the typography rules read straight through them.
            token.children = [
                Token("untranslated_open", "span", 1, attrs={"class": "untranslated"}),
                *(token.children or []),
                Token("untranslated_close", "span", -1),
            ]


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
