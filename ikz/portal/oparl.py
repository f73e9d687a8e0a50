"""OParl 1.1 over HTTP under /oparl/v1/: System → Body → its external lists, paged by keyset, with CORS."""

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine
from sqlmodel import Session

from ikz.exchange.oparl import (
    BODY_SLUG,
    LISTS,
    REMOVED,
    SCHEMA,
    Lister,
    Query,
    Urls,
    body_object,
    conference_key,
    find_object,
    system_object,
)

PREFIX = "/oparl/v1"
FILTERS = ("created_since", "created_until", "modified_since", "modified_until")
MAX_LIMIT = 1000
# Keys run to the deleted objects' (REMOVED + an audit entry's id).
MAX_AFTER = REMOVED + 2_147_483_647
# Single objects by the word their URL starts with.
KINDS = ("organization", "person", "membership", "meeting", "agendaitem", "paper", "consultation")
# OParl 2.6: every JSON answer may be read by scripts of any origin; GET is the only method.
CORS = {"Access-Control-Allow-Origin": "*"}


class BadParameter(Exception):
    """A query parameter the API cannot read: the message says which and what is allowed."""


def oparl_router(
    engine: Engine,
    settings,
    clock: Callable[[], datetime],
    internal_access: Callable[[Request], bool],
    token_holder: Callable[[Request], bool],
) -> APIRouter:
    """The OParl API: internal_access admits to internal content, token_holder to reading if not oparl.public."""
    router = APIRouter(prefix=PREFIX)
    urls = Urls(f"{settings.portal.base_url.rstrip('/')}{PREFIX}")

    def answer(request: Request, build: Callable[[Lister], dict | None]) -> Response:
        if not settings.oparl.public and not token_holder(request):
            return error(
                403,
                "Die OParl-Schnittstelle ist nur mit einem Zugangsschlüssel lesbar; "
                "bitte den persönlichen Zugangslink aus Ihrer E-Mail verwenden.",
            )
        try:
            if "page" in request.query_params:
                raise BadParameter(
                    "Den Parameter page gibt es hier nicht: die nächste Seite nennt links.next (Parameter after)."
                )
            query = read_query(request, internal=internal_access(request))
            limit = read_int(request, "limit", settings.oparl.page_size, 1, MAX_LIMIT)
            after = read_int(request, "after", 0, 0, MAX_AFTER)
        except BadParameter as exc:
            return error(400, str(exc))
        with Session(engine) as session:
            lister = Lister(session, urls, query, clock())
            result = build(lister, limit=limit, after=after)
        if result is None:
            return error(404, f"Unter {request.url.path} gibt es kein OParl-Objekt.")
        return JSONResponse(result, headers=CORS, media_type="application/json; charset=utf-8")

    def listing(request: Request, objects: list[dict], next_after: int | None, limit: int) -> dict:
        kept = [(key, value) for key, value in request.query_params.multi_items() if key != "after"]
        # Ids and links use the configured base, so they stay the same behind any proxy.
        base = f"{urls.base}{request.url.path.removeprefix(PREFIX)}"
        links = {"first": _with(base, kept), "self": _with(base, request.query_params.multi_items())}
        if next_after is not None:
            links["next"] = _with(base, kept + [("after", str(next_after))])
        return {"data": objects, "pagination": {"elementsPerPage": limit}, "links": links}

    @router.get("")
    @router.get("/")
    @router.get("/system")
    def system(request: Request) -> Response:
        return answer(request, lambda lister, **_: system_object(lister.urls, lister.span))

    @router.get("/body")
    def bodies(request: Request) -> Response:
        def build(lister: Lister, *, limit: int, after: int) -> dict:
            body = body_object(lister.urls, lister.span, conference_key(lister.session), lister.query)
            found = [body] if after == 0 and lister.query.admits(body) else []
            return listing(request, found, None, limit)

        return answer(request, build)

    @router.get("/body/{slug}")
    def body(request: Request, slug: str) -> Response:
        def build(lister: Lister, **_) -> dict | None:
            if slug != BODY_SLUG:
                return None
            return body_object(lister.urls, lister.span, conference_key(lister.session), lister.query)

        return answer(request, build)

    @router.get("/body/{slug}/{name}")
    def body_list(request: Request, slug: str, name: str) -> Response:
        def build(lister: Lister, *, limit: int, after: int) -> dict | None:
            if slug != BODY_SLUG or name not in LISTS:
                return None
            page = lister.page(name, after=after, limit=limit)
            return listing(request, page.data, page.after, limit)

        return answer(request, build)

    @router.get("/{kind}/{ident:path}")
    def single(request: Request, kind: str, ident: str) -> Response:
        def build(lister: Lister, **_) -> dict | None:
            # The list filters mean nothing for one object: it is served as it is.
            lister.query = replace(lister.query, **dict.fromkeys(FILTERS))
            return find_object(lister, kind, ident) if kind in KINDS else None

        return answer(request, build)

    @router.get("/{anything}")
    def unknown(request: Request, anything: str) -> Response:
        return answer(request, lambda lister, **_: None)

    @router.api_route("/{anything:path}", methods=["POST", "PUT", "PATCH", "DELETE"])
    def read_only(anything: str) -> Response:
        response = error(405, "Die OParl-Schnittstelle ist nur lesbar: erlaubt ist GET.")
        response.headers["Allow"] = "GET, OPTIONS"
        return response

    @router.options("/{anything:path}")
    def preflight(anything: str) -> Response:
        # A script that sends a token header asks first; only GET is offered.
        headers = {
            **CORS,
            "Access-Control-Allow-Methods": "GET, OPTIONS",
            "Access-Control-Allow-Headers": "Authorization",
            "Access-Control-Max-Age": "86400",
        }
        return Response(status_code=204, headers=headers)

    return router


