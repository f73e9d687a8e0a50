"""Notices to the leads of mandates waiting for one that has just been decided (exactly once)."""

from collections import defaultdict
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models import Contact, Dependency, Mandate, Notice, Proposal, Reminder
from notifications import links, threads
from notifications.outbox import About, enqueue
from notifications.rendering import answer_mode, office, render_pair
from workflow import lifecycle
from workflow.people import answering
from workflow.proposals import describe


def notify_waiting(session: Session, settings, decided: Mandate, *, now: datetime) -> int:
    """Queue one notice per lead contact of every mandate waiting for `decided`, in the caller's transaction."""
    waiting = session.exec(
        select(Mandate)
        .join(Dependency, Dependency.mandate_id == Mandate.id)
        .where(Dependency.depends_on_id == decided.id)
    ).all()
    if not waiting:
        return 0
    people: dict[str, dict] = defaultdict(lambda: {"who": None, "mandates": []})
    for mandate_id, contacts in answering(session, [m.id for m in waiting]).items():
        mandate = next(m for m in waiting if m.id == mandate_id)
        for person in contacts:
            people[person.email]["who"] = person
            people[person.email]["mandates"].append(mandate)
    # The stage number makes a later, second decision (after a referral back) a new topic.
    topic = f"decided:{decided.code}:{decided.stage_seq}"
    queued = 0
    for email, person in sorted(people.items()):
        already = session.exec(select(Notice).where(Notice.topic == topic, Notice.recipient == email)).first()
        if already:
            continue
        outcome = lifecycle.STATES[decided.state]
        who, mandates = person["who"], person["mandates"]
        text, html = render_pair(
            "decided",
            decided=decided,
            outcome=outcome,
            waiting=[
                {"code": m.code, "title": m.title, "link": links.mandate_page(settings, m.code, recipient=email)}
                for m in mandates
            ],
            greeting=who.greeting,
            answer=answer_mode(settings),
            office=office(settings),
        )
        if len(mandates) == 1:
            # About the recipient's own mandate: in that mandate's conversation, under its stage subject.
            [mine] = mandates
            subject = threads.mandate_subject(mine.code, mine.title, lifecycle.STATES[mine.state])
            thread = threads.for_mandate(settings, mine.id, mine.created_at, mine.code, mine.title)
        else:
            heading = f"{decided.code} {decided.title} ist entschieden ({outcome})"
            subject, thread = f"ikz: {heading}", threads.for_recipient(settings, "hinweise", email, "ikz-Hinweise")
        try:
            with session.begin_nested():
                message = enqueue(
                    session,
                    settings,
                    kind="notice",
                    recipient=email,
                    recipient_name=who.person or who.name,
                    subject=subject,
                    text=text,
                    html=html,
                    now=now,
                    thread=thread,
                    about=[About(m.id) for m in mandates],
                    answerable=True,
                )
                session.add(Notice(topic=topic, recipient=email, created_at=now, outbox_id=message.id))
            queued += 1
        except IntegrityError:
            continue  # claimed concurrently: that claim's message is the one that goes out
    return queued


def notify_proposer(session: Session, settings, entry, *, now: datetime) -> int:
    """Tell the contact who proposed something (by mail or in the portal) that it was accepted or declined."""
    decided = session.exec(
        select(Proposal).where(
            Proposal.mandate_id == entry.mandate_id,
            Proposal.decided_at == entry.at,
            Proposal.status == ("accepted" if entry.trigger == "accept" else "declined"),
            Proposal.contact_id.is_not(None),
        )
    ).all()
    mandate = session.get(Mandate, entry.mandate_id)
    queued = 0
    for proposal in decided:
        contact = session.get(Contact, proposal.contact_id)
        topic = f"proposal:{proposal.id}"
        if session.exec(select(Notice).where(Notice.topic == topic, Notice.recipient == contact.email)).first():
            continue
        text, html = render_pair(
            "proposal_decided",
            greeting=f"Guten Tag {contact.person}," if contact.person else "Guten Tag,",
            what=describe(proposal),
            accepted=proposal.status == "accepted",
            reason=proposal.decision_note or "",
            mandate=mandate,
            due_date=mandate.due_date,
            link=links.mandate_page(settings, mandate.code, recipient=contact.email),
            answer=answer_mode(settings),
            office=office(settings),
        )
        message = enqueue(
            session,
            settings,
            kind="notice",
            recipient=contact.email,
            recipient_name=contact.person or contact.name,
            subject=threads.mandate_subject(mandate.code, mandate.title, lifecycle.STATES[mandate.state]),
            text=text,
            html=html,
            now=now,
            thread=threads.for_mandate(settings, mandate.id, mandate.created_at, mandate.code, mandate.title),
            about=[About(mandate.id)],
            answerable=True,
        )
        session.add(Notice(topic=topic, recipient=contact.email, created_at=now, outbox_id=message.id))
        queued += 1
    return queued


def notify_leads(
    session: Session,
    settings,
    mandate: Mandate,
    *,
    topic: str,
    headline: str,
    lines: list[str],
    now: datetime,
    also: tuple[str, ...] = (),
) -> int:
    """Tell the people who answer for a mandate (and `also` these addresses) of a change, once per topic each."""
    people = {person.email: person for person in answering(session, [mandate.id]).get(mandate.id, [])}
    recipients = [(email, people.get(email)) for email in sorted(set(people) | set(also))]
    queued = 0
    for email, person in recipients:
        if session.exec(select(Notice).where(Notice.topic == topic, Notice.recipient == email)).first():
            continue
        text, html = render_pair(
            "changed",
            greeting=person.greeting if person else "Guten Tag,",
            headline=headline,
            lines=lines,
            mandate={
                "code": mandate.code,
                "title": mandate.title,
                "link": links.mandate_page(settings, mandate.code, recipient=email),
            },
            answer=answer_mode(settings),
            office=office(settings),
        )
        try:
            with session.begin_nested():
                message = enqueue(
                    session,
                    settings,
                    kind="notice",
                    recipient=email,
                    recipient_name=(person.person or person.name) if person else "",
                    subject=threads.mandate_subject(mandate.code, mandate.title, lifecycle.STATES[mandate.state]),
                    text=text,
                    html=html,
                    now=now,
                    thread=threads.for_mandate(settings, mandate.id, mandate.created_at, mandate.code, mandate.title),
                    about=[About(mandate.id)],
                    answerable=True,
                )
                session.add(Notice(topic=topic, recipient=email, created_at=now, outbox_id=message.id))
            queued += 1
        except IntegrityError:
            continue  # claimed concurrently: that claim's message is the one that goes out
    return queued


def told_about(session: Session, mandate: Mandate, stage: int) -> tuple[str, ...]:
    """Who got mail caused by a stage of a mandate: its decision notices and its reminders."""
    decided = session.exec(select(Notice.recipient).where(Notice.topic == f"decided:{mandate.code}:{stage}")).all()
    reminded = session.exec(
        select(Reminder.recipient).where(Reminder.mandate_id == mandate.id, Reminder.stage_seq == stage)
    ).all()
    return tuple(sorted(set(decided) | set(reminded)))
