"""`ikz outbox`: exact German output and exit codes against a real SMTP server."""

import json
import re
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from ikz import settings as settings_module
from ikz.cli.outbox import OUTBOX_STATES
from models import Notice, OutboxMessage, notification
from models.db import transaction
from notifications import threads
from notifications.digest import digest_data, render_digest
from notifications.outbox import enqueue
from tests.conftest import NOW
from tests.smtp_server import free_port


def write_config(tmp_path, monkeypatch, port: int):
    path = tmp_path / "ikz.toml"
    path.write_text(
        f'[mail]\ntransport = "smtp"\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\ntimeout = 5\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("IKZ_CONFIG", str(path))
    monkeypatch.delenv("IKZ_SMTP_PASSWORD", raising=False)
    return settings_module.load(path, environ={})


@pytest.fixture
def config(tmp_path, monkeypatch, smtp_server):
    return write_config(tmp_path, monkeypatch, smtp_server.port)


@pytest.fixture
def queued(engine, config):
    """Two messages queued at NOW (10:00 in Kreis Unna)."""
    with transaction(engine) as session:
        for recipient, subject in [("weg@kamen.example", "Frist 1.2"), ("it@luenen.example", "Frist 1.4")]:
            enqueue(
                session,
                config,
                kind="reminder",
                recipient=recipient,
                recipient_name="IT",
                subject=subject,
                text="Text",
                html="<p>Text</p>",
                now=NOW,
                thread=threads.for_recipient(config, "reminder", recipient, "Test"),
            )


def test_list_shows_queued_messages_in_a_german_table(cli, queued):
    result = cli("outbox", "list")
    assert (result.exit_code, result.stdout) == (
        0,
        "ID  Status  Empfänger          Betreff    Versuche  Nächster Versuch/versandt  Fehler\n"
        "──  ──────  ─────────────────  ─────────  ────────  ─────────────────────────  ──────\n"
        "1   wartet  weg@kamen.example  Frist 1.2  0         02.11.2010 10:00\n"
        "2   wartet  it@luenen.example  Frist 1.4  0         02.11.2010 10:00\n",
    )


def test_list_of_an_empty_outbox(cli, config):
    assert cli("outbox", "list").stdout == "Keine Nachrichten gefunden.\n"
    assert cli("outbox", "list", "--status", "failed").stdout == "Keine Nachrichten gefunden.\n"


def test_send_reports_in_german_and_a_failure_reaches_the_list_and_the_coordinator(cli, queued, smtp_server):
    smtp_server.handler.reject = {"weg@kamen.example"}
    result = cli("outbox", "send")
    assert (result.exit_code, result.stdout) == (0, "1 Nachricht versandt, 0 zurückgestellt, 1 gescheitert.\n")
    assert cli("outbox", "list").stdout == (
        "ID  Status       Empfänger               Betreff                      Versuche  Nächster Versuch/versandt  Fehler\n"
        "──  ───────────  ──────────────────────  ───────────────────────────  ────────  ─────────────────────────  ──────────────────────────────────────────────\n"
        "1   gescheitert  weg@kamen.example       Frist 1.2                    1         –                          Server antwortet 550 5.1.1 Mailbox unavailable\n"
        "2   versandt     it@luenen.example       Frist 1.4                    1         02.11.2010 10:00\n"
        "3   wartet       ikz@kreis-unna.example  Nicht zugestellt: Frist 1.2  0         02.11.2010 10:00\n"
    )
    assert cli("outbox", "send").stdout == "1 Nachricht versandt, 0 zurückgestellt, 0 gescheitert.\n"
    assert cli("outbox", "send").stdout == "Keine Nachricht fällig.\n"
    assert [r.rcpt_tos for r in smtp_server.received] == [["it@luenen.example"], ["ikz@kreis-unna.example"]]


def test_list_json_filters_by_status(cli, queued, smtp_server):
    smtp_server.handler.reject = {"weg@kamen.example"}
    cli("outbox", "send")
    [row] = json.loads(cli("outbox", "list", "--status", "failed", "--json").stdout)
    message_id = row.pop("message_id")
    assert message_id.startswith("<") and message_id.endswith("@kreis-unna.example>")
    assert row == {
        "id": 1,
        "status": "failed",
        "status_label": "gescheitert",
        "kind": "reminder",
        "recipient": "weg@kamen.example",
        "subject": "Frist 1.2",
        "attempts": 1,
        "next_attempt_at": "2010-11-02T09:00:00+00:00",
        "sent_at": None,
        "last_error": "Server antwortet 550 5.1.1 Mailbox unavailable",
        "created_at": "2010-11-02T09:00:00+00:00",
        "reported_at": "2010-11-02T09:00:00+00:00",
        "unreported": False,
    }


def test_send_against_a_closed_port_postpones_and_never_shows_the_password(cli, tmp_path, monkeypatch, queued, session):
    write_config(tmp_path, monkeypatch, free_port())
    monkeypatch.setenv("IKZ_SMTP_PASSWORD", "Geheim-4711!")
    result = cli("outbox", "send")
    assert (result.exit_code, result.stdout) == (0, "0 Nachrichten versandt, 2 zurückgestellt, 0 gescheitert.\n")
    listing = cli("outbox", "list").stdout
    assert "Verbindung abgelehnt" in listing
    assert "Geheim" not in listing + result.output
    assert [row.attempts for row in session.exec(select(OutboxMessage))] == [1, 1]


def test_retry_puts_all_failed_messages_back(cli, queued, smtp_server, frozen):
    smtp_server.handler.reject = {"weg@kamen.example"}
    cli("outbox", "send")
    frozen("2010-11-02T11:30:00+01:00")
    result = cli("outbox", "retry")
    assert (result.exit_code, result.stdout) == (0, "1 Nachricht wieder in den Versand gegeben (ID 1).\n")
    assert cli("outbox", "list", "--status", "queued").stdout.splitlines()[2:] == [
        "1   wartet  weg@kamen.example       Frist 1.2                    0         02.11.2010 11:30",
        "3   wartet  ikz@kreis-unna.example  Nicht zugestellt: Frist 1.2  0         02.11.2010 10:00",
    ]
    assert cli("outbox", "retry").stdout == "Keine gescheiterten Nachrichten.\n"


def test_retry_by_id_and_its_refusals(cli, queued, smtp_server):
    smtp_server.handler.reject = {"weg@kamen.example"}
    cli("outbox", "send")
    unknown = cli("outbox", "retry", "1", "99")
    assert (unknown.exit_code, unknown.stderr) == (1, "Fehler: Eine Nachricht 99 gibt es im Postausgang nicht.\n")
    sent = cli("outbox", "retry", "2")
    assert (sent.exit_code, sent.stderr) == (
        1,
        "Fehler: Nachricht 2 ist nicht gescheitert (Status: versandt); erneut senden lassen sich nur gescheiterte Nachrichten.\n",
    )
    # A refusal changes nothing, not even the IDs named before the bad one.
    assert json.loads(cli("outbox", "list", "--status", "failed", "--json").stdout)[0]["id"] == 1
    result = cli("outbox", "retry", "1", "1")
    assert (result.exit_code, result.stdout) == (0, "1 Nachricht wieder in den Versand gegeben (ID 1).\n")


def test_usage_errors_exit_2(cli, config):
    assert cli("outbox", "retry", "eins").exit_code == 2
    bad = cli("outbox", "list", "--status", "lost")
    assert (bad.exit_code, bad.stderr.splitlines()[-1]) == (
        2,
        "Fehler: Ungültiger Wert für '--status': 'lost' ist nicht erlaubt; erlaubt: 'queued', 'sent', 'failed'.",
    )


def test_cli_status_names_match_the_model():
    assert tuple(OUTBOX_STATES) == notification.OUTBOX_STATES


COORDINATOR = "ikz@kreis-unna.example"


def test_a_failed_failure_notice_is_shown_by_list_json_and_the_digest(cli, queued, smtp_server, config, engine):
    smtp_server.handler.reject = {"weg@kamen.example", COORDINATOR}
    cli("outbox", "send")
    result = cli("outbox", "send")
    assert result.stdout == (
        "0 Nachrichten versandt, 0 zurückgestellt, 1 gescheitert. Achtung: Fehlerbericht 3 an die Koordination "
        "selbst gescheitert; davon erfährt niemand per E-Mail (siehe ikz outbox list).\n"
    )
    listing = cli("outbox", "list", "--status", "failed").stdout.splitlines()
    assert listing[-1] == (
        "Achtung: Der Fehlerbericht 3 (zu Nachricht 1) an die Koordination ist selbst gescheitert; die Koordination "
        "weiß davon nichts. Ein gescheiterter Fehlerbericht wird nicht noch einmal per E-Mail gemeldet (sonst ginge "
        "das endlos weiter). Adresse der Koordination prüfen, dann: ikz outbox retry 3"
    )
    rows = json.loads(cli("outbox", "list", "--json").stdout)
    assert [(row["id"], row["kind"], row["unreported"]) for row in rows] == [
        (1, "reminder", False),
        (2, "reminder", False),
        (3, "failure", True),
    ]
    with Session(engine) as session:
        _subject, text, html = render_digest(digest_data(session, date(2010, 12, 1), settings=config))
    assert "   Achtung: Ein Fehlerbericht an die Koordination ist selbst gescheitert\n" in text
    assert (
        "an ikz@kreis-unna.example: Nicht zugestellt: Frist 1.2 (1 Versuche) – Server antwortet 550 5.1.1 Mailbox "
        "unavailable – nicht gemeldet, erneut senden: ikz outbox retry 3\n"
    ) in text
    assert "<strong>– nicht gemeldet</strong>, erneut senden: <code>ikz outbox retry 3</code>" in html


@settings(deadline=None, max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    recipients=st.lists(
        st.sampled_from(["a@kamen.example", "b@selm.example", "c@unna.example"]), min_size=1, max_size=4
    ),
    refused=st.sets(st.sampled_from(["a@kamen.example", "b@selm.example", "c@unna.example", COORDINATOR])),
)
def test_every_failure_is_told_by_mail_or_shown_where_the_coordinator_looks(
    cli, engine, session, config, smtp_server, recipients, refused
):
    """Property: whichever recipients the server refuses, the coordinator's address among them, every failed message
    is either reported by a failure notice the server accepted, or (its notice failed too) named by `outbox send`,
    the warning of `outbox list` and the digest; a failed failure notice is never reported again."""
    smtp_server.handler.reject = refused
    # Examples share the database: look only at what this one queues.
    with Session(engine) as reading:
        before = len(reading.exec(select(OutboxMessage.id)).all())
    with transaction(engine) as tx:
        for recipient in recipients:
            enqueue(
                tx,
                config,
                kind="reminder",
                recipient=recipient,
                recipient_name="",
                subject="Frist",
                text="x",
                html="<p>x</p>",
                now=NOW,
                thread=threads.for_recipient(config, "reminder", recipient, "Test"),
            )
    said = ""
    for _tick in range(4):
        said += cli("outbox", "send").stdout
    assert said.endswith("Keine Nachricht fällig.\n")
    listing = cli("outbox", "list").stdout
    with Session(engine) as reading:
        rows = reading.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        shown = {row["id"]: row for row in digest_data(reading, date(2010, 12, 1), settings=config)["failed"]}
        claims = {notice.topic: notice.outbox_id for notice in reading.exec(select(Notice)).all()}
    by_id = {row.id: row for row in rows}
    for row in rows[before:]:
        if row.status != "failed":
            continue
        assert shown[row.id]["unreported"] == (row.kind == "failure")
        if row.kind == "failure":
            named = re.findall(r"Achtung: Fehlerberichte? ([0-9, ]+) an die Koordination selbst gescheitert", said)
            assert str(row.id) in ", ".join(named).split(", ")
            assert f"{row.id} (zu Nachricht" in listing.splitlines()[-1]
            assert f"failure:{row.id}" not in claims, "a failed failure notice was reported again"
        else:
            notice = by_id[claims[f"failure:{row.id}"]]
            assert notice.status == "sent" or f"{notice.id} (zu Nachricht {row.id})" in listing.splitlines()[-1]
    if not any(row.kind == "failure" and row.status == "failed" for row in rows):
        assert "Achtung" not in listing + said
    elif not any(row.kind == "failure" and row.status == "failed" for row in rows[before:]):
        assert "Achtung" not in said
