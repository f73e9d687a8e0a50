"""Taking in one reply: match it to our message and its mandates, check the sender, record it through the seam.

Rules (README "Antworten per E-Mail"):
- a reply is matched by its Reply-To token (HMAC over our message and its recipient), else by In-Reply-To /
  References to one of our Message-IDs; the sender must be a contact of a body leading the mandates (or of
  the body the message went to); anything else goes to the quarantine with a German reason;
- automatic mail (out-of-office, bounces, lists) and our own mail are recorded as ignored and never answered;
- the sender of a quarantined reply to ikz gets one German answer, at most one per sender and day, never
  for automatic mail, our own addresses or a sender whose domain failed DMARC;
- the coordinator gets one notice per taken-in or quarantined reply; it carries no reply token.
"""

import base64
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, select

from ikz.clock import local_date
from ikz.errors import InvalidInput, NotFound, TransitionRefused
from ikz.intake import parsing, reading
from ikz.intake.parsing import Mail
from models import (
    INBOUND_STATES,
    Body,
    Contact,
    Duty,
    Inbound,
    Mandate,
    Notice,
    OutboxMandate,
    OutboxMessage,
    Proposal,
)
from notifications import threads, tokens
from notifications.optout import opt_out
from notifications.outbox import enqueue
from notifications.rendering import office, render_pair
from workflow import lifecycle
from workflow.lookup import get_mandate
from workflow.notes import MAX_NOTE, add_note
from workflow.people import Answering, as_answering, contacts_of, lead_bodies
from workflow.proposals import describe, propose
from workflow.text import format_date

CHANNEL = "E-Mail"


@dataclass
class Outcome:
    """What became of one message: its Inbound row, and the notes and proposals it made."""

    status: str
    inbound: Inbound | None = None
    notes: list[str] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)


class Quarantine(Exception):
    """A reply that cannot be taken in: the reason for the coordinator, and what the sender may be told."""

    def __init__(self, reason: str, *, tell: str | None = None, answer: bool = True):
        super().__init__(reason)
        self.reason = reason
        self.tell = tell
        self.answer = answer


@dataclass
class Target:
    """The message a reply answers and what it is about."""

    row: OutboxMessage
    verified: bool
    purpose: str = "reply"
    about: list[OutboxMandate] = field(default_factory=list)
    mandates: list[Mandate] = field(default_factory=list)


def _own(settings, address: str) -> bool:
    local, _, host = address.casefold().partition("@")
    ours = {settings.mail.sender.casefold(), settings.inbox.address.casefold()}
    inbox_local, _, inbox_host = settings.inbox.address.casefold().partition("@")
    return address.casefold() in ours or (host == inbox_host and local.startswith(inbox_local + "+"))


def take_in(session: Session, settings, raw: bytes, *, now: datetime, too_big: bool = False, size: int = 0) -> Outcome:
    """Record one message (the caller commits); a Message-ID seen before changes nothing."""
    inbox = settings.inbox
    mail = parsing.parse(raw, keep_attachments=inbox.keep_attachments, headers_only=too_big)
    existing = session.exec(select(Inbound).where(Inbound.message_id == mail.message_id)).first()
    if existing is not None:
        return Outcome("duplicate", existing)
    inbound = Inbound(
        message_id=mail.message_id,
        status="recorded",
        sender=mail.sender[:254],
        subject=mail.subject[:250],
        size=size or len(raw),
        received_at=now,
    )
    # The claim first: a second fetcher of the same message fails here, before it writes anything else.
    session.add(inbound)
    session.flush()
    if mail.sender and _own(settings, mail.sender):
        return _ignore(session, inbound, "eigene Nachricht von ikz")
    if mail.automatic:
        return _ignore(session, inbound, mail.automatic)
    target = None
    try:
        if too_big:
            raise Quarantine(
                f"Nachricht zu groß ({_megabytes(size)}; erlaubt sind {_megabytes(inbox.max_bytes)})",
                tell="Sie ist zu groß; bitte schicken Sie große Anhänge auf anderem Weg.",
            )
        if mail.problem:
            raise Quarantine(mail.problem, answer=False)
        target = _target(session, settings, mail)
        inbound.outbox_id = target.row.id
        if target.purpose == "unsubscribe":
            return _unsubscribe(session, inbound, target.row, now)
        who = _sender(session, settings, mail, target)
        inbound.contact_id = who.contact_id
        outcome = _record(session, settings, mail, target, who, now=now, trusted=False)
    except Quarantine as held:
        replied = target is not None or bool(tokens.found_in(settings, mail.addressed))
        return _quarantine(session, settings, inbound, mail, raw, held, now=now, replied_to_us=replied)
    inbound.codes = ", ".join(m.code for m in target.mandates)[:250]
    outcome.inbound = inbound
    session.add(inbound)
    _tell_coordinator(session, settings, inbound, mail, outcome, target, now=now)
    session.flush()
    return outcome


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB".replace(".", ",")


