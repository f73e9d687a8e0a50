"""The portal in a real browser: a lead follows the link from a received reminder, the coordination decides."""

import re
from datetime import UTC, datetime

import pytest

from ikz.portal.app import create_app
from models.db import transaction
from notifications.delivery import dispatch
from notifications.sweep import sweep
from tests.browser import CHROMIUM, browser, listening_socket, serious, served
from tests.portal_client import PASSWORD, SECRET
from tests.smtp_server import smtp_settings
from workflow import accounts

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium fehlt (Debian-Paket chromium; .ci/run installiert es)"),
]
# 1.4 (Lünen) is due on 15.12.2010; the sweep on 16.12. reminds Petra Schulte; the portal acts that morning.
SWEEP = datetime(2010, 12, 16, 6, 30, tzinfo=UTC)
ACTING = datetime(2010, 12, 16, 9, 0, tzinfo=UTC)
PETRA = "loga@luenen.example"


@pytest.fixture
def portal(loaded, smtp_server):
    """A served portal whose mails went through the real SMTP server; yields (base URL, received reminder text)."""
    sock = listening_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = smtp_settings(smtp_server, portal_base_url=base, portal_secret=SECRET)
    with transaction(loaded) as session:
        accounts.add_user(session, "koord", PASSWORD, role="koordination", now=SWEEP)
    sweep(loaded, config, now=SWEEP)
    dispatch(loaded, config, now=SWEEP.replace(minute=31), owner="test")
    [mail] = [m.message for m in smtp_server.received if m.rcpt_tos == [PETRA]]
    with served(create_app(config, loaded, clock=lambda: ACTING), sock) as url:
        assert url == base
        yield base, mail.get_body(("plain",)).get_content()


def test_a_lead_answers_in_the_portal_and_the_coordination_accepts(portal, cli):
    base, reminder = portal
    link = re.search(rf"Im Portal: ({re.escape(base)}/mandate/1\.4\?zugang=[\w-]+)", reminder)[1]
    with browser() as chromium:
        lead = chromium.new_page()
        lead.goto(link)
        assert lead.url == f"{base}/mandate/1.4"  # the token is gone from the address
        lead.get_by_label("Stand melden (Vermerk im Verlauf)").fill("Verhandlungen mit dem RZ laufen")
        lead.get_by_role("button", name="Vermerk speichern").click()
        assert lead.get_by_role("status").inner_text() == "Vermerk gespeichert."
        lead.get_by_label("Neue Frist vorschlagen (die Koordination entscheidet)").fill("2011-03-31")
        lead.get_by_label("Begründung").fill("Das RZ braucht länger")
        lead.get_by_role("button", name="Frist vorschlagen").click()
        assert lead.get_by_role("status").inner_text() == (
            "Vorschlag 1 gespeichert: neue Frist 31.03.2011. Die Koordination entscheidet darüber."
        )

        office = chromium.new_context().new_page()
        office.goto(f"{base}/anmelden")
        office.get_by_label("Benutzername").fill("koord")
        office.get_by_label("Passwort").fill(PASSWORD)
        office.get_by_role("button", name="Anmelden").click()
        assert office.get_by_role("status").inner_text() == "Angemeldet."
        office.get_by_role("link", name="Vorschläge").click()
        office.get_by_role("button", name="Vorschlag 1 annehmen").click()
        assert office.get_by_role("status").inner_text().startswith("Vorschlag 1 angenommen")

    shown = cli("show", "1.4").output
    assert "Petra Schulte (Lünen) [Portal]: note (Änderung) – Verhandlungen mit dem RZ laufen" in shown
    assert "koord [Portal]: accept (Änderung) – Vorschlag 1: neue Frist 31.03.2011 – Das RZ braucht länger" in shown
    assert "Frist:           31.03.2011" in shown


def test_every_page_passes_axe_without_serious_violations(portal, loaded):
    base, reminder = portal
    link = re.search(r"Im Portal: (\S+)", reminder)[1]
    pages = ["/", "/?feld=1", "/mandate/1.4", "/mandate/1.1", "/sitzungen", "/monatsberichte", "/controlling"]
    with browser() as chromium:
        lead = chromium.new_page()
        lead.goto(link)
        found = {}
        for path in [*pages, "/meine-aufgaben", "/gibt-es-nicht"]:
            lead.goto(base + path)
            found[path] = serious(lead)
        office = chromium.new_context().new_page()
        office.goto(f"{base}/anmelden")
        found["/anmelden"] = serious(office)
        office.get_by_label("Benutzername").fill("koord")
        office.get_by_label("Passwort").fill(PASSWORD)
        office.get_by_role("button", name="Anmelden").click()
        office.goto(f"{base}/sitzungen")
        meetings = [link.get_attribute("href") for link in office.locator("main a[href^='/sitzungen/']").all()]
        assert meetings
        for path in [*pages, *meetings, "/vorschlaege"]:
            office.goto(base + path)
            found[f"Koordination {path}"] = serious(office)
    assert {path: issues for path, issues in found.items() if issues} == {}
