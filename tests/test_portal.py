"""The portal over HTTP: who may read and do what, what each action writes, and every refusal in German."""

import email
import re
from datetime import timedelta
from email import policy

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from ikz.errors import ConfigError
from ikz.portal.app import create_app
from ikz.portal.context import CSRF_REFUSED, NOT_SIGNED_IN
from models import AccessGrant, BodyDecision, LoginFailure, Mandate, OutboxMessage, Proposal, TransitionLog
from models.db import transaction
from tests.conftest import NOW, PG_URL
from tests.portal_client import (
    PORTAL_NOW,
    alert,
    by_link,
    coordination,
    csrf,
    grant,
    make_app,
    portal_settings,
    status,
)
from workflow import access

PETRA = "loga@luenen.example"  # Petra Schulte, Personalabrechnung Lünen: the named lead of 1.4
OFFICE = "buergermeister@werne.example"  # no contact: a conference office's address, reads only


@pytest.fixture
def app(loaded):
    return make_app(loaded)


def entries(session, code: str) -> list[TransitionLog]:
    mandate = session.exec(select(Mandate).where(Mandate.code == code)).one()
    return list(
        session.exec(
            select(TransitionLog).where(TransitionLog.mandate_id == mandate.id).order_by(TransitionLog.seq)
        ).all()
    )


@pytest.mark.parametrize("path", ["/", "/mandate/1.4", "/sitzungen", "/monatsberichte", "/controlling"])
def test_nobody_signed_in_reads_nothing(app, path):
    response = TestClient(app).get(path)
    assert response.status_code == 403
    assert alert(response) == NOT_SIGNED_IN
    assert '<html lang="de">' in response.text


def test_a_personal_link_signs_in_and_drops_the_token_from_the_address(app, loaded):
    token = grant(loaded, PETRA)
    client = TestClient(app)
    response = client.get(f"/mandate/1.4?zugang={token}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/mandate/1.4"
    cookie = response.headers["set-cookie"]
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    assert response.headers["referrer-policy"] == "no-referrer"
    page = client.get("/mandate/1.4")
    assert page.status_code == 200
    assert "Personalabrechnung Lünen (Lünen) – Federführung" in page.text or "Petra Schulte (Lünen)" in page.text
    assert "Stand melden (Vermerk im Verlauf)" in page.text
    with transaction(loaded) as session:
        [row] = session.exec(select(AccessGrant)).all()
        assert row.last_used_at == PORTAL_NOW and row.token_hash == access.hash_token(token) != token


def test_behind_https_the_session_cookie_is_secure(loaded):
    app = make_app(loaded, portal_base_url="https://portal.kreis-unna.example")
    response = TestClient(app).get(f"/?zugang={grant(loaded, PETRA)}", follow_redirects=False)
    assert "secure" in response.headers["set-cookie"]


def test_a_lead_reports_progress_and_the_history_names_her_and_the_portal(app, loaded, session):
    client = by_link(app, grant(loaded, PETRA))
    page = client.get("/mandate/1.4")
    response = client.post("/mandate/1.4/vermerk", data={"csrf": csrf(page), "text": "Verhandlungen mit dem RZ laufen"})
    assert response.status_code == 200 and status(response) == "Vermerk gespeichert."
    last = entries(session, "1.4")[-1]
    assert (last.trigger, last.actor, last.channel, last.note) == (
        "note",
        "Petra Schulte (Lünen)",
        "Portal",
        "Verhandlungen mit dem RZ laufen",
    )
    assert "Petra Schulte (Lünen) [Portal]" in response.text


def test_a_proposed_deadline_is_accepted_by_the_coordination_and_the_proposer_is_told(app, loaded, session):
    lead = by_link(app, grant(loaded, PETRA))
    response = lead.post(
        "/mandate/1.4/frist",
        data={"csrf": csrf(lead.get("/mandate/1.4")), "frist": "2011-03-31", "begruendung": "RZ braucht länger"},
    )
    assert status(response) == ("Vorschlag 1 gespeichert: neue Frist 31.03.2011. Die Koordination entscheidet darüber.")
    proposal = session.exec(select(Proposal)).one()
    assert (proposal.channel, proposal.proposed_by, proposal.status) == ("Portal", "Petra Schulte (Lünen)", "open")
    office = coordination(app, loaded)
    listing = office.get("/vorschlaege")
    assert "Vorschlag 1, neue Frist 31.03.2011 – RZ braucht länger (von Petra Schulte (Lünen), Portal" in listing.text
    response = office.post("/vorschlaege/1/annehmen", data={"csrf": csrf(listing)})
    assert status(response) == (
        "Vorschlag 1 angenommen: Vorschlag 1: neue Frist 31.03.2011 – RZ braucht länger (von Petra Schulte (Lünen)) "
        "angenommen; Frist: 15.12.2010 → 31.03.2011."
    )
    last = entries(session, "1.4")[-1]
    assert (last.trigger, last.actor, last.channel) == ("accept", "koord", "Portal")
    assert session.exec(select(Mandate).where(Mandate.code == "1.4")).one().due_date.isoformat() == "2011-03-31"
    # The same notice as `ikz proposal accept` sends, with Petra's own link back.
    [told] = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == PETRA)).all()
    told_text = email.message_from_string(told.raw, policy=policy.default).get_body(("plain",)).get_content()
    assert "/mandate/1.4?zugang=" in told_text