def error(status: int, message: str) -> JSONResponse:
    """OParl's error object (spec 2.9) with a German message, and the CORS header."""
    body = {"type": f"{SCHEMA}Error", "message": message, "debug": f"HTTP {status}"}
    return JSONResponse(body, status_code=status, headers=CORS, media_type="application/json; charset=utf-8")


def read_query(request: Request, *, internal: bool) -> Query:
    """The four filters as aware moments and omit_internal as true/false; BadParameter names what is wrong."""
    moments = {}
    for name in FILTERS:
        text = request.query_params.get(name)
        if text is None:
            continue
        # An unencoded "+02:00" arrives as " 02:00": a space is never meant here.
        text = text.strip().replace(" ", "+")
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            value = None
        if value is None or value.tzinfo is None or "T" not in text:
            raise BadParameter(
                f"Ungültiger Wert für {name}: {text!r}; erlaubt ist ein Zeitpunkt mit Zeitzone wie "
                "2011-04-12T10:00:00+02:00 (in der URL mit „:“ als %3A und „+“ als %2B)."
            )
        moments[name] = value
    omit = request.query_params.get("omit_internal", "false").strip().lower()
    if omit not in ("true", "false"):
        raise BadParameter(f"Ungültiger Wert für omit_internal: {omit!r}; erlaubt: true oder false.")
    return Query(**moments, omit_internal=omit == "true", internal=internal)


def read_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    """A whole number parameter within low..high, else BadParameter."""
    text = request.query_params.get(name)
    if text is None:
        return default
    digits = text.strip()
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 12 and low <= int(digits) <= high):
        what = "eine Seitenposition aus links.next" if name == "after" else "die Zahl der Objekte je Seite"
        raise BadParameter(
            f"Ungültiger Wert für {name}: {text!r}; erlaubt: eine ganze Zahl von {low} bis {high} ({what})."
        )
    return int(digits)


def _with(base: str, params: list[tuple[str, str]]) -> str:
    return f"{base}?{urlencode(params)}" if params else base
