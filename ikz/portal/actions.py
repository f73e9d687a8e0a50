"""What the portal lets people do: each form checks its CSRF token and the role, then calls one core function."""

from datetime import date, datetime
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from ikz.errors import AccessDenied, InvalidInput
from ikz.portal.context import CHANNEL, Viewer, form
from models import BODY_DECISIONS
from notifications.effects import follow_up
from notifications.optout import unsubscribe_by_token
from workflow import accounts
from workflow.decisions import record_decision
from workflow.duties import mark_done
from workflow.editing import edit_mandate
from workflow.lifecycle import STATES
from workflow.lookup import get_body, get_mandate
from workflow.notes import add_note
from workflow.people import lead_bodies
from workflow.proposals import accept, decline, get_proposal, propose
from workflow.steps import advance

router = APIRouter()
ONLY_COORDINATION = "Das darf nur die Koordination; bitte mit Benutzername und Passwort anmelden."
READ_ONLY = "Mit einem Zugang als Konferenzbüro lässt sich alles lesen, aber nichts ändern."


def _portal(request: Request):
    return request.app.state.portal


def _day(text: str | None, label: str, *, required: bool = False) -> date | None:
    """A date as the form sends it (JJJJ-MM-TT) or as people type it (TT.MM.JJJJ)."""
    text = (text or "").strip()
    if not text:
        if required:
            raise InvalidInput(f"{label} fehlt; erlaubt: TT.MM.JJJJ oder JJJJ-MM-TT, z. B. 12.04.2011.")
        return None
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise InvalidInput(
        f"{label} {text!r} ist kein gültiges Datum; erlaubt: TT.MM.JJJJ oder JJJJ-MM-TT, z. B. 12.04.2011."
    )


def _amount(text: str | None) -> int | None:
    """Whole euros as people type them: 40000, 40.000 or 40.000 €."""
    text = (text or "").strip().removesuffix("€").strip()
    if not text:
        return None
    digits = text.replace(".", "").replace(" ", "")
    if not digits.isdigit() or len(digits) > 10 or int(digits) > 2**31 - 1:
        raise InvalidInput(
            f"{text!r} ist kein Betrag; erlaubt: ganze Euro von 0 bis 2.147.483.647, z. B. 40000 oder 40.000."
        )
    return int(digits)


def _coordination(viewer: Viewer) -> str:
    if not viewer.is_coordination:
        raise AccessDenied(READ_ONLY if viewer.role == "office" else ONLY_COORDINATION)
    return viewer.name


def _lead_actor(session, viewer: Viewer, code: str) -> tuple[str, int | None]:
    """Who acts on a mandate: the coordination, or a contact of one of its lead bodies; else a German 403."""
    if viewer.is_coordination:
        return viewer.name, None
    if viewer.role == "office":
        raise AccessDenied(READ_ONLY)
    mandate = get_mandate(session, code)
    acting = viewer.contact_for(body.id for body in lead_bodies(session, [mandate.id]).get(mandate.id, []))
    if acting is None:
        raise AccessDenied(
            f"Ihre Stelle ist bei {mandate.code} nicht federführend; Stand melden, Fristen vorschlagen, Pflichten "
            "und Unterlagen eintragen dürfen nur die Federführenden. Lesen dürfen Sie alles."
        )
    contact, body = acting
    return f"{contact.person or contact.name} ({body.name})"[:120], contact.id


async def _act(request: Request, work) -> RedirectResponse:
    """Check the form, run `work(session, viewer, fields, now)` in one transaction, then show where it led."""
    portal = _portal(request)
    fields = await form(request)

    def run():
        now = portal.now()
        with portal.session() as session:
            viewer = portal.require(request, session)
            return work(session, viewer, fields, now)

    message, target = await run_in_threadpool(run)
    request.session["flash"] = message
    return RedirectResponse(target, status_code=303)


def _local(target: str | None, default: str) -> str:
    """A path on this portal to go back to; anything else (another site) is ignored."""
    target = (target or "").strip()
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else default


def _mandate_url(code: str) -> str:
    return f"/mandate/{quote(code, safe='')}"


@router.post("/mandate/{code}/vermerk")
async def note(request: Request, code: str):
    """Report progress: a note in the mandate's history."""
    settings = _portal(request).settings

    def work(session, viewer, fields, now):
        actor, _contact = _lead_actor(session, viewer, code)
        entry = add_note(session, code, fields.get("text", ""), actor=actor, now=now, channel=CHANNEL)
        follow_up(session, settings, entry, now=now)
        return "Vermerk gespeichert.", _mandate_url(code)

    return await _act(request, work)


