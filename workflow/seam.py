"""The one write seam: every change to a mandate appends its audit entry, bumps the row and flushes."""

import getpass
from datetime import date, datetime
from functools import cache

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, select

from ikz import clock
from ikz.errors import ConcurrentChange, InvalidInput
from models import Mandate, TransitionLog
from models.db import is_lock_conflict
from workflow.history import GENESIS, entry_hash, snapshot
from workflow.text import format_moment

# from_state for a change that does not move the mandate (edit, decision, saving, dependency, note).
UNCHANGED = object()


@cache
def os_account() -> str:
    """The operating-system account this process runs as, recorded beside the stated actor."""
    try:
        return getpass.getuser()[:64]
    except (OSError, KeyError):  # no user name for this uid (containers)
        return "unbekannt"


def started(mandate: Mandate) -> date:
    """The (Berlin) day a mandate began: nothing about it can be dated earlier."""
    return clock.local_date(mandate.created_at)


def record(
    session: Session,
    mandate: Mandate,
    trigger: str,
    *,
    actor: str,
    now: datetime,
    note: str | None = None,
    from_state: object = UNCHANGED,
    channel: str = "CLI",
    corrects: int | None = None,
) -> TransitionLog:
    """Log a change already applied to `mandate` and write both; a lost race becomes ConcurrentChange.

    `now` is the effective moment (it may lie in the past, to book a change afterwards); the entry also
    keeps the real moment of recording. `from_state` is the state before a step (None for a new mandate).
    """
    recorded = clock.recording_now()
    if now > recorded:
        raise InvalidInput(
            f"Der Zeitpunkt {format_moment(now)} liegt in der Zukunft; erlaubt ist jetzt "
            f"({format_moment(recorded)}) oder früher, um etwas nachzutragen."
        )
    if mandate.id is not None and now < mandate.created_at:
        raise InvalidInput(
            f"Der Zeitpunkt {format_moment(now)} liegt vor dem Anlegen von Mandat {mandate.code} "
            f"({format_moment(mandate.created_at)}); davor kann nichts geschehen sein."
        )
    # Bumping the row also bumps its version: two writers of the same mandate cannot both win,
    # even when the change itself lives in another table (decisions, savings, dependencies).
    mandate.updated_at = now
    if mandate.id is None:
        mandate.created_at = now
    session.add(mandate)
    flush_or_conflict(session, mandate)
    last = session.exec(
        select(TransitionLog.seq, TransitionLog.hash, TransitionLog.at)
        .where(TransitionLog.mandate_id == mandate.id)
        .order_by(TransitionLog.seq.desc())
        .limit(1)
    ).first()
    if last is not None and now < last.at:
        raise InvalidInput(
            f"Der Zeitpunkt {format_moment(now)} liegt vor dem letzten Eintrag im Verlauf von {mandate.code} "
            f"({format_moment(last.at)}); nachgetragen werden kann nur in zeitlicher Reihenfolge."
        )
    entry = TransitionLog(
        mandate_id=mandate.id,
        seq=last.seq + 1 if last else 1,
        from_state=mandate.state if from_state is UNCHANGED else from_state,
        to_state=mandate.state,
        trigger=trigger,
        actor=actor,
        account=os_account(),
        channel=channel,
        at=now,
        recorded_at=recorded,
        note=note,
        snapshot=snapshot(session, mandate),
        corrects=corrects,
        prev_hash=last.hash if last else GENESIS,
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    flush_or_conflict(session, mandate)
    return entry


def flush_or_conflict(session: Session, mandate: Mandate) -> None:
    """Flush pending changes, turning a lost optimistic-lock race into a German refusal."""
    try:
        session.flush()
    except (StaleDataError, OperationalError) as exc:
        # On SQLite a write after someone else's commit fails as a busy snapshot instead of a stale row.
        if isinstance(exc, OperationalError) and not is_lock_conflict(exc):
            raise
        session.rollback()
        raise ConcurrentChange(
            f"Mandat {mandate.code} wurde inzwischen von jemand anderem geändert; "
            "nichts wurde gespeichert. Bitte mit 'ikz show' neu ansehen und erneut versuchen."
        ) from None
