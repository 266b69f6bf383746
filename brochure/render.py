"""Brochure -> one HTML document, through the Jinja2 templates in templates/.

Python only passes data and formats values for the locale (dates, numbers, country names);
the templates choose the markup and the stylesheets decide the look.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from pathlib import Path
from typing import Any, TypedDict

import jinja2
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal
from markupsafe import Markup

from .markdown import Markdown, typography
from .model import Brochure

__all__ = ["environment", "render", "report"]


class TemplateContext(TypedDict):
    """What every template receives."""

    brochure: Brochure  # the localized brochure: parts, documents, manifest fields
    lang: str  # the edition's language code, for lang="" and hyphenation
    direction: str  # "ltr" or "rtl", from the language
    stylesheets: list[str]  # stylesheet URLs relative to the project root
    content_url: str  # file: URL of the content folder, for images
    titles: dict[str, str]  # id -> title of every part and document, for cross-references
    build_date: dt.date  # the edition date, never the clock, so rebuilds are identical


class _Interface:
    """gettext for the templates' own strings ("Contents", "Partners", ...) in one language."""

    def __init__(self, strings: dict[str, str]):
        self.strings = strings

    def gettext(self, message: str) -> str:
        return self.strings.get(message) or message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


def environment(
    templates_dir: Path,
    lang: str,
    interface: dict[str, str] | None = None,
    mark_untranslated: bool = False,
) -> jinja2.Environment:
    """A fresh Jinja2 environment for one language: autoescaped, strict, with locale filters.

    `interface` translates the templates' own strings; without it they stay as written.
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
        _Interface(interface or {}), newstyle=True
    )
    locale = Locale.parse(lang.replace("-", "_"))
    body = Markdown(lang, heading_offset=1)
    env.filters.update(
        markdown=lambda text, translations=None: Markup(
            body.render(text, translations, mark_missing=mark_untranslated)
        ),
        inline=lambda text: Markup(body.render_inline(text)),
        date=partial(_date, locale=locale, pattern="d MMMM y"),
        month=partial(_date, locale=locale, pattern="MMMM y"),
        number=partial(_number, locale=locale),
        country=lambda code: locale.territories.get(code, code),
    )
    return env


def render(brochure: Brochure, env: jinja2.Environment, options: dict[str, Any]) -> str:
    """The brochure as one HTML document; `options` carries `stylesheets` and `content_url`."""
    titles = {part.id: part.title for part in brochure.parts}
    titles |= {document.id: document.title for document in brochure.documents}
    context = TemplateContext(
        brochure=brochure,
        lang=brochure.lang,
        direction="rtl"
        if Locale.parse(brochure.lang.replace("-", "_")).character_order == "right-to-left"
        else "ltr",
        stylesheets=list(options["stylesheets"]),
        # A path is not prose: Markup keeps the typography finalizer off it.
        content_url=Markup(options["content_url"]),
        titles=titles,
        build_date=brochure.edition,
    )
    return env.get_template("brochure.html").render(**context)


def _date(value: dt.date, locale: Locale, pattern: str) -> str:
    return format_date(value, pattern, locale=locale)


def _number(value: float, locale: Locale) -> str:
    return format_decimal(value, locale=locale)


def report(templates_dir: Path, template: str, **context: Any) -> str:
    """A report for people (not the brochure): one of the templates in templates/reports/."""
    return environment(templates_dir, "en").get_template(template).render(**context)
