"""Issued documents (agendas with their decision papers, monthly digests), stored as they were issued."""

from datetime import datetime

from sqlalchemy import Column, LargeBinary, UniqueConstraint, event
from sqlmodel import Field, SQLModel

# The tables these refer to by foreign key must be in the metadata too (models loads lazily).
import models.meeting  # noqa: F401

DOCUMENT_KINDS = {"agenda": "Tagesordnung mit Beschlussvorlagen", "digest": "Monatsbericht"}


class Document(SQLModel, table=True):
    """One issued version of a document: an agenda for a meeting, or a month's digest."""

    __table_args__ = (UniqueConstraint("kind", "subject", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=10)
    # What it is about: the meeting ("bmk/2011-04-12") or the month ("2011-03").
    subject: str = Field(max_length=80, index=True)
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id", index=True)
    version: int
    title: str = Field(max_length=250)
    # The effective moment it describes or was issued for, and the real moment it was stored.
    effective_at: datetime
    issued_at: datetime
    issued_by: str = Field(max_length=120)
    account: str = Field(max_length=64)


class DocumentFile(SQLModel, table=True):
    """One file of an issued document, byte for byte, with its SHA-256."""

    __tablename__ = "document_file"
    __table_args__ = (UniqueConstraint("document_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    name: str = Field(max_length=120)
    media_type: str = Field(max_length=60)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sha256: str = Field(max_length=64)


def _refuse_rewrite(mapper, connection, target):
    raise RuntimeError("issued documents are never changed; a correction is a new version")


for _model in (Document, DocumentFile):
    event.listen(_model, "before_update", _refuse_rewrite)
    event.listen(_model, "before_delete", _refuse_rewrite)
