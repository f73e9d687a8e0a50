"""Changing a mandate's master data and deadline, recorded in the audit log."""

from datetime import datetime

from sqlmodel import Session

from ikz.errors import InvalidInput
from models import TransitionLog
from workflow import lifecycle
from workflow.checks import check_text
from workflow.lookup import get_mandate
from workflow.seam import record, started
from workflow.text import format_date, format_eur

# What `ikz edit` may change, with the German name used in the audit note.
EDITABLE = {
    "due_date": ("Frist", format_date),
    "savings_target": ("Effizienzziel", format_eur),
    "plan_ref": ("Wirtschaftsplan", str),
    "concept_ref": ("Konzept", str),
    "title": ("Titel", str),
}


def edit_mandate(
    session: Session, code: str, *, actor: str, now: datetime, channel: str = "CLI", **changes
) -> TransitionLog | None:
    """Apply the given changes (None = keep) and log them; return the log entry or None if nothing changed."""
    mandate = get_mandate(session, code)
    if mandate.state in lifecycle.FINAL:
        raise InvalidInput(
            f"Mandat {mandate.code} ist {lifecycle.STATES[mandate.state].lower()} "
            "und kann nicht mehr bearbeitet werden."
        )
    notes = []
    for name, value in changes.items():
        if name not in EDITABLE:
            raise ValueError(f"not editable: {name}")
        if value is None:
            continue
        if isinstance(value, str):
            value = value.strip()
            if not value:
                raise InvalidInput(f"{EDITABLE[name][0]} darf nicht leer sein.")
            check_text(value, EDITABLE[name][0])
            if len(value) > 200:
                raise InvalidInput(f"{EDITABLE[name][0]} ist zu lang: höchstens 200 Zeichen.")
        if name == "savings_target" and value < 0:
            raise InvalidInput("Das Effizienzziel darf nicht negativ sein.")
        if name == "due_date" and value < started(mandate):
            raise InvalidInput(
                f"Die Frist {format_date(value)} liegt vor dem Beginn von Mandat {mandate.code} "
                f"({format_date(started(mandate))}); erlaubt ist dieser Tag oder später."
            )
        old = getattr(mandate, name)
        if old == value:
            continue
        label, render = EDITABLE[name]
        notes.append(f"{label}: {render(old) if old is not None else '–'} → {render(value)}")
        setattr(mandate, name, value)
    if not notes:
        return None
    return record(session, mandate, "edit", actor=actor, now=now, note="; ".join(notes), channel=channel)
