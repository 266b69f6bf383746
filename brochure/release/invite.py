"""The launch event (localized) -> an iCalendar invitation (.ics) in the event's own time zone.

Written with `icalendar` (RFC 5545, folding, escaping and the VTIMEZONE from the IANA data), as
METHOD:PUBLISH: an event to add to one's calendar, not a meeting request that asks every
recipient to reply to the sender. The same sources give the same bytes: the UID and DTSTAMP
come from the event and the edition, not from the clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from icalendar import Calendar
from icalendar import Event as CalendarEvent

from ..markdown import typography
from ..model import Brochure

__all__ = ["invitation"]


def invitation(brochure: Brochure, description: str, domain: str) -> bytes:
    """The .ics of the announcement's event in `brochure`'s language; `description` is the
    email's plain text, `domain` the sender's (for the UID)."""
    announcement = brochure.announcement
    assert announcement is not None
    event = announcement.event
    assert event is not None
    zone = event.zone
    calendar = Calendar()
    calendar.add("prodid", f"-//{brochure.publisher}//{brochure.slug} release//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    entry = CalendarEvent()
    # One event in every language: the same UID, so a reader who gets two languages keeps one.
    key = f"{brochure.slug}|{event.start.isoformat()}|{event.timezone}".encode()
    entry.add("uid", f"{hashlib.sha256(key).hexdigest()[:32]}@{domain}")
    entry.add("dtstamp", dt.datetime.combine(brochure.edition, dt.time(), dt.UTC))
    entry.add("dtstart", event.start.replace(tzinfo=zone))
    entry.add("dtend", event.end.replace(tzinfo=zone))
    lang = brochure.lang
    entry.add("summary", typography(event.title, lang), parameters={"LANGUAGE": brochure.lang})
    entry.add("description", description, parameters={"LANGUAGE": brochure.lang})
    if event.location:
        entry.add(
            "location", typography(event.location, lang), parameters={"LANGUAGE": brochure.lang}
        )
    if announcement.registration:
        entry.add("url", announcement.registration)
    entry.add("status", "CONFIRMED")
    entry.add("transp", "OPAQUE")
    calendar.add_component(entry)
    calendar.add_missing_timezones()
    return calendar.to_ical()