def _ignore(session: Session, inbound: Inbound, reason: str) -> Outcome:
    inbound.status, inbound.reason = "ignored", reason
    session.add(inbound)
    session.flush()
    return Outcome("ignored", inbound)


def _target(session: Session, settings, mail: Mail) -> Target:
    """Our message the reply answers: a verified token, else a reference to one of our Message-IDs."""
    found = tokens.found_in(settings, mail.addressed)
    for token in found:
        row = session.get(OutboxMessage, token.outbox_id)
        if row is not None and tokens.verify(settings, token, row.message_id, row.recipient):
            return _about(session, Target(row, True, token.purpose))
    if found:
        raise Quarantine(
            "Antwortkennzeichen ungültig (verändert, zu einer anderen Nachricht oder mit anderem Schlüssel)"
        )
    for reference in reversed([*mail.references, *mail.in_reply_to]):
        row = session.exec(select(OutboxMessage).where(OutboxMessage.message_id == reference)).first()
        if row is not None:
            return _about(session, Target(row, False))
    raise Quarantine("keine Antwort auf eine Nachricht von ikz (kein Antwortkennzeichen, kein Bezug)", answer=False)


def _about(session: Session, target: Target) -> Target:
    target.about = list(session.exec(select(OutboxMandate).where(OutboxMandate.outbox_id == target.row.id)).all())
    target.mandates = [session.get(Mandate, each.mandate_id) for each in target.about]
    if target.purpose == "reply" and not target.about:
        raise Quarantine(f"Antwort auf eine Nachricht ohne Mandatsbezug („{target.row.subject[:80]}“)")
    return target


def _sender(session: Session, settings, mail: Mail, target: Target) -> Answering:
    """The contact who wrote: one of the lead bodies' contacts (or of the body our message went to)."""
    if mail.forged:
        raise Quarantine(f"Absender {mail.sender} nicht bestätigt (DMARC fehlgeschlagen)", answer=False)
    leads = lead_bodies(session, [m.id for m in target.mandates])
    bodies = {body.id: body for each in leads.values() for body in each}
    for contact in session.exec(select(Contact).where(Contact.email == target.row.recipient)).all():
        bodies.setdefault(contact.body_id, None)
    allowed = contacts_of(session, list(bodies))
    for contact, body in allowed:
        if contact.email.casefold() == mail.sender.casefold():
            return as_answering(contact, body)
    names = ", ".join(sorted({body.name for _contact, body in allowed})) or "keine"
    known = session.exec(select(Contact).where(Contact.email == mail.sender)).first()
    if known is not None:
        raise Quarantine(
            f"Absender {mail.sender} gehört nicht zu den federführenden Stellen ({names}); "
            f"die Nachricht ging an {target.row.recipient}",
            answer=False,
        )
    raise Quarantine(f"unbekannter Absender {mail.sender} (kein Kontakt der federführenden Stellen: {names})")


