"""The outbox: rendered messages written in the same transaction as what caused them, listed and retried."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import insert
from sqlmodel import Session, select

from ikz.errors import RetryRefused, UnknownMessage
from ikz.settings import Settings
from models import Notice, OutboxMandate, OutboxMessage
from notifications import links, message, threads, tokens
from workflow import access

STATUS_LABELS = {"queued": "wartet", "sent": "versandt", "failed": "gescheitert"}
# The kind of the coordinator's failure notices (notifications/delivery.py queues them). The rule that stops notice
# loops: a failure notice that fails itself is not reported by mail again, since that notice could fail the same way,
# forever. Such an unreported failure is shown instead: by `ikz outbox list`, in the digest, in the scheduler's log.
FAILURE_KIND = "failure"
# List-Id per kind of mail, so recipients can file or filter them: (name, label).
LISTS = {
    "reminder": ("erinnerungen", "ikz-Erinnerungen"),
    "notice": ("hinweise", "ikz-Hinweise"),
    "digest": ("monatsbericht", "IKZ-Monatsbericht"),
    "failure": ("zustellung", "ikz-Zustellberichte"),
    "inbox": ("eingang", "ikz-Eingang"),
    "unassigned": ("eingang", "ikz-Eingang"),
}


@dataclass(frozen=True)
class About:
    """A mandate (or one occurrence of one of its duties) that a message is about; replies are matched to it."""

    mandate_id: int
    duty_id: int | None = None
    occurrence: date | None = None


def enqueue(
    session: Session,
    settings: Settings,
    *,
    kind: str,
    recipient: str,
    recipient_name: str,
    subject: str,
    text: str,
    html: str,
    now: datetime,
    thread: threads.Thread,
    about: Sequence[About] = (),
    answerable: bool = False,
    unsubscribe: bool = False,
    reply_to: str | None = None,
    auto_submitted: str = "auto-generated",
) -> OutboxMessage:
    """Queue one message for delivery (the caller's transaction commits it with its cause).

    `thread` places it in its conversation; `answerable` gives it a Reply-To token (when replies are
    enabled), so an answer becomes a note on the mandates in `about`; `unsubscribe` adds the digest's
    List-Unsubscribe headers and fills in the body's unsubscribe link.
    """
    message_id = message.new_message_id(settings.mail.sender)
    # The row first: tokens name its id.
    row = OutboxMessage(
        message_id=message_id,
        kind=kind,
        recipient=recipient,
        subject=message.one_line(subject),
        raw="",
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    session.flush()
    extra = threads.headers(thread, message_id, now)
    name, label = LISTS.get(kind, LISTS["notice"])
    extra["List-Id"] = f"{label} <{name}.ikz.{threads.domain(settings)}>"
    if answerable and tokens.enabled(settings):
        reply_to = tokens.address(settings, tokens.mint(settings, "reply", row.id, message_id, recipient))
    if unsubscribe:
        url = None
        if tokens.enabled(settings):
            token = tokens.mint(settings, "unsubscribe", row.id, message_id, recipient)
            url = links.unsubscribe_page(settings, token)
            mailto = f"mailto:{tokens.address(settings, token)}?subject=Abbestellen"
            extra["List-Unsubscribe"] = f"<{mailto}>, <{url}>"
            if url.startswith("https://"):
                # RFC 8058 one-click needs an HTTPS link that takes a POST (the portal's).
                extra["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        fallback = f"mailto:{settings.coordinator.email}?subject=Monatsbericht%20abbestellen"
        text = text.replace(links.UNSUBSCRIBE_MARK, url or fallback)
        html = html.replace(links.UNSUBSCRIBE_MARK, url or fallback)
    if links.ACCESS_MARK in text or links.ACCESS_MARK in html:
        # The recipient's personal access: issued here, where every mail passes with its transaction (see
        # workflow/access.py: one fresh grant per address and transaction, only its hash stored).
        token = access.for_mail(session, recipient, now=now, days=settings.portal.access_days)
        text, html = text.replace(links.ACCESS_MARK, token), html.replace(links.ACCESS_MARK, token)
    built = message.build(
        sender=settings.mail.sender,
        sender_name=settings.mail.sender_name,
        recipient=recipient,
        recipient_name=recipient_name,
        subject=subject,
        text=text,
        html=html,
        message_id=message_id,
        date=now,
        reply_to=reply_to,
        auto_submitted=auto_submitted,
        headers=extra,
    )
    row.subject, row.raw = str(built["Subject"]), built.as_string()
    session.add(row)
    session.flush()
    # One row per mandate (the table's key); two duties of one mandate in one message keep the first.
    # One executemany: a coordinator's reminder may be about thousands of mandates.
    links_to = [
        {"outbox_id": row.id, "mandate_id": each.mandate_id, "duty_id": each.duty_id, "occurrence": each.occurrence}
        for each in {each.mandate_id: each for each in reversed(list(about))}.values()
    ]
    if links_to:
        session.execute(insert(OutboxMandate.__table__), links_to)
    return row


def list_messages(session: Session, status: str | None = None) -> list[OutboxMessage]:
    """Outbox messages by ID, optionally only those with one status."""
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if status:
        query = query.where(OutboxMessage.status == status)
    return list(session.exec(query))


def is_unreported(row: OutboxMessage) -> bool:
    """True for a failure notice that failed itself: nobody has been told of that failure by mail."""
    return row.kind == FAILURE_KIND and row.status == "failed"


def unreported(session: Session) -> dict[int, int | None]:
    """The failure notices that failed themselves, by ID, each with the ID of the message it reports on."""
    rows = session.exec(
        select(OutboxMessage.id, Notice.topic)
        .outerjoin(Notice, Notice.outbox_id == OutboxMessage.id)
        .where(OutboxMessage.kind == FAILURE_KIND, OutboxMessage.status == "failed")
        .order_by(OutboxMessage.id)
    ).all()
    # The notice's claim is topic "failure:<ID of the failed message>".
    return {notice_id: int(topic.removeprefix("failure:")) if topic else None for notice_id, topic in rows}


def unreported_warning(failures: dict[int, int | None]) -> str:
    """Say in German which failure notices failed, that nobody was told, and how to send them again."""
    about = ", ".join(
        f"{notice_id} (zu Nachricht {original})" if original else str(notice_id)
        for notice_id, original in failures.items()
    )
    ids = " ".join(map(str, failures))
    if len(failures) == 1:
        subject = f"Der Fehlerbericht {about} an die Koordination ist selbst gescheitert"
    else:
        subject = f"Die Fehlerberichte {about} an die Koordination sind selbst gescheitert"
    return (
        f"Achtung: {subject}; die Koordination weiß davon nichts. Ein gescheiterter Fehlerbericht wird nicht noch "
        f"einmal per E-Mail gemeldet (sonst ginge das endlos weiter). Adresse der Koordination prüfen, dann: "
        f"ikz outbox retry {ids}"
    )


def retry(session: Session, ids: list[int], *, now: datetime) -> list[int]:
    """Put failed messages (all, or the given IDs) back into the queue with a fresh count; returns their IDs."""
    if ids:
        rows = []
        for outbox_id in dict.fromkeys(ids):
            row = session.get(OutboxMessage, outbox_id)
            if row is None:
                raise UnknownMessage(f"Eine Nachricht {outbox_id} gibt es im Postausgang nicht.")
            if row.status != "failed":
                raise RetryRefused(
                    f"Nachricht {outbox_id} ist nicht gescheitert (Status: {STATUS_LABELS[row.status]}); "
                    "erneut senden lassen sich nur gescheiterte Nachrichten."
                )
            rows.append(row)
    else:
        rows = list_messages(session, "failed")
    for row in rows:
        row.status, row.attempts, row.next_attempt_at = "queued", 0, now
        row.last_error = row.reported_at = row.lease_owner = row.lease_until = None
        session.add(row)
    session.flush()
    return [row.id for row in rows]
