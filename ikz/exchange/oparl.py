"""An OParl 1.1 document of the programme, its bodies, meetings and mandates, for council information systems."""

from collections import defaultdict
from datetime import UTC, date, datetime, time
from urllib.parse import quote

from sqlmodel import Session, select

from ikz.clock import BERLIN, local_date
from ikz.exchange.streaming import BATCH, Stream, Write, write_json
from models import BODY_KINDS, Body, CooperationField, Mandate, Meeting
from workflow import lifecycle
from workflow.codes import code_key, code_order
from workflow.lookup import CONFERENCE_KEY
from workflow.people import lead_bodies
from workflow.text import plural

DEFAULT_BASE_URL = "https://ikz.kreis-unna.example/oparl/v1"
SCHEMA = "https://schema.oparl.org/1.1/"
# OParl's vendor extensions carry a prefix (spec 3.0, "Herstellerspezifische Erweiterungen").
PREFIX = "ikz:"
# OParl's suggested organisation types; working groups and the conference are committees (Gremien).
ORGANIZATION_TYPES = {
    "county": "Institution",
    "municipality": "Institution",
    "conference": "Gremium",
    "working_group": "Gremium",
    "organisation": "Sonstiges",
}
# What became of an agenda item, read from the mandate's state afterwards (referred back leaves the agenda).
RESULTS = {
    "implement": "zugestimmt",
    "control": "zugestimmt",
    "closed": "zugestimmt",
    "rejected": "abgelehnt",
    "withdrawn": "zurückgezogen",
}


def oparl_document(session: Session, *, today: date, base_url: str = DEFAULT_BASE_URL) -> dict:
    """System, Body, Organization, Meeting, AgendaItem, Paper and Consultation objects with stable URLs as ids."""
    urls = _Urls(base_url.rstrip("/"))
    bodies = {b.id: b for b in session.exec(select(Body).order_by(Body.key)).all()}
    fields = dict(session.exec(select(CooperationField.number, CooperationField.name)).all())
    meetings = session.exec(select(Meeting).order_by(Meeting.date, Meeting.id)).all()
    mandates = sorted(session.exec(select(Mandate)).all(), key=lambda m: code_key(m.code))
    leads = defaultdict(
        list, {m: [b.key for b in found] for m, found in lead_bodies(session, select(Mandate.id)).items()}
    )
    conference = next((b for b in bodies.values() if b.key == CONFERENCE_KEY), None)

    organizations = [_organization(urls, body) for body in bodies.values()]
    meeting_objects, agenda_items, consultations = [], [], {}
    for meeting in meetings:
        owner = bodies[meeting.body_id]
        agenda = [m for m in mandates if m.meeting_id == meeting.id]
        items = []
        for order, mandate in enumerate(agenda, 1):
            consultation = _consultation(urls, mandate, meeting, owner)
            consultations[mandate.id] = consultation
            items.append(_agenda_item(urls, mandate, meeting, owner, order, consultation["id"]))
        agenda_items += items
        meeting_objects.append(_meeting(urls, meeting, owner, items, today))
    papers = [_paper(urls, m, sorted(leads[m.id]), fields, consultations.get(m.id)) for m in mandates]
    system = _object(
        "System",
        urls.system,
        {
            "oparlVersion": SCHEMA,
            "body": urls.body_list,
            "name": "ikz – Interkommunale Zusammenarbeit im Kreis Unna",
        },
    )
    body = _object(
        "Body",
        urls.body,
        {
            "system": urls.system,
            "name": "Interkommunale Zusammenarbeit im Kreis Unna",
            "shortName": "IKZ Kreis Unna",
            "classification": "Kooperationsprogramm",
            "mainOrganization": urls.organization(conference.key) if conference else None,
            **{
                name: f"{urls.body}/{name}"
                for name in ("organization", "person", "meeting", "paper", "agendaItem", "consultation")
            },
        },
    )
    # Required by OParl even when empty: ikz knows no legislative terms.
    body["legislativeTerm"] = []
    return {
        "system": system,
        "body": [body],
        "organization": organizations,
        "meeting": meeting_objects,
        "agendaItem": agenda_items,
        "paper": papers,
        "consultation": list(consultations.values()),
    }


