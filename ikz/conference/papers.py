"""A conference meeting as plain data: its agenda items and one decision paper per submitted mandate."""

import re
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

from ikz.conference.resolution import proposed_resolution
from ikz.errors import NotFound, TransitionRefused
from models import (
    BODY_DECISIONS,
    Body,
    BodyDecision,
    CooperationField,
    Dependency,
    Duty,
    Mandate,
    MandateLead,
    Meeting,
    MeetingItem,
    Participant,
    TransitionLog,
)
from workflow import lifecycle
from workflow.codes import code_key
from workflow.dependencies import waiting_for
from workflow.duties import done_days, open_until
from workflow.lookup import CONFERENCE_KEY, find_meeting
from workflow.meetings import items_of, meeting_title
from workflow.participation import member_bodies
from workflow.people import lead_bodies
from workflow.text import format_date

# How a body stands towards a mandate: an adopted participant, its own decision, or nothing yet.
STANDING = {"participant": "beteiligt", "joined_later": "später beigetreten", **BODY_DECISIONS, "none": "nicht erfasst"}


def agenda_data(session: Session, day: date, body_key: str = CONFERENCE_KEY) -> dict:
    """The agenda of a body's meeting on `day`: for the mayors' conference with one decision paper per submitted
    mandate, for a working group with the state of the mandates it leads; free items public and non-public."""
    meeting = find_meeting(session, day, body_key)
    if meeting is None:
        raise NotFound(_no_meeting(session, day, body_key))
    if meeting.cancelled_at is not None:
        raise TransitionRefused(
            f"Die Sitzung am {format_date(day)} ist abgesagt ({meeting.cancel_reason}); "
            "eine Tagesordnung gibt es nicht."
        )
    owner = session.get(Body, meeting.body_id)
    previous = session.exec(
        select(Meeting.date)
        .where(Meeting.body_id == meeting.body_id, Meeting.date < day, Meeting.cancelled_at.is_(None))
        .order_by(Meeting.date.desc())
    ).first()
    minutes = f"der Sitzung vom {format_date(previous)}" if previous else "der letzten Sitzung"
    items = [
        _item(1, "Eröffnung und Feststellung der Tagesordnung"),
        _item(2, f"Genehmigung der Niederschrift {minutes}"),
    ]
    free = items_of(session, meeting)
    papers = []
    if owner.kind == "conference":
        members = member_bodies(session)
        mandates = sorted(
            session.exec(select(Mandate).where(Mandate.meeting_id == meeting.id)).all(), key=lambda m: code_key(m.code)
        )
        for mandate in mandates:
            number = len(items) + 1
            paper = _paper(session, mandate, members, number, f"{owner.key.upper()} {day.isoformat()}/{number}")
            papers.append(paper)
            items.append(_item(number, f"{mandate.code} {mandate.title}", kind="paper", paper=paper))
    else:
        for mandate in _working_group_mandates(session, owner, free):
            items.append(
                _item(len(items) + 1, f"{mandate.code} {mandate.title}", kind="status", status=_status(mandate))
            )
    for entry in (item for item in free if item.public):
        items.append(_free(session, len(items) + 1, entry))
    if owner.kind == "conference":
        items.append(_item(len(items) + 1, "Berichte", kind="reports", subitems=_reports(session, day, len(items) + 1)))
    items.append(_item(len(items) + 1, "Verschiedenes"))
    for entry in (item for item in free if not item.public):
        items.append(_free(session, len(items) + 1, entry))
    return {
        "meeting": {
            "date": day,
            "title": meeting.title,
            "body": owner.name,
            "previous": previous,
            "time": meeting.time,
            "place": meeting.place,
            "chair": meeting.chair,
            "conference": owner.kind == "conference",
        },
        "items": items,
        "public_items": [item for item in items if item["public"]],
        "non_public_items": [item for item in items if not item["public"]],
        "papers": papers,
    }


def _working_group_mandates(session: Session, owner: Body, free: list[MeetingItem]) -> list[Mandate]:
    """What a working group's meeting reports on: the active mandates it leads (free items name others)."""
    led = session.exec(
        select(Mandate)
        .join(MandateLead, MandateLead.mandate_id == Mandate.id)
        .where(MandateLead.body_id == owner.id, Mandate.state.in_(lifecycle.ACTIVE))
    ).all()
    named = {item.mandate_id for item in free}
    return sorted((m for m in led if m.id not in named), key=lambda m: code_key(m.code))


def _status(mandate: Mandate) -> dict:
    return {
        "code": mandate.code,
        "state_label": lifecycle.STATES[mandate.state],
        "due": mandate.due_date,
    }


def _free(session: Session, number: int, entry: MeetingItem) -> dict:
    mandate = session.get(Mandate, entry.mandate_id) if entry.mandate_id else None
    return _item(
        number,
        entry.title,
        kind="free",
        public=entry.public,
        note=entry.note,
        status=_status(mandate) if mandate else None,
    )


