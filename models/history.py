"""The append-only audit log: every change of every mandate, each entry chained to the one before."""

from datetime import datetime

from sqlalchemy import UniqueConstraint, event
from sqlmodel import Field, SQLModel

# The tables these refer to by foreign key must be in the metadata too (models loads lazily).
import models.mandate  # noqa: F401

CHANNELS = ("CLI", "Portal", "E-Mail")


class TransitionLog(SQLModel, table=True):
    """One change of one mandate: a step, an edit, a decision, a note, …, with the mandate as it was afterwards."""

    __tablename__ = "transition_log"
    __table_args__ = (UniqueConstraint("mandate_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    mandate_id: int = Field(foreign_key="mandate.id", index=True)
    # 1, 2, 3, … per mandate: a gap or a repeat shows that an entry was removed or forged.
    seq: int
    from_state: str | None = Field(default=None, max_length=20)
    to_state: str = Field(max_length=20)
    trigger: str = Field(max_length=30)
    # Who says they acted (--actor, the contact in the portal, the sender of a reply) …
    actor: str = Field(max_length=120)
    # … and the operating-system account of the process that wrote the entry.
    account: str = Field(max_length=64)
    # The client the change came through: CLI, Portal or E-Mail (a reply).
    channel: str = Field(default="CLI", max_length=20)
    # When the change took effect (may be set to book it afterwards) and when it was really recorded.
    at: datetime = Field(index=True)
    recorded_at: datetime
    note: str | None = None
    # The mandate's view after the change (canonical JSON): what as-of views rebuild from.
    snapshot: str
    # A correction (undo) names the entry it reverses; the reversed entry stays, and is shown as undone.
    corrects: int | None = None
    # SHA-256 over this entry's content and the previous entry's hash (per mandate).
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


def _refuse_rewrite(mapper, connection, target):
    raise RuntimeError("transition_log is append-only")


# The audit trail is only ever appended to; a change or deletion is a bug.
event.listen(TransitionLog, "before_update", _refuse_rewrite)
event.listen(TransitionLog, "before_delete", _refuse_rewrite)