def test_a_lead_of_another_body_is_refused_and_nothing_is_written(app, loaded, session):
    client = by_link(app, grant(loaded, PETRA))
    before = len(entries(session, "1.2"))
    response = client.post("/mandate/1.2/vermerk", data={"csrf": csrf(client.get("/mandate/1.2")), "text": "x"})
    assert response.status_code == 403
    assert alert(response) == (
        "Ihre Stelle ist bei 1.2 nicht federführend; Stand melden, Fristen vorschlagen, Pflichten und Unterlagen "
        "eintragen dürfen nur die Federführenden. Lesen dürfen Sie alles."
    )
    assert len(entries(session, "1.2")) == before
    assert "Stand melden" not in client.get("/mandate/1.2").text


def test_a_conference_office_reads_everything_and_changes_nothing(app, loaded, session):
    client = by_link(app, grant(loaded, OFFICE))
    for path in ("/", "/mandate/1.4", "/sitzungen", "/monatsberichte", "/controlling"):
        assert client.get(path).status_code == 200, path
    page = client.get("/mandate/1.4")
    assert "Konferenzbüro (nur lesen)" in page.text and '<form method="post" action="/mandate' not in page.text
    before = len(entries(session, "1.4"))
    for path, data in (
        ("/mandate/1.4/vermerk", {"text": "x"}),
        ("/mandate/1.4/frist", {"frist": "2011-03-31"}),
        ("/mandate/1.5/entscheidung", {"stelle": "werne", "entscheidung": "joined"}),
    ):
        response = client.post(path, data={"csrf": csrf(page), **data})
        assert response.status_code == 403, path
        assert alert(response) == "Mit einem Zugang als Konferenzbüro lässt sich alles lesen, aber nichts ändern."
    assert len(entries(session, "1.4")) == before
    assert client.get("/vorschlaege").status_code == 403


def test_a_lead_records_its_own_bodys_decision_on_any_mandate_but_no_other_bodys(app, loaded, session):
    client = by_link(app, grant(loaded, PETRA))
    page = client.get("/mandate/1.5")  # led by Kreis Unna, being implemented: Lünen may still join
    response = client.post(
        "/mandate/1.5/entscheidung",
        data={"csrf": csrf(page), "stelle": "luenen", "entscheidung": "joined", "fundstelle": "Ratsbeschluss 2010/77"},
    )
    assert status(response) == "Lünen: beigetreten."
    assert session.exec(select(BodyDecision)).one().reference == "Ratsbeschluss 2010/77"
    last = entries(session, "1.5")[-1]
    assert (last.trigger, last.actor, last.channel) == ("decision", "Petra Schulte (Lünen)", "Portal")
    response = client.post(
        "/mandate/1.5/entscheidung", data={"csrf": csrf(page), "stelle": "kamen", "entscheidung": "joined"}
    )
    assert response.status_code == 403
    assert alert(response) == "Sie können nur die Entscheidung Ihrer eigenen Stelle eintragen, nicht die von Kamen."


