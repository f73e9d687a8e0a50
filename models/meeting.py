"""Meetings of the mayors' conference and of working groups."""

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

# The tables these refer to by foreign key must be in the metadata too (models loads lazily).
import models.body
import models.mandate  # noqa: F401


class Meeting(SQLModel, table=True):
    """A dated meeting of a body: the mayors' conference or a working group."""

    __table_args__ = (UniqueConstraint("body_id", "date"),)

    id: int | None = Field(default=None, primary_key=True)
    body_id: int = Field(foreign_key="body.id", index=True)
    date: date
    title: str = Field(max_length=200)
    # Beginning as "HH:MM", where, and who chairs it; shown on the agenda.
    time: str | None = Field(default=None, max_length=5)
    place: str | None = Field(default=None, max_length=200)
    chair: str | None = Field(default=None, max_length=120)
    # When the meeting was entered: a view as of an earlier day does not know it yet.
    created_at: datetime
    # A meeting moved to another day keeps where it came from; a cancelled one stays, marked, with its reason.
    moved_from: date | None = None
    moved_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None


class MeetingItem(SQLModel, table=True):
    """A free item of a meeting's agenda (public or not), or a mandate put on a working group's agenda."""

    __tablename__ = "meeting_item"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    title: str = Field(max_length=200)
    public: bool = True
    note: str | None = None
    mandate_id: int | None = Field(default=None, foreign_key="mandate.id")
    created_at: datetime
