"""Meetings of the mayors' conference and of working groups."""

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


class Meeting(SQLModel, table=True):
    """A dated meeting of a body, usually the mayors' conference."""

    __table_args__ = (UniqueConstraint("body_id", "date"),)

    id: int | None = Field(default=None, primary_key=True)
    body_id: int = Field(foreign_key="body.id", index=True)
    date: date
    title: str = Field(max_length=200)
    # When the meeting was entered: a view as of an earlier day does not know it yet.
    created_at: datetime
