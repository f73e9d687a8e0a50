"""Sending the monthly digest: its distribution list, one claim per recipient and month, the scheduler's tick."""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ikz.clock import BERLIN
from ikz.errors import InvalidInput
from ikz.settings import Settings
from models import DigestOptOut, Document, Mandate, Notice
from models.db import retrying
from notifications import links, threads
from notifications.digest import (
    NO_UNSUBSCRIBE,
    Lead,
    as_of,
    digest_data,
    month_label,
    render_digest,
    render_lead_digest,
)
from notifications.outbox import enqueue
from workflow import lifecycle
from workflow.documents import damaged, files_of, issue, latest, next_edition, sha256
from workflow.people import answering
from workflow.text import plural

KIND = "digest"
DOCUMENT_KIND = "digest"
TEXT_FILE, HTML_FILE = "monatsbericht.txt", "monatsbericht.html"
# Who sends the digest when the scheduler does.
SCHEDULER = "Zeitplaner"


def recipients(session: Session, settings: Settings) -> list[tuple[str, str]]:
    """The digest's distribution list as (email, name), without duplicate addresses."""
    return _distribution(session, settings)[0]


def _distribution(session: Session, settings: Settings) -> tuple[list[tuple[str, str]], dict[str, Lead]]:
    """The distribution list, and for each lead contact on it (by case-folded address) what it leads."""
    leads = _leads(session)
    found: dict[str, tuple[str, str]] = {}
    for entry in settings.digest.recipients:
        if entry == "coordinator":
            candidates = [(settings.coordinator.email, settings.coordinator.name)]
        elif entry == "leads":
            candidates = sorted(((lead.email, lead.name) for lead in leads.values()), key=lambda p: p[0].casefold())
        else:
            # settings.load() let only addresses through besides these two words.
            candidates = [(entry.strip(), "")]
        for email, name in candidates:
            found.setdefault(email.casefold(), (email, name))
    # Whoever unsubscribed gets no digest, whichever list entry named them (reminders are not affected).
    for email in session.exec(select(DigestOptOut.email)).all():
        found.pop(email, None)  # stored case-folded
    # The coordinator sees the whole programme, even where its address also answers for a lead.
    leads.pop(settings.coordinator.email.casefold(), None)
    return list(found.values()), {key: lead.lead for key, lead in leads.items()}


@dataclass
class _Contact:
    email: str
    name: str
    bodies: set = field(default_factory=set)
    mandate_ids: set = field(default_factory=set)

    @property
    def lead(self) -> Lead:
        return Lead(tuple(sorted(self.bodies)), tuple(sorted(self.mandate_ids)))


def _leads(session: Session) -> dict[str, _Contact]:
    """Contacts answering for a lead of a mandate still in progress (active or on hold), by case-folded address."""
    open_ids = select(Mandate.id).where(Mandate.state.in_([*lifecycle.ACTIVE, "on_hold"]))
    found: dict[str, _Contact] = {}
    for mandate_id, contacts in answering(session, open_ids).items():
        for person in contacts:
            contact = found.setdefault(person.email.casefold(), _Contact(person.email, person.name))
            contact.bodies.add(person.body)
            contact.mandate_ids.add(mandate_id)
    return found


def topic(month: date) -> str:
    """The Notice topic that claims one month's digest per recipient."""
    return f"digest:{month:%Y-%m}"


def queue_digest(session: Session, settings: Settings, month: date, *, now: datetime, actor: str = SCHEDULER) -> int:
    """Queue the month's digest once per recipient and keep what was sent (caller commits); return how many."""
    return queue_month(session, settings, month, now=now, actor=actor)[0]


