"""The brochure's frozen content model: the types every stage passes on, and their schemas.

The pydantic models are both the schema the loader validates each file against and the immutable
values the later stages read. Field names keep their YAML spelling. Constraints that need a
friendly message are validators raising `PydanticCustomError`, whose type becomes the problem's
stable `kind`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import zoneinfo
from email.headerregistry import Address
from typing import Annotated, Any, ClassVar, Literal

from babel import Locale, UnknownLocaleError
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .errors import Location

__all__ = [
    "Acronym",
    "Announcement",
    "Brochure",
    "CaseStudy",
    "Chapter",
    "Document",
    "Event",
    "Image",
    "KeyFigure",
    "Limits",
    "Part",
    "Period",
    "Place",
    "Quote",
    "Tool",
    "Variant",
]

_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[A-Z]{2})?")
_LAST_STEP = re.compile(r"(?:\.[^.\[]*|\[\d+\]|^[^.\[]*)$")
_COUNTRIES = frozenset(c for c in Locale("en").territories if c.isalpha() and len(c) == 2)
_COUNTRY_NAMES = {
    name.casefold(): code for code, name in Locale("en").territories.items() if code in _COUNTRIES
}


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("not-text", "expected text, got {got}", {"got": _describe(value)})
    if not value.strip():
        raise PydanticCustomError("empty", "expected text, got an empty value")
    return value.strip()


def _id(value: Any) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise PydanticCustomError(
            "bad-id",
            "expected an id of lowercase letters, digits and hyphens like 'kisumu', got {got}",
            {"got": _describe(value)},
        )
    return value


def _month(value: Any) -> dt.date:
    match = _MONTH.fullmatch(value) if isinstance(value, str) else None
    if match is None or not 1 <= int(match[2]) <= 12:
        raise PydanticCustomError(
            "bad-month", "expected a month like 2019-03, got {got}", {"got": _describe(value)}
        )
    return dt.date(int(match[1]), int(match[2]), 1)


def _month_or_ongoing(value: Any) -> dt.date | None:
    if value == "ongoing":
        return None
    try:
        return _month(value)
    except PydanticCustomError:
        raise PydanticCustomError(
            "bad-month",
            "expected a month like 2021-12 or 'ongoing', got {got}",
            {"got": _describe(value)},
        ) from None


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    raise PydanticCustomError(
        "bad-date", "expected a date like 2021-06-23, got {got}", {"got": _describe(value)}
    )


def _moment(value: Any) -> dt.datetime:
    """A local date and time as the manifest writes it: `2021-06-23 15:00` (the YAML loader
    keeps it as text; the time zone is the event's own field)."""
    match = (
        re.fullmatch(r"(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})", value.strip())
        if isinstance(value, str)
        else None
    )
    try:
        moment = dt.datetime.fromisoformat(f"{match[1]} {match[2]}") if match else None
    except ValueError:
        moment = None
    if moment is None:
        raise PydanticCustomError(
            "bad-datetime",
            "expected a date and time like 2021-06-23 15:00, got {got}",
            {"got": _describe(value)},
        )
    return moment


def _time_zone(value: Any) -> str:
    if isinstance(value, str) and ("/" in value or value == "UTC") and ".." not in value:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
        else:
            return value
    raise PydanticCustomError(
        "bad-timezone",
        "expected an IANA time zone like Europe/Brussels or America/Toronto, got {got}",
        {"got": _describe(value)},
    )


def _mailbox(value: Any) -> str:
    """`Name <address@example.org>` or a bare address."""
    text = value.strip() if isinstance(value, str) else ""
    match = re.fullmatch(r"(?:(.*?)\s*<([^<>]+)>|([^<>\s]+))", text)
    address = (match[2] or match[3]) if match else ""
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s.]+", address):
        raise PydanticCustomError(
            "bad-address",
            "expected an address like 'CIB Working Group <cib@example.org>', got {got}",
            {"got": _describe(value)},
        )
    try:
        Address(display_name=(match[1] or "").strip('" '), addr_spec=address)
    except (ValueError, IndexError):
        raise PydanticCustomError(
            "bad-address", "not a valid email address: {got}", {"got": _describe(value)}
        ) from None
    return text


