"""Proposals from leads (a new deadline, work done, a status report) that the coordinator accepts or declines."""

from datetime import date, datetime

from sqlmodel import Field, SQLModel

# The tables these refer to by foreign key must be in the metadata too (models loads lazily).
import models.body
import models.mandate
import models.notification  # noqa: F401

PROPOSAL_KINDS = {"deadline": "neue Frist", "done": "erledigt", "status": "Stand"}
PROPOSAL_STATES = {"open": "offen", "accepted": "angenommen", "declined": "abgelehnt"}


class Proposal(SQLModel, table=True):
    """One proposal about one mandate, open until the coordinator decides it."""

    id: int | None = Field(default=None, primary_key=True)
    mandate_id: int = Field(foreign_key="mandate.id", index=True)
    kind: str = Field(max_length=10)
    # The proposed deadline (kind "deadline"); the lead's own words in `text` for every kind.
    due_date: date | None = None
    text: str = Field(default="")
    proposed_by: str = Field(max_length=120)
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    channel: str = Field(max_length=20)
    # A "done" about one occurrence of a recurring duty names it; otherwise it is about the stage.
    duty_id: int | None = Field(default=None, foreign_key="duty.id")
    occurrence: date | None = None
    # Where it came from, e.g. the Message-ID of the reply it was read from.
    source: str | None = Field(default=None, max_length=250)
    created_at: datetime
    status: str = Field(default="open", max_length=10, index=True)
    decided_at: datetime | None = None
    decided_by: str | None = Field(default=None, max_length=120)
    decision_note: str | None = None
