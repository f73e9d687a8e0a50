"""The OParl API and the calendar feeds inside the portal: access tokens open internal content, leads subscribe."""

import re

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from ikz.portal.subscriptions import feed_token
from models.db import transaction
from tests.conftest import NOW
from tests.portal_client import SECRET, by_link, grant, make_app
from workflow import access

PETRA = "loga@luenen.example"  # the named lead of 1.4 (Lünen)
PAPER = "/oparl/v1/paper/2.1-LS"  # on hold, with its reason: internal content


@pytest.fixture
def app(loaded):
    return make_app(loaded)


def test_the_api_is_mounted_and_public_without_internal_content(app):
    response = TestClient(app).get(PAPER)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "ikz:holdReason" not in response.json()


def test_an_access_token_as_bearer_or_a_signed_in_viewer_reads_internal_content(app, loaded):
    token = grant(loaded, PETRA)
    reason = TestClient(app).get(PAPER, headers={"Authorization": f"Bearer {token}"}).json()["ikz:holdReason"]
    assert reason
    assert by_link(app, token).get(PAPER).json()["ikz:holdReason"] == reason


def test_a_revoked_or_unknown_token_reads_only_the_public_content(app, loaded):
    token = grant(loaded, PETRA)
    with transaction(loaded) as session:
        access.revoke(session, PETRA, now=NOW, actor="test")
    for bearer in (token, "ausgedacht"):
        served = TestClient(app).get(PAPER, headers={"Authorization": f"Bearer {bearer}"})
        assert served.status_code == 200 and "ikz:holdReason" not in served.json()


def test_with_the_api_restricted_only_token_holders_read_it(loaded):
    app = make_app(loaded, oparl_public=False)
    assert TestClient(app).get("/oparl/v1/system").status_code == 403
    token = grant(loaded, PETRA)
    assert TestClient(app).get("/oparl/v1/system", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_lead_finds_its_calendar_subscription_and_it_serves_its_mandates(app, loaded):
    page = by_link(app, grant(loaded, PETRA)).get("/meine-aufgaben")
    url = re.search(r"<li>Lünen: <code>(http://[^<]+\.ics)</code></li>", page.text)[1]
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert token.startswith("luenen.")
    # The address needs no session: a calendar program fetches it on its own.
    served = TestClient(app).get(f"/kalender/{token}.ics")
    assert served.status_code == 200 and served.headers["content-type"].startswith("text/calendar")
    summaries = [str(event["SUMMARY"]) for event in Calendar.from_ical(served.content).walk("VEVENT")]
    assert "Frist: 1.4 Einkaufsgemeinschaft LOGA (Prüfung)" in summaries


def test_a_forged_or_foreign_subscription_token_is_not_found(app):
    client = TestClient(app)
    # A token made with another portal secret names the body and still opens nothing.
    for token in ("luenen.0000", "kamen." + "0" * 32, "ohne-punkt", feed_token("ein-anderes-geheimnis", "luenen")):
        assert client.get(f"/kalender/{token}.ics").status_code == 404, token
    assert client.get(f"/kalender/{feed_token(SECRET, 'luenen')}.ics").status_code == 200
