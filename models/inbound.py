"""Mail that arrived in ikz's mailbox: one row per Message-ID, so every reply is taken in exactly once."""

from datetime import datetime

from sqlmodel import Field, SQLModel

# The tables these refer to by foreign key must be in the metadata too (models loads lazily).
import models.body
import models.notification  # noqa: F401

INBOUND_STATES = {
    "recorded": "übernommen",
    "ignored": "übergangen",
    "quarantined": "in Quarantäne",
    "released": "freigegeben",
    "dropped": "verworfen",
}


class Inbound(SQLModel, table=True):
    """One incoming message and what became of it; the unique Message-ID is the claim against doubles."""

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(max_length=250, unique=True)
    status: str = Field(max_length=12, index=True)
    # Why it was ignored or quarantined, in German (shown to the coordinator).
    reason: str | None = None
    sender: str = Field(default="", max_length=254)
    subject: str = Field(default="", max_length=250)
    # Our message it answers (from the reply token or In-Reply-To), and the contact who wrote it.
    outbox_id: int | None = Field(default=None, foreign_key="outbox.id")
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    # Mandate codes it was recorded for, comma-separated (for listing).
    codes: str = Field(default="", max_length=250)
    size: int = 0
    # The message as received, kept only while it sits in quarantine (so it can be released).
    raw: str | None = None
    received_at: datetime
    decided_at: datetime | None = None
    decided_by: str | None = Field(default=None, max_length=120)
