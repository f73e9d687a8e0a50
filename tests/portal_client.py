"""Helpers for portal tests: an app on the test database, clients signed in by link or password."""

import html
import re
from datetime import timedelta

from fastapi.testclient import TestClient

from ikz import settings as settings_module
from ikz.portal.app import create_app
from models.db import transaction
from tests.conftest import NOW
from workflow import access, accounts

SECRET = "test-geheimnis-fuer-die-sitzungen-0123456789"
# The portal acts an hour after the catalogue was imported.
PORTAL_NOW = NOW + timedelta(hours=1)
PASSWORD = "sehr-geheim-123"


def portal_settings(**overrides):
    return settings_module.load(environ={}, portal_secret=SECRET, **overrides)


def make_app(engine, *, now=PORTAL_NOW, **overrides):
    return create_app(portal_settings(**overrides), engine, clock=lambda: now)


def csrf(response) -> str:
    """The CSRF token of the first form on a page."""
    return re.search(r'name="csrf" value="([^"]+)"', response.text)[1]


def alert(response) -> str:
    """The German message of an error page."""
    return html.unescape(re.search(r'role="alert">([^<]*)<', response.text)[1])


def status(response) -> str:
    """The message shown after an action."""
    return html.unescape(re.search(r'role="status">([^<]*)<', response.text)[1])


def grant(engine, email: str, *, now=NOW, days: int = 60) -> str:
    with transaction(engine) as session:
        return access.grant_for_address(session, email, now=now, days=days, actor="test")[1]


def by_link(app, token: str) -> TestClient:
    """A client that opened a personal link (and followed the redirect that drops the token)."""
    client = TestClient(app)
    response = client.get(f"/?zugang={token}")
    assert response.status_code == 200, response.text
    return client


def coordination(app, engine, name: str = "koord") -> TestClient:
    """A client signed in as a coordination account (created here)."""
    with transaction(engine) as session:
        accounts.add_user(session, name, PASSWORD, role="koordination", now=NOW)
    client = TestClient(app)
    token = csrf(client.get("/anmelden"))
    response = client.post("/anmelden", data={"csrf": token, "name": name, "passwort": PASSWORD})
    assert response.status_code == 200 and status(response) == "Angemeldet."
    return client
