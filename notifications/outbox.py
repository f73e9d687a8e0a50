"""The outbox: rendered messages written in the same transaction as what caused them."""

from datetime import datetime

from sqlmodel import Session

from models import OutboxMessage
from notifications import message
from ikz.settings import Settings


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