def test_a_form_without_the_sessions_csrf_token_is_refused(app, loaded, session):
    client = by_link(app, grant(loaded, PETRA))
    before = len(entries(session, "1.4"))
    for data in ({"text": "x"}, {"text": "x", "csrf": "gefälscht"}):
        response = client.post("/mandate/1.4/vermerk", data=data)
        assert response.status_code == 403 and alert(response) == CSRF_REFUSED
    # A token from another session does not count either.
    other = by_link(app, grant(loaded, PETRA))
    response = client.post("/mandate/1.4/vermerk", data={"text": "x", "csrf": csrf(other.get("/mandate/1.4"))})
    assert response.status_code == 403
    assert len(entries(session, "1.4")) == before


def test_an_expired_link_is_refused(loaded):
    token = grant(loaded, PETRA, days=1)
    app = make_app(loaded, now=NOW + timedelta(days=1))
    response = TestClient(app).get(f"/?zugang={token}")
    assert response.status_code == 403
    assert alert(response) == (
        "Dieser Zugangslink ist am 03.11.2010 10:00 abgelaufen. Jede neue E-Mail von ikz enthält einen neuen Link; "
        "sonst hilft die Koordinierungsstelle."
    )


def test_a_revoked_link_stops_working_at_once_even_in_an_open_session(app, loaded, session):
    client = by_link(app, grant(loaded, PETRA))
    with transaction(loaded) as writing:
        access.revoke(writing, PETRA, now=NOW + timedelta(minutes=30), actor="test")
    response = client.get("/mandate/1.4")
    assert response.status_code == 403
    assert alert(response) == (
        "Dieser Zugangslink wurde am 02.11.2010 10:30 widerrufen. Einen neuen Link vergibt die Koordinierungsstelle."
    )
    assert client.get("/").status_code == 403  # the session is gone too


def test_an_unknown_link_is_refused(app):
    response = TestClient(app).get("/?zugang=ausgedacht")
    assert response.status_code == 403
    assert alert(response) == "Dieser Zugangslink ist ungültig. Bitte den Link aus Ihrer letzten E-Mail verwenden."


def test_logins_are_rate_limited_per_name(app, loaded, session):
    coordination(app, loaded)
    client = TestClient(app)
    token = csrf(client.get("/anmelden"))
    for _ in range(5):
        response = client.post("/anmelden", data={"csrf": token, "name": "koord", "passwort": "falsch"})
        assert response.status_code == 401 and alert(response) == "Benutzername oder Passwort stimmt nicht."
    response = client.post("/anmelden", data={"csrf": token, "name": "koord", "passwort": "sehr-geheim-123"})
    assert response.status_code == 429
    assert alert(response) == "Zu viele fehlgeschlagene Anmeldungen; bitte in 15 Minuten erneut versuchen."
    assert session.exec(select(func.count()).select_from(LoginFailure)).one() == 10  # per name and per address


def test_unknown_pages_mandates_and_bad_input_get_german_pages(app, loaded):
    client = by_link(app, grant(loaded, PETRA))
    response = client.get("/gibt-es-nicht")
    assert response.status_code == 404
    assert alert(response) == "Diese Seite gibt es nicht. Die Übersicht aller Mandate steht unter „Mandate“."
    response = client.get("/mandate/9.9")
    assert response.status_code == 404 and "9.9" in alert(response)
    assert client.get("/?seite=abc").status_code == 400
    assert alert(client.get("/?seite=99")) == "Die Seite 99 gibt es nicht; erlaubt: 1 bis 1."
    response = client.post("/mandate/1.4/frist", data={"csrf": csrf(client.get("/")), "frist": "31.02.2011"})
    assert response.status_code == 400
    assert alert(response) == (
        "Die neue Frist '31.02.2011' ist kein gültiges Datum; erlaubt: TT.MM.JJJJ oder JJJJ-MM-TT, z. B. 12.04.2011."
    )


def test_the_board_filters_and_pages(app, loaded):
    client = coordination(app, loaded)
    page = client.get("/")
    assert "16 Mandate." in page.text
    assert '<span class="ampel gruen">im Plan</span>' in page.text
    lünen = client.get("/?federfuehrung=luenen")
    assert "2 Mandate." in lünen.text and "/mandate/1.4" in lünen.text and '/mandate/1.2"' not in lünen.text
    assert "3 Mandate." in client.get("/?feld=1&zustand=implement").text
    response = client.get("/?zustand=Quatsch")
    assert response.status_code == 400 and "Quatsch" in alert(response)