@router.post("/mandate/{code}/frist")
async def deadline(request: Request, code: str):
    """A lead proposes a new deadline (the coordination decides it); the coordination sets it directly."""
    portal = _portal(request)

    def work(session, viewer, fields, now):
        actor, contact_id = _lead_actor(session, viewer, code)
        due = _day(fields.get("frist"), "Die neue Frist", required=True)
        if viewer.is_coordination:
            entry = edit_mandate(session, code, actor=actor, now=now, channel=CHANNEL, due_date=due)
            if entry:
                follow_up(session, portal.settings, entry, now=now)
            return (f"Frist gesetzt: {entry.note}." if entry else "Die Frist war schon so."), _mandate_url(code)
        proposal = propose(
            session,
            code,
            "deadline",
            text=fields.get("begruendung", ""),
            actor=actor,
            now=now,
            today=portal.today(),
            channel=CHANNEL,
            due_date=due,
            contact_id=contact_id,
        )
        return (
            f"Vorschlag {proposal.id} gespeichert: neue Frist {due:%d.%m.%Y}. Die Koordination entscheidet darüber.",
            _mandate_url(code),
        )

    return await _act(request, work)


@router.post("/mandate/{code}/unterlagen")
async def references(request: Request, code: str):
    """Attach a reference to the concept or the economic plan."""
    settings = _portal(request).settings

    def work(session, viewer, fields, now):
        actor, _contact = _lead_actor(session, viewer, code)
        concept = fields.get("konzept", "").strip() or None
        plan = fields.get("wirtschaftsplan", "").strip() or None
        target = _amount(fields.get("effizienzziel"))
        if target is not None and not viewer.is_coordination:
            raise AccessDenied("Das Effizienzziel setzt die Koordination.")
        if concept is None and plan is None and target is None:
            raise InvalidInput("Weder Konzept noch Wirtschaftsplan angegeben; bitte mindestens eine Fundstelle.")
        entry = edit_mandate(
            session,
            code,
            actor=actor,
            now=now,
            channel=CHANNEL,
            concept_ref=concept,
            plan_ref=plan,
            savings_target=target,
        )
        if entry:
            follow_up(session, settings, entry, now=now)
        return (f"Gespeichert: {entry.note}." if entry else "Nichts geändert."), _mandate_url(code)

    return await _act(request, work)


@router.post("/mandate/{code}/pflicht")
async def duty_done(request: Request, code: str):
    """Mark the earliest open occurrence of a duty done."""
    portal = _portal(request)

    def work(session, viewer, fields, now):
        actor, _contact = _lead_actor(session, viewer, code)
        key = fields.get("pflicht", "").strip()
        if not key:
            raise InvalidInput("Keine Pflicht gewählt.")
        entry = mark_done(
            session,
            code,
            key,
            day=_day(fields.get("datum"), "Das Datum") or portal.today(),
            reference=fields.get("fundstelle"),
            actor=actor,
            now=now,
            channel=CHANNEL,
        )
        follow_up(session, portal.settings, entry, now=now)
        return f"{entry.note}.", _mandate_url(code)

    return await _act(request, work)


@router.post("/mandate/{code}/entscheidung")
async def body_decision(request: Request, code: str):
    """A body's decision on joining a mandate, with its reference: a lead for its own body, on any mandate."""
    portal = _portal(request)

    def work(session, viewer, fields, now):
        if viewer.role == "office":
            raise AccessDenied(READ_ONLY)
        body = get_body(session, fields.get("stelle", "").strip() or "?")
        if viewer.is_coordination:
            actor = viewer.name
        else:
            acting = viewer.contact_for([body.id])
            if acting is None:
                raise AccessDenied(
                    f"Sie können nur die Entscheidung Ihrer eigenen Stelle eintragen, nicht die von {body.name}."
                )
            contact, own = acting
            actor = f"{contact.person or contact.name} ({own.name})"[:120]
        row = record_decision(
            session,
            code,
            body.key,
            fields.get("entscheidung", ""),
            decided_on=_day(fields.get("datum"), "Das Datum der Entscheidung") or portal.today(),
            reference=fields.get("fundstelle"),
            actor=actor,
            now=now,
            channel=CHANNEL,
        )
        return f"{body.name}: {BODY_DECISIONS[row.decision]}.", _mandate_url(code)

    return await _act(request, work)


