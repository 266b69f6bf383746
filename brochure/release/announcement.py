"""A localized brochure -> its launch announcement in that language: subject, HTML and plain text.

The HTML comes from `templates/email/announcement.html` (the manifest's Markdown through the
same renderer and catalogs as the brochure, inline styles, no image); the plain text is made
from that HTML, so both parts always say the same. Dates and times are the language's (Babel),
in the event's own time zone.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_interval, get_timezone_name
from babel.numbers import format_decimal

from .. import render
from ..markdown import typography
from ..model import Brochure

__all__ = ["Letter", "compose", "file_name"]

_TEMPLATE = "email/announcement.html"
_WIDTH = 72  # plain-text lines, as mail clients quote them


@dataclass(frozen=True)
class Letter:
    """One language's announcement, ready to be put in an email."""

    lang: str
    subject: str
    html: str
    text: str
    attachment: str  # the PDF's file name in this language
    size: str  # the PDF's size, as the language writes it ("1,2 Mo" is "1.2 MB" in English)
    when: str  # "" without an event
    where: str
    registration: str
    invitation: str  # the .ics file's name; "" without an event
    direction: str  # "ltr" or "rtl"


def compose(brochure: Brochure, templates_dir: Path, pdf_bytes: int) -> Letter:
    """The announcement of `brochure` (localized) for a PDF of `pdf_bytes` bytes."""
    announcement = brochure.announcement
    assert announcement is not None
    locale = Locale.parse(brochure.locale or brochure.lang.replace("-", "_"))
    event = announcement.event
    when = where = invitation = ""
    if event is not None:
        when = _when(event.start, event.end, event.zone, locale)
        where = typography(event.location or "", brochure.lang)
        invitation = file_name(brochure.title, ".ics")  # the same name as the PDF
    letter = Letter(
        lang=brochure.lang,
        subject=typography(announcement.subject, brochure.lang),
        html="",
        text="",
        attachment=file_name(brochure.title, ".pdf"),
        size=f"{format_decimal(pdf_bytes / 1e6, '#,##0.0', locale=locale)} MB",
        when=when,
        where=where,
        registration=announcement.registration or "",
        invitation=invitation,
        direction="rtl" if locale.character_order == "right-to-left" else "ltr",
    )
    env = render.environment(
        templates_dir, brochure.lang, brochure.interface, locale=brochure.locale or None
    )
    html = env.get_template(_TEMPLATE).render(brochure=brochure, letter=letter)
    text = plain_text(html, brochure.lang)
    return Letter(**{**letter.__dict__, "html": html, "text": text})


def file_name(title: str, suffix: str) -> str:
    """A file name from a title in its language, as a reader would save it: characters that
    file systems refuse left out, at most about 80 characters, cut between words."""
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", title)
    name = re.sub(r"\s+", " ", name).strip(" .")
    if len(name) > 80:
        name = name[:80].rsplit(" ", 1)[0]
    return name + suffix


def _when(start, end, zone, locale: Locale) -> str:
    """ "Wednesday 23 June 2021, 15:00 – 16:15 (Central European Summer Time)", in the locale."""
    start, end = start.replace(tzinfo=zone), end.replace(tzinfo=zone)
    day = format_date(start.date(), "full", locale=locale)
    if start.date() == end.date():
        times = format_interval(start, end, "Hm", tzinfo=zone, locale=locale)
        span = f"{day}, {times}"
    else:
        span = format_interval(start, end, "yMMMMdHm", tzinfo=zone, locale=locale)
    return f"{span} ({get_timezone_name(start, 'long', locale=locale)})"


def plain_text(html: str, lang: str) -> str:
    """The text/plain part from the HTML part: paragraphs, list items, links written out (a
    link's address once, not again when the next paragraph is the address itself)."""
    reader = _Text(lang)
    reader.feed(html)
    reader.close()
    blocks = []
    for block in reader.blocks():
        prefix = "– " if block.startswith("\x01") else ""
        block = block.removeprefix("\x01")
        lines = [
            textwrap.fill(
                line,
                _WIDTH,
                initial_indent=prefix,
                subsequent_indent=" " * len(prefix),
                break_long_words=False,
                break_on_hyphens=False,
            )
            for line in block.split("\n")
        ]
        blocks.append("\n".join(lines))
    return "\n\n".join(b for b in blocks if b.strip()) + "\n"


class _Text(HTMLParser):
    """HTML -> blocks of text; a link's address is written after its words when they differ."""

    _BLOCK = frozenset({"p", "div", "h1", "h2", "h3", "h4", "li", "tr", "table", "blockquote"})
    _SKIP = frozenset({"head", "title", "style", "script"})

    def __init__(self, lang: str) -> None:
        super().__init__(convert_charrefs=True)
        self._lang = lang
        self._blocks: list[str] = [""]
        self._skipping = 0
        self._links: list[tuple[str, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCK:
            self._blocks.append("\x01" if tag == "li" else "")
        elif tag == "br":
            self._blocks[-1] += "\n"
        elif tag == "a":
            self._links.append((dict(attrs).get("href") or "", len(self._blocks[-1])))
        elif tag in ("th", "td") and self._blocks[-1].strip():
            self._blocks[-1] += ": " if tag == "td" else " "

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping -= 1
        elif tag in self._BLOCK:
            if tag == "tr":  # "When: …" with the language's spacing ("Quand : …" in French)
                self._blocks[-1] = typography(self._blocks[-1], self._lang)
            self._blocks.append("")
        elif tag == "a" and self._links:
            href, start = self._links.pop()
            words = self._blocks[-1][start:].strip()
            if href.startswith(("http:", "https:", "mailto:")) and href.removeprefix(
                "mailto:"
            ) not in (words, ""):
                self._blocks[-1] += f" <{href}>"

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._blocks[-1] += re.sub(r"[ \t\r\n]+", " ", data)

    def blocks(self) -> list[str]:
        out: list[str] = []
        for block in self._blocks:
            lines = [line.strip() for line in block.split("\n")]
            text = "\n".join(lines).strip()
            if not text or text == "\x01" or (out and out[-1].endswith(f"<{text}>")):
                continue
            out.append(text if not block.startswith("\x01") else "\x01" + text.lstrip("\x01"))
        return out
