"""Calendar subscriptions per lead body: stable UIDs, refresh hints, links to mandate pages, cancellations."""

from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from icalendar import Calendar

from ikz import settings as settings_module
from ikz.portal.feeds import feeds_router

BASE = "https://ikz.kreis-unna.example"
TOKENS = {"tok-luenen": "luenen", "tok-kamen": "kamen", "tok-weg": "gibt-es-nicht"}
MOMENT = datetime(2010, 11, 2, 9, 0, tzinfo=UTC)
DOMAIN = "@ikz.kreis-unna.example"


@pytest.fixture
def feeds(loaded, cli):
    """A client of the feeds on the catalogue, and the CLI to change the programme between fetches."""
    settings = settings_module.load(environ={}, portal_base_url=BASE)
    app = FastAPI()
    app.include_router(feeds_router(loaded, settings, lambda: MOMENT, TOKENS.get))
    return TestClient(app, base_url=BASE)


def fetch(client: TestClient, token: str) -> tuple[Calendar, dict]:
    response = client.get(f"/kalender/{token}.ics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["cache-control"] == "private, max-age=300"
    calendar = Calendar.from_ical(response.content)
    return calendar, {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def test_a_lead_subscribes_to_its_deadlines_duties_and_the_meetings(feeds):
    calendar, events = fetch(feeds, "tok-luenen")
    assert str(calendar["x-wr-calname"]) == "IKZ Kreis Unna: Fristen (Lünen) und Sitzungen"
    assert str(calendar["name"]) == "IKZ Kreis Unna: Fristen (Lünen) und Sitzungen"
    assert calendar["refresh-interval"].params["VALUE"] == "DURATION"
    assert calendar.decoded("refresh-interval") == timedelta(hours=1)
    text = calendar.to_ical()
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in text and b"X-PUBLISHED-TTL:PT1H\r\n" in text
    assert sorted(events) == [
        f"frist-1.4-stage1{DOMAIN}",
        f"pflicht-it-ak-sitzung-2011-09-30{DOMAIN}",
        f"sitzung-ak-kaemmerer-2011-03-16{DOMAIN}",
        f"sitzung-bmk-2011-04-12{DOMAIN}",
    ]
    # Back to the mandate's page in the portal: the deadline's mandate, the duty's mandate.
    assert str(events[f"frist-1.4-stage1{DOMAIN}"]["url"]) == f"{BASE}/mandate/1.4"
    assert str(events[f"pflicht-it-ak-sitzung-2011-09-30{DOMAIN}"]["url"]) == f"{BASE}/mandate/1.1"
    assert "status" not in events[f"sitzung-bmk-2011-04-12{DOMAIN}"]
    # Each body has its own feed; the UIDs are those of `ikz export --format ics`.
    _calendar, kamen = fetch(feeds, "tok-kamen")
    assert f"frist-1.4-stage1{DOMAIN}" not in kamen
    assert set(kamen) & set(events) == {f"sitzung-ak-kaemmerer-2011-03-16{DOMAIN}", f"sitzung-bmk-2011-04-12{DOMAIN}"}


def test_uids_stay_and_what_went_away_is_cancelled(feeds, cli):
    _calendar, before = fetch(feeds, "tok-luenen")
    assert fetch(feeds, "tok-luenen")[1].keys() == before.keys()
    assert cli("advance", "1.4", "withdraw", "--note", "Aufgabe entfällt").exit_code == 0
    assert cli("meeting", "cancel", "2011-04-12", "--reason", "Terminkollision mit dem Kreistag").exit_code == 0
    assert cli("meeting", "move", "2011-03-16", "2011-03-17", "--body", "ak-kaemmerer").exit_code == 0
    _calendar, after = fetch(feeds, "tok-luenen")
    withdrawn = after[f"frist-1.4-stage1{DOMAIN}"]
    assert (str(withdrawn["status"]), withdrawn.decoded("dtstart")) == ("CANCELLED", date(2010, 12, 15))
    assert str(withdrawn["summary"]) == "Frist: 1.4 Einkaufsgemeinschaft LOGA (zurückgezogen)"
    assert str(withdrawn["url"]) == f"{BASE}/mandate/1.4"
    # A higher SEQUENCE: calendars take the cancellation as an update of the event they have.
    assert withdrawn.decoded("sequence") > before[f"frist-1.4-stage1{DOMAIN}"].decoded("sequence")
    cancelled = after[f"sitzung-bmk-2011-04-12{DOMAIN}"]
    assert str(cancelled["status"]) == "CANCELLED"
    assert "Abgesagt: Terminkollision mit dem Kreistag" in str(cancelled["description"])
    moved_away = after[f"sitzung-ak-kaemmerer-2011-03-16{DOMAIN}"]
    assert (str(moved_away["status"]), str(moved_away["summary"])) == (
        "CANCELLED",
        "Sitzung des AK der Kämmerer (verlegt auf 17.03.2011)",
    )
    assert "status" not in after[f"sitzung-ak-kaemmerer-2011-03-17{DOMAIN}"]
    assert sorted(after) == sorted([*before, f"sitzung-ak-kaemmerer-2011-03-17{DOMAIN}"])


@pytest.mark.parametrize("token", ["unbekannt", "tok-weg"])
def test_an_unknown_subscription_is_404_in_german(feeds, token):
    response = feeds.get(f"/kalender/{token}.ics")
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert (
        "<h1>Kalender nicht gefunden</h1><p>Diesen Kalender gibt es nicht (mehr): der Link ist unbekannt, abgelaufen "
        "oder widerrufen. Den aktuellen Kalenderlink nennt die Koordination.</p>"
    ) in response.text
    assert feeds.get("/kalender/tok-luenen.txt").status_code == 404