def _record(
    session: Session, settings, mail: Mail, target: Target, who: Answering | None, *, now, trusted: bool, actor=None
) -> Outcome:
    """Append the reply's notes and proposals to its mandates' histories (channel E-Mail)."""
    closed = [m for m in target.mandates if m.state in lifecycle.FINAL]
    if closed and not trusted:
        states = ", ".join(f"{m.code} ist {lifecycle.STATES[m.state].lower()}" for m in closed)
        raise Quarantine(f"Mandat {states}", tell=f"Das Mandat {states}.")
    text = reading.latest(mail.text)
    codes = [m.code for m in target.mandates]
    preamble, parts = reading.split(text, codes)
    if len(codes) == 1:
        parts = {codes[0]: preamble + parts.get(codes[0], [])}
    elif not parts:
        raise Quarantine(
            "Antwort auf eine Nachricht zu mehreren Mandaten nennt keine Mandatsnummer",
            tell=f"Sie betrifft mehrere Mandate; jeder Absatz beginnt mit der Nummer, z. B. „{codes[0]}: …“.",
        )
    else:
        # Lines before the first number belong to every mandate named.
        parts = {
            code: [*preamble, "", *lines] if any(s.strip() for s in preamble) else lines
            for code, lines in parts.items()
        }
    files = _attachments(settings, mail, now)
    if not any("".join(lines).strip() for lines in parts.values()) and not files:
        raise Quarantine("leere Antwort (kein Text über dem Zitat)", tell="Sie enthielt keinen eigenen Text.")
    actor = actor or who.signed
    outcome = Outcome("recorded")
    today = local_date(now)
    for code, lines in parts.items():
        mandate = next(m for m in target.mandates if m.code == code)
        about = next(a for a in target.about if a.mandate_id == mandate.id)
        part = reading.read_part(lines, today)
        leftover = list(part.lines)
        for command in part.commands:
            if command.problem:
                leftover.append(command.line)
                outcome.hints.append(f"„{command.line}“ nicht als Vorschlag übernommen: {command.problem}")
                continue
            duty = session.get(Duty, about.duty_id) if about.duty_id and command.kind == "done" else None
            try:
                proposal = propose(
                    session,
                    code,
                    command.kind,
                    text=command.text,
                    actor=actor,
                    now=now,
                    today=today,
                    channel=CHANNEL,
                    due_date=command.due_date,
                    contact_id=who.contact_id if who else None,
                    duty=duty,
                    occurrence=about.occurrence if duty else None,
                    source=mail.message_id,
                )
            except (InvalidInput, TransitionRefused) as refused:
                leftover.append(command.line)
                outcome.hints.append(f"„{command.line}“ nicht als Vorschlag übernommen: {refused}")
                continue
            outcome.proposals.append(proposal)
        note = "\n".join(leftover).strip()
        if files:
            note = (note + "\n\n" if note else "") + files
        if note:
            if len(note) > MAX_NOTE:
                marker = " … (gekürzt)"
                note = note[: MAX_NOTE - len(marker)] + marker
            add_note(session, code, note, actor=actor, now=now, channel=CHANNEL)
            outcome.notes.append(code)
    return outcome


def _attachments(settings, mail: Mail, now: datetime) -> str:
    """One line naming the attachments; they are saved only when inbox.keep_attachments is set."""
    if not mail.attachments:
        return ""
    names = ", ".join(f"{a.name} ({_megabytes(a.size)})" for a in mail.attachments)
    if not settings.inbox.keep_attachments:
        return f"Anhänge (nicht gespeichert): {names}"
    folder = Path(settings.inbox.attachment_directory) / parsing.fallback_id(mail.message_id.encode())[1:21]
    folder.mkdir(parents=True, exist_ok=True)
    for number, each in enumerate(mail.attachments, 1):
        safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in each.name)[:80] or "anhang"
        (folder / f"{number:02d}-{safe}").write_bytes(each.data or b"")
    return f"Anhänge (gespeichert in {folder}): {names}"


