"""Personal access links for leads and conference offices: random tokens, stored only as their SHA-256."""

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import inspect
from sqlmodel import Session, select

from ikz.errors import AccessDenied, InvalidInput, NotFound
from models import AccessGrant, Body, Contact
from workflow.checks import is_email
from workflow.lookup import get_body
from workflow.text import format_moment


def hash_token(token: str) -> str:
    """The stored form of a token: its hex SHA-256 (a token is random enough that no salt is needed)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue(
    session: Session, *, role: str, label: str, now: datetime, days: int, actor: str, email=None, body_id=None
) -> tuple[AccessGrant, str]:
    """Create a grant and return it with its raw token, which exists only in this return value."""
    token = secrets.token_urlsafe(32)
    grant = AccessGrant(
        token_hash=hash_token(token),
        role=role,
        email=email,
        body_id=body_id,
        label=label[:200],
        created_at=now,
        created_by=actor[:120],
        expires_at=now + timedelta(days=days),
    )
    session.add(grant)
    session.flush()
    return grant, token


def grant_for_address(session: Session, email: str, *, now: datetime, days: int, actor: str) -> tuple[AccessGrant, str]:
    """A link for one address: a contact of a body leads with it, any other address reads (a conference office)."""
    email = email.strip()
    if not is_email(email):
        raise InvalidInput(f"{email!r} ist keine E-Mail-Adresse; erlaubt ist z. B. rpa@luenen.example.")
    contacts = session.exec(
        select(Contact, Body).join(Body, Body.id == Contact.body_id).where(Contact.email == email).order_by(Body.key)
    ).all()
    if contacts:
        _contact, body = contacts[0]
        label = ", ".join(f"{c.person or c.name} ({b.name})" for c, b in contacts)
        return issue(session, role="lead", label=label, email=email, body_id=body.id, now=now, days=days, actor=actor)
    return issue(session, role="office", label=email, email=email, now=now, days=days, actor=actor)


def grant_for_body(session: Session, name: str, *, now: datetime, days: int, actor: str) -> tuple[AccessGrant, str]:
    """A read-only link for a body's conference office (the mayor's office), e.g. `ikz access grant luenen`."""
    body = get_body(session, name)
    return issue(
        session, role="office", label=f"Konferenzbüro {body.name}", body_id=body.id, now=now, days=days, actor=actor
    )


def for_mail(session: Session, email: str, *, now: datetime, days: int) -> str:
    """The token for links in mails to this address: one fresh grant per transaction, reused within it."""
    # The raw token is never stored, so it can only be reused while this transaction still holds it.
    issued = session.info.setdefault("ikz_access_tokens", {})
    known = issued.get(email)
    # A savepoint rolled back (a lost claim) takes its grant with it: then issue another.
    if known is None or not inspect(known[0]).persistent:
        known = issued[email] = grant_for_address(session, email, now=now, days=days, actor="ikz (E-Mail)")
    return known[1]


def check(session: Session, token: str, *, now: datetime) -> AccessGrant:
    """The grant behind a token that still works; else a German refusal saying why."""
    grant = session.exec(select(AccessGrant).where(AccessGrant.token_hash == hash_token(token))).first()
    return valid(grant, now=now)


def valid(grant: AccessGrant | None, *, now: datetime) -> AccessGrant:
    """The grant itself if it is known, not revoked and not expired; else a German refusal."""
    if grant is None:
        raise AccessDenied("Dieser Zugangslink ist ungültig. Bitte den Link aus Ihrer letzten E-Mail verwenden.")
    if grant.revoked_at is not None:
        raise AccessDenied(
            f"Dieser Zugangslink wurde am {format_moment(grant.revoked_at)} widerrufen. "
            "Einen neuen Link vergibt die Koordinierungsstelle."
        )
    if grant.expires_at <= now:
        raise AccessDenied(
            f"Dieser Zugangslink ist am {format_moment(grant.expires_at)} abgelaufen. "
            "Jede neue E-Mail von ikz enthält einen neuen Link; sonst hilft die Koordinierungsstelle."
        )
    return grant


def acting(session: Session, grant: AccessGrant) -> tuple[tuple[Contact, Body], ...]:
    """The contacts (with their bodies, by key) a lead grant acts for; none for an office's grant."""
    if grant.role != "lead" or not grant.email:
        return ()
    return tuple(
        session.exec(
            select(Contact, Body)
            .join(Body, Body.id == Contact.body_id)
            .where(Contact.email == grant.email)
            .order_by(Body.key)
        ).all()
    )


def revoke(session: Session, target: str, *, now: datetime, actor: str) -> list[AccessGrant]:
    """Revoke one grant by number, or every working grant of an address; returns what was revoked."""
    target = target.strip()
    if target.isdigit():
        grant = session.get(AccessGrant, int(target)) if int(target) < 2**31 else None
        if grant is None:
            raise NotFound(f"Einen Zugang {target} gibt es nicht (ikz access list zeigt sie).")
        grants = [grant] if grant.revoked_at is None else []
        if not grants:
            raise InvalidInput(f"Zugang {target} ist bereits widerrufen ({format_moment(grant.revoked_at)}).")
    else:
        grants = list(
            session.exec(select(AccessGrant).where(AccessGrant.email == target, AccessGrant.revoked_at.is_(None))).all()
        )
        if not grants:
            raise NotFound(
                f"Für {target!r} gibt es keinen offenen Zugang; erlaubt: die Nummer eines Zugangs oder eine Adresse "
                "(ikz access list zeigt sie)."
            )
    for grant in grants:
        grant.revoked_at, grant.revoked_by = now, actor[:120]
        session.add(grant)
    session.flush()
    return grants


def working(session: Session, *, now: datetime) -> list[tuple[AccessGrant, Body | None]]:
    """Every grant that still works, oldest first, with its body."""
    return list(
        session.exec(
            select(AccessGrant, Body)
            .outerjoin(Body, Body.id == AccessGrant.body_id)
            .where(AccessGrant.revoked_at.is_(None), AccessGrant.expires_at > now)
            .order_by(AccessGrant.id)
        ).all()
    )