@router.post("/mandate/{code}/schritt")
async def step(request: Request, code: str):
    """The coordination moves a mandate one step on, as `ikz advance` does."""
    portal = _portal(request)

    def work(session, viewer, fields, now):
        actor = _coordination(viewer)
        entry = advance(
            session,
            code,
            fields.get("schritt", "").strip() or "?",
            actor=actor,
            now=now,
            today=portal.today(),
            note=fields.get("vermerk", "").strip() or None,
            meeting_date=_day(fields.get("sitzung"), "Die Sitzung"),
            rules=portal.settings.rules(),
            channel=CHANNEL,
        )
        follow_up(session, portal.settings, entry, now=now)
        return f"{code}: {STATES[entry.from_state]} → {STATES[entry.to_state]}.", _mandate_url(code)

    return await _act(request, work)


def _proposal_number(text: str) -> int:
    if not text.isdigit() or int(text) >= 2**31:
        raise InvalidInput(f"{text!r} ist keine Nummer eines Vorschlags.")
    return int(text)


@router.post("/vorschlaege/{number}/annehmen")
async def accept_proposal(request: Request, number: str):
    """The coordination accepts a proposal; the proposer hears of it as from the CLI."""
    portal = _portal(request)

    def work(session, viewer, fields, now):
        actor = _coordination(viewer)
        entry = accept(session, _proposal_number(number), actor=actor, now=now, today=portal.today(), channel=CHANNEL)
        follow_up(session, portal.settings, entry, now=now)
        return f"Vorschlag {number} angenommen: {entry.note}.", _local(fields.get("zurueck"), "/vorschlaege")

    return await _act(request, work)


@router.post("/vorschlaege/{number}/ablehnen")
async def decline_proposal(request: Request, number: str):
    """The coordination declines a proposal with a reason."""
    portal = _portal(request)

    def work(session, viewer, fields, now):
        actor = _coordination(viewer)
        get_proposal(session, _proposal_number(number))
        reason = fields.get("begruendung", "").strip()
        if not reason:
            raise InvalidInput("Eine Ablehnung braucht eine Begründung.")
        entry = decline(session, _proposal_number(number), reason=reason, actor=actor, now=now, channel=CHANNEL)
        follow_up(session, portal.settings, entry, now=now)
        return f"Vorschlag {number} abgelehnt.", _local(fields.get("zurueck"), "/vorschlaege")

    return await _act(request, work)


@router.post("/anmelden")
async def login(request: Request):
    """Sign the coordination in with name and password (rate-limited per name and address)."""
    portal = _portal(request)
    fields = await form(request)
    name, password = fields.get("name", ""), fields.get("passwort", "")
    address = request.client.host if request.client else "unbekannt"

    def run():
        with portal.session() as session:
            user = accounts.authenticate(session, name, password, address, now=portal.now())
            return user.id if user else None

    user_id = await run_in_threadpool(run)
    if user_id is None:
        return portal.page(
            request,
            "login.html.j2",
            status=401,
            viewer=None,
            title="Anmelden",
            name=name,
            error="Benutzername oder Passwort stimmt nicht.",
        )
    # A fresh session: nothing from before the login carries over (session fixation).
    request.session.clear()
    request.session["user_id"] = user_id
    request.session["flash"] = "Angemeldet."
    return RedirectResponse(_local(fields.get("weiter"), "/"), status_code=303)


@router.post("/abmelden")
async def logout(request: Request):
    """End the session."""
    await form(request)
    request.session.clear()
    request.session["flash"] = "Abgemeldet."
    return RedirectResponse("/anmelden", status_code=303)


@router.get("/monatsbericht/abbestellen/{token}")
def unsubscribe_confirm(request: Request, token: str):
    """Ask before unsubscribing: a mail scanner following the link must not opt anyone out."""
    portal = _portal(request)
    return portal.page(request, "unsubscribe.html.j2", title="Monatsbericht abbestellen", token=token, done=None)


@router.post("/monatsbericht/abbestellen/{token}")
async def unsubscribe(request: Request, token: str):
    """Opt out of the digest: from the confirmation form, or as RFC 8058's one-click POST (which has no CSRF token)."""
    portal = _portal(request)
    data = await request.form()
    if data.get("List-Unsubscribe") != "One-Click":
        await form(request)

    def run():
        with portal.session() as session:
            return unsubscribe_by_token(session, portal.settings, token, now=portal.now(), channel=CHANNEL)

    email = await run_in_threadpool(run)
    return portal.page(request, "unsubscribe.html.j2", title="Monatsbericht abbestellt", token=token, done=email)