def write_oparl(session: Session, write: Write, *, today: date, base_url: str = DEFAULT_BASE_URL) -> str:
    """Write oparl_document's JSON (UTF-8, no BOM: OParl forbids it) paper by paper as read; return a summary."""
    urls = _Urls(base_url.rstrip("/"))
    bodies = {b.id: b for b in session.exec(select(Body).order_by(Body.key)).all()}
    fields = dict(session.exec(select(CooperationField.number, CooperationField.name)).all())
    meetings = session.exec(select(Meeting).order_by(Meeting.date, Meeting.id)).all()
    order = code_order(Mandate.code, session.get_bind().dialect.name)
    conference = next((b for b in bodies.values() if b.key == CONFERENCE_KEY), None)
    # Only mandates on an agenda make meetings, agenda items and consultations: few, held; papers are streamed.
    agendas = defaultdict(list)
    for mandate in session.exec(select(Mandate).where(Mandate.meeting_id.is_not(None)).order_by(*order)).all():
        agendas[mandate.meeting_id].append(mandate)
    meeting_objects, agenda_items, consultations = [], [], {}
    for meeting in meetings:
        owner = bodies[meeting.body_id]
        items = []
        for number, mandate in enumerate(agendas[meeting.id], 1):
            consultation = _consultation(urls, mandate, meeting, owner)
            consultations[mandate.id] = consultation
            items.append(_agenda_item(urls, mandate, meeting, owner, number, consultation["id"]))
        agenda_items += items
        meeting_objects.append(_meeting(urls, meeting, owner, items, today))
    counted = {"papers": 0}

    def papers():
        query = select(Mandate).order_by(*order).execution_options(yield_per=BATCH)
        for batch in session.execute(query).scalars().partitions():
            leads = lead_bodies(session, [m.id for m in batch])
            for m in batch:
                counted["papers"] += 1
                yield _paper(urls, m, sorted(b.key for b in leads[m.id]), fields, consultations.get(m.id))

    document = _document_head(urls, conference)
    write_json(
        write,
        {
            **document,
            "organization": [_organization(urls, body) for body in bodies.values()],
            "meeting": meeting_objects,
            "agendaItem": agenda_items,
            "paper": Stream(papers()),
            "consultation": list(consultations.values()),
        },
    )
    write("\n")
    return (
        f"OParl 1.1 mit {plural(counted['papers'], 'Vorlage', 'Vorlagen')}, "
        f"{plural(len(meeting_objects), 'Sitzung', 'Sitzungen')} und "
        f"{plural(len(agenda_items), 'Tagesordnungspunkt', 'Tagesordnungspunkten')}"
    )


def _document_head(urls: "_Urls", conference: Body | None) -> dict:
    """The System and Body objects that open the document (as oparl_document builds them)."""
    system = _object(
        "System",
        urls.system,
        {
            "oparlVersion": SCHEMA,
            "body": urls.body_list,
            "name": "ikz – Interkommunale Zusammenarbeit im Kreis Unna",
        },
    )
    body = _object(
        "Body",
        urls.body,
        {
            "system": urls.system,
            "name": "Interkommunale Zusammenarbeit im Kreis Unna",
            "shortName": "IKZ Kreis Unna",
            "classification": "Kooperationsprogramm",
            "mainOrganization": urls.organization(conference.key) if conference else None,
            **{
                name: f"{urls.body}/{name}"
                for name in ("organization", "person", "meeting", "paper", "agendaItem", "consultation")
            },
        },
    )
    # Required by OParl even when empty: ikz knows no legislative terms.
    body["legislativeTerm"] = []
    return {"system": system, "body": [body]}


