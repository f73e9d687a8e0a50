"""What every request of the portal shares: settings, the database, the clock, the viewer and the page renderer."""

import hmac
import secrets
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine

from ikz import clock as ikz_clock
from ikz.errors import AccessDenied
from ikz.settings import Settings
from ikz.templating import environment
from models import AccessGrant, Body, Contact, PortalUser
from models.db import transaction
from workflow import access
from workflow.text import format_date, format_percent

TEMPLATES = Path(__file__).parent / "templates"
CHANNEL = "Portal"
NOT_SIGNED_IN = (
    "Diese Seite ist nur mit Anmeldung zu sehen. Die Koordination meldet sich mit Benutzername und Passwort an; "
    "Federführende und Konferenzbüros öffnen den persönlichen Link aus ihrer letzten E-Mail von ikz."
)


@dataclass(frozen=True)
class Viewer:
    """Who is looking: the coordination (an account), a lead contact or a conference office (an access link)."""

    role: str  # "koordination", "lead" or "office"
    name: str
    user_id: int | None = None
    grant_id: int | None = None
    contacts: tuple[tuple[Contact, Body], ...] = ()

    @property
    def is_coordination(self) -> bool:
        return self.role == "koordination"

    @property
    def role_label(self) -> str:
        return {"koordination": "Koordination", "lead": "Federführung", "office": "Konferenzbüro (nur lesen)"}[
            self.role
        ]

    def contact_for(self, body_ids) -> tuple[Contact, Body] | None:
        """The contact that acts for one of these bodies (the first by body key), or None."""
        wanted = set(body_ids)
        return next(((c, b) for c, b in self.contacts if b.id in wanted), None)

    def acts_for(self, body_keys) -> bool:
        """Whether one of the viewer's contacts acts for a body with one of these keys."""
        wanted = set(body_keys)
        return any(b.key in wanted for _c, b in self.contacts)


@dataclass
class Portal:
    """The portal's handle on its settings, database and clock (one per app)."""

    settings: Settings
    engine: Engine
    now: Callable[[], datetime] = ikz_clock.now
    env: object = field(default=None)

    def today(self) -> date:
        return ikz_clock.local_date(self.now())

    @contextmanager
    def session(self):
        """One transaction per request: all of it commits, or none of it."""
        with transaction(self.engine) as session:
            yield session

    def viewer(self, request: Request, session) -> Viewer | None:
        """The signed-in viewer of this request, checked against the database each time (a revoked link stops)."""
        data = request.session
        if data.get("user_id"):
            user = session.get(PortalUser, data["user_id"])
            if user is not None and user.disabled_at is None:
                return Viewer(role=user.role, name=user.name, user_id=user.id)
            data.clear()
            return None
        if data.get("grant_id"):
            grant = session.get(AccessGrant, data["grant_id"])
            try:
                access.valid(grant, now=self.now())
            except AccessDenied:
                data.clear()
                raise
            contacts = access.acting(session, grant)
            return Viewer(
                role=grant.role if contacts or grant.role == "office" else "office",
                name=grant.label,
                grant_id=grant.id,
                contacts=contacts,
            )
        return None

    def require(self, request: Request, session) -> Viewer:
        """The viewer, or a German 403 for someone not signed in."""
        viewer = self.viewer(request, session)
        if viewer is None:
            raise AccessDenied(NOT_SIGNED_IN)
        return viewer

    def page(self, request: Request, template: str, *, status: int = 200, viewer=None, **values) -> HTMLResponse:
        """Render one German page with the shared frame (navigation, CSRF token, the flash message)."""
        flash = request.session.pop("flash", None) if "session" in request.scope else None
        html = self.env.get_template(template).render(
            viewer=viewer,
            csrf=csrf_token(request),
            flash=flash,
            path=request.url.path,
            today=self.today(),
            **values,
        )
        return HTMLResponse(html, status_code=status)


def _day(text: str | None) -> str:
    return format_date(date.fromisoformat(text)) if text else "–"


def _moment(text: str | datetime | None) -> str:
    if not text:
        return "–"
    moment = datetime.fromisoformat(text) if isinstance(text, str) else text
    return moment.astimezone(ikz_clock.BERLIN).strftime("%d.%m.%Y %H:%M")


def make_portal(settings: Settings, engine: Engine, now=None) -> Portal:
    env = environment(TEMPLATES)
    env.filters.update(tag=_day, moment=_moment, percent=format_percent)
    return Portal(settings=settings, engine=engine, now=now or ikz_clock.now, env=env)


def csrf_token(request: Request) -> str:
    """This session's CSRF token (made on first use); every form carries it."""
    if "session" not in request.scope:
        return ""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


CSRF_REFUSED = (
    "Das Formular ist abgelaufen oder kam nicht von dieser Seite (CSRF-Prüfung); nichts wurde gespeichert. "
    "Bitte die Seite neu laden und erneut absenden."
)


async def form(request: Request) -> dict[str, str]:
    """The submitted form as text fields, after checking its CSRF token against the session's."""
    data = await request.form()
    sent = data.get("csrf")
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise AccessDenied(CSRF_REFUSED)
    return {key: value for key, value in data.items() if isinstance(value, str)}
