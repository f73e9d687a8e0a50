"""The portal's application factory: sessions, personal links, security headers and the one error converter."""

import logging
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from ikz.errors import (
    AccessDenied,
    ConcurrentChange,
    ConfigError,
    IkzError,
    InvalidInput,
    NotFound,
    NotReady,
    TooManyAttempts,
    TransitionRefused,
)
from ikz.portal import actions, pages, subscriptions
from ikz.portal.context import make_portal
from ikz.portal.feeds import feeds_router
from ikz.portal.oparl import oparl_router
from models.db import make_engine
from models.revision import EXPECTED_REVISION
from models.schema import current_revision
from notifications.links import ACCESS_PARAMETER
from workflow import access

log = logging.getLogger("ikz.portal")
# Eight hours: a working day; after that the coordination signs in again (a lead opens a new link).
SESSION_SECONDS = 8 * 3600
NO_SECRET = (
    "Das Portal braucht einen geheimen Schlüssel für seine Sitzungs-Cookies: $IKZ_PORTAL_SECRET setzen oder "
    "portal.secret in der Konfigurationsdatei (mindestens 32 Zeichen, z. B. aus: python3 -c "
    "'import secrets; print(secrets.token_urlsafe(32))')."
)
STATUS = {
    NotFound: 404,
    InvalidInput: 400,
    AccessDenied: 403,
    TooManyAttempts: 429,
    TransitionRefused: 409,
    ConcurrentChange: 409,
}
TITLES = {
    400: "Eingabe nicht möglich",
    403: "Kein Zugriff",
    404: "Nicht gefunden",
    405: "Nicht möglich",
    409: "Nicht möglich",
    429: "Zu viele Versuche",
    500: "Fehler",
}


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"
)


class SecurityHeaders:
    """Every answer forbids framing, sniffing and referrers (personal links carry a token until the redirect)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                # Personal links carry a token until the redirect drops it: never hand an address on.
                headers["Referrer-Policy"] = "no-referrer"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class PersonalLink:
    """A link from a mail carries a token: sign in with it, then drop it from the address (history, referrers)."""

    def __init__(self, app, portal):
        self.app, self.portal = app, portal

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope.get("query_string"):
            return await self.app(scope, receive, send)
        request = Request(scope, receive)
        token = request.query_params.get(ACCESS_PARAMETER)
        if token is None:
            return await self.app(scope, receive, send)
        portal = self.portal

        def sign_in():
            with portal.session() as session:
                grant = access.check(session, token, now=portal.now())
                grant.last_used_at = portal.now()
                session.add(grant)
                return grant.id

        try:
            grant_id = await run_in_threadpool(sign_in)
        except AccessDenied as exc:
            request.session.clear()
            response = portal.page(request, "error.html.j2", status=403, title=TITLES[403], message=str(exc))
        else:
            request.session.clear()
            request.session["grant_id"] = grant_id
            rest = [(key, value) for key, value in request.query_params.multi_items() if key != ACCESS_PARAMETER]
            response = RedirectResponse(request.url.path + (f"?{urlencode(rest)}" if rest else ""), status_code=303)
        await response(scope, receive, send)


def create_app(settings, engine=None, clock=None, *, secret: str | None = None) -> FastAPI:
    """The portal on these settings and this database; `clock` returns "now" (tests and the demo fix it).

    `secret` overrides portal.secret (the demo makes a throwaway one); without either the portal refuses to start.
    """
    secret = secret or settings.portal.secret
    if not secret:
        raise ConfigError(NO_SECRET)
    engine = engine or make_engine()
    revision = current_revision(engine)
    if revision != EXPECTED_REVISION:
        shown = engine.url.render_as_string(hide_password=True)
        raise NotReady(
            f"Die Datenbank {shown} hat den Schemastand {revision or 'keinen'}, erwartet {EXPECTED_REVISION}. "
            "Zuerst: ikz init"
        )
    portal = make_portal(settings, engine, clock)
    app = FastAPI(title="ikz", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.portal = portal

    # Plain ASGI middlewares: Starlette's @app.middleware("http") runs each request through a task and a memory
    # stream, measured as a tenth of a mandate page's time under load.
    app.add_middleware(PersonalLink, portal=portal)
    app.add_middleware(SecurityHeaders)

    # Added last, so it wraps everything above: every middleware and route sees request.session.
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie="ikz_sitzung",
        max_age=SESSION_SECONDS,
        same_site="lax",
        https_only=settings.portal.base_url.startswith("https://"),
    )

    async def viewer(request: Request):
        # An error page keeps the signed-in frame (navigation, sign-out); a refused link has none.
        if "session" not in request.scope or not request.session:
            return None

        def find():
            with portal.session() as session:
                return portal.viewer(request, session)

        try:
            return await run_in_threadpool(find)
        except IkzError:
            return None

    async def error_page(request: Request, status: int, message: str):
        return portal.page(
            request, "error.html.j2", status=status, viewer=await viewer(request), title=TITLES[status], message=message
        )

    @app.exception_handler(IkzError)
    async def refused(request: Request, exc: IkzError):
        status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)
        return await error_page(request, status, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        status = exc.status_code if exc.status_code in TITLES else 400
        message = {
            404: "Diese Seite gibt es nicht. Die Übersicht aller Mandate steht unter „Mandate“.",
            405: "Diese Seite lässt sich so nicht aufrufen; bitte die Formulare des Portals verwenden.",
        }.get(exc.status_code, "Die Anfrage ist so nicht möglich.")
        return await error_page(request, status, message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        where = ", ".join(str(part) for error in exc.errors() for part in error.get("loc", ())[1:]) or "Anfrage"
        message = f"Ungültige Angabe ({where}); bitte die Links und Formulare des Portals verwenden."
        return await error_page(request, 400, message)

    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception):
        # A bug, not a refusal: the traceback goes to the log, the reader gets one German sentence.
        log.exception("Fehler bei %s %s", request.method, request.url.path)
        message = (
            "Ein interner Fehler ist aufgetreten; nichts wurde gespeichert. Bitte der Koordinierungsstelle melden."
        )
        return portal.page(request, "error.html.j2", status=500, title=TITLES[500], message=message)

    app.include_router(pages.router)
    app.include_router(actions.router)
    # OParl and the calendar feeds: a signed-in viewer or an access token reads internal content.
    can_read = subscriptions.reader(portal)
    app.include_router(oparl_router(engine, settings, portal.now, can_read, can_read))
    app.state.feed_secret = secret
    app.include_router(feeds_router(engine, settings, portal.now, subscriptions.body_for_feed(secret)))
    return app
