"""The one write seam: every change to a mandate appends its audit entry, bumps the row and flushes."""

import getpass
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from types import SimpleNamespace

from sqlalchemy import and_, func
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, select

from ikz import clock
from ikz.errors import ConcurrentChange, InvalidInput
from models import Mandate, TransitionLog
from models.db import insert_rows, is_lock_conflict
from workflow.history import GENESIS, canonical, entry_hash, snapshot, views
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
    _check_moment(mandate, now, recorded)
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


@dataclass
class Change:
    """One change for record_all: what `record` takes for one mandate."""

    mandate: Mandate
    trigger: str
    now: datetime
    note: str | None = None
    from_state: object = UNCHANGED


# Mandates per statement in record_all: well below the bound parameters SQLite and PostgreSQL take in one IN list.
BATCH = 5000


def record_all(session: Session, changes: list[Change], *, actor: str, channel: str = "CLI") -> int:
    """`record` for many mandates at once (each at most once): the same checks, entries and chain, few statements.

    For imports of thousands of mandates, where one `record` each costs seven statements. Returns the entry count.
    """
    if len({id(change.mandate) for change in changes}) != len(changes):
        raise ValueError("record_all takes each mandate at most once; call it again for a second change")
    recorded = clock.recording_now()
    for change in changes:
        mandate, now = change.mandate, change.now
        _check_moment(mandate, now, recorded)
        # Only a real change: an UPDATE of every freshly imported row would cost as much as the import.
        if mandate.updated_at != now:
            mandate.updated_at = now
        if mandate.id is None:
            mandate.created_at = now
        session.add(mandate)
    if not changes:
        return 0
    flush_or_conflict(session, changes[0].mandate)
    account, rows = os_account(), []
    for start in range(0, len(changes), BATCH):
        batch = changes[start : start + BATCH]
        ids = [change.mandate.id for change in batch]
        newest = (
            select(TransitionLog.mandate_id, func.max(TransitionLog.seq).label("seq"))
            .where(TransitionLog.mandate_id.in_(ids))
            .group_by(TransitionLog.mandate_id)
            .subquery()
        )
        last = {
            row.mandate_id: row
            for row in session.exec(
                select(TransitionLog.mandate_id, TransitionLog.seq, TransitionLog.hash, TransitionLog.at).join(
                    newest, and_(TransitionLog.mandate_id == newest.c.mandate_id, TransitionLog.seq == newest.c.seq)
                )
            ).all()
        }
        shown = views(session, ids)
        for change in batch:
            mandate, previous = change.mandate, last.get(change.mandate.id)
            if previous is not None and change.now < previous.at:
                raise InvalidInput(
                    f"Der Zeitpunkt {format_moment(change.now)} liegt vor dem letzten Eintrag im Verlauf von "
                    f"{mandate.code} ({format_moment(previous.at)}); "
                    "nachgetragen werden kann nur in zeitlicher Reihenfolge."
                )
            entry = SimpleNamespace(
                mandate_id=mandate.id,
                seq=previous.seq + 1 if previous else 1,
                from_state=mandate.state if change.from_state is UNCHANGED else change.from_state,
                to_state=mandate.state,
                trigger=change.trigger,
                actor=actor,
                account=account,
                channel=channel,
                at=change.now,
                recorded_at=recorded,
                note=change.note,
                snapshot=canonical(shown[mandate.id]),
                corrects=None,
                prev_hash=previous.hash if previous else GENESIS,
            )
            entry.hash = entry_hash(entry)
            rows.append(vars(entry))
    insert_rows(session, TransitionLog, rows)
    return len(rows)


def _check_moment(mandate: Mandate, now: datetime, recorded: datetime) -> None:
    """Refuse an effective moment in the future or before the mandate was created."""
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
            "nichts wurde gespeichert. Bitte den neuen Stand ansehen und erneut versuchen."
        ) from None