def _no_meeting(session: Session, day: date, body_key: str) -> str:
    owner = session.exec(select(Body).where(Body.key == body_key)).first()
    name = meeting_title(owner) if owner else "Sitzung"
    days = session.exec(
        select(Meeting.date).join(Body, Body.id == Meeting.body_id).where(Body.key == body_key).order_by(Meeting.date)
    ).all()
    known = ", ".join(format_date(d) for d in days) if days else "keine (anlegen mit: ikz meeting add DATUM)"
    return f"Am {format_date(day)} gibt es keine {name}. Vorhandene Sitzungen: {known}."


def _item(
    number: int,
    title: str,
    *,
    kind: str = "fixed",
    paper: dict | None = None,
    subitems: list | None = None,
    public: bool = True,
    note: str | None = None,
    status: dict | None = None,
) -> dict:
    return {
        "number": str(number),
        "title": title,
        "kind": kind,
        "paper": paper,
        "subitems": subitems or [],
        "public": public,
        "note": note,
        "status": status,
    }


def _paper(session: Session, mandate: Mandate, members: list[Body], item: int, number: str) -> dict:
    leads = sorted(lead_bodies(session, [mandate.id])[mandate.id], key=lambda body: body.name)
    field = session.get(CooperationField, mandate.field_number)
    bodies = _standings(session, mandate, members)
    depends_on = [_reference(m) for m in waiting_for(session, mandate)]
    waited_for_by = session.exec(
        select(Mandate)
        .join(Dependency, Dependency.mandate_id == Mandate.id)
        .where(Dependency.depends_on_id == mandate.id)
    ).all()
    joined = [
        body for body, row in zip(members, bodies) if row["standing"] in ("participant", "joined_later", "joined")
    ]
    return {
        "number": number,
        "item": str(item),
        "file": "vorlage-" + re.sub(r"[^A-Za-z0-9.-]", "_", mandate.code),
        "code": mandate.code,
        "title": mandate.title,
        "field": f"{field.number} {field.name}" if field else str(mandate.field_number),
        "state_label": lifecycle.STATES[mandate.state],
        "leads": [b.name for b in leads],
        "summary": mandate.description,
        "concept_ref": mandate.concept_ref,
        "plan_ref": mandate.plan_ref,
        "savings_target": mandate.savings_target,
        "bodies": bodies,
        "tally": _tally(bodies),
        "depends_on": depends_on,
        "waited_for_by": [_reference(m) for m in sorted(waited_for_by, key=lambda m: code_key(m.code))],
        "resolution": proposed_resolution(
            code=mandate.code,
            title=mandate.title,
            concept_ref=mandate.concept_ref,
            plan_ref=mandate.plan_ref,
            savings_target=mandate.savings_target,
            leads=list(leads),
            joined=joined,
            undecided=[m for m in depends_on if not m["decided"]],
        ),
    }


def _standings(session: Session, mandate: Mandate, members: list[Body]) -> list[dict]:
    decisions = {
        d.body_id: d for d in session.exec(select(BodyDecision).where(BodyDecision.mandate_id == mandate.id)).all()
    }
    participants = set(session.exec(select(Participant.body_id).where(Participant.mandate_id == mandate.id)).all())
    approved = session.exec(
        select(func.max(TransitionLog.at)).where(
            TransitionLog.mandate_id == mandate.id, TransitionLog.trigger == "approve"
        )
    ).one()
    rows = []
    for body in members:
        decision = decisions.get(body.id)
        standing = "participant" if body.id in participants else (decision.decision if decision else "none")
        if standing == "participant" and decision and approved and decision.recorded_at > approved:
            # Joined after the conference approved: the paper's later versions say so, with date and reference.
            standing = "joined_later"
        rows.append(
            {
                "name": body.name,
                "standing": standing,
                "label": STANDING[standing],
                "decided_on": decision.decided_on if decision else None,
                "reference": decision.reference if decision else None,
            }
        )
    return rows


def _tally(bodies: list[dict]) -> str:
    """'2 beigetreten, 1 abgelehnt, 8 nicht erfasst' (in the order of STANDING)."""
    counts = {key: sum(b["standing"] == key for b in bodies) for key in STANDING}
    return ", ".join(f"{counts[key]} {label}" for key, label in STANDING.items() if counts[key])


def _reference(mandate: Mandate) -> dict:
    return {
        "code": mandate.code,
        "title": mandate.title,
        "state_label": lifecycle.STATES[mandate.state],
        "decided": mandate.state in lifecycle.DECIDED,
    }


def _reports(session: Session, day: date, number: int) -> list[dict]:
    """Recurring reports to the conference (duties titled 'Bericht …') that are due by the meeting and still open."""
    rows = session.exec(
        select(Duty, Mandate).join(Mandate, Mandate.id == Duty.mandate_id).where(Mandate.state.in_(lifecycle.ACTIVE))
    ).all()
    done = done_days(session, [duty.id for duty, _mandate in rows])
    names = dict(session.exec(select(Body.key, Body.name)).all())
    reports = []
    for duty, mandate in sorted(rows, key=lambda row: (code_key(row[1].code), row[0].key)):
        if not duty.title.startswith("Bericht"):
            continue
        for occurrence in open_until(duty, done[duty.id], day):
            reports.append(
                {
                    "number": f"{number}.{len(reports) + 1}",
                    "title": duty.title,
                    "code": mandate.code,
                    "by": names.get(occurrence.body_key, occurrence.body_key),
                    "due": occurrence.day,
                }
            )
    return reports