def _unsubscribe(session: Session, inbound: Inbound, row: OutboxMessage, now: datetime) -> Outcome:
    # The token was verified for this message and recipient; whoever holds it may unsubscribe (RFC 8058).
    opt_out(session, row.recipient, now=now, channel=CHANNEL)
    inbound.status, inbound.reason = "recorded", f"Monatsbericht abbestellt für {row.recipient}"
    session.add(inbound)
    session.flush()
    return Outcome("unsubscribed", inbound)


def _quarantine(session, settings, inbound, mail: Mail, raw: bytes, held: Quarantine, *, now, replied_to_us) -> Outcome:
    inbound.status, inbound.reason = "quarantined", held.reason
    inbound.raw = base64.b64encode(raw).decode("ascii")
    session.add(inbound)
    session.flush()
    if held.answer and replied_to_us:
        _answer_sender(session, settings, inbound, mail, held, now=now)
    _tell_coordinator(session, settings, inbound, mail, None, None, now=now)
    session.flush()
    return Outcome("quarantined", inbound)


def _answer_sender(session, settings, inbound: Inbound, mail: Mail, held: Quarantine, *, now) -> None:
    """One German answer that the reply could not be assigned: per sender at most one a day."""
    sender = mail.sender
    if not sender or mail.forged or mail.automatic or _own(settings, sender) or parsing.NO_REPLY.match(sender):
        return
    topic = f"unassigned:{local_date(now).isoformat()}"
    if session.exec(select(Notice).where(Notice.topic == topic, Notice.recipient == sender.casefold())).first():
        return
    text, html = render_pair(
        "unassigned",
        subject=mail.subject or "(ohne Betreff)",
        received=now,
        tell=held.tell or "",
        office=office(settings),
    )
    topic_line = mail.subject or "ikz"
    row = enqueue(
        session,
        settings,
        kind="unassigned",
        recipient=sender,
        recipient_name=mail.sender_name,
        subject=f"Re: {topic_line}" if not topic_line.lower().startswith(("re:", "aw:")) else topic_line,
        text=text,
        html=html,
        now=now,
        thread=threads.replying_to(mail.message_id, mail.references, topic_line),
        reply_to=settings.coordinator.email,
        auto_submitted="auto-replied",
    )
    session.add(Notice(topic=topic, recipient=sender.casefold(), created_at=now, outbox_id=row.id))


def _tell_coordinator(session, settings, inbound: Inbound, mail: Mail, outcome, target, *, now) -> None:
    """One notice per reply to the coordinator: what was recorded, or why it waits in the quarantine."""
    coordinator = settings.coordinator
    topic = f"inbound:{inbound.id}"
    if session.exec(select(Notice).where(Notice.topic == topic)).first():
        return
    mandates = target.mandates if target else []
    entries = [describe(p) for p in outcome.proposals] if outcome else []
    text, html = render_pair(
        "inbox",
        inbound=inbound,
        sender=f"{mail.sender_name} <{mail.sender}>" if mail.sender_name else mail.sender or "(unbekannt)",
        codes=", ".join(m.code for m in mandates),
        notes=outcome.notes if outcome else [],
        proposals=[(p.id, line) for p, line in zip(outcome.proposals, entries)] if outcome else [],
        hints=outcome.hints if outcome else [],
        office=office(settings),
    )
    if len(mandates) == 1:
        [mandate] = mandates
        subject = threads.mandate_subject(mandate.code, mandate.title, lifecycle.STATES[mandate.state])
        thread = threads.for_mandate(settings, mandate.id, mandate.created_at, mandate.code, mandate.title)
    else:
        subject = f"ikz-Eingang: {'Quarantäne' if inbound.status == 'quarantined' else 'Antwort'} – {mail.subject}"
        thread = threads.for_recipient(settings, "eingang", coordinator.email, "ikz-Eingang")
    row = enqueue(
        session,
        settings,
        kind="inbox",
        recipient=coordinator.email,
        recipient_name=coordinator.name,
        subject=subject,
        text=text,
        html=html,
        now=now,
        thread=thread,
    )
    session.add(Notice(topic=topic, recipient=coordinator.email, created_at=now, outbox_id=row.id))


