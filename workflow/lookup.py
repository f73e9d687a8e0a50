"""Find mandates, bodies and meetings by the names users type."""

from datetime import date

from sqlmodel import Session, select

from ikz.errors import NotFound
from models import Body, Mandate, Meeting
from workflow.checks import german_number
from workflow.codes import code_key
from workflow.words import did_you_mean, near, normalised

CONFERENCE_KEY = "bmk"


# Up to this many mandates a refusal lists every code; beyond it only the near ones (100k codes are 800 KB).
LISTED_CODES = 20


def get_mandate(session: Session, code: str) -> Mandate:
    """Return the mandate with this code or explain which codes exist (or, among many, which look alike)."""
    # PostgreSQL refuses NUL in a query parameter; no stored code contains one anyway.
    mandate = None if "\x00" in code else session.exec(select(Mandate).where(Mandate.code == code)).first()
    if mandate is not None:
        return mandate
    codes = session.exec(select(Mandate.code).order_by(Mandate.code)).all()
    if not codes:
        raise NotFound(
            f"Mandat {code!r} gibt es nicht. Vorhanden: keine (zuerst: ikz init --catalogue kreis-unna-2010)."
        )
    # Typed in another case (2.1-ls): the code itself is the only sensible suggestion.
    same = [known for known in codes if known.casefold() == code.strip().casefold()]
    # Codes are short: one wrong digit in 1.9 leaves a ratio of 0.67 to 1.8.
    similar = same or near(code, codes, limit=5, cutoff=0.6)
    if len(codes) <= LISTED_CODES:
        known = ", ".join(sorted(codes, key=code_key))
        raise NotFound(f"Mandat {code!r} gibt es nicht.{did_you_mean(similar)} Vorhanden: {known}.")
    if similar:
        raise NotFound(f"Mandat {code!r} gibt es nicht.{did_you_mean(similar)}")
    raise NotFound(
        f"Mandat {code!r} gibt es nicht; keiner der {german_number(len(codes))} Codes ähnelt ihm (ikz list)."
    )


def get_body(session: Session, name: str) -> Body:
    """Return the body whose key or name matches (case and umlaut spelling aside) or list the known keys."""
    wanted = normalised(name)
    bodies = session.exec(select(Body).order_by(Body.key)).all()
    for body in bodies:
        if wanted in (normalised(body.key), normalised(body.name)):
            return body
    by_word = {word: body for body in bodies for word in (body.key, body.name)}
    similar: list[str] = []
    for word in near(name, by_word):
        body = by_word[word]
        shown = f"{body.name} ({body.key})"
        if shown not in similar:
            similar.append(shown)
    known = ", ".join(body.key for body in bodies) or "keine"
    raise NotFound(f"Stelle {name!r} gibt es nicht.{did_you_mean(similar)} Bekannt: {known}.")


def body_names(session: Session) -> dict[str, str]:
    """Every body's name by its key, for showing names where rows carry keys."""
    return dict(session.exec(select(Body.key, Body.name)).all())


def find_meeting(session: Session, day: date, body_key: str = CONFERENCE_KEY) -> Meeting | None:
    """Return the meeting of a body (default: the mayors' conference) on a date, if any."""
    return session.exec(
        select(Meeting).join(Body, Body.id == Meeting.body_id).where(Meeting.date == day, Body.key == body_key)
    ).first()