def test_the_coordination_moves_a_mandate_on(app, loaded, session):
    client = coordination(app, loaded)
    page = client.get("/mandate/1.4")
    response = client.post("/mandate/1.4/schritt", data={"csrf": csrf(page), "schritt": "start_concept"})
    assert status(response) == "1.4: Prüfung → Konzepterstellung."
    last = entries(session, "1.4")[-1]
    assert (last.trigger, last.actor, last.channel) == ("start_concept", "koord", "Portal")
    lead = by_link(app, grant(loaded, PETRA))
    response = lead.post("/mandate/1.4/schritt", data={"csrf": csrf(lead.get("/")), "schritt": "submit"})
    assert response.status_code == 403


def test_the_portal_refuses_to_start_without_a_secret(loaded):
    from ikz import settings as settings_module

    with pytest.raises(ConfigError) as refused:
        create_app(settings_module.load(environ={}), loaded)
    assert str(refused.value).startswith("Das Portal braucht einen geheimen Schlüssel für seine Sitzungs-Cookies")


def test_a_reminders_link_opens_the_mandate_as_its_recipient(app, loaded, smtp_server):
    import re

    from notifications.delivery import dispatch
    from notifications.sweep import sweep
    from tests.smtp_server import smtp_settings

    config = smtp_settings(smtp_server)
    sweep(loaded, config, now=NOW.replace(year=2011, month=1, day=20))
    dispatch(loaded, config, now=NOW.replace(year=2011, month=1, day=20, minute=1), owner="test")
    mail = next(m.message for m in smtp_server.received if m.rcpt_tos == [PETRA])
    link = re.search(r"http://127\.0\.0\.1:8000(/mandate/1\.4\?zugang=[\w-]+)", mail.get_body(("plain",)).get_content())
    client = TestClient(app)
    assert client.get(link[1]).status_code == 200
    assert "Mandate, die Lünen federführend betreut." in client.get("/meine-aufgaben").text


def test_serve_refuses_several_workers_on_sqlite_and_a_missing_secret(cli, monkeypatch):
    cli("init")
    if not PG_URL:
        result = cli("serve", "--workers", "2")
        assert result.exit_code == 1
        assert result.output.endswith(
            "--workers 2 geht nur mit PostgreSQL: SQLite erlaubt nur einen schreibenden Prozess. "
            "Erlaubt: --workers 1 oder eine Datenbank postgresql://…\n"
        )
    monkeypatch.delenv("IKZ_PORTAL_SECRET", raising=False)
    result = cli("serve")
    assert result.exit_code == 1 and "Das Portal braucht einen geheimen Schlüssel" in result.output


def test_users_and_access_links_from_the_command_line(cli, session):
    cli("init", "--catalogue", "kreis-unna-2010")
    result = cli("user", "add", "schulze", "--password-stdin", input="zu-kurz\n")
    assert (
        result.exit_code == 1
        and "Das Passwort ist zu kurz oder zu lang; erlaubt: 10 bis 1000 Zeichen." in result.output
    )
    result = cli("user", "add", "schulze", "--password-stdin", input="lang-genug-geheim\n")
    assert result.output == "Konto schulze (koordination) angelegt.\n"
    result = cli("user", "add", "schulze", "--password-stdin", input="lang-genug-geheim\n")
    assert result.exit_code == 1 and "Einen Benutzer schulze gibt es schon." in result.output
    result = cli("access", "grant", PETRA)
    lines = result.output.splitlines()
    assert lines[0] == "Zugang 1 für Petra Schulte (Lünen) (Federführung), gültig bis 01.01.2011 10:00:"
    assert re.fullmatch(r"http://127\.0\.0\.1:8000/\?zugang=[\w-]{43}", lines[1])
    assert cli("access", "grant", "werne").output.startswith(
        "Zugang 2 für Konferenzbüro Werne (Konferenzbüro (nur lesen))"
    )
    listing = cli("access", "list").output
    assert "Petra Schulte (Lünen)" in listing and "Konferenzbüro Werne" in listing and "zugang" not in listing
    assert cli("access", "revoke", PETRA).output == "Widerrufen: Zugang 1.\n"
    result = cli("access", "revoke", "1")
    assert result.exit_code == 1 and "Zugang 1 ist bereits widerrufen" in result.output
    assert "Petra Schulte" not in cli("access", "list").output


