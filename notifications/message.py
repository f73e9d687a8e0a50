"""Building RFC 5322 messages: multipart text + HTML, safe headers, stable Message-ID."""

import re
import uuid
from datetime import datetime
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from ikz.clock import BERLIN


def one_line(text: str, limit: int = 200) -> str:
    """Collapse all whitespace (CR/LF included) so user text can never start a new header."""
    # "=?" would start an RFC 2047 encoded word that the email library decodes into raw header text.
    text = re.sub(r"\s+", " ", text).strip().replace("=?", "= ?")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def new_message_id(sender: str) -> str:
    """A globally unique Message-ID in the sender's domain, fixed once the message is queued."""
    domain = sender.rpartition("@")[2] or "ikz.invalid"
    return f"<{uuid.uuid4().hex}@{domain}>"


def build(
    *,
    sender: str,
    sender_name: str,
    recipient: str,
    recipient_name: str,
    subject: str,
    text: str,
    html: str,
    message_id: str,
    date: datetime,
    cc: list[str] | None = None,
    reply_to: str | None = None,
    auto_submitted: str = "auto-generated",
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """Return a multipart/alternative message with German text and HTML parts.

    `headers` are further headers made by ikz itself (threading, list headers), not from user text.
    """
    message = EmailMessage()
    message["From"] = formataddr((one_line(sender_name), sender))
    message["To"] = formataddr((one_line(recipient_name), recipient))
    if cc:
        message["Cc"] = ", ".join(cc)
    _set_text(message, "Subject", one_line(subject))
    message["Date"] = format_datetime(date.astimezone(BERLIN))
    message["Message-ID"] = message_id
    if reply_to:
        message["Reply-To"] = reply_to
    # RFC 3834: automatic mail; auto-responders (and Exchange's out-of-office) must not answer it.
    message["Auto-Submitted"] = auto_submitted
    message["X-Auto-Response-Suppress"] = "All"
    for name, value in (headers or {}).items():
        if name == "Thread-Topic":
            _set_text(message, name, value)
        else:
            message[name] = value
    # Base64 keeps the stored message 7-bit clean for any SMTP server (smtplib sends str as ASCII) and is encoded
    # in C: the email package's quoted-printable is pure Python and cost most of a large sweep's time.
    message.set_content(_canonical(text), "text", "plain", cte="base64", params={"charset": "utf-8"})
    message.add_alternative(_canonical(html), "text", "html", cte="base64", params={"charset": "utf-8"})
    # After the parts: set_content() drops Content-* headers set before it.
    message["Content-Language"] = "de"
    return message


def _canonical(text: str) -> bytes:
    """A text part's bytes in canonical form (CRLF line ends, RFC 2045 6.8), as base64 must encode them."""
    # Not str.splitlines(): that also breaks at U+2028, NEL and form feeds, which user text may hold.
    # Ending in a line break, as the email package's own text parts do.
    return (re.sub(r"\r\n|\r|\n", "\r\n", text).removesuffix("\r\n") + "\r\n").encode("utf-8")


def _set_text(message: EmailMessage, name: str, value: str) -> None:
    """Set an unstructured header (Subject, Thread-Topic) as RFC 2047 words folded by the legacy Header class.

    The modern folder loses the space between two adjacent encoded words when it folds between them
    ("… org – Prüfung" arrived as "… org  –Prüfung"); the legacy one keeps spaces inside the words.
    """
    if value.isascii():
        message[name] = value
        return
    # set_raw stores the folded value as is; every line is short, so the generator does not refold it.
    message.set_raw(name, Header(value, "utf-8", header_name=name).encode(linesep="\n"))
