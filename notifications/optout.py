"""Opting out of the monthly digest (never out of reminders): by the List-Unsubscribe token or by the coordinator."""

from datetime import datetime

from sqlmodel import Session, select

from ikz.errors import InvalidInput, NotFound
from models import DigestOptOut, OutboxMessage
from notifications import tokens
from workflow.checks import is_email


def unsubscribe_by_token(session: Session, settings, token_text: str, *, now: datetime, channel: str) -> str:
    """Opt out whoever got the digest that carries this unsubscribe token (the portal's one-click POST, a mailto);
    returns the address. A token that is not ours is refused."""
    found = tokens.found_in(settings, [tokens.address(settings, token_text.strip().casefold())])
    row = session.get(OutboxMessage, found[0].outbox_id) if found else None
    if (
        row is None
        or found[0].purpose != "unsubscribe"
        or not tokens.verify(settings, found[0], row.message_id, row.recipient)
    ):
        raise NotFound("Dieser Abbestell-Link ist ungültig.")
    opt_out(session, row.recipient, now=now, channel=channel)
    return row.recipient


def opt_out(session: Session, email: str, *, now: datetime, channel: str) -> bool:
    """Record that an address gets no digest any more; False if it had opted out already."""
    email = email.strip()
    if not is_email(email):
        raise InvalidInput(f"{email!r} ist keine gültige E-Mail-Adresse.")
    if session.exec(select(DigestOptOut).where(DigestOptOut.email == email.casefold())).first() is not None:
        return False
    session.add(DigestOptOut(email=email.casefold(), created_at=now, channel=channel))
    session.flush()
    return True


def opt_in(session: Session, email: str) -> None:
    """Put an address back on the digest's distribution list."""
    row = session.exec(select(DigestOptOut).where(DigestOptOut.email == email.strip().casefold())).first()
    if row is None:
        raise NotFound(f"{email} hat den Monatsbericht nicht abbestellt.")
    session.delete(row)
    session.flush()


def opted_out(session: Session) -> list[DigestOptOut]:
    """Every address that opted out, by address."""
    return list(session.exec(select(DigestOptOut).order_by(DigestOptOut.email)).all())