def test_meetings_show_the_agenda_and_the_issued_papers_as_stored(app, loaded, cli, frozen, session, tmp_path):
    from models import Document, DocumentFile

    client = coordination(app, loaded)
    page = client.get("/mandate/1.4")
    for path, data in (
        ("schritt", {"schritt": "start_concept"}),
        ("unterlagen", {"konzept": "Konzept LOGA", "wirtschaftsplan": "WP LOGA 2011", "effizienzziel": "40.000"}),
        ("schritt", {"schritt": "submit", "sitzung": "12.04.2011"}),
    ):
        response = client.post(f"/mandate/1.4/{path}", data={"csrf": csrf(page), **data})
        assert response.status_code == 200, alert(response)
    frozen("2010-11-03T09:00")
    assert cli("agenda", "2011-04-12", "--issue", "--out", str(tmp_path)).exit_code == 0
    document = session.exec(select(Document).where(Document.kind == "agenda")).one()
    listing = client.get("/sitzungen")
    assert "ausgegeben, Fassung 1" in listing.text
    meeting = client.get(f"/sitzungen/{document.meeting_id}")
    assert '<a href="/mandate/1.4">1.4 Einkaufsgemeinschaft LOGA</a> (Vorlage an die Bürgermeisterkonferenz)' in (
        meeting.text
    )
    for stored in session.exec(select(DocumentFile).where(DocumentFile.document_id == document.id)).all():
        assert f'href="/dokumente/{document.id}/{stored.name}"' in meeting.text
        served = client.get(f"/dokumente/{document.id}/{stored.name}")
        assert (served.status_code, served.content) == (200, stored.content)
        assert served.headers["content-type"].startswith(stored.media_type.split(";")[0])
    assert f'<a href="/sitzungen/{document.meeting_id}">' in client.get("/mandate/1.4").text
    assert client.get(f"/dokumente/{document.id}/gibt-es-nicht.pdf").status_code == 404


def test_a_lead_attaches_references_but_leaves_the_target_to_the_coordination(app, loaded, session):
    client = by_link(app, grant(loaded, PETRA))
    page = client.get("/mandate/1.4")
    response = client.post(
        "/mandate/1.4/unterlagen", data={"csrf": csrf(page), "konzept": "Konzept LOGA (AK der Kämmerer)"}
    )
    assert status(response) == "Gespeichert: Konzept: – → Konzept LOGA (AK der Kämmerer)."
    last = entries(session, "1.4")[-1]
    assert (last.trigger, last.actor, last.channel) == ("edit", "Petra Schulte (Lünen)", "Portal")
    response = client.post("/mandate/1.4/unterlagen", data={"csrf": csrf(page), "effizienzziel": "40000"})
    assert response.status_code == 403 and alert(response) == "Das Effizienzziel setzt die Koordination."


def test_the_coordination_closes_a_duty_occurrence(app, loaded, session):
    client = coordination(app, loaded)
    page = client.get("/mandate/1.1")
    assert "Pflicht erledigt (die älteste offene Fälligkeit)" in page.text
    key = re.search(r'<select id="pflicht" name="pflicht"><option value="([^"]+)"', page.text)[1]
    response = client.post(
        "/mandate/1.1/pflicht", data={"csrf": csrf(page), "pflicht": key, "fundstelle": "Protokoll vom 02.11.2010"}
    )
    assert response.status_code == 200 and status(response).endswith(
        "erledigt am 02.11.2010 (Protokoll vom 02.11.2010)."
    )
    last = entries(session, "1.1")[-1]
    assert (last.trigger, last.actor, last.channel) == ("duty", "koord", "Portal")


