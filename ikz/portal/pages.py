"""The portal's pages: each reads through the same view functions as the CLI and renders German HTML."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import select

from ikz.errors import AccessDenied, InvalidInput, NotFound
from ikz.portal import charts
from ikz.portal.subscriptions import feed_token
from models import (
    BODY_DECISIONS,
    PROPOSAL_KINDS,
    Body,
    BodyDecision,
    CooperationField,
    Document,
    Mandate,
    MandateLead,
    Meeting,
)
from workflow import lifecycle
from workflow.board import board_page, detail_of, list_mandates, mandate_detail
from workflow.controlling import controlling_report
from workflow.documents import files_of, get_document
from workflow.lookup import get_mandate
from workflow.meetings import items_of, list_meetings
from workflow.participation import MEMBER_KINDS, member_bodies
from workflow.people import answering
from workflow.proposals import open_proposals

router = APIRouter()
PAGE_SIZE = 25


def _portal(request: Request):
    return request.app.state.portal


def light(row: dict) -> tuple[str, str]:
    """A mandate's traffic light on the board: a class for the colour and the words that say the same."""
    if row["state"] in lifecycle.FINAL:
        return "grau", lifecycle.STATES[row["state"]]
    if row["state"] == "on_hold":
        return "grau", "ruht"
    if row["overdue"]:
        return "rot", "überfällig"
    if row["deadline_missing"]:
        return "gelb", "Frist fehlt"
    return "gruen", "im Plan"


def _number(text: str | None, label: str, *, low: int, high: int) -> int | None:
    if text is None or not text.strip():
        return None
    try:
        value = int(text.strip())
    except ValueError:
        raise InvalidInput(f"{label} {text!r} ist keine ganze Zahl; erlaubt: {low} bis {high}.") from None
    if not low <= value <= high:
        raise InvalidInput(f"{label} {value} liegt außerhalb des erlaubten Bereichs; erlaubt: {low} bis {high}.")
    return value


