"""What the conference and the bodies decide, and what the cooperation saves."""

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

# The tables these refer to by foreign key must be in the metadata too (models loads lazily).
import models.body
import models.mandate  # noqa: F401


class BodyDecision(SQLModel, table=True):
    """One body's decision on joining a mandate (Teillösung: not every body joins)."""

    __tablename__ = "body_decision"
    __table_args__ = (UniqueConstraint("mandate_id", "body_id"),)

    id: int | None = Field(default=None, primary_key=True)
    mandate_id: int = Field(foreign_key="mandate.id", index=True)
    body_id: int = Field(foreign_key="body.id", index=True)
    decision: str = Field(max_length=10)
    decided_on: date
    reference: str | None = Field(default=None, max_length=200)
    recorded_at: datetime
    actor: str = Field(max_length=120)


class Saving(SQLModel, table=True):
    """Savings realised by a mandate in one calendar year (EUR), for controlling against its target."""

    __table_args__ = (UniqueConstraint("mandate_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    mandate_id: int = Field(foreign_key="mandate.id", index=True)
    year: int
    amount: int
    recorded_at: datetime
    actor: str = Field(max_length=120)
