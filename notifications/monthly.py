"""Sending the monthly digest: its distribution list, one claim per recipient and month, the scheduler's tick."""

from datetime import date, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ikz.clock import BERLIN
from ikz.errors import ConfigError
from ikz.settings import Settings
from models import DigestOptOut, Mandate, Notice
from models.db import retrying
from notifications import links, threads
from notifications.digest import as_of, digest_data, render_digest
from notifications.outbox import enqueue
from workflow import lifecycle
from workflow.checks import is_email
from workflow.people import answering

KIND = "digest"


def recipients(session: Session, settings: Settings) -> list[tuple[str, str]]:
    """The digest's distribution list as (email, name), without duplicate addresses."""
    found: dict[str, tuple[str, str]] = {}
    for entry in settings.digest.recipients:
        if entry == "coordinator":
            candidates = [(settings.coordinator.email, settings.coordinator.name)]
        elif entry == "leads":
            candidates = _lead_contacts(session)
        elif isinstance(entry, str) and is_email(entry.strip()):
            candidates = [(entry.strip(), "")]
        else:
            raise ConfigError(
                f"{settings.source}: digest.recipients: {entry!r} ist weder coordinator, leads "
                "noch eine E-Mail-Adresse."
            )
        for email, name in candidates:
            found.setdefault(email.casefold(), (email, name))
    # Whoever unsubscribed gets no digest, whichever list entry named them (reminders are not affected).
    for email in session.exec(select(DigestOptOut.email)).all():
        found.pop(email, None)  # stored case-folded
    return list(found.values())


def _lead_contacts(session: Session) -> list[tuple[str, str]]:
    """Contacts answering for a lead of a mandate still in progress (active or on hold), by address."""
    open_ids = select(Mandate.id).where(Mandate.state.in_([*lifecycle.ACTIVE, "on_hold"]))
    chosen: dict[str, str] = {}
    for contacts in answering(session, open_ids).values():
        for person in contacts:
            chosen.setdefault(person.email, person.name)
    return sorted(chosen.items(), key=lambda pair: pair[0].casefold())


def topic(month: date) -> str:
    """The Notice topic that claims one month's digest per recipient."""
    return f"digest:{month:%Y-%m}"


def queue_digest(session: Session, settings: Settings, month: date, *, now: datetime) -> int:
    """Queue the month's digest once per recipient (caller commits); return how many were queued."""
    month = month.replace(day=1)
    claim = topic(month)
    claimed = {r.casefold() for r in session.exec(select(Notice.recipient).where(Notice.topic == claim)).all()}
    pending = [(email, name) for email, name in recipients(session, settings) if email.casefold() not in claimed]
    if not pending:
        return 0
    subject, text, html = render_digest(
        digest_data(session, month, settings=settings), unsubscribe=links.UNSUBSCRIBE_MARK
    )
    queued = 0
    for email, name in pending:
        try:
            # A savepoint per recipient: losing a race for one claim must not undo the others.
            with session.begin_nested():
                row = enqueue(
                    session,
                    settings,
                    kind=KIND,
                    recipient=email,
                    recipient_name=name,
                    subject=subject,
                    text=text,
                    html=html,
                    now=now,
                    # All digests of one recipient form one conversation; a reply reaches the coordinator.
                    thread=threads.for_recipient(settings, KIND, email, "IKZ-Monatsbericht"),
                    unsubscribe=True,
                    reply_to=settings.coordinator.email,
                )
                session.add(Notice(topic=claim, recipient=email, created_at=now, outbox_id=row.id))
                session.flush()
        except IntegrityError:
            continue  # another run claimed this recipient meanwhile; its message goes out instead
        queued += 1
    return queued


def monthly_tick(engine: Engine, settings: Settings, *, now: datetime) -> int:
    """Scheduler job: once the current month's as-of moment has passed, queue its digest (idempotent)."""
    month = now.astimezone(BERLIN).date().replace(day=1)
    if now < as_of(month):
        return 0
    return retrying(engine, lambda session: queue_digest(session, settings, month, now=now))
