"""A lead's mail client in the demo: answers a received message the way Outlook or Thunderbird does."""

import mailbox
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path

from ikz.clock import BERLIN


def answer(original: bytes, text: str, *, sender: str, name: str, signature: str, moment: datetime) -> bytes:
    """A reply to `original`: to its Reply-To, "AW:" subject, threaded, the original quoted below the text."""
    source = message_from_bytes(original, policy=policy.default)
    reply = EmailMessage()
    reply["From"] = formataddr((name, sender))
    reply["To"] = str(source["Reply-To"] or source["From"])
    reply["Subject"] = f"AW: {source['Subject']}"
    reply["Date"] = format_datetime(moment.astimezone(BERLIN))
    reply["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    reply["In-Reply-To"] = source["Message-ID"]
    reply["References"] = f"{source.get('References', '')} {source['Message-ID']}".strip()
    sent = source["Date"].datetime.astimezone(BERLIN)
    quoted = "\n".join(f"> {line}" for line in source.get_body(("plain",)).get_content().splitlines())
    reply.set_content(
        f"{text}\n\nViele Grüße\n{signature}\n\n"
        f"Am {sent:%d.%m.%Y} um {sent:%H:%M} schrieb {source['From']}:\n{quoted}\n"
    )
    return reply.as_bytes()


def deliver(folder: Path, raw: bytes) -> None:
    """Put a message into the Maildir that ikz reads, as the mail server would."""
    mailbox.Maildir(folder, create=True).add(raw)
