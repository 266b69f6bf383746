"""Brochure -> one HTML document, through the Jinja2 templates in templates/.

Python only passes data and formats values for the locale (dates, numbers, country names,
lists, quotation marks); the templates choose the markup and the stylesheets decide the look.
Words the stylesheet prints itself (the "p." of a cross-reference) are template strings,
written into a `<style>` element as CSS strings by the `css_string` filter.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import traceback
import unicodedata
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any, TypedDict

import jinja2
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent
from markupsafe import Markup

from .errors import BrochureError, Location, Problem
from .markdown import Markdown, quotation_marks, typography
from .model import Brochure, KeyFigure
from .parts import PLACEHOLDER, Piece, pieces

__all__ = ["PageNumbers", "environment", "map_pins", "render", "render_piece", "report"]


class TemplateContext(TypedDict):
    """What every template receives."""

    brochure: Brochure  # the localized brochure: parts, documents, manifest fields
    lang: str  # the edition's language code, for lang="" and hyphenation
    direction: str  # "ltr" or "rtl", from the language
    stylesheets: list[str]  # stylesheet URLs relative to the project root
    content_url: str  # file: URL of the content folder, for images
    titles: dict[str, str]  # id -> title of every part and document, for cross-references
    pins: dict[str, tuple[float, float]]  # case-study id -> (left %, top %) on the overview map
    build_date: dt.date  # the edition date, never the clock, so rebuilds are identical
    pieces: list[Piece]  # the edition's pieces, in order (brochure/parts.py)


class ImageURLs:
    """An image's URL from its path in the content folder, with a version taken from its bytes
    (`?v=…`): replacing the file changes the HTML, so a layout remembered for the old HTML is
    never reused with the new picture."""

    def __init__(self, content_dir: Path):
        self.root = content_dir.resolve()
        self._versions: dict[str, str] = {}

    def __call__(self, src: str) -> str:
        if src not in self._versions:
            try:
                digest = hashlib.sha256((self.root / src).read_bytes()).hexdigest()[:12]
            except OSError:
                digest = "missing"
            self._versions[src] = digest
        return Markup(f"{self.root.as_uri()}/{src}?v={self._versions[src]}")


class PageNumbers:
    """The page labels the text prints, from the page map, and which ones it asked for.

    Templates call `page(id)`; Markdown cross-references carry `data-page` too. What was asked
    for is what the build must verify after layout.
    """

    def __init__(self, numbers: Mapping[str, str] | None = None):
        self.numbers: Mapping[str, str] = numbers or {}
        self.asked: set[str] = set()

    def __call__(self, anchor: str) -> str:
        self.asked.add(anchor)
        return self.numbers.get(anchor, PLACEHOLDER)


class _Interface:
    """gettext for the templates' own strings ("Contents", "Partners", ...) in one language."""

    def __init__(self, strings: dict[str, str], lang: str):
        self.strings = strings
        self.lang = lang

    def gettext(self, message: str) -> Markup:
        # Jinja marks what gettext returns as safe, so the typography finalizer never sees it
        # and autoescape would not escape it: both are done here.
        return Markup.escape(typography(self.strings.get(message) or message, self.lang))

    def ngettext(self, singular: str, plural: str, n: int) -> Markup:
        return self.gettext(singular if n == 1 else plural)


