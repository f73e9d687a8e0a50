"""What was sent to whom: reminder claims, other notices, and the outbox of rendered mail."""

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

# The tables these refer to by foreign key must be in the metadata too (models loads lazily).
import models.mandate  # noqa: F401

OUTBOX_STATES = ("queued", "sent", "failed")


class OutboxMessage(SQLModel, table=True):
    """One rendered email waiting for, or done with, delivery."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    # Stable across retries, so a receiver can drop a duplicate after a crash between send and mark.
    message_id: str = Field(max_length=250, unique=True)
    kind: str = Field(max_length=20)
    recipient: str = Field(max_length=254, index=True)
    subject: str = Field(max_length=250)
    raw: str
    status: str = Field(default="queued", max_length=10, index=True)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(index=True)
    lease_owner: str | None = Field(default=None, max_length=80)
    lease_until: datetime | None = None
    last_error: str | None = None
    created_at: datetime
    sent_at: datetime | None = None
    # When it last failed for good (a digest as of an earlier day lists only what had failed by then).
    failed_at: datetime | None = None
    # Set on permanent failures once the coordinator has been told (and listed in the digest).
    reported_at: datetime | None = None


class Reminder(SQLModel, table=True):
    """A deadline reminder claimed for one recipient: at most one per item, stage, kind and recipient."""

    __table_args__ = (UniqueConstraint("mandate_id", "stage_seq", "due_date", "kind", "recipient"),)

    id: int | None = Field(default=None, primary_key=True)
    mandate_id: int = Field(foreign_key="mandate.id", index=True)
    # The stage entry; 0 for occurrences of a recurring duty.
    stage_seq: int
    due_date: date
    kind: str = Field(max_length=60)
    recipient: str = Field(max_length=254)
    created_at: datetime
    outbox_id: int = Field(foreign_key="outbox.id", index=True)


class Notice(SQLModel, table=True):
    """Any other message that must go out exactly once per topic and recipient (digests, notices)."""

    __table_args__ = (UniqueConstraint("topic", "recipient"),)

    id: int | None = Field(default=None, primary_key=True)
    topic: str = Field(max_length=120)
    recipient: str = Field(max_length=254)
    created_at: datetime
    outbox_id: int = Field(foreign_key="outbox.id", index=True)


class Duty(SQLModel, table=True):
    """A recurring duty of a mandate, e.g. the IT working group's half-yearly report."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=40, unique=True)
    mandate_id: int = Field(foreign_key="mandate.id", index=True)
    title: str = Field(max_length=200)
    first_due: date
    every_months: int
    # Body keys, comma-separated: the one whose turn it is gets the reminder (rotation).
    rotation: str = Field(max_length=1000)


class DutyDone(SQLModel, table=True):
    """One occurrence of a recurring duty closed: done on a day, with a reference (e.g. the report's minutes)."""

    __tablename__ = "duty_done"
    __table_args__ = (UniqueConstraint("duty_id", "occurrence"),)

    id: int | None = Field(default=None, primary_key=True)
    duty_id: int = Field(foreign_key="duty.id", index=True)
    # The day the occurrence was due; the day it was done.
    occurrence: date
    done_on: date
    reference: str | None = Field(default=None, max_length=200)
    actor: str = Field(max_length=120)
    recorded_at: datetime


class OutboxMandate(SQLModel, table=True):
    """What one outgoing message is about: a mandate, or one occurrence of a duty; replies are matched to it."""

    __tablename__ = "outbox_mandate"

    outbox_id: int = Field(foreign_key="outbox.id", primary_key=True)
    mandate_id: int = Field(foreign_key="mandate.id", primary_key=True, index=True)
    duty_id: int | None = Field(default=None, foreign_key="duty.id")
    occurrence: date | None = None


class DigestOptOut(SQLModel, table=True):
    """An address that asked not to get the monthly digest any more (reminders cannot be opted out of)."""

    __tablename__ = "digest_optout"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    created_at: datetime
    channel: str = Field(max_length=20)