def test_each_digest_carries_its_recipients_own_link_and_the_kept_copy_none(loaded, session):
    from datetime import date

    from models import Document, DocumentFile
    from notifications.monthly import queue_digest

    config = portal_settings(digest_recipients=["coordinator", "leads", OFFICE])
    with transaction(loaded) as writing:
        queued = queue_digest(writing, config, date(2010, 12, 1), now=NOW + timedelta(days=29))
    rows = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "digest")).all()
    assert len(rows) == queued > 2
    texts = {
        row.recipient: email.message_from_string(row.raw, policy=policy.default).get_body(("plain",)).get_content()
        for row in rows
    }
    tokens = {
        who: re.search(r"Portal: http://127\.0\.0\.1:8000/\?zugang=([\w-]{43})\r?\n", text)[1]
        for who, text in texts.items()
    }
    assert len(set(tokens.values())) == len(rows)  # one each: a forwarded digest opens only its recipient's access
    grants = {g.email: g for g in session.exec(select(AccessGrant)).all()}
    assert {email: grants[email].token_hash for email in tokens} == {
        email: access.hash_token(token) for email, token in tokens.items()
    }
    assert grants[OFFICE].role == "office" and grants[PETRA].role == "lead"
    document = session.exec(select(Document).where(Document.kind == "digest")).one()
    for kept in session.exec(select(DocumentFile).where(DocumentFile.document_id == document.id)).all():
        text = kept.content.decode("utf-8")
        assert "zugang" not in text and "%%IKZ" not in text and "http://127.0.0.1:8000/" in text


def test_the_boards_pages_follow_the_lists_order(loaded, session):
    from tests.factories import mandate
    from workflow.board import board_page, list_mandates

    for code in ("9.10", "9.2", "9.1-LS", "9.1", "9.100", "10.1", "9.3-A"):
        mandate(session, code)
    everything = [row["code"] for row in list_mandates(session, today=NOW.date())]
    paged = []
    for page in range(1, 6):
        rows, total = board_page(session, today=NOW.date(), page=page, size=5)
        paged += [row["code"] for row in rows]
        assert total == len(everything) == 23
    assert paged == everything
    rows, total = board_page(session, today=NOW.date(), page=1, size=5, lead="luenen", state="Prüfung")
    assert [row["code"] for row in rows] == [
        row["code"] for row in list_mandates(session, today=NOW.date(), lead="luenen", state="Prüfung")
    ][:5]


def test_the_digests_unsubscribe_link_asks_first_and_one_click_opts_out(loaded, session):
    from datetime import date

    from models import DigestOptOut
    from notifications.monthly import queue_digest

    config = portal_settings(inbox_token_key="schluessel-fuer-antworten-0123")
    with transaction(loaded) as writing:
        queue_digest(writing, config, date(2010, 12, 1), now=NOW + timedelta(days=29))
    raw = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == PETRA)).one().raw
    path = re.search(r"<http://127\.0\.0\.1:8000(/monatsbericht/abbestellen/[^>]+)>", raw)[1]
    app = create_app(config, loaded, clock=lambda: PORTAL_NOW)
    client = TestClient(app)
    page = client.get(path)  # a mail scanner following the link opts nobody out
    assert page.status_code == 200 and "Möchten Sie den monatlichen IKZ-Monatsbericht nicht mehr bekommen?" in page.text
    assert session.exec(select(DigestOptOut)).all() == []
    assert client.post(path, data={"csrf": "falsch"}).status_code == 403
    done = TestClient(app).post(path, data={"List-Unsubscribe": "One-Click"})  # RFC 8058, without a session
    assert done.status_code == 200 and status(done).startswith(f"{PETRA} bekommt keinen Monatsbericht mehr.")
    assert [row.email for row in session.exec(select(DigestOptOut)).all()] == [PETRA]
    response = TestClient(app).post("/monatsbericht/abbestellen/uquatsch", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 404 and alert(response) == "Dieser Abbestell-Link ist ungültig."


def test_an_error_page_keeps_the_signed_in_frame(app, loaded):
    client = by_link(app, grant(loaded, PETRA))
    response = client.get("/mandate/9.9")
    assert response.status_code == 404
    assert "Petra Schulte (Lünen) – Federführung" in response.text and 'href="/meine-aufgaben"' in response.text
    assert "Anmelden (Koordination)" not in response.text