class _Urls:
    """Stable URLs built from what identifies an object in every database (keys, codes, dates), never row ids."""

    def __init__(self, base: str):
        self.base = base
        self.system = f"{base}/system"
        self.body_list = f"{base}/body"
        self.body = f"{base}/body/ikz-kreis-unna"

    def organization(self, key: str) -> str:
        return f"{self.base}/organization/{quote(key)}"

    def meeting(self, key: str, day: date) -> str:
        return f"{self.base}/meeting/{quote(key)}-{day.isoformat()}"

    def agenda_item(self, key: str, day: date, code: str) -> str:
        return f"{self.base}/agendaitem/{quote(key)}-{day.isoformat()}-{quote(code)}"

    def paper(self, code: str) -> str:
        return f"{self.base}/paper/{quote(code)}"

    def consultation(self, code: str, key: str, day: date) -> str:
        return f"{self.base}/consultation/{quote(code)}-{quote(key)}-{day.isoformat()}"


def _object(kind: str, url: str, properties: dict) -> dict:
    # OParl: properties without information are left out, neither null nor [].
    return {"id": url, "type": f"{SCHEMA}{kind}", **{k: v for k, v in properties.items() if v not in (None, [], "")}}


def _moment(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _organization(urls: _Urls, body: Body) -> dict:
    return _object(
        "Organization",
        urls.organization(body.key),
        {
            "body": urls.body,
            "name": body.name,
            "organizationType": ORGANIZATION_TYPES.get(body.kind, "Sonstiges"),
            "classification": BODY_KINDS.get(body.kind, body.kind),
        },
    )


def _meeting(urls: _Urls, meeting: Meeting, owner: Body, items: list[dict], today: date) -> dict:
    return _object(
        "Meeting",
        urls.meeting(owner.key, meeting.date),
        {
            "name": meeting.title,
            # ikz stores only the day of a meeting: start is that day's beginning in Kreis Unna, flagged as all-day.
            "start": datetime.combine(meeting.date, time(), BERLIN).isoformat(),
            f"{PREFIX}allDay": True,
            "meetingState": "terminiert" if meeting.date >= today else "durchgeführt",
            "organization": [urls.organization(owner.key)],
            "agendaItem": items,
        },
    )


def _agenda_item(urls: _Urls, mandate: Mandate, meeting: Meeting, owner: Body, order: int, consultation: str) -> dict:
    return _object(
        "AgendaItem",
        urls.agenda_item(owner.key, meeting.date, mandate.code),
        {
            "meeting": urls.meeting(owner.key, meeting.date),
            "number": str(order),
            "order": order,
            "name": f"{mandate.code} {mandate.title}",
            "consultation": consultation,
            "result": RESULTS.get(mandate.state),
        },
    )


def _consultation(urls: _Urls, mandate: Mandate, meeting: Meeting, owner: Body) -> dict:
    decides = owner.kind == "conference"
    return _object(
        "Consultation",
        urls.consultation(mandate.code, owner.key, meeting.date),
        {
            "paper": urls.paper(mandate.code),
            "agendaItem": urls.agenda_item(owner.key, meeting.date, mandate.code),
            "meeting": urls.meeting(owner.key, meeting.date),
            "organization": [urls.organization(owner.key)],
            "authoritative": decides,
            "role": "Entscheidung" if decides else "Beratung",
        },
    )


def _paper(urls: _Urls, mandate: Mandate, lead_keys: list[str], fields: dict, consultation: dict | None) -> dict:
    return _object(
        "Paper",
        urls.paper(mandate.code),
        {
            "body": urls.body,
            "name": mandate.title,
            "reference": mandate.code,
            "date": local_date(mandate.created_at).isoformat(),
            "paperType": "Beschlussvorlage",
            # OParl's underDirectionOf is the Federführung.
            "underDirectionOf": [urls.organization(key) for key in lead_keys],
            "consultation": [consultation] if consultation else [],
            "keyword": [fields[mandate.field_number]] if mandate.field_number in fields else [],
            "created": _moment(mandate.created_at),
            "modified": _moment(mandate.updated_at),
            f"{PREFIX}state": mandate.state,
            f"{PREFIX}stateLabel": lifecycle.STATES[mandate.state],
            f"{PREFIX}heldState": mandate.held_state,
            f"{PREFIX}dueDate": mandate.due_date.isoformat() if mandate.due_date else None,
            f"{PREFIX}savingsTarget": mandate.savings_target,
            f"{PREFIX}description": mandate.description,
        },
    )