def environment(
    templates_dir: Path,
    lang: str,
    interface: dict[str, str] | None = None,
    mark_untranslated: bool = False,
    locale: str | None = None,
    content_dir: Path | None = None,
) -> jinja2.Environment:
    """A fresh Jinja2 environment for one language: autoescaped, strict, with locale filters.

    `interface` translates the templates' own strings; without it they stay as written.
    `locale` is the Babel locale for dates, numbers, country names and lists ("pt_PT" for
    European Portuguese names); by default the one `lang` names. Typography follows `lang`.
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        # Plain strings from the content get the language's typography; Markup is left alone.
        finalize=lambda value: (
            typography(value, lang)
            if isinstance(value, str) and not isinstance(value, Markup)
            else value
        ),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.install_gettext_translations(  # type: ignore[attr-defined]
        _Interface(interface or {}, lang), newstyle=True
    )
    babel = Locale.parse(locale or lang.replace("-", "_"))
    separator = _list_separator(babel)
    images = ImageURLs(content_dir) if content_dir is not None else None
    body = Markdown(lang, heading_offset=1, image_url=images)
    env.globals.update(
        quotation_marks=quotation_marks(lang),  # for the stylesheet's `quotes`
        list_separator=separator,  # for a list a template writes out in a loop
        page=PageNumbers(),  # replaced by `render` with the page map of the layout at hand
        # An image of the content folder, by its path there.
        image_url=images if images is not None else (lambda src: src),
    )
    env.filters.update(
        markdown=lambda text, translations=None, sections=False: Markup(
            body.render(
                text,
                translations,
                mark_missing=mark_untranslated,
                pages=env.globals["page"],
                sections=sections,
            )
        ),
        inline=lambda text: Markup(body.render_inline(text)),
        date=partial(_date, locale=babel, pattern="d MMMM y"),
        month=partial(_date, locale=babel, pattern="MMMM y"),
        number=partial(_number, locale=babel),
        country=lambda code: babel.territories.get(code, code),
        figure=partial(_figure, locale=babel),
        separated=partial(_separated, separator=separator),
        css_string=_css_string,
        last_words=partial(_last_words, lang=lang),
    )
    return env


def render(
    brochure: Brochure,
    env: jinja2.Environment,
    options: dict[str, Any],
    numbers: PageNumbers | None = None,
) -> str:
    """The whole edition as one HTML document (`build --html`, the benchmark's yardstick).

    `options` carries `stylesheets` and `content_url`; `numbers` the page labels to print.
    """
    return _render(env, "brochure.html", _context(brochure, options), numbers)


def render_piece(
    brochure: Brochure,
    env: jinja2.Environment,
    options: dict[str, Any],
    piece: Piece,
    numbers: PageNumbers,
) -> str:
    """One piece of the edition as its own HTML document, without stylesheet links: the build
    passes the stylesheets, parsed once, to every piece's layout."""
    context = _context(brochure, {**options, "stylesheets": []})
    return _render(env, "part.html", {**context, "piece": piece}, numbers)


def _render(
    env: jinja2.Environment, template: str, context: dict[str, Any], numbers: PageNumbers | None
) -> str:
    env.globals["page"] = numbers if numbers is not None else PageNumbers()
    try:
        return env.get_template(template).render(**context)
    except jinja2.TemplateError as error:
        raise BrochureError([_template_problem(error, env)]) from None


def _context(brochure: Brochure, options: dict[str, Any]) -> dict[str, Any]:
    titles = {part.id: part.title for part in brochure.parts}
    titles |= {document.id: document.title for document in brochure.documents}
    rtl = Locale.parse(brochure.lang.replace("-", "_")).character_order == "right-to-left"
    places = [(s.place.lat, s.place.lon) for s in brochure.case_studies]
    return dict(
        TemplateContext(
            brochure=brochure,
            lang=brochure.lang,
            direction="rtl" if rtl else "ltr",
            stylesheets=list(options["stylesheets"]),
            # A path is not prose: Markup keeps the typography finalizer off it.
            content_url=Markup(options["content_url"]),
            titles=titles,
            pins=dict(zip((s.id for s in brochure.case_studies), map_pins(places), strict=True)),
            build_date=brochure.edition,
            pieces=pieces(brochure),
        )
    )


def _template_problem(error: jinja2.TemplateError, env: jinja2.Environment) -> Problem:
    """A template's mistake at its file and line: Jinja knows them for a syntax error; for an
    error while rendering, the innermost template frame of the traceback does."""
    if isinstance(error, jinja2.TemplateSyntaxError):
        path, line = error.filename or "", error.lineno
        kind, what = "template-syntax", "Jinja cannot read this template"
    else:
        frames = traceback.extract_tb(error.__traceback__)
        frames = [f for f in frames if f.filename.endswith(".html")]
        path, line = (frames[-1].filename, frames[-1].lineno) if frames else ("", 0)
        kind, what = "template-error", "the template failed"
    searchpath = getattr(env.loader, "searchpath", ["templates"])
    shown = _shown(path, Path(searchpath[0]))
    return Problem(Location(shown, line or 0), "", kind, f"{what}: {error.message}")


def _shown(path: str, templates_dir: Path) -> str:
    """A template's path as the project names it: templates/parts/tool.html."""
    try:
        inside = Path(path).resolve().relative_to(templates_dir.resolve())
    except ValueError:
        return path or str(templates_dir)
    return str(Path(templates_dir.name) / inside)


def _date(value: dt.date, locale: Locale, pattern: str) -> str:
    return format_date(value, pattern, locale=locale)


def _number(value: float, locale: Locale) -> str:
    return format_decimal(value, locale=locale)


def _figure(figure: KeyFigure, value: float | None = None, *, locale: Locale) -> tuple[str, str]:
    """A key figure as the locale writes it: (the number, the unit set small after it).

    "%" takes the locale's percent spacing (45 % in French); an ISO currency code (EUR, USD)
    is formatted as an amount; any other unit is a word after the number. `value`, when
    given, is written in the figure's unit instead of its own value (the value before the
    project: `figure | figure(figure.before)`).
    """
    value = figure.value if value is None else value
    if figure.unit == "%":
        sign = format_percent(1, locale=locale).replace(format_decimal(100, locale=locale), "")
        return format_decimal(value, locale=locale), sign
    if len(figure.unit) == 3 and figure.unit.isupper() and figure.unit in locale.currencies:
        return format_currency(value, figure.unit, locale=locale), ""
    number = format_decimal(value, locale=locale)
    return number, f" {figure.unit}" if figure.unit else ""


def _list_separator(locale: Locale) -> str:
    """What the locale writes between the items of a list: ", " in most, "، " in Arabic.

    It is the punctuation of the middle pattern of CLDR's list patterns ("{0}, {1}"). Since
    CLDR 42, Arabic writes "and" before every item of a standard list ("{0} و{1}"): then the
    first list style with punctuation gives it ("{0}، و{1}"), without the conjunction. A list of
    places or keywords is punctuated, not joined by "and".
    """
    middles = [
        pattern["middle"].format("", "")
        for style in ("standard", "unit-short", "unit", "unit-narrow")
        if (pattern := locale.list_patterns.get(style)) and "middle" in pattern
    ]
    for middle in middles:
        if any(unicodedata.category(char).startswith("P") for char in middle):
            # "، و" -> "، ": the punctuation and its spacing, without the word
            return re.sub(r"\s+", " ", "".join(char for char in middle if not char.isalpha()))
    return middles[0] if middles else ", "


# A title's or summary's last two words (the last one short enough to take its neighbour
# along), then any closing tags of the Markup around them.
_LAST_WORDS = re.compile(r"([^\s<>]+) ([^\s<>]{1,16})((?:</[^>]+>)*\s*)$")


def _last_words(text: Any, lang: str) -> Markup:
    """`text` (plain or Markup) with its last two words kept on one line (a span the
    stylesheet sets `white-space: nowrap`), so that a title or a summary never ends on a line
    of one word. The words' text is unchanged: bookmarks and running heads read the same.
    Plain text gets the language's typography first, as the finalizer would have given it
    (it leaves the Markup returned here alone)."""
    if isinstance(text, Markup):
        html = str(text)
    else:  # str() first: an undefined value raises Jinja's error, located in its template
        html = str(Markup.escape(typography(str(text), lang)))
    return Markup(_LAST_WORDS.sub(r'<span class="last-words">\1 \2</span>\3', html, count=1))


def _separated(items: Any, separator: str) -> str | Markup:
    """`items` joined by the locale's list separator; Markup items keep their markup."""
    items = list(items)
    if any(isinstance(item, Markup) for item in items):
        return Markup.escape(separator).join(items)  # escapes the items that are plain text
    return separator.join(str(item) for item in items)


# What a CSS string cannot hold as itself: its quotes, the escape character, line breaks, and
# what would end the <style> element or be read as HTML around it.
_CSS_ESCAPED = set("\\\"'<>&\n\r\f")


def _css_string(value: object) -> Markup:
    """`value` as a quoted CSS string, safe in a <style> element whatever the text.

    Characters a CSS string cannot hold as themselves, and control and format characters, are
    written as CSS hex escapes ("\\3c " for "<"); everything else stays as it is.
    """
    text = value.unescape() if isinstance(value, Markup) else str(value)
    return Markup('"' + "".join(map(_css_character, text)) + '"')


def _css_character(char: str) -> str:
    if char in _CSS_ESCAPED or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
        return f"\\{ord(char):x} "  # a hex escape; the space after it ends it
    return char


def report(templates_dir: Path, template: str, **context: Any) -> str:
    """A report for people (not the brochure): one of the templates in templates/reports/."""
    return environment(templates_dir, "en").get_template(template).render(**context)


# The overview's base map (assets/maps/world.svg): equirectangular, longitude -180..180,
# latitude 84..-58, set 172 mm wide (styles/brochure.css .map).
_MAP_WIDTH_MM, _MAP_HEIGHT_MM = 172.0, 67.8
_PIN_MM = 5.6  # a pin's diameter plus a hair of space


def map_pins(places: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Pin positions (left %, top %) for (lat, lon) places, nudged apart so none overlap.

    Two case studies a few hundred kilometres apart would put one numbered pin on top of the
    other; the pins are pushed apart along the line between them until they clear.
    """
    points = [
        [(lon + 180) / 360 * _MAP_WIDTH_MM, (84 - lat) / 142 * _MAP_HEIGHT_MM]
        for lat, lon in places
    ]
    for _ in range(50):
        moved = False
        for i, a in enumerate(points):
            for b in points[i + 1 :]:
                dx, dy = b[0] - a[0], b[1] - a[1]
                distance = math.hypot(dx, dy)
                if distance >= _PIN_MM:
                    continue
                if distance == 0:
                    dx, dy, distance = 1.0, 0.0, 1.0
                push = (_PIN_MM - distance) / 2 + 0.01
                a[0] -= dx / distance * push
                a[1] -= dy / distance * push
                b[0] += dx / distance * push
                b[1] += dy / distance * push
                moved = True
        if not moved:
            break
    return [
        (round(x / _MAP_WIDTH_MM * 100, 2), round(y / _MAP_HEIGHT_MM * 100, 2)) for x, y in points
    ]