@router.get("/")
def board(
    request: Request,
    feld: str | None = None,
    zustand: str | None = None,
    federfuehrung: str | None = None,
    ueberfaellig: str | None = None,
    seite: str | None = None,
):
    """The board: every mandate, filtered, a page at a time."""
    portal = _portal(request)
    field = _number(feld, "Das Feld", low=1, high=99)
    page = _number(seite, "Die Seite", low=1, high=1_000_000) or 1
    with portal.session() as session:
        viewer = portal.require(request, session)
        shown, total = board_page(
            session,
            today=portal.today(),
            page=page,
            size=PAGE_SIZE,
            state=zustand.strip() if zustand and zustand.strip() else None,
            lead=federfuehrung.strip() if federfuehrung and federfuehrung.strip() else None,
            field=field,
            overdue=bool(ueberfaellig),
        )
        names = dict(session.exec(select(Body.key, Body.name)).all())
        fields = session.exec(select(CooperationField).order_by(CooperationField.number)).all()
        leading = session.exec(
            select(Body).where(Body.id.in_(select(MandateLead.body_id).distinct())).order_by(Body.name)
        ).all()
    pages = max(1, -(-total // PAGE_SIZE))
    if page > pages:
        raise InvalidInput(f"Die Seite {page} gibt es nicht; erlaubt: 1 bis {pages}.")
    for row in shown:
        row["light"] = light(row)
        row["lead_names"] = [names.get(key, key) for key in row["leads"]]
    filters = {
        key: value
        for key, value in (
            ("feld", feld),
            ("zustand", zustand),
            ("federfuehrung", federfuehrung),
            ("ueberfaellig", ueberfaellig),
        )
        if value
    }
    return portal.page(
        request,
        "board.html.j2",
        viewer=viewer,
        title="Mandate",
        rows=shown,
        total=total,
        page=page,
        pages=pages,
        filters=filters,
        fields=fields,
        states=lifecycle.STATES,
        leading=leading,
    )


@router.get("/mandate/{code}")
def mandate(request: Request, code: str):
    """One mandate: details, leads with named contacts, participants and decisions, duties, history, documents."""
    portal = _portal(request)
    with portal.session() as session:
        viewer = portal.require(request, session)
        row = get_mandate(session, code)
        detail = detail_of(session, row, today=portal.today())
        people = answering(session, [row.id]).get(row.id, [])
        decisions = session.exec(
            select(BodyDecision, Body)
            .join(Body, Body.id == BodyDecision.body_id)
            .where(BodyDecision.mandate_id == row.id)
            .order_by(Body.key)
        ).all()
        documents = (
            session.exec(select(Document).where(Document.meeting_id == row.meeting_id).order_by(Document.version)).all()
            if row.meeting_id
            else []
        )
        proposals = open_proposals(session, mandate_id=row.id)
        # Only the coordination picks any member body; a lead decides for its own member bodies.
        members = member_bodies(session) if viewer.is_coordination else []
    own_bodies = [body for _contact, body in viewer.contacts if body.kind in MEMBER_KINDS]
    may_lead = viewer.is_coordination or viewer.acts_for(detail["leads"])
    may_decide = viewer.is_coordination or bool(own_bodies)
    return portal.page(
        request,
        "mandate.html.j2",
        viewer=viewer,
        title=f"{detail['code']} {detail['title']}",
        m=detail,
        light=light(detail),
        people=people,
        decisions=[(d, b, BODY_DECISIONS[d.decision]) for d, b in decisions],
        documents=documents,
        proposals=proposals,
        kinds=PROPOSAL_KINDS,
        states=lifecycle.STATES,
        triggers=lifecycle.TRIGGERS,
        may_lead=may_lead,
        may_decide=may_decide and detail["state"] in ("decide", "implement", "control"),
        decision_bodies=members if viewer.is_coordination else own_bodies,
        decision_words=BODY_DECISIONS,
    )


@router.get("/meine-aufgaben")
def tasks(request: Request):
    """A lead's own page: the mandates its bodies lead, their deadlines and duties, and open proposals."""
    portal = _portal(request)
    with portal.session() as session:
        viewer = portal.require(request, session)
        if not viewer.contacts:
            raise NotFound(
                "„Meine Aufgaben“ gibt es für Federführende, die mit dem Link aus ihrer E-Mail angemeldet sind."
            )
        rows, names = [], dict(session.exec(select(Body.key, Body.name)).all())
        for _contact, body in viewer.contacts:
            for row in list_mandates(session, today=portal.today(), lead=body.key):
                if row["state"] in lifecycle.FINAL or any(r["code"] == row["code"] for r in rows):
                    continue
                detail = mandate_detail(session, row["code"], today=portal.today())
                row.update(light=light(row), duties=detail["duties"], lead_names=[names[k] for k in row["leads"]])
                rows.append(row)
        codes = {row["code"] for row in rows}
        proposals = [(p, m) for p, m in open_proposals(session) if m.code in codes]
        base = portal.settings.portal.base_url.rstrip("/")
        feeds = {
            body.name: f"{base}/kalender/{feed_token(request.app.state.feed_secret, body.key)}.ics"
            for _contact, body in viewer.contacts
        }
    return portal.page(
        request,
        "tasks.html.j2",
        viewer=viewer,
        title="Meine Aufgaben",
        rows=rows,
        proposals=proposals,
        kinds=PROPOSAL_KINDS,
        feeds=feeds,
    )


@router.get("/sitzungen")
def meetings(request: Request):
    """Every meeting with its issued agendas."""
    portal = _portal(request)
    with portal.session() as session:
        viewer = portal.require(request, session)
        rows = list_meetings(session)
        issued = {}
        for document in session.exec(select(Document).where(Document.kind == "agenda")).all():
            issued.setdefault(document.meeting_id, []).append(document)
    return portal.page(request, "meetings.html.j2", viewer=viewer, title="Sitzungen", rows=rows, issued=issued)


@router.get("/sitzungen/{number}")
def meeting(request: Request, number: int):
    """One meeting: its agenda (mandates submitted, free items) and the issued papers."""
    portal = _portal(request)
    with portal.session() as session:
        viewer = portal.require(request, session)
        found = session.get(Meeting, number) if number < 2**31 else None
        if found is None:
            raise NotFound(f"Eine Sitzung {number} gibt es nicht; die Liste steht unter „Sitzungen“.")
        body = session.get(Body, found.body_id)
        mandates = sorted(
            session.exec(select(Mandate).where(Mandate.meeting_id == found.id)).all(), key=lambda m: m.code
        )
        items = [item for item in items_of(session, found) if item.public or viewer.role != "office"]
        documents = session.exec(
            select(Document).where(Document.meeting_id == found.id).order_by(Document.version)
        ).all()
        files = {document.id: [f.name for f in files_of(session, document)] for document in documents}
    return portal.page(
        request,
        "meeting.html.j2",
        viewer=viewer,
        title=f"{found.title} am {found.date:%d.%m.%Y}",
        meeting=found,
        body=body,
        mandates=mandates,
        states=lifecycle.STATES,
        items=items,
        documents=documents,
        files=files,
    )


@router.get("/dokumente/{number}/{name}")
def document_file(request: Request, number: int, name: str):
    """One file of an issued document, byte for byte as stored (HTML, PDF, text)."""
    portal = _portal(request)
    with portal.session() as session:
        portal.require(request, session)
        document = get_document(session, number) if number < 2**31 else None
        if document is None:
            raise NotFound(f"Ein Dokument {number} gibt es nicht.")
        found = next((f for f in files_of(session, document) if f.name == name), None)
        if found is None:
            raise NotFound(f"Das Dokument {number} hat keine Datei {name!r}.")
        content, media_type = found.content, found.media_type
    disposition = (
        "inline" if media_type.split(";")[0] in ("text/html", "application/pdf", "text/plain") else "attachment"
    )
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'{disposition}; filename="{name}"'},
    )


