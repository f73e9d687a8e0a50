"""The append-only transition log: every lifecycle step with actor, time and note."""

from datetime import datetime

from sqlalchemy import event
from sqlmodel import Field, SQLModel


class TransitionLog(SQLModel, table=True):
    """One lifecycle step of one mandate."""

    __tablename__ = "transition_log"

    id: int | None = Field(default=None, primary_key=True)
    mandate_id: int = Field(foreign_key="mandate.id", index=True)
    from_state: str | None = Field(default=None, max_length=20)
    to_state: str = Field(max_length=20)
    trigger: str = Field(max_length=30)
    actor: str = Field(max_length=120)
    # The client the change came through: CLI, Portal or E-Mail (a reply).
    channel: str = Field(default="CLI", max_length=20)
    at: datetime = Field(index=True)
    note: str | None = None


def _refuse_rewrite(mapper, connection, target):
    raise RuntimeError("transition_log is append-only")


# The audit trail is only ever appended to; a change or deletion is a bug.
event.listen(TransitionLog, "before_update", _refuse_rewrite)
event.listen(TransitionLog, "before_delete", _refuse_rewrite)
