"""recipients.csv -> who gets the announcement, in which language; every fault with its line.

The file has a header row with an `email` column, and optionally `language` and `name` (other
columns are ignored, so a mailing-list export can be used as it is; commas, semicolons or tabs).
A recipient gets their language when the brochure publishes it (`fr-CA` gets `fr`), and the
source language when the column is empty or names a language the release does not publish.
A malformed address, a value that is no language code and an address listed twice are
errors, all reported together, before anything is sent.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from email.headerregistry import Address
from pathlib import Path

from babel import Locale, UnknownLocaleError

from ..errors import BrochureError, Location, Problem

__all__ = ["Recipient", "read"]

_ADDRESS = re.compile(r"[^@\s<>,;\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+")
_EMAIL = ("email", "e-mail", "mail", "address")
_LANGUAGE = ("language", "lang")


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    lang: str  # the language they get
    asked: str  # the CSV's value ("" when none)
    line: int

    @property
    def mailbox(self) -> str:
        """`Name <address>` for the To header (the name quoted or encoded as needed)."""
        return str(Address(display_name=self.name, addr_spec=self.email))

    @property
    def note(self) -> str:
        """Why they get a language other than the one asked for ("" when they get it)."""
        if not self.asked:
            return "no language given"
        if self.asked.lower().split("-")[0] != self.lang.split("-")[0]:
            return f"{self.asked} is not published"
        return ""


def read(path: Path, published: tuple[str, ...], source: str) -> list[Recipient]:
    """The recipients of `path`; raises BrochureError with every faulty row."""
    where = Location(str(path))
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise BrochureError(
            [Problem(where, "", "unreadable", f"cannot read: {error.strerror}")]
        ) from None
    except UnicodeDecodeError:
        raise BrochureError(
            [Problem(where, "", "not-utf8", "not UTF-8; save the file as CSV UTF-8")]
        ) from None
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader, [])]
    email_column = next((header.index(h) for h in _EMAIL if h in header), None)
    if email_column is None:
        raise BrochureError(
            [
                Problem(
                    Location(str(path), 1),
                    "",
                    "no-email-column",
                    "the first row names the columns; expected one called 'email' (and "
                    f"optionally 'language' and 'name'), got {', '.join(header) or 'nothing'}",
                )
            ]
        )
    language_column = next((header.index(h) for h in _LANGUAGE if h in header), None)
    name_column = header.index("name") if "name" in header else None
    problems: list[Problem] = []
    recipients: list[Recipient] = []
    seen: dict[str, int] = {}
    line = 1
    for row in reader:
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue

        def cell(column: int | None, row: list[str] = row) -> str:
            return row[column].strip() if column is not None and column < len(row) else ""

        email, asked = cell(email_column), cell(language_column)
        at = Location(str(path), start)
        if not _valid(email):
            problems.append(Problem(at, "email", "bad-address", f"not an email address: {email!r}"))
            continue
        key = email.lower()
        if key in seen:
            problems.append(
                Problem(at, "email", "duplicate", f"{email} is already on line {seen[key]}")
            )
            continue
        seen[key] = start
        lang = _language(asked, published, source)
        if lang is None:
            problems.append(
                Problem(
                    at,
                    "language",
                    "unknown-language",
                    f"{asked!r} is not a language code; write one like "
                    f"{', '.join(published)}, or leave it empty for {source}",
                )
            )
            continue
        recipients.append(Recipient(email, cell(name_column), lang, asked, start))
    if problems:
        raise BrochureError(problems)
    return recipients


def _valid(email: str) -> bool:
    if not _ADDRESS.fullmatch(email):
        return False
    try:
        Address(addr_spec=email)
    except (ValueError, IndexError):
        return False
    return True


def _language(asked: str, published: tuple[str, ...], source: str) -> str | None:
    """The language a recipient gets; None when `asked` is no language code at all."""
    if not asked:
        return source
    code = asked.replace("_", "-")
    base, _, region = code.partition("-")
    code = base.lower() + (f"-{region.upper()}" if region else "")
    if not re.fullmatch(r"[a-z]{2,3}(?:-[A-Z0-9]{2,3})?", code):
        return None
    try:
        Locale.parse(code.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return None
    for candidate in (code, base.lower()):
        if candidate in published:
            return candidate
    return source
