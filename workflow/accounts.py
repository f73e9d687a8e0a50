"""Coordination accounts of the portal: argon2 password hashes and a rate limit on failed logins."""

from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func
from sqlmodel import Session, select

from ikz.errors import InvalidInput, TooManyAttempts
from models import PORTAL_ROLES, LoginFailure, PortalUser

# Five wrong passwords per name or address within a quarter of an hour, then a pause.
MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
MIN_PASSWORD = 10
_HASHER = PasswordHasher()


def add_user(session: Session, name: str, password: str, *, role: str, now: datetime) -> PortalUser:
    """Create a portal account; only the argon2 hash of the password is stored."""
    name = name.strip()
    if not name or len(name) > 60 or any(not (char.isalnum() or char in "._-") for char in name):
        raise InvalidInput(
            f"Der Benutzername {name!r} ist nicht erlaubt; erlaubt: 1 bis 60 Buchstaben, Ziffern, Punkt, - oder _."
        )
    if role not in PORTAL_ROLES:
        raise InvalidInput(f"Unbekannte Rolle {role!r}; erlaubt: {', '.join(PORTAL_ROLES)}.")
    if len(password) < MIN_PASSWORD or len(password) > 1000:
        raise InvalidInput(f"Das Passwort ist zu kurz oder zu lang; erlaubt: {MIN_PASSWORD} bis 1000 Zeichen.")
    if session.exec(select(PortalUser).where(PortalUser.name == name)).first():
        raise InvalidInput(f"Einen Benutzer {name} gibt es schon.")
    user = PortalUser(name=name, role=role, password_hash=_HASHER.hash(password), created_at=now)
    session.add(user)
    session.flush()
    return user


def _keys(name: str, address: str) -> list[str]:
    return [f"user:{name.strip().lower()}"[:200], f"ip:{address}"[:200]]


def check_allowed(session: Session, name: str, address: str, *, now: datetime) -> None:
    """Refuse a login attempt while the name or the address has too many recent failures."""
    recent = session.exec(
        select(LoginFailure.key, func.count())
        .where(LoginFailure.key.in_(_keys(name, address)), LoginFailure.at > now - WINDOW)
        .group_by(LoginFailure.key)
    ).all()
    if any(count >= MAX_FAILURES for _key, count in recent):
        raise TooManyAttempts(
            f"Zu viele fehlgeschlagene Anmeldungen; bitte in {int(WINDOW.total_seconds() // 60)} Minuten "
            "erneut versuchen."
        )


def authenticate(session: Session, name: str, password: str, address: str, *, now: datetime) -> PortalUser | None:
    """The account if name and password match; else None, with the failure counted (the caller commits it)."""
    check_allowed(session, name, address, now=now)
    user = session.exec(select(PortalUser).where(PortalUser.name == name.strip())).first()
    try:
        if user is None or user.disabled_at is not None:
            # Hash anyway: an unknown name must take as long as a wrong password.
            _HASHER.hash(password)
            raise VerificationError
        _HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        for key in _keys(name, address):
            session.add(LoginFailure(key=key, at=now))
        # Old failures no longer count; keep the table small.
        session.execute(delete(LoginFailure).where(LoginFailure.at < now - WINDOW * 4))
        session.flush()
        return None
    return user