@router.get("/monatsberichte")
def digests(request: Request):
    """The archive of monthly digests, each as it was sent."""
    portal = _portal(request)
    with portal.session() as session:
        viewer = portal.require(request, session)
        documents = session.exec(
            select(Document).where(Document.kind == "digest").order_by(Document.subject.desc(), Document.version)
        ).all()
        files = {document.id: [f.name for f in files_of(session, document)] for document in documents}
    return portal.page(
        request, "digests.html.j2", viewer=viewer, title="Monatsberichte", documents=documents, files=files
    )


@router.get("/controlling")
def controlling(request: Request):
    """Targets, realised savings per year and the programme against its 2 Mio € goal, with a chart."""
    portal = _portal(request)
    with portal.session() as session:
        viewer = portal.require(request, session)
        report = controlling_report(session)
    years = sorted({year for row in report["mandates"] for year in row["savings"]})
    return portal.page(
        request,
        "controlling.html.j2",
        viewer=viewer,
        title="Controlling",
        report=report,
        years=years,
        chart=charts.programme(report),
    )


@router.get("/vorschlaege")
def proposals(request: Request):
    """Open proposals of the leads, for the coordination to accept or decline."""
    portal = _portal(request)
    with portal.session() as session:
        viewer = portal.require(request, session)
        if not viewer.is_coordination:
            raise AccessDenied("Vorschläge annehmen oder ablehnen darf nur die Koordination.")
        found = open_proposals(session)
    return portal.page(
        request, "proposals.html.j2", viewer=viewer, title="Offene Vorschläge", found=found, kinds=PROPOSAL_KINDS
    )


@router.get("/anmelden")
def login_page(request: Request):
    """The coordination's login form."""
    portal = _portal(request)
    with portal.session() as session:
        viewer = portal.viewer(request, session)
    if viewer is not None and viewer.is_coordination:
        return RedirectResponse("/", status_code=303)
    return portal.page(request, "login.html.j2", viewer=viewer, title="Anmelden", error=None, name="")
