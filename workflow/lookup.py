"""Find mandates, bodies and meetings by the names users type."""

from datetime import date

from sqlmodel import Session, select

from ikz.errors import NotFound
from models import Body, Mandate, Meeting

CONFERENCE_KEY = "bmk"


def get_mandate(session: Session, code: str) -> Mandate:
    """Return the mandate with this code or explain which codes exist."""
    # PostgreSQL refuses NUL in a query parameter; no stored code contains one anyway.
    mandate = None if "\x00" in code else session.exec(select(Mandate).where(Mandate.code == code)).first()
    if mandate is None:
        codes = session.exec(select(Mandate.code).order_by(Mandate.code)).all()
        known = ", ".join(codes) if codes else "keine (zuerst: ikz init --catalogue kreis-unna-2010)"
        raise NotFound(f"Mandat {code!r} gibt es nicht. Vorhanden: {known}.")
    return mandate


def get_body(session: Session, name: str) -> Body:
    """Return the body whose key or name matches (case-insensitive) or list the known keys."""
    wanted = name.strip().casefold()
    bodies = session.exec(select(Body).order_by(Body.key)).all()
    for body in bodies:
        if wanted in (body.key.casefold(), body.name.casefold()):
            return body
    known = ", ".join(body.key for body in bodies) or "keine"
    raise NotFound(f"Stelle {name!r} gibt es nicht. Bekannt: {known}.")


def find_meeting(session: Session, day: date, body_key: str = CONFERENCE_KEY) -> Meeting | None:
    """Return the meeting of a body (default: the mayors' conference) on a date, if any."""
    return session.exec(
        select(Meeting).join(Body, Body.id == Meeting.body_id).where(Meeting.date == day, Body.key == body_key)
    ).first()
