"""Building RFC 5322 messages: multipart text + HTML, safe headers, stable Message-ID."""

import re
import uuid
from datetime import datetime
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
) -> EmailMessage:
    """Return a multipart/alternative message with German text and HTML parts."""
    message = EmailMessage()
    message["From"] = formataddr((one_line(sender_name), sender))
    message["To"] = formataddr((one_line(recipient_name), recipient))
    if cc:
        message["Cc"] = ", ".join(cc)
    message["Subject"] = one_line(subject)
    message["Date"] = format_datetime(date.astimezone(BERLIN))
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    # Quoted-printable keeps the stored message 7-bit clean for any SMTP server.
    message.set_content(text, charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    # After the parts: set_content() drops Content-* headers set before it.
    message["Content-Language"] = "de"
    return message
