"""Reading a raw message into what the intake needs, whatever the message is: this module never raises."""

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

from notifications.message import one_line
from notifications.threads import MESSAGE_ID
from workflow.checks import is_email

# Headers a message may name our reply address in; servers add the last three on delivery.
ADDRESSED = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
OUT_OF_OFFICE = re.compile(
    r"^\s*(abwesenheitsnotiz|automatische antwort|out of office|autoreply|auto:|abwesend|urlaubsabwesenheit)",
    re.IGNORECASE,
)
NO_REPLY = re.compile(r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply)@", re.IGNORECASE)
# Texts longer than this are cut before any further reading (a note holds 5000 characters).
MAX_TEXT = 100_000


@dataclass
class Attachment:
    """A file sent with a reply: its (cleaned) name, size and, if kept, content."""

    name: str
    size: int
    data: bytes | None = None


@dataclass
class Mail:
    """One incoming message as the intake reads it."""

    message_id: str
    sender: str = ""
    sender_name: str = ""
    addressed: list[str] = field(default_factory=list)
    subject: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    date: datetime | None = None
    text: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    # Why it is an automatic message (to be ignored), or why it cannot be read (to be quarantined).
    automatic: str | None = None
    problem: str | None = None
    forged: bool = False


def fallback_id(raw: bytes) -> str:
    """A stable Message-ID for a message without a usable one: the same bytes always get the same ID."""
    return f"<{hashlib.sha256(raw).hexdigest()[:40]}@ohne-message-id.invalid>"


def parse(raw: bytes, *, keep_attachments: bool = False, headers_only: bool = False) -> Mail:
    """Read a message; whatever goes wrong ends up in `problem`, never as an exception."""
    try:
        if headers_only:
            message = BytesHeaderParser(policy=policy.default).parsebytes(raw)
        else:
            message = message_from_bytes(raw, policy=policy.default)
        return _read(message, raw, keep_attachments=keep_attachments, headers_only=headers_only)
    except Exception as exc:  # hostile input can break the email package in many ways; each one is a quarantine reason
        return Mail(fallback_id(raw), problem=f"Nachricht nicht lesbar ({type(exc).__name__})")


def printable(text: str, *, multiline: bool = False) -> str:
    """Text without control characters (line breaks and tabs kept if multiline): nothing downstream stores them."""
    keep = "\n\t" if multiline else ""
    return "".join(
        " " if (unicodedata.category(ch) in ("Cc", "Cs") and ch not in keep) or ch in "\u2028\u2029" else ch
        for ch in text
    )


def _text(message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a malformed header raises on access in the email package (HeaderParseError, IndexError, …)
        return ""
    return one_line(printable(str(value)), 1000) if value is not None else ""


def _ids(value: str) -> list[str]:
    return MESSAGE_ID.findall(value)


def _read(message: EmailMessage, raw: bytes, *, keep_attachments: bool, headers_only: bool) -> Mail:
    found = _ids(_text(message, "Message-ID"))
    mail = Mail(found[0] if len(found) == 1 else fallback_id(raw))
    mail.subject = _text(message, "Subject")[:250]
    mail.in_reply_to = _ids(_text(message, "In-Reply-To"))
    mail.references = _ids(_text(message, "References"))
    try:
        mail.date = parsedate_to_datetime(_text(message, "Date"))
    except (TypeError, ValueError, IndexError):
        mail.date = None
    for name in ADDRESSED:
        for value in message.get_all(name) or []:
            mail.addressed += [address for _name, address in getaddresses([str(value)]) if address]
    senders = getaddresses([_text(message, "From")])
    senders = [(name, address) for name, address in senders if address]
    if len(senders) != 1 or not is_email(senders[0][1]):
        mail.problem = "Absender fehlt, ist mehrdeutig oder keine gültige Adresse"
    else:
        mail.sender_name, mail.sender = one_line(printable(senders[0][0]), 120), senders[0][1]
    mail.automatic = _automatic(message, mail)
    results = " ".join(str(v) for v in message.get_all("Authentication-Results") or [])
    # Our own server's verdict on the sender's domain; a failed DMARC check means the From is not theirs.
    mail.forged = bool(re.search(r"\bdmarc=fail\b", results, re.IGNORECASE))
    if headers_only or mail.problem:
        return mail
    mail.text, mail.attachments = _body(message, keep_attachments)
    return mail


def _automatic(message, mail: Mail) -> str | None:
    """Why this is an automatic message (out-of-office, bounce, list mail), or None for a person's reply."""
    auto = _text(message, "Auto-Submitted").lower()
    if auto and auto != "no":
        return f"automatische Nachricht (Auto-Submitted: {auto[:40]})"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        if message.get(name) is not None:
            return f"automatische Antwort ({name})"
    for name in ("Precedence", "X-Precedence"):
        value = _text(message, name).lower()
        if value in ("bulk", "auto_reply", "junk", "list"):
            return f"automatische Nachricht ({name}: {value})"
    if _text(message, "Return-Path").replace(" ", "") == "<>" or message.get_content_type() == "multipart/report":
        return "Zustellbericht"
    if NO_REPLY.match(mail.sender or ""):
        return f"automatische Nachricht von {mail.sender}"
    if OUT_OF_OFFICE.match(mail.subject):
        return f"Abwesenheitsnotiz (Betreff „{mail.subject[:60]}“)"
    return None


def _body(message: EmailMessage, keep: bool) -> tuple[str, list[Attachment]]:
    part = message.get_body(preferencelist=("plain", "html"))
    text = ""
    if part is not None:
        text = _decode(part)
        if part.get_content_type() == "text/html":
            text = html_to_text(text)
    attachments = []
    for each in message.iter_attachments() if message.is_multipart() else []:
        data = each.get_payload(decode=True) or b""
        name = one_line(each.get_filename() or "ohne Namen", 120)
        attachments.append(Attachment(name, len(data), data if keep else None))
    return printable(text[:MAX_TEXT].replace("\r\n", "\n").replace("\r", "\n"), multiline=True), attachments


def _decode(part) -> str:
    """The text of a part, whatever its declared charset says (UTF-8 declared as Latin-1 is common)."""
    data = part.get_payload(decode=True) or b""
    declared = (part.get_content_charset() or "utf-8").lower()
    try:
        strict_utf8 = data.decode("utf-8")
    except UnicodeDecodeError:
        strict_utf8 = None
    if strict_utf8 is not None and (declared in ("us-ascii", "ascii", "iso-8859-1", "latin-1", "windows-1252")):
        return strict_utf8
    try:
        return data.decode(declared, errors="replace")
    except LookupError:
        # An unknown charset name: UTF-8 if it is that, else the Windows code page most German mail uses.
        return strict_utf8 if strict_utf8 is not None else data.decode("cp1252", errors="replace")


class _Text(HTMLParser):
    """HTML to plain text: block elements become line breaks, quoted blocks and scripts are left out."""

    SKIP = frozenset({"script", "style", "head", "title", "blockquote"})
    BLOCKS = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "table", "hr"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skipping = max(self.skipping - 1, 0)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """The readable text of an HTML-only reply."""
    reader = _Text()
    reader.feed(markup)
    reader.close()
    # convert_charrefs has already turned &amp; and friends into characters.
    text = "".join(reader.parts).replace("\xa0", " ")
    return re.sub(r"\n\s*\n\s*\n+", "\n\n", text).strip()
