"""Notices to the leads of mandates waiting for one that has just been decided (exactly once)."""

from collections import defaultdict
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models import Dependency, Mandate, Notice
from notifications.outbox import enqueue
from notifications.rendering import render_pair
from workflow import lifecycle
from workflow.people import answering


def notify_waiting(session: Session, settings, decided: Mandate, *, now: datetime) -> int:
    """Queue one notice per lead contact of every mandate waiting for `decided`, in the caller's transaction."""
    waiting = session.exec(
        select(Mandate)
        .join(Dependency, Dependency.mandate_id == Mandate.id)
        .where(Dependency.depends_on_id == decided.id)
    ).all()
    if not waiting:
        return 0
    people: dict[str, dict] = defaultdict(lambda: {"name": "", "mandates": []})
    for mandate_id, contacts in answering(session, [m.id for m in waiting]).items():
        mandate = next(m for m in waiting if m.id == mandate_id)
        for person in contacts:
            people[person.email]["name"] = person.name
            people[person.email]["mandates"].append(mandate)
    # The stage number makes a later, second decision (after a referral back) a new topic.
    topic = f"decided:{decided.code}:{decided.stage_seq}"
    queued = 0
    for email, person in sorted(people.items()):
        already = session.exec(select(Notice).where(Notice.topic == topic, Notice.recipient == email)).first()
        if already:
            continue
        outcome = lifecycle.STATES[decided.state]
        text, html = render_pair(
            "decided", decided=decided, outcome=outcome, waiting=person["mandates"], recipient_name=person["name"]
        )
        try:
            with session.begin_nested():
                message = enqueue(
                    session,
                    settings,
                    kind="notice",
                    recipient=email,
                    recipient_name=person["name"],
                    subject=f"ikz: {decided.code} {decided.title} ist entschieden ({outcome})",
                    text=text,
                    html=html,
                    now=now,
                )
                session.add(Notice(topic=topic, recipient=email, created_at=now, outbox_id=message.id))
            queued += 1
        except IntegrityError:
            continue  # claimed concurrently: that claim's message is the one that goes out
    return queued
