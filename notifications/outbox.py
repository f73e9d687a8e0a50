"""The outbox: rendered messages written in the same transaction as what caused them, listed and retried."""

from datetime import datetime

from sqlmodel import Session, select

from ikz.errors import RetryRefused, UnknownMessage
from ikz.settings import Settings
from models import OutboxMessage
from notifications import message

STATUS_LABELS = {"queued": "wartet", "sent": "versandt", "failed": "gescheitert"}


def enqueue(
    session: Session,
    settings: Settings,
    *,
    kind: str,
    recipient: str,
    recipient_name: str,
    subject: str,
    text: str,
    html: str,
    now: datetime,
) -> OutboxMessage:
    """Queue one message for delivery (the caller's transaction commits it with its cause)."""
    message_id = message.new_message_id(settings.mail.sender)
    built = message.build(
        sender=settings.mail.sender,
        sender_name=settings.mail.sender_name,
        recipient=recipient,
        recipient_name=recipient_name,
        subject=subject,
        text=text,
        html=html,
        message_id=message_id,
        date=now,
    )
    row = OutboxMessage(
        message_id=message_id,
        kind=kind,
        recipient=recipient,
        subject=str(built["Subject"]),
        raw=built.as_string(),
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def list_messages(session: Session, status: str | None = None) -> list[OutboxMessage]:
    """Outbox messages by ID, optionally only those with one status."""
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if status:
        query = query.where(OutboxMessage.status == status)
    return list(session.exec(query))


def retry(session: Session, ids: list[int], *, now: datetime) -> list[int]:
    """Put failed messages (all, or the given IDs) back into the queue with a fresh count; returns their IDs."""
    if ids:
        rows = []
        for outbox_id in dict.fromkeys(ids):
            row = session.get(OutboxMessage, outbox_id)
            if row is None:
                raise UnknownMessage(f"Eine Nachricht {outbox_id} gibt es im Postausgang nicht.")
            if row.status != "failed":
                raise RetryRefused(
                    f"Nachricht {outbox_id} ist nicht gescheitert (Status: {STATUS_LABELS[row.status]}); "
                    "erneut senden lassen sich nur gescheiterte Nachrichten."
                )
            rows.append(row)
    else:
        rows = list_messages(session, "failed")
    for row in rows:
        row.status, row.attempts, row.next_attempt_at = "queued", 0, now
        row.last_error = row.reported_at = row.lease_owner = row.lease_until = None
        session.add(row)
    session.flush()
    return [row.id for row in rows]
