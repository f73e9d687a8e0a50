"""Threading: every mail about one mandate hangs under one stable root, so mail clients group them.

The rules (README "Antworten per E-Mail"):
- a message about exactly one mandate (a reminder, an escalation, a notice, the coordinator's note on a
  reply) refers to that mandate's root `<ikz.mandat.ID.CREATED@domain>`, with the subject
  "ikz CODE TITLE – STAGE": the same for every mail while the mandate stays in that stage;
- a message listing several mandates threads per recipient instead (root `<ikz.KIND.HASH@domain>`, one
  subject per recipient and kind), because one conversation cannot belong to several mandates;
- a message answering another one (a failure notice, the answer to an unassignable reply) is a reply:
  In-Reply-To that message, References its references and it;
- Thread-Topic and Thread-Index (Outlook's conversation headers, MS-OXOMSG 2.2.1.3) carry the same root.
"""

import base64
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from notifications.message import one_line

# A Message-ID as we accept it from others: angle brackets, no spaces or further brackets, one @.
MESSAGE_ID = re.compile(r"<[^<>\s@]{1,200}@[^<>\s@]{1,200}>")
# References kept from a message we answer: enough for every client to place the answer.
MAX_REFERENCES = 10
# The conversation start written into Thread-Index when a thread has no natural start (per-recipient threads).
EPOCH = datetime(2010, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Thread:
    """Where a message belongs: the chain it refers to (root first), its topic, when the conversation began."""

    chain: tuple[str, ...]
    topic: str
    started: datetime = EPOCH

    @property
    def root(self) -> str:
        return self.chain[0]


def domain(settings) -> str:
    """The domain of ikz's own Message-IDs: the sender's."""
    return settings.mail.sender.rpartition("@")[2] or "ikz.invalid"


def mandate_subject(code: str, title: str, stage: str) -> str:
    """The subject of every single-mandate mail in one stage, e.g. "ikz 1.4 Einkaufsgemeinschaft LOGA – Prüfung"."""
    return f"ikz {code} {title} – {stage}"


def for_mandate(settings, mandate_id: int, created_at: datetime, code: str, title: str) -> Thread:
    """The thread of one mandate: its root never changes, whatever the mandate's code, title or stage."""
    root = f"<ikz.mandat.{mandate_id}.{created_at.astimezone(UTC):%Y%m%d%H%M%S}@{domain(settings)}>"
    return Thread((root,), f"{code} {title}", created_at)


def for_recipient(settings, kind: str, recipient: str, topic: str) -> Thread:
    """The thread of one recipient's grouped mail of one kind (reminders listing several mandates, digests)."""
    digest = hashlib.sha256(recipient.casefold().encode()).hexdigest()[:16]
    return Thread((f"<ikz.{kind}.{digest}@{domain(settings)}>",), topic)


def replying_to(message_id: str, references: list[str], topic: str) -> Thread:
    """The thread of an answer to `message_id`; only well-formed IDs of the original are kept."""
    kept = [ref for ref in references if MESSAGE_ID.fullmatch(ref)][-MAX_REFERENCES:]
    chain = tuple(dict.fromkeys([*kept, message_id]))
    return Thread(chain, topic)


def headers(thread: Thread, message_id: str, date: datetime) -> dict[str, str]:
    """The threading headers of one message in `thread`."""
    return {
        "In-Reply-To": thread.chain[-1],
        "References": " ".join(thread.chain),
        "Thread-Topic": one_line(thread.topic),
        "Thread-Index": thread_index(thread, message_id, date),
    }


def _filetime(moment: datetime) -> int:
    # 100-ns intervals since 1601-01-01 UTC.
    return int((moment.astimezone(UTC) - datetime(1601, 1, 1, tzinfo=UTC)).total_seconds() * 10_000_000)


def thread_index(thread: Thread, message_id: str, date: datetime) -> str:
    """Outlook's conversation index: a header from the thread (its start and a GUID from the root) and one
    child block for this message's time (base64)."""
    start = _filetime(thread.started) >> 16
    header = start.to_bytes(6, "big") + hashlib.md5(thread.root.encode()).digest()
    difference = _filetime(date) - (start << 16)
    if difference < 0:
        return base64.b64encode(header).decode()
    if difference & 0x00FE_0000_0000_0000 == 0:
        block = (difference >> 18) & 0x7FFF_FFFF
    else:
        block = (1 << 31) | ((difference >> 23) & 0x7FFF_FFFF)
    # The random byte of the spec, derived from the message so that a stored message stays reproducible.
    noise = hashlib.md5(message_id.encode()).digest()[0]
    return base64.b64encode(header + block.to_bytes(4, "big") + bytes([noise])).decode()