# --- The coordinator's quarantine -----------------------------------------------------------------


def quarantined(session: Session, *, everything: bool = False) -> list[Inbound]:
    """Messages in the quarantine (or every message taken in), oldest first."""
    query = select(Inbound).order_by(Inbound.id)
    if not everything:
        query = query.where(Inbound.status == "quarantined")
    return list(session.exec(query).all())


def _held(session: Session, number: int) -> Inbound:
    inbound = session.get(Inbound, number)
    if inbound is None:
        waiting = [str(i.id) for i in quarantined(session)]
        raise NotFound(
            f"Eine Nachricht {number} gibt es im Eingang nicht. In Quarantäne: {', '.join(waiting) or 'keine'}."
        )
    if inbound.status != "quarantined":
        raise TransitionRefused(
            f"Nachricht {number} ist nicht in Quarantäne, sondern {INBOUND_STATES[inbound.status]}"
            + (
                f" ({format_date(local_date(inbound.decided_at))}, {inbound.decided_by})."
                if inbound.decided_by
                else "."
            )
        )
    return inbound


def release(session: Session, settings, number: int, *, code: str | None, actor: str, now: datetime) -> Outcome:
    """Take in a quarantined reply after all: the coordinator vouches for the sender (and names the mandate)."""
    inbound = _held(session, number)
    raw = base64.b64decode(inbound.raw or "")
    mail = parsing.parse(raw, keep_attachments=settings.inbox.keep_attachments)
    if inbound.reason and inbound.reason.startswith("Nachricht zu groß"):
        raise TransitionRefused(
            f"Nachricht {number} ist zu groß, um übernommen zu werden; verwerfen mit: ikz inbox drop {number}"
        )
    if mail.problem:
        raise TransitionRefused(
            f"Nachricht {number} ist nicht lesbar ({mail.problem}); verwerfen mit: ikz inbox drop {number}"
        )
    try:
        target = _target(session, settings, mail)
    except Quarantine:
        target = None
    if code is not None:
        mandate = get_mandate(session, code)
        row = target.row if target else None
        about = [OutboxMandate(outbox_id=row.id if row else 0, mandate_id=mandate.id)]
        target = Target(row, False, "reply", about, [mandate])
    if target is None or not target.mandates:
        raise InvalidInput(
            f"Nachricht {number} ist keinem Mandat zugeordnet; bitte angeben: ikz inbox release {number} --mandate CODE"
        )
    contact = session.exec(select(Contact).where(Contact.email == mail.sender)).first()
    who = None
    if contact is not None:
        who = as_answering(contact, session.get(Body, contact.body_id))
    writer = who.signed if who else (f"{mail.sender_name} <{mail.sender}>" if mail.sender_name else mail.sender)[:120]
    try:
        outcome = _record(session, settings, mail, target, who, now=now, trusted=True, actor=writer)
    except Quarantine as held:
        raise TransitionRefused(f"Nachricht {number} lässt sich nicht übernehmen: {held.reason}.") from None
    inbound.status, inbound.decided_by, inbound.decided_at, inbound.raw = "released", actor, now, None
    inbound.codes = ", ".join(m.code for m in target.mandates)[:250]
    session.add(inbound)
    session.flush()
    outcome.inbound = inbound
    return outcome


def drop(session: Session, number: int, *, actor: str, now: datetime) -> Inbound:
    """Discard a quarantined message; its content is deleted, the record that it came stays."""
    inbound = _held(session, number)
    inbound.status, inbound.decided_by, inbound.decided_at, inbound.raw = "dropped", actor, now, None
    session.add(inbound)
    session.flush()
    return inbound
