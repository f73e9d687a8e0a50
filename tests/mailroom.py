"""Replies as mail clients write them, and the mailboxes they land in (Maildir here, IMAP in imap_server.py)."""

import mailbox
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from ikz import settings as settings_module

# The token key of every test configuration (at least 16 characters).
KEY = "test-schluessel-1234567890"


def answering_settings(tmp_path, **more):
    """Settings with replies enabled, mail to a Maildir beside an inbox Maildir, unless `more` says otherwise."""
    values = {
        "inbox_token_key": KEY,
        "inbox_directory": str(tmp_path / "eingang"),
        "mail_directory": str(tmp_path / "ausgang"),
        **more,
    }
    return settings_module.load(environ={}, **values)


def reply(
    original: bytes,
    text: str,
    *,
    sender: str,
    name: str = "",
    html: str | None = None,
    to: str | None = None,
    headers: dict[str, str] | None = None,
    quote: bool = True,
) -> bytes:
    """A reply to `original` the way Thunderbird or Outlook writes one: to its Reply-To, AW: subject, quoted."""
    source = message_from_bytes(original, policy=policy.default)
    message = EmailMessage()
    message["From"] = formataddr((name, sender))
    message["To"] = to or str(source["Reply-To"] or source["From"])
    message["Subject"] = f"AW: {source['Subject']}"
    message["Date"] = format_datetime(source["Date"].datetime)
    message["Message-ID"] = f"<{uuid.uuid4().hex}@{sender.rpartition('@')[2]}>"
    message["In-Reply-To"] = source["Message-ID"]
    message["References"] = f"{source.get('References', '')} {source['Message-ID']}".strip()
    for key, value in (headers or {}).items():
        message[key] = value
    body = text
    if quote:
        original_text = source.get_body(("plain",)).get_content()
        quoted = "\n".join(f"> {line}" for line in original_text.splitlines())
        body += f"\n\nAm 01.12.2010 um 07:30 schrieb {source['From']}:\n{quoted}\n"
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message.as_bytes()


def deliver(directory, raw: bytes) -> str:
    """Put a message into a Maildir's new/ as a mail server delivers it."""
    return mailbox.Maildir(directory, create=True).add(raw)


def waiting(directory) -> int:
    """Messages still in the inbox Maildir (new/ and cur/)."""
    return len(mailbox.Maildir(directory, create=True))


def done(directory, folder: str = "ikz-erledigt") -> int:
    """Messages moved into the done folder."""
    return len(mailbox.Maildir(directory, create=True).get_folder(folder))
