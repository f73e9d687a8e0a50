"""Calendar subscriptions: /kalender/TOKEN.ics, one per lead body, linking each deadline to its mandate page."""

from collections.abc import Callable
from datetime import datetime
from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Engine
from sqlmodel import Session, select

from ikz.exchange.calendar_export import build_calendar
from models import Body
from notifications.links import mandate_page

NOT_FOUND = (
    "Diesen Kalender gibt es nicht (mehr): der Link ist unbekannt, abgelaufen oder widerrufen. "
    "Den aktuellen Kalenderlink nennt die Koordination."
)


def feeds_router(
    engine: Engine, settings, clock: Callable[[], datetime], body_for_token: Callable[[str], str | None]
) -> APIRouter:
    """The calendar feeds; body_for_token tells which lead body a subscription token belongs to."""
    router = APIRouter()

    @router.get("/kalender/{token}.ics")
    def feed(token: str) -> Response:
        key = body_for_token(token)
        with Session(engine) as session:
            body = session.exec(select(Body).where(Body.key == key)).first() if key else None
            if body is None:
                return not_found()
            calendar = build_calendar(
                session, now=clock(), lead=body.key, link=lambda code: mandate_page(settings, code)
            )
        return Response(
            calendar.to_ical(),
            media_type="text/calendar; charset=utf-8",
            headers={
                "Content-Disposition": f'inline; filename="ikz-{body.key}.ics"',
                # The address holds a personal token: no shared cache may keep the answer.
                "Cache-Control": "private, max-age=300",
            },
        )

    return router


def not_found() -> HTMLResponse:
    """A German page for an unknown subscription link."""
    page = (
        '<!DOCTYPE html>\n<html lang="de"><head><meta charset="utf-8"><title>Kalender nicht gefunden – ikz</title>'
        f"</head><body><main><h1>Kalender nicht gefunden</h1><p>{escape(NOT_FOUND)}</p></main></body></html>\n"
    )
    return HTMLResponse(page, status_code=404)
