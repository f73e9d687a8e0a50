"""Notes on a mandate without a step: a meeting held, a call made, progress reported."""

from datetime import datetime

from sqlmodel import Session

from ikz.errors import InvalidInput
from models import TransitionLog
from workflow.checks import check_text
from workflow.lookup import get_mandate
from workflow.seam import record

MAX_NOTE = 5000


def add_note(
    session: Session, code: str, text: str, *, actor: str, now: datetime, channel: str = "CLI"
) -> TransitionLog:
    """Append a note to a mandate's history (any state: a note on a closed mandate is still a record)."""
    mandate = get_mandate(session, code)
    text = check_text(text.strip(), "Der Vermerk", multiline=True)
    if not text:
        raise InvalidInput("Der Vermerk ist leer; bitte Text angeben.")
    if len(text) > MAX_NOTE:
        raise InvalidInput(f"Der Vermerk ist zu lang ({len(text)} Zeichen); erlaubt sind höchstens {MAX_NOTE}.")
    return record(session, mandate, "note", actor=actor, now=now, note=text, channel=channel)
