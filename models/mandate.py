"""Mandates, their fields, leads, participants and dependencies."""

from datetime import date, datetime

from sqlalchemy import Column, Integer, String, UniqueConstraint, event
from sqlmodel import Field, SQLModel

# The tables these refer to by foreign key must be in the metadata too (models loads lazily).
import models.body
import models.meeting  # noqa: F401


def sort_key(code: str) -> str:
    """The code as text that sorts like workflow.codes.code_key (1.2 < 1.10 < 2.1-LS): numbers zero-padded."""
    head, _, tail = code.partition("-")
    return ".".join(part.zfill(10) if part.isdigit() else "0" * 10 for part in head.split(".")) + "-" + tail


def _sort_key_default(context) -> str:
    # Core inserts (bulk loads, restores without the column) get it from the code too.
    return sort_key(context.get_current_parameters()["code"])


class CooperationField(SQLModel, table=True):
    """A numbered field of cooperation (Zusammenarbeitsfeld), e.g. 1 IT."""

    __tablename__ = "field"

    number: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    name: str = Field(max_length=120)


_version = Column("version", Integer, nullable=False)
# Lets the board sort and page in the database, in the order every list uses.
_sort_key = Column("sort_key", String(120), nullable=False, index=True, default=_sort_key_default, server_default="")


class Mandate(SQLModel, table=True):
    """One numbered mandate (Auftrag) moving through the lifecycle."""

    __mapper_args__ = {"version_id_col": _version}

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=20, unique=True, index=True)
    field_number: int = Field(foreign_key="field.number", index=True)
    title: str = Field(max_length=200)
    description: str = Field(default="")
    # Validated by the lifecycle machine, stored as a plain string (no native ENUM).
    state: str = Field(max_length=20, index=True)
    held_state: str | None = Field(default=None, max_length=20)
    hold_reason: str | None = None
    held_since: datetime | None = None
    # While on hold: the day the coordinator wants to look at it again (Wiedervorlage).
    hold_until: date | None = None
    # Counts stage entries; hold/resume keep it, so reminders continue after a pause.
    stage_seq: int = Field(default=1)
    due_date: date | None = Field(default=None, index=True)
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id", index=True)
    concept_ref: str | None = Field(default=None, max_length=200)
    plan_ref: str | None = Field(default=None, max_length=200)
    savings_target: int | None = None
    # The latest status report the coordinator accepted ("Stand: …"), shown with the mandate.
    status_text: str | None = None
    status_on: date | None = None
    created_at: datetime
    updated_at: datetime
    version: int = Field(default=1, sa_column=_version)
    sort_key: str = Field(default="", sa_column=_sort_key)


class MandateLead(SQLModel, table=True):
    """A body leading a mandate (federführend); several may lead jointly."""

    __tablename__ = "mandate_lead"

    mandate_id: int = Field(foreign_key="mandate.id", primary_key=True)
    body_id: int = Field(foreign_key="body.id", primary_key=True, index=True)
    # The person answering for this mandate; None means every contact of the body.
    contact_id: int | None = Field(default=None, foreign_key="contact.id")


class Participant(SQLModel, table=True):
    """A body taking part in a mandate (Teillösung: not necessarily all eleven)."""

    mandate_id: int = Field(foreign_key="mandate.id", primary_key=True)
    body_id: int = Field(foreign_key="body.id", primary_key=True, index=True)


class Dependency(SQLModel, table=True):
    """A mandate waiting for another mandate's decision."""

    __table_args__ = (UniqueConstraint("mandate_id", "depends_on_id"),)

    id: int | None = Field(default=None, primary_key=True)
    mandate_id: int = Field(foreign_key="mandate.id", index=True)
    depends_on_id: int = Field(foreign_key="mandate.id", index=True)


@event.listens_for(Mandate, "before_insert")
@event.listens_for(Mandate, "before_update")
def _keep_sort_key(mapper, connection, target: Mandate) -> None:
    target.sort_key = sort_key(target.code)
