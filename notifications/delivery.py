"""The dispatcher: one tick claims due outbox messages, sends them over one connection and records the outcome."""

import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.parser import HeaderParser

from sqlalchemy import Engine, bindparam, or_, update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from ikz import failpoints
from ikz.errors import ConcurrentChange
from ikz.settings import Settings
from models import Notice, OutboxMessage
from models.db import is_lock_conflict, transaction
from notifications import outbox, rendering, threads
from notifications.outbox import FAILURE_KIND
from notifications.transport import SendFailed, SmtpTransport, open_transport

# Minutes to wait after the 1st, 2nd, … failed attempt; the last value repeats.
BACKOFF_MINUTES = (1, 5, 15, 60, 240, 720)


@dataclass
class DispatchReport:
    """What one tick did: messages accepted by the server, postponed, and given up."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    # IDs of failure notices that failed themselves: nobody will hear of those failures by mail.
    unreported: list[int] = field(default_factory=list)
    # Why messages were postponed or given up, each reason once (already free of the password).
    reasons: list[str] = field(default_factory=list)

    def count(self, outcome: str | None, row: OutboxMessage, reason: str | None = None) -> None:
        """Count one message under "sent", "retried" or "failed" (None: another dispatcher had it)."""
        if outcome:
            setattr(self, outcome, getattr(self, outcome) + 1)
        if outcome == "failed" and row.kind == FAILURE_KIND:
            self.unreported.append(row.id)
        if outcome in ("retried", "failed") and reason not in self.reasons:
            self.reasons.append(reason)

    @property
    def idle(self) -> bool:
        return not (self.sent or self.retried or self.failed)

    def summary(self) -> str:
        """One German line, e.g. "2 Nachrichten versandt, 1 zurückgestellt, 0 gescheitert."."""
        if self.idle:
            return "Keine Nachricht fällig."
        noun = "Nachricht" if self.sent == 1 else "Nachrichten"
        line = f"{self.sent} {noun} versandt, {self.retried} zurückgestellt, {self.failed} gescheitert."
        if self.unreported:
            which = "Fehlerbericht" if len(self.unreported) == 1 else "Fehlerberichte"
            line += (
                f" Achtung: {which} {', '.join(map(str, self.unreported))} an die Koordination selbst gescheitert; "
                "davon erfährt niemand per E-Mail (siehe ikz outbox list)."
            )
        return line


def owner_name(role: str) -> str:
    """A lease owner that tells which process holds a claim, e.g. "cli@host:4711"."""
    return f"{role}@{socket.gethostname()}:{os.getpid()}"[:80]


def backoff(attempts: int) -> timedelta:
    """How long to wait after the given number of failed attempts."""
    return timedelta(minutes=BACKOFF_MINUTES[min(max(attempts, 1), len(BACKOFF_MINUTES)) - 1])


def dispatch(engine: Engine, settings: Settings, *, now: datetime, owner: str, transport=None) -> DispatchReport:
    """Send the messages due at `now` (at most settings.mail.batch) over one transport."""
    report = DispatchReport()
    remaining = _claim(engine, settings, now=now, owner=owner)
    if not remaining:
        return report
    failpoints.hit("dispatch:after-claim")
    # Send only while the lease surely holds: a message started later could outlive it and be
    # taken over (and sent again) by another dispatcher. Elapsed time, not the clock: `now` is fixed.
    budget = settings.mail.lease_seconds - 4 * settings.mail.timeout
    started = time.monotonic()
    try:
        ledger = _Ledger(engine, fast=settings.mail.sent_commit == "fast")
        with transport or open_transport(settings) as channel, ledger:
            # Over SMTP the previous message's commit runs while this one's envelope and content go out, and is
            # waited for before the final "." (which alone makes the server take it): a crash in between leaves
            # the server with an unfinished transaction it discards.
            overlapped = isinstance(channel, SmtpTransport)
            if overlapped:
                channel.before_end = ledger.settle
            while remaining and time.monotonic() - started < budget:
                row = remaining.pop(0)
                try:
                    if not overlapped:
                        ledger.settle()
                    channel.send(row.raw, row.recipient, settings.mail.sender)
                except SendFailed as failure:
                    ledger.settle()
                    affected = [row]
                    if failure.unreachable:
                        # The rest would meet the same fate, and trying each could take minutes of timeouts.
                        affected, remaining = [row, *remaining], []
                    for each in affected:
                        outcome = _record_failure(engine, settings, each, failure, now=now, owner=owner)
                        report.count(outcome, each, failure.reason)
                else:
                    failpoints.hit("dispatch:after-send")
                    ledger.sent(row.id, now=now)
                    report.count("sent", row)
            ledger.settle()
    finally:
        # Messages never handed to the server may go out at once with the next tick.
        if remaining:
            _release(engine, [row.id for row in remaining], owner=owner)
    return report


def _claim(engine: Engine, settings: Settings, *, now: datetime, owner: str) -> list[OutboxMessage]:
    mail = settings.mail
    due = (
        OutboxMessage.status == "queued",
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until <= now),
    )
    # A crashed dispatcher's claims expire after the lease; dispatch() stops sending before it ends.
    until = now + timedelta(seconds=mail.lease_seconds)
    # SKIP LOCKED (PostgreSQL) lets concurrent dispatchers take different rows instead of queueing
    # behind each other; SQLite has no row locks and ignores it (its write lock serialises claims).
    batch = (
        select(OutboxMessage.id)
        .where(*due)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(mail.batch)
        .with_for_update(skip_locked=True)
        # A CTE is evaluated once; as a plain IN-subquery PostgreSQL may re-run it and exceed the LIMIT.
        .cte("batch")
    )
    # One statement, so SQLite takes its write lock up front and PostgreSQL rechecks `due` on each locked row.
    claim = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(select(batch.c.id)), *due)
        .values(lease_owner=owner, lease_until=until)
    )
    with transaction(engine) as session:
        session.exec(claim.execution_options(synchronize_session=False))
        mine = (
            OutboxMessage.status == "queued",
            OutboxMessage.lease_owner == owner,
            OutboxMessage.lease_until == until,
        )
        return list(
            session.exec(select(OutboxMessage).where(*mine).order_by(OutboxMessage.next_attempt_at, OutboxMessage.id))
        )


# Once the server has accepted a message, no later tick may send it again: unconditional, whoever holds the lease.
_SENT = (
    update(OutboxMessage)
    .where(OutboxMessage.id == bindparam("outbox_id"))
    .values(
        status="sent",
        sent_at=bindparam("now"),
        attempts=OutboxMessage.attempts + 1,
        last_error=None,
        lease_owner=None,
        lease_until=None,
    )
)


class _Ledger:
    """Records each accepted message in its own commit, on one connection in one worker thread.

    `sent` starts the commit, `settle` waits for it (and raises what it raised): the dispatcher settles before it
    lets the next message be accepted, which keeps "after a crash at most the message in flight is sent again"
    (README: durability). The thread lets SQLite's fsync or PostgreSQL's commit overlap the next SMTP dialogue.
    """

    def __init__(self, engine: Engine, *, fast: bool = False):
        self.engine = engine
        self.fast = fast
        self.connection = None
        self.worker = None
        self.pending = None

    def __enter__(self):
        # The connection is opened and used in the worker only: SQLite connections belong to one thread.
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ikz-outbox")
        return self

    def __exit__(self, *exc_info):
        try:
            self.settle()
        finally:
            if self.connection is not None:
                self.worker.submit(self.connection.close).result()
            self.worker.shutdown()

    def sent(self, outbox_id: int, *, now: datetime) -> None:
        """Start marking one message sent (committed on its own); the previous mark must have been settled."""
        self.pending = self.worker.submit(self._mark, outbox_id, now)

    def settle(self) -> None:
        """Wait until the last mark is committed; raise its error if it failed."""
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.result()

    def _mark(self, outbox_id: int, now: datetime) -> None:
        if self.connection is None:
            self.connection = self.engine.connect()
            if self.fast:
                # mail.sent_commit = "fast", for this connection only: the commit is safe from a crash of ikz but
                # not yet on disk (SQLite syncs the WAL at its checkpoint; PostgreSQL flushes within ~3 × its
                # wal_writer_delay), so a power loss or server crash may send the last messages again.
                if self.connection.dialect.name == "sqlite":
                    # On the driver's connection, outside a transaction: SQLite refuses the change inside one.
                    self.connection.connection.driver_connection.execute("PRAGMA synchronous=NORMAL")
                else:
                    self.connection.exec_driver_sql("SET synchronous_commit = off")
                    self.connection.commit()
        try:
            self.connection.execute(_SENT, {"outbox_id": outbox_id, "now": now})
            self.connection.commit()
        except OperationalError as exc:
            self.connection.rollback()
            if is_lock_conflict(exc):
                raise ConcurrentChange(
                    "Die Datenbank ist gerade durch einen anderen Vorgang gesperrt; bitte erneut versuchen."
                ) from None
            raise
        except BaseException:
            self.connection.rollback()
            raise


def _release(engine: Engine, ids: list[int], *, owner: str) -> None:
    with transaction(engine) as session:
        session.exec(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.lease_owner == owner)
            .values(lease_owner=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )


def _record_failure(
    engine: Engine, settings: Settings, row: OutboxMessage, failure: SendFailed, *, now: datetime, owner: str
) -> str | None:
    """Postpone or give up one message; returns the DispatchReport field to count it in (None: not ours)."""
    attempts = row.attempts + 1
    exhausted = not failure.permanent and attempts >= settings.mail.max_attempts
    failed = failure.permanent or exhausted
    reason = f"{failure.reason} (aufgegeben nach {attempts} Versuchen)" if exhausted else failure.reason
    values = {"attempts": attempts, "last_error": reason, "lease_owner": None, "lease_until": None}
    if failed:
        values.update(status="failed", next_attempt_at=now, failed_at=now)
    else:
        values["next_attempt_at"] = now + backoff(attempts)
    with transaction(engine) as session:
        mine = (OutboxMessage.id == row.id, OutboxMessage.lease_owner == owner)
        if not session.exec(
            update(OutboxMessage).where(*mine).values(**values).execution_options(synchronize_session=False)
        ).rowcount:
            return None
        reported_at = failed and _report(
            session, settings, row, reason, attempts=attempts, permanent=failure.permanent, now=now
        )
        if reported_at:
            session.exec(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id)
                .values(reported_at=reported_at)
                .execution_options(synchronize_session=False)
            )
    return "failed" if failed else "retried"


def _report(
    session: Session,
    settings: Settings,
    row: OutboxMessage,
    reason: str,
    *,
    attempts: int,
    permanent: bool,
    now: datetime,
) -> datetime | None:
    """Queue the coordinator's failure notice once per message; returns when it was queued (None: not reported)."""
    if row.kind == FAILURE_KIND:
        # The rule that stops notice loops (notifications/outbox.py): a failed failure notice is not reported by
        # mail, since that notice could fail the same way, forever. `ikz outbox list`, the digest and the
        # scheduler's log show it instead (DispatchReport.unreported).
        return None
    coordinator = settings.coordinator
    topic = f"failure:{row.id}"
    # The Notice row is the claim (unique with the recipient); one that already exists means we told them.
    if session.exec(select(Notice).where(Notice.topic == topic, Notice.recipient == coordinator.email)).first() is None:
        text, html = rendering.render_pair(
            "failure",
            outbox_id=row.id,
            subject=row.subject,
            recipient=row.recipient,
            created_at=row.created_at,
            message_id=row.message_id,
            attempts=attempts,
            reason=reason,
            permanent=permanent,
            office=rendering.office(settings),
        )
        # The notice answers the failed message: it threads right under it in the coordinator's mailbox.
        original = HeaderParser().parsestr(row.raw, headersonly=True)
        thread = threads.replying_to(
            row.message_id, str(original.get("References") or "").split(), str(original.get("Thread-Topic") or "")
        )
        notice = outbox.enqueue(
            session,
            settings,
            kind=FAILURE_KIND,
            recipient=coordinator.email,
            recipient_name=coordinator.name,
            subject=f"Nicht zugestellt: {row.subject}",
            text=text,
            html=html,
            now=now,
            thread=thread,
        )
        session.add(Notice(topic=topic, recipient=coordinator.email, created_at=now, outbox_id=notice.id))
    return now