def _https(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"https://[^\s/]+\.[^\s]+", value.strip()):
        raise PydanticCustomError(
            "bad-url",
            "expected a web address starting with https://, got {got}",
            {"got": _describe(value)},
        )
    return value.strip()


def _country(value: Any) -> str:
    if not isinstance(value, str) or value not in _COUNTRIES or not value.isalpha():
        hint = ""
        if isinstance(value, str):
            named = _COUNTRY_NAMES.get(value.strip().casefold())
            close = difflib.get_close_matches(value.strip().casefold(), _COUNTRY_NAMES, n=1)
            code = named or (_COUNTRY_NAMES[close[0]] if close else None)
            code = code or (value.upper() if value.upper() in _COUNTRIES else None)
            hint = f"; did you mean {code}?" if code else ""
        raise PydanticCustomError(
            "bad-country",
            "expected an ISO 3166-1 country code like KE or EC, got {got}{hint}",
            {"got": _describe(value), "hint": hint},
        )
    return value


def _language(value: Any) -> str:
    if not isinstance(value, str) or not _LANGUAGE.fullmatch(value) or not _known(value):
        raise PydanticCustomError(
            "bad-language",
            "expected a language code like en, fr or pt-BR, got {got}",
            {"got": _describe(value)},
        )
    return value


