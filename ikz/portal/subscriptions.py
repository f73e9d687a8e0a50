"""Wiring the OParl API and the calendar feeds to the portal's access: who reads internal content, whose feed."""

import hashlib
import hmac
from collections.abc import Callable

from fastapi import Request

from ikz.errors import AccessDenied
from workflow import access

FEED_PURPOSE = b"ikz-kalender:"


def feed_token(secret: str, body_key: str) -> str:
    """The stable subscription token of a lead body's calendar: its key and an HMAC over it with the portal secret."""
    mac = hmac.new(secret.encode(), FEED_PURPOSE + body_key.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{body_key}.{mac}"


def body_for_feed(secret: str) -> Callable[[str], str | None]:
    """Token → body key when its HMAC holds (a changed portal secret retires every subscription)."""

    def lookup(token: str) -> str | None:
        key, _, _mac = token.rpartition(".")
        return key if key and hmac.compare_digest(feed_token(secret, key), token) else None

    return lookup


def reader(portal) -> Callable[[Request], bool]:
    """True for a signed-in viewer or a working access token sent as `Authorization: Bearer …` (an OParl client)."""

    def can_read(request: Request) -> bool:
        bearer = request.headers.get("authorization", "")
        with portal.session() as session:
            try:
                if bearer[:7].lower() == "bearer ":
                    access.check(session, bearer[7:].strip(), now=portal.now())
                    return True
                return portal.viewer(request, session) is not None
            except AccessDenied:
                return False

    return can_read
