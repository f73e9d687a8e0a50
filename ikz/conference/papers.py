"""A conference meeting as plain data: its agenda items and one decision paper per submitted mandate."""

import re
from datetime import date

from sqlmodel import Session, select

from ikz.conference.resolution import proposed_resolution
from ikz.errors import NotFound
from models import BODY_DECISIONS, Body, BodyDecision, CooperationField, Dependency, Duty, Mandate, Meeting, Participant
from workflow import lifecycle
from workflow.codes import code_key
from workflow.dependencies import waiting_for
from workflow.duties import last_on_or_before
from workflow.lookup import CONFERENCE_KEY, find_meeting
from workflow.participation import member_bodies
from workflow.people import lead_bodies
from workflow.text import format_date

# How a body stands towards a mandate: an adopted participant, its own decision, or nothing yet.
STANDING = {"participant": "beteiligt", **BODY_DECISIONS, "none": "nicht erfasst"}


def agenda_data(session: Session, day: date) -> dict:
    """Return the agenda and decision papers of the mayors' conference meeting on `day`."""
    meeting = find_meeting(session, day)
    if meeting is None:
        raise NotFound(_no_meeting(session, day))
    conference = session.get(Body, meeting.body_id)
    previous = session.exec(
        select(Meeting.date).where(Meeting.body_id == meeting.body_id, Meeting.date < day).order_by(Meeting.date.desc())
    ).first()
    minutes = f"der Sitzung vom {format_date(previous)}" if previous else "der letzten Sitzung"
    items = [
        _item(1, "Eröffnung und Feststellung der Tagesordnung"),
        _item(2, f"Genehmigung der Niederschrift {minutes}"),
    ]
    mandates = sorted(
        session.exec(select(Mandate).where(Mandate.meeting_id == meeting.id)).all(), key=lambda m: code_key(m.code)
    )
    members = member_bodies(session)
    papers = []
    for mandate in mandates:
        number = len(items) + 1
        paper = _paper(session, mandate, members, number, f"{conference.key.upper()} {day.isoformat()}/{number}")
        papers.append(paper)
        items.append(_item(number, f"{mandate.code} {mandate.title}", kind="paper", paper=paper))
    items.append(_item(len(items) + 1, "Berichte", kind="reports", subitems=_reports(session, day, len(items) + 1)))
    items.append(_item(len(items) + 1, "Verschiedenes"))
    return {
        "meeting": {"date": day, "title": meeting.title, "body": conference.name, "previous": previous},
        "items": items,
        "papers": papers,
    }


def _no_meeting(session: Session, day: date) -> str:
    days = session.exec(
        select(Meeting.date)
        .join(Body, Body.id == Meeting.body_id)
        .where(Body.key == CONFERENCE_KEY)
        .order_by(Meeting.date)
    ).all()
    known = ", ".join(format_date(d) for d in days) if days else "keine (anlegen mit: ikz meeting add DATUM)"
    return f"Am {format_date(day)} gibt es keine Sitzung der Bürgermeisterkonferenz. Vorhandene Sitzungen: {known}."


def _item(
    number: int, title: str, *, kind: str = "fixed", paper: dict | None = None, subitems: list | None = None
) -> dict:
    return {"number": str(number), "title": title, "kind": kind, "paper": paper, "subitems": subitems or []}


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
    joined = [body for body, row in zip(members, bodies) if row["standing"] in ("participant", "joined")]
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
    rows = []
    for body in members:
        decision = decisions.get(body.id)
        standing = "participant" if body.id in participants else (decision.decision if decision else "none")
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
    """Recurring reports to the conference (duties titled 'Bericht …') of active mandates that have fallen due."""
    rows = session.exec(
        select(Duty, Mandate).join(Mandate, Mandate.id == Duty.mandate_id).where(Mandate.state.in_(lifecycle.ACTIVE))
    ).all()
    reports = []
    for duty, mandate in sorted(rows, key=lambda row: (code_key(row[1].code), row[0].key)):
        occurrence = last_on_or_before(duty, day)
        if not duty.title.startswith("Bericht") or occurrence is None:
            continue
        presenter = session.exec(select(Body).where(Body.key == occurrence.body_key)).first()
        reports.append(
            {
                "number": f"{number}.{len(reports) + 1}",
                "title": duty.title,
                "code": mandate.code,
                "by": presenter.name if presenter else occurrence.body_key,
                "due": occurrence.day,
            }
        )
    return reports