def queue_month(
    session: Session, settings: Settings, month: date, *, now: datetime, actor: str = SCHEDULER
) -> tuple[int, int]:
    """Queue the month's digest for each recipient not yet claimed; return (messages queued, bodies rendered).

    A lead gets its own mandates and the programme in brief, everyone else the programme with every list
    capped; each distinct body is rendered once (the unsubscribe link is filled in per message).
    """
    month = month.replace(day=1)
    claim = topic(month)
    claimed = {r.casefold() for r in session.exec(select(Notice.recipient).where(Notice.topic == claim)).all()}
    people, leads = _distribution(session, settings)
    pending = [(email, name) for email, name in people if email.casefold() not in claimed]
    if not pending:
        return 0, 0
    wanted = {leads[email.casefold()] for email, _name in pending if email.casefold() in leads}
    data = digest_data(session, month, settings=settings, keep_mandates=bool(wanted), personal=True)
    summary = render_digest(data, unsubscribe=links.UNSUBSCRIBE_MARK, limit=settings.digest.max_items)
    bodies = {
        lead: render_lead_digest(data, lead, settings=settings, unsubscribe=links.UNSUBSCRIBE_MARK) for lead in wanted
    }
    del data  # every mandate as it stood: the largest object of the run, not needed while queueing
    queued = 0
    for email, name in pending:
        subject, text, html = bodies.get(leads.get(email.casefold()), summary)
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
    if queued:
        # The programme's digest is kept as sent, but for each one's personal opt-out link.
        subject, text, html = summary
        text, html = (
            links.without_access(part.replace(links.UNSUBSCRIBE_MARK, NO_UNSUBSCRIBE), settings)
            for part in (text, html)
        )
        keep_sent(session, month, subject, text, html, actor=actor)
    return queued, 1 + len(bodies)


def keep_sent(session: Session, month: date, subject: str, text: str, html: str, *, actor: str) -> Document:
    """Store the digest as sent: a new version only when its content differs from the last one kept."""
    files = {
        TEXT_FILE: ("text/plain; charset=utf-8", text.encode("utf-8")),
        HTML_FILE: ("text/html; charset=utf-8", html.encode("utf-8")),
    }
    about = f"{month:%Y-%m}"
    previous = latest(session, DOCUMENT_KIND, about)
    if previous is not None:
        stored = {row.name: row.sha256 for row in files_of(session, previous)}
        if stored == {name: sha256(content) for name, (_kind, content) in files.items()}:
            return previous
    edition = next_edition(session, DOCUMENT_KIND, about, now=as_of(month))
    return issue(session, DOCUMENT_KIND, about, files, edition=edition, title=subject, actor=actor)


def sent_digest(session: Session, month: date) -> tuple[str, str] | None:
    """The text and HTML of the month's digest as last sent (checked against their hashes), or None."""
    document = latest(session, DOCUMENT_KIND, f"{month:%Y-%m}")
    if document is None:
        return None
    files = files_of(session, document)
    broken = damaged(files)
    if broken:
        raise InvalidInput(
            f"Der gespeicherte Monatsbericht {month:%m/%Y} ist beschädigt: {', '.join(broken)} "
            "passt nicht mehr zur gespeicherten Prüfsumme (SHA-256)."
        )
    by_name = {row.name: row.content.decode("utf-8") for row in files}
    return by_name[TEXT_FILE], by_name[HTML_FILE]


@dataclass(frozen=True)
class DigestReport:
    """What one digest run did: how many recipients it queued the month's digest for (due: whether it was time)."""

    month: date
    queued: int = 0
    due: bool = True
    # How many distinct bodies were rendered (the programme's, and one per distinct lead).
    bodies: int = 0

    def summary(self) -> str:
        """One German line, e.g. "Monatsbericht März 2011: 16 Nachrichten in den Postausgang gestellt."."""
        label = month_label(self.month)
        if not self.due:
            return f"Monatsbericht {label}: erst ab {as_of(self.month):%d.%m.%Y %H:%M} Uhr fällig."
        if not self.queued:
            return f"Monatsbericht {label}: bereits für alle Empfänger in den Postausgang gestellt, nichts Neues."
        return f"Monatsbericht {label}: {plural(self.queued, 'Nachricht', 'Nachrichten')} in den Postausgang gestellt."


def monthly_tick(engine: Engine, settings: Settings, *, now: datetime) -> DigestReport:
    """Scheduler job: once the current month's as-of moment has passed, queue its digest (idempotent)."""
    month = now.astimezone(BERLIN).date().replace(day=1)
    if now < as_of(month):
        return DigestReport(month, due=False)
    queued, bodies = retrying(engine, lambda session: queue_month(session, settings, month, now=now))
    return DigestReport(month, queued, bodies=bodies)
