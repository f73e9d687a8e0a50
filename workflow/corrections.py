"""Corrections without rewriting history: the last step of a mandate undone by a new entry that says so."""

import json
from datetime import date, datetime

from sqlmodel import Session, delete, select

from ikz.errors import InvalidInput, TransitionRefused
from models import Body, Mandate, Participant, TransitionLog
from workflow import lifecycle
from workflow.checks import check_text
from workflow.history import CHANGES, LATER_FIELDS
from workflow.lookup import get_mandate
from workflow.seam import record
from workflow.text import format_moment

# Entries after a step that do not change what the step set: they may follow it, and the undo leaves them.
HARMLESS = ("note", "propose", "decline")


def last_step(session: Session, mandate: Mandate) -> tuple[TransitionLog, TransitionLog]:
    """The mandate's last lifecycle step that can be undone, and the entry before it (whose view comes back)."""
    entries = session.exec(
        select(TransitionLog).where(TransitionLog.mandate_id == mandate.id).order_by(TransitionLog.seq.desc())
    ).all()
    for index, entry in enumerate(entries):
        if entry.trigger in HARMLESS:
            continue
        if entry.trigger == "undo":
            raise TransitionRefused(
                f"Der letzte Schritt von {mandate.code} wurde bereits am {format_moment(entry.at)} rückgängig "
                "gemacht; ein weiterer Schritt zurück ist nicht möglich (den Schritt erneut ausführen, wenn er doch "
                "galt)."
            )
        if entry.trigger == "import":
            break
        if entry.trigger not in lifecycle.TRIGGERS:
            raise TransitionRefused(
                f"Rückgängig machen lässt sich nur der letzte Schritt; nach dem letzten Schritt von {mandate.code} "
                f"folgte noch ein Eintrag ({CHANGES.get(entry.trigger, entry.trigger)}, {format_moment(entry.at)}). "
                "Diese Änderung zuerst zurücknehmen (z. B. mit ikz edit)."
            )
        before = entries[index + 1] if index + 1 < len(entries) else None
        if before is None or json.loads(before.snapshot).get("legacy"):
            raise TransitionRefused(
                f"Der Schritt {entry.trigger} von {mandate.code} lässt sich nicht rückgängig machen: "
                "der Stand davor ist nicht überliefert."
            )
        return entry, before
    raise TransitionRefused(f"Mandat {mandate.code} hat noch keinen Schritt, der rückgängig zu machen wäre.")


def undo(session: Session, code: str, *, reason: str, actor: str, now: datetime, channel: str = "CLI") -> TransitionLog:
    """Reverse the mandate's last step: state, hold, stage, deadline, meeting and participants as they were.

    The undone step stays in the history; the correction entry names it (`corrects`).
    """
    mandate = get_mandate(session, code)
    reason = check_text((reason or "").strip(), "Der Grund", multiline=True)
    if not reason:
        raise InvalidInput("Eine Korrektur braucht einen Grund (--reason TEXT).")
    step, before = last_step(session, mandate)
    view = {**LATER_FIELDS, **json.loads(before.snapshot)}
    source = mandate.state
    mandate.state = view["state"]
    mandate.held_state, mandate.hold_reason = view["held_state"], view["hold_reason"]
    mandate.held_since = datetime.fromisoformat(view["held_since"]) if view["held_since"] else None
    mandate.hold_until = date.fromisoformat(view["hold_until"]) if view["hold_until"] else None
    mandate.stage_seq = view["stage"]
    mandate.due_date = date.fromisoformat(view["due"]) if view["due"] else None
    mandate.meeting_id = view["meeting"]["id"] if view["meeting"] else None
    if step.trigger == "approve":
        # The approval made the joined bodies the participants; before it, the participants were these.
        _restore_participants(session, mandate, view["participants"])
    note = (
        f"Schritt „{lifecycle.TRIGGERS[step.trigger]}“ vom {format_moment(step.at)} (Eintrag Nr. {step.seq}) "
        f"rückgängig gemacht: {reason}"
    )
    return record(
        session, mandate, "undo", actor=actor, now=now, note=note, from_state=source, channel=channel, corrects=step.seq
    )


def _restore_participants(session: Session, mandate: Mandate, keys: list[str]) -> None:
    session.exec(delete(Participant).where(Participant.mandate_id == mandate.id))
    for body_id in session.exec(select(Body.id).where(Body.key.in_(keys))).all():
        session.add(Participant(mandate_id=mandate.id, body_id=body_id))
    session.flush()


def undone_step(session: Session, entry: TransitionLog) -> TransitionLog | None:
    """The step an undo entry reversed."""
    if entry.corrects is None:
        return None
    return session.exec(
        select(TransitionLog).where(TransitionLog.mandate_id == entry.mandate_id, TransitionLog.seq == entry.corrects)
    ).one()