def _known(code: str) -> bool:
    """A language Babel has data for (dates, numbers, plural forms, country names)."""
    try:
        Locale.parse(code.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return False
    return True


def _number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        hint = ""
        if isinstance(value, str) and re.fullmatch(r"0\d+", value.strip()):
            hint = (
                f"; a number does not start with 0 (YAML 1.1 reads {value} as an octal "
                f"number): write {int(value)}"
            )
        raise PydanticCustomError(
            "not-a-number",
            "expected a plain number like 1200 or 37.5 (no thousands separators), got {got}{hint}",
            {"got": _describe(value), "hint": hint},
        )
    return value


def _sdg(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 17:
        raise PydanticCustomError(
            "bad-sdg",
            "expected a Sustainable Development Goal number from 1 to 17, got {got}",
            {"got": _describe(value)},
        )
    return value


def _unique(values: tuple) -> tuple:
    seen = [v for i, v in enumerate(values) if v in values[:i]]
    if seen:
        raise PydanticCustomError("duplicate", "{got!r} is listed twice", {"got": seen[0]})
    return values


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list | dict):
        return f"a {'list' if isinstance(value, list) else 'mapping'}"
    return f"{type(value).__name__} {value!r}"


Text = Annotated[str, BeforeValidator(_text)]
Id = Annotated[str, BeforeValidator(_id)]
Month = Annotated[dt.date, BeforeValidator(_month)]
Language = Annotated[str, BeforeValidator(_language)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)


class Place(_Frozen):
    TRANSLATABLE: ClassVar[tuple[str, ...]] = ("city", "region")
    city: Text
    region: Text | None = None
    country: Annotated[str, BeforeValidator(_country)]
    world_region: Id
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Period(_Frozen):
    start: Month
    end: Annotated[dt.date | None, BeforeValidator(_month_or_ongoing)]  # None: ongoing


class KeyFigure(_Frozen):
    TRANSLATABLE: ClassVar[tuple[str, ...]] = ("unit", "label")
    value: Annotated[int | float, BeforeValidator(_number)]
    unit: str = ""
    label: Text
    # The same measure before the project, in the same unit: the figure is then drawn as a
    # pair of bars, before and after (templates/parts/case-study.html).
    before: Annotated[int | float, BeforeValidator(_number), Field(ge=0)] | None = None


class Quote(_Frozen):
    TRANSLATABLE: ClassVar[tuple[str, ...]] = ("text", "attribution")
    text: Text
    attribution: Text


def _alt(value: Any, info: ValidationInfo) -> Any:
    if value is None and not info.data.get("decorative"):
        raise PydanticCustomError(
            "missing",
            "missing",
            {
                "hint": "describe the image for screen readers (or, if it shows nothing a "
                "reader needs, say `decorative: true`)"
            },
        )
    return value


class Image(_Frozen):
    TRANSLATABLE: ClassVar[tuple[str, ...]] = ("alt", "credit")
    src: Text
    decorative: bool = False  # says nothing a reader needs: screen readers skip it
    # Required unless the image is decorative: checked with the file's other fields.
    alt: Annotated[Text | None, AfterValidator(_alt)] = Field(default=None, validate_default=True)
    credit: Text


class Document(_Frozen):
    """What every chapter, tool and case study has: an id, a title, a Markdown body."""

    id: Id
    title: Text
    summary: Text | None = None
    body: str = ""
    body_line: int = 1  # the file's line on which the Markdown body starts
    source: Location = Location("")
    field_lines: dict[str, int] = Field(default_factory=dict)  # "period.start" -> its line
    translations: dict[str, str] = Field(default_factory=dict)  # body segment key -> text

    def line_of(self, field: str) -> int:
        """The line of a front-matter field, or of the nearest enclosing field that has one."""
        while field and field not in self.field_lines:
            field = _LAST_STEP.sub("", field)
        return self.field_lines.get(field, self.source.line)

    kind: Literal["chapter", "tool", "case-study"] = "chapter"


class Acronym(_Frozen):
    """One entry of a list of acronyms: the letters and what they stand for (inline Markdown)."""

    TRANSLATABLE: ClassVar[tuple[str, ...]] = ("term", "expansion")
    term: Text
    expansion: Text


def _unique_terms(values: tuple[Acronym, ...]) -> tuple[Acronym, ...]:
    _unique(tuple(v.term for v in values))
    return values


class Chapter(Document):
    TRANSLATABLE: ClassVar[tuple[str, ...]] = ("title", "summary", "byline", "acronyms")
    byline: Text | None = None
    # A list of acronyms set after the body, sorted by the letters of the edition's language.
    acronyms: Annotated[tuple[Acronym, ...], AfterValidator(_unique_terms)] = ()


class Tool(Document):
    TRANSLATABLE: ClassVar[tuple[str, ...]] = ("title", "summary", "time", "participants")
    kind: Literal["tool"] = "tool"
    tool_type: Literal["checklist", "worksheet", "method", "audit", "indicators"]
    time: Text
    participants: Text
    related: Annotated[tuple[Id, ...], AfterValidator(_unique)] = ()


class CaseStudy(Document):
    TRANSLATABLE: ClassVar[tuple[str, ...]] = (
        *("title", "summary", "place", "partners", "key_figures", "quote", "image"),
    )
    kind: Literal["case-study"] = "case-study"
    summary: Text
    place: Place
    partners: tuple[Text, ...] = Field(min_length=1)
    period: Period
    themes: Annotated[tuple[Id, ...], AfterValidator(_unique)] = Field(min_length=1, max_length=4)
    sdgs: Annotated[tuple[Annotated[int, BeforeValidator(_sdg)], ...], AfterValidator(_unique)] = (
        Field(min_length=1)
    )
    key_figures: tuple[KeyFigure, ...] = Field(min_length=2, max_length=4)
    quote: Quote
    image: Image


class Variant(_Frozen):
    """One output of the brochure: for the screen and email, or for the printer."""

    stylesheets: tuple[Text, ...] = ()  # added after styles/brochure.css, from styles/
    image_dpi: int | None = Field(default=None, ge=72, le=1200)  # None: images as they are
    size_budget_mb: float | None = Field(default=None, gt=0)  # the build fails above it
    # For the printer: the PDF keeps the bleed every edition is laid out with (styles/print.css),
    # with crop marks outside it (brochure/printing.py). Otherwise it is cut at the trim.
    bleed: bool = False
    # With the bleed: a PDF/X-4 file made for this print condition (its profile in assets/icc/,
    # brochure/printing.py), the RGB colours tagged sRGB for the printer's RIP to convert.
    output_intent: Literal["FOGRA39"] | None = None


class Event(_Frozen):
    """The launch event the announcement invites to, in its own time zone."""

    TRANSLATABLE: ClassVar[tuple[str, ...]] = ("title", "location")
    title: Text  # the calendar entry's title
    start: Annotated[dt.datetime, BeforeValidator(_moment)]  # local time in `timezone`
    end: Annotated[dt.datetime, BeforeValidator(_moment)]
    timezone: Annotated[str, BeforeValidator(_time_zone)]  # IANA: Europe/Brussels
    location: Text | None = None  # "Online (Zoom)"

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> Event:
        if self.end <= self.start:
            raise PydanticCustomError(
                "bad-period",
                "the event's end is not after its start ({start} to {end})",
                {"start": f"{self.start:%Y-%m-%d %H:%M}", "end": f"{self.end:%Y-%m-%d %H:%M}"},
            )
        return self

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Announcement(_Frozen):
    """The launch email a release writes per language (`release`), and may send."""

    TRANSLATABLE: ClassVar[tuple[str, ...]] = ("subject", "event")
    subject: Text
    text: Text  # Markdown, translated through the catalogs like the imprint
    event: Event | None = None
    registration: Annotated[str, BeforeValidator(_https)] | None = None
    sender: Annotated[str, BeforeValidator(_mailbox)]
    reply_to: Annotated[str, BeforeValidator(_mailbox)] | None = None
    # The email with its attachment; 10 MB is a common limit of organisations' mail servers.
    size_budget_mb: float = Field(default=10, gt=0)


class Limits(_Frozen):
    """What the loader accepts from the content, so one file cannot exhaust the machine."""

    # The largest raster image, width × height in millions of pixels. At most 150: above about
    # 179 Pillow refuses to open an image at all; a 144-megapixel image cost WeasyPrint 1.3 GB.
    image_megapixels: Annotated[float, BeforeValidator(_number)] = Field(default=40, gt=0, le=150)


class Part(_Frozen):
    id: Id
    title: Text
    kind: Literal["chapter", "tool", "case-study"]
    intro: Text | None = None
    files: tuple[Text, ...] = Field(min_length=1)
    documents: tuple[Chapter | Tool | CaseStudy, ...] = ()


class Brochure(_Frozen):
    """The whole publication in one language, as the manifest orders it."""

    slug: Id
    title: Text
    subtitle: Text
    publisher: Text
    edition: Annotated[dt.date, BeforeValidator(_date)]
    source_language: Language
    languages: Annotated[tuple[Language, ...], AfterValidator(_unique)] = Field(min_length=1)
    # Languages still being translated: built when asked for (`build --lang pt`), left out of
    # `build --all` and of a release.
    drafts: Annotated[tuple[Language, ...], AfterValidator(_unique)] = ()
    imprint: Text
    back_cover: Text
    regions: dict[Id, Text] = Field(min_length=1)
    themes: dict[Id, Text] = Field(min_length=1)
    front_matter: tuple[Text, ...] = ()
    parts: tuple[Part, ...] = Field(min_length=1)
    back_matter: tuple[Text, ...] = ()
    # The first variant is the default (its PDF is <slug>-<lang>.pdf; others add -<variant>).
    variants: dict[Id, Variant] = Field(default_factory=lambda: {"screen": Variant()})
    limits: Limits = Field(default_factory=Limits)
    announcement: Announcement | None = None

    # Filled in by the loader, not by the manifest.
    lang: str = "en"
    locale: str = ""  # the Babel locale for dates, numbers and names ("pt_PT"); "": from lang
    source: Location = Location("")
    front_documents: tuple[Chapter, ...] = ()
    back_documents: tuple[Chapter, ...] = ()
    field_lines: dict[str, int] = Field(default_factory=dict)  # "parts[2].title" -> its line
    interface: dict[str, str] = Field(default_factory=dict)  # template string -> translation
    # Markdown fields of the manifest ("imprint", "parts.tools.intro") -> segment key -> text.
    translations: dict[str, dict[str, str]] = Field(default_factory=dict)

    @property
    def published(self) -> tuple[str, ...]:
        """The languages `build --all` and a release make: every language but the drafts."""
        return tuple(lang for lang in self.languages if lang not in self.drafts)

    @property
    def case_studies(self) -> tuple[CaseStudy, ...]:
        return tuple(d for p in self.parts for d in p.documents if isinstance(d, CaseStudy))

    @property
    def documents(self) -> tuple[Document, ...]:
        """Every document in reading order."""
        inner = tuple(d for p in self.parts for d in p.documents)
        return self.front_documents + inner + self.back_documents
