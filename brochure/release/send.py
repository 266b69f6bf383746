"""The drafts + the recipients -> one message each through SMTP, recorded so none goes twice.

The connection is STARTTLS (the certificate checked) then AUTH; the password comes only from
the environment (`BROCHURE_SMTP_PASSWORD`) and is never printed or written. Messages go at a
steady rate (mail servers throttle or block bursts).

The delivery log (JSON lines beside the release folder) says, per address, `sending` before a
message is handed to the server and `sent` or `failed` after. A second run sends to everyone
without a `sent`, so an interrupted run is resumed by running it again. A `sending` without an
outcome (the process was killed while the server had the message) is not sent again: it may
have arrived; the run says so, and deleting its lines from the log sends it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import smtplib
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .eml import for_recipient, mailbox
from .recipients import Recipient

__all__ = ["DeliveryLog", "SendError", "Smtp", "send"]


class SendError(Exception):
    """The server cannot be used or stopped answering: one line for the user (exit 1)."""


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int = 587
    user: str = ""
    password: str = field(default="", repr=False)  # from the environment only
    timeout: float = 60
    context: ssl.SSLContext | None = None  # None: the system's trusted certificates

    def __str__(self) -> str:
        return f"{self.user + '@' if self.user else ''}{self.host}:{self.port}"


class DeliveryLog:
    """What has been sent to whom, appended line by line and synced after each line."""

    def __init__(self, path: Path):
        self.path = path

    def states(self) -> dict[str, str]:
        """address (lowercase) -> its last state: sending, sent or failed."""
        states: dict[str, str] = {}
        if not self.path.exists():
            return states
        for text in self.path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(text)
                states[entry["email"].lower()] = entry["state"]
            except (ValueError, KeyError, TypeError, AttributeError):
                continue  # a line cut short by a kill
        return states

    def record(
        self, recipient: Recipient, state: str, message_id: str = "", error: str = ""
    ) -> None:
        entry = {
            "email": recipient.email,
            "lang": recipient.lang,
            "state": state,
            "message_id": message_id,
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        if error:
            entry["error"] = error
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as file:
            file.write(json.dumps(entry, ensure_ascii=False) + "\n")
            file.flush()
            os.fsync(file.fileno())


@dataclass(frozen=True)
class Outcome:
    recipient: Recipient
    state: str  # sent, skipped (sent before), uncertain (a killed run may have sent it)
    message_id: str = ""


def send(
    recipients: list[Recipient],
    drafts: dict[str, bytes],
    smtp: Smtp,
    log: DeliveryLog,
    per_minute: float,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[Outcome]:
    """Send each recipient their language's draft, yielding each outcome as it happens.
    Raises SendError when the server refuses the login or closes the connection; what was sent
    until then is in the log."""
    states = log.states()
    todo = []
    for recipient in recipients:
        state = states.get(recipient.email.lower())
        if state == "sent":
            yield Outcome(recipient, "skipped")
        elif state == "sending":
            yield Outcome(recipient, "uncertain")
        else:
            todo.append(recipient)
    if not todo:
        return
    interval = 60 / per_minute if per_minute > 0 else 0
    with _connect(smtp) as server:
        for index, recipient in enumerate(todo):
            if index and interval:
                sleep(interval)
            message = for_recipient(drafts[recipient.lang], recipient.mailbox, _now())
            message_id = str(message["Message-ID"])
            sender = mailbox(str(message["From"])).addr_spec
            log.record(recipient, "sending", message_id)
            try:
                refused = server.send_message(message, sender, [recipient.email])
            except smtplib.SMTPRecipientsRefused as error:
                reason = _reply(*error.recipients.get(recipient.email, (0, b"refused")))
                log.record(recipient, "failed", message_id, reason)
                raise SendError(
                    f"{smtp.host} refused {recipient.email}: {reason}; fix the address (line "
                    f"{recipient.line}) and run again: the others sent are not sent twice"
                ) from None
            except (smtplib.SMTPException, OSError) as error:
                log.record(recipient, "failed", message_id, str(error))
                raise SendError(
                    f"{smtp.host} stopped while sending to {recipient.email} ({_describe(error)}) "
                    f"after {index} of {len(todo)} messages; run the same command again to "
                    "send the rest (nobody gets it twice)"
                ) from None
            if refused:
                log.record(recipient, "failed", message_id, str(refused))
                continue
            log.record(recipient, "sent", message_id)
            yield Outcome(recipient, "sent", message_id)


class _connect:
    """An SMTP session: STARTTLS, then the login; closed however the block ends."""

    def __init__(self, smtp: Smtp):
        self.smtp = smtp
        self.server: smtplib.SMTP | None = None

    def __enter__(self) -> smtplib.SMTP:
        smtp = self.smtp
        try:
            server = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        except (OSError, smtplib.SMTPException) as error:
            raise SendError(
                f"cannot connect to {smtp.host}:{smtp.port}: {_describe(error)}"
            ) from None
        self.server = server
        try:
            server.ehlo()
            if not server.has_extn("starttls"):
                raise SendError(
                    f"{smtp.host}:{smtp.port} offers no STARTTLS; the password is never sent "
                    "unencrypted (use the server's submission port, usually 587)"
                )
            server.starttls(context=smtp.context or ssl.create_default_context())
            server.ehlo()
            if smtp.user:
                server.login(smtp.user, smtp.password)
        except smtplib.SMTPAuthenticationError as error:
            self._close()
            reply = _reply(error.smtp_code, error.smtp_error)
            raise SendError(
                f"{smtp.host} refused the login of {smtp.user!r} ({reply}); "
                "check BROCHURE_SMTP_USER and BROCHURE_SMTP_PASSWORD"
            ) from None
        except ssl.SSLError as error:
            self._close()
            raise SendError(
                f"{smtp.host}: the TLS connection failed ({error.reason or error}); a server with "
                "its own certificate authority needs BROCHURE_SMTP_CAFILE"
            ) from None
        except (OSError, smtplib.SMTPException) as error:
            self._close()
            raise SendError(f"{smtp.host}:{smtp.port}: {_describe(error)}") from None
        except SendError:
            self._close()
            raise
        return server

    def __exit__(self, *exc: object) -> None:
        if self.server is not None:
            try:
                self.server.quit()
            except (OSError, smtplib.SMTPException):
                self._close()

    def _close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None


def _reply(code: int, text: bytes | str) -> str:
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {text}".strip()


def _describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        return _reply(error.smtp_code, error.smtp_error)
    if isinstance(error, socket.timeout | TimeoutError):
        return "no answer in time"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return "the server closed the connection"
    return getattr(error, "strerror", None) or str(error) or type(error).__name__


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
