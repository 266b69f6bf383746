"""A Letter + the PDF (+ the invitation) -> an .eml draft that any mail client opens; and the
draft -> the message one recipient is sent.

The draft is RFC 5322 with MIME, written by the standard library's `email` package with its
SMTP policy (CRLF line ends, folded headers, non-ASCII names encoded):

    multipart/mixed
      multipart/alternative     text/plain and text/html (UTF-8, quoted-printable)
      application/pdf           the screen PDF, named in the letter's language
      text/calendar             the invitation (.ics, METHOD=PUBLISH), when there is an event

`X-Unsent: 1` makes Outlook open the file as a draft to send; Thunderbird and Apple Mail open
it as a message (Thunderbird: Edit as New). Two releases of the same sources write the same
bytes: the Date comes from the edition, the MIME boundaries and the Message-ID from the content.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from email import message_from_bytes
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from .announcement import Letter

__all__ = ["draft", "for_recipient", "mailbox"]


def draft(
    letter: Letter,
    pdf: bytes,
    invitation: bytes | None,
    sender: str,
    reply_to: str | None,
    date: dt.datetime,
) -> bytes:
    """The .eml draft of `letter`, with `pdf` (and `invitation`) attached."""
    message = EmailMessage(policy=SMTP)
    message["Subject"] = letter.subject
    message["From"] = sender
    if reply_to:
        message["Reply-To"] = reply_to
    message["Date"] = format_datetime(date)
    message["X-Unsent"] = "1"
    message.set_content(letter.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(letter.html, subtype="html", charset="utf-8", cte="quoted-printable")
    message.add_attachment(pdf, "application", "pdf", filename=letter.attachment)
    if invitation is not None:
        message.add_attachment(
            invitation,
            "text",
            "calendar",
            filename=letter.invitation,
            params={"method": "PUBLISH", "charset": "utf-8"},
        )
    # Set once the parts are in: turning a message multipart moves its Content-* headers down.
    message["Content-Language"] = letter.lang
    headers = f"{letter.subject}|{sender}|{reply_to}|{date.isoformat()}|{_fix_boundaries(message)}"
    digest = hashlib.sha256(headers.encode()).hexdigest()
    message["Message-ID"] = f"<{digest[:32]}.{letter.lang}@{_domain(sender)}>"
    return message.as_bytes()


def for_recipient(eml: bytes, to: str, date: dt.datetime) -> EmailMessage:
    """The draft addressed to `to` (`Name <address>`), dated `date`, with its own Message-ID
    (derived from the draft's and the address, so a resent message would be recognised)."""
    message = message_from_bytes(eml, _class=EmailMessage, policy=SMTP)
    original = message["Message-ID"] or make_msgid()
    digest = hashlib.sha256(f"{original}|{mailbox(to).addr_spec.lower()}".encode()).hexdigest()
    del message["X-Unsent"]
    del message["To"]
    message["To"] = to
    message.replace_header("Date", format_datetime(date))
    message.replace_header("Message-ID", f"<{digest[:32]}@{_domain(str(message['From']))}>")
    return message


def mailbox(text: str) -> Address:
    """`Name <address>` or a bare address, as an Address."""
    message = EmailMessage(policy=SMTP)
    message["To"] = text
    return message["To"].addresses[0]


def _domain(sender: str) -> str:
    return mailbox(sender).domain or "localhost"


def _fix_boundaries(message: EmailMessage) -> str:
    """Give every multipart a boundary derived from what it holds (the generator would pick a
    random one), innermost first; returns the digest of the whole."""
    if not message.is_multipart():
        return hashlib.sha256(message.as_bytes()).hexdigest()
    inner = [_fix_boundaries(part) for part in message.iter_parts()]
    digest = hashlib.sha256("|".join(inner).encode()).hexdigest()
    message.set_boundary(f"=_brochure_{digest[:40]}")
    return digest
