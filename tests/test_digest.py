"""The monthly digest: exact figures for a known month, German rendering, once-only queueing, the tick and the CLI."""

import sys
from datetime import date, datetime

import jinja2
import pytest
from sqlmodel import Session, select

from ikz import settings as settings_module
from ikz.clock import BERLIN
from ikz.errors import ConfigError
from models import Body, Contact, Mandate, MandateLead, Notice, OutboxMessage
from models.db import retrying, transaction
from notifications import digest, monthly, threads
from notifications.digest import digest_data, render_digest
from notifications.monthly import monthly_tick, queue_digest, recipients
from notifications.outbox import enqueue
from tests.factories import RULES
from workflow.editing import edit_mandate
from workflow.steps import advance

APRIL = date(2011, 4, 1)
SETTINGS = settings_module.load(environ={})


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def _record_at(moment):
    """Replaced by the `march` fixture: each change recorded at the moment it takes effect, as in a live system."""


def step(session, code, trigger, when, note=None, meeting=None):
    _record_at(when)
    advance(
        session,
        code,
        trigger,
        actor="Koordination",
        now=when,
        today=when.date(),
        note=note,
        meeting_date=meeting,
        rules=RULES,
    )


def edit(session, code, when, **changes):
    _record_at(when)
    edit_mandate(session, code, actor="Koordination", now=when, **changes)


@pytest.fixture
def march(loaded, recording_clock, monkeypatch):
    """The catalogue after a busy March 2011, plus steps just before and after that month."""
    monkeypatch.setattr(sys.modules[__name__], "_record_at", recording_clock)
    with transaction(loaded) as s:
        # February: outside the reported month.
        edit(
            s, "1.4", berlin(2011, 2, 10, 9), concept_ref="Konzept LOGA", plan_ref="WP-LOGA-2011", savings_target=40_000
        )
        edit(s, "1.8", berlin(2011, 2, 10, 9), savings_target=500_000)
        step(s, "1.8", "withdraw", berlin(2011, 2, 11, 9), note="In 1.1 aufgegangen")
        edit(s, "1.6", berlin(2011, 2, 28, 23, 59), due_date=date(2011, 6, 1))
        # March, Berlin time (00:30 on the 1st is still February in UTC).
        step(s, "1.4", "start_concept", berlin(2011, 3, 1, 0, 30), note="Verhandlungen mit dem RZ aufgenommen")
        edit(s, "1.3", berlin(2011, 3, 10, 9), savings_target=1_234_567)
        step(s, "1.4", "submit", berlin(2011, 3, 16, 14), meeting=date(2011, 4, 12))
        step(s, "7.1", "hold", berlin(2011, 3, 20, 10), note="Bestandsaufnahme abwarten")
        edit(s, "2.1", berlin(2011, 3, 25, 9), due_date=date(2011, 4, 1))
        step(s, "5.1", "start_concept", berlin(2011, 3, 31, 23, 30))
        edit(s, "5.1", berlin(2011, 3, 31, 23, 45), due_date=date(2011, 5, 31))
        # April, before the digest's 07:00: counts in the figures, not among last month's steps.
        edit(s, "6.1", berlin(2011, 4, 1, 0, 10), savings_target=10_000)
        edit(s, "1.4", berlin(2011, 4, 1, 0, 20), due_date=date(2011, 3, 25))
        failed = enqueue(
            s,
            SETTINGS,
            kind="reminder",
            recipient="alt@unna.example",
            recipient_name="",
            subject="Erinnerung 1.2",
            text="x",
            html="<p>x</p>",
            now=berlin(2011, 3, 5, 8),
            thread=threads.for_recipient(SETTINGS, "reminder", "it@kamen.example", "Test"),
        )
        failed.status, failed.attempts, failed.last_error = "failed", 8, "550 5.1.1 Empfänger unbekannt"
        failed.failed_at = berlin(2011, 3, 5, 8, 5)
    return loaded


@pytest.fixture
def data(march):
    with Session(march) as session:
        return digest_data(session, APRIL, settings=SETTINGS)


def codes(rows):
    return [row["code"] for row in rows]


def test_as_of_is_the_first_working_day_at_seven(data):
    assert data["as_of"] == berlin(2011, 4, 1, 7)
    assert (data["month_label"], data["previous_label"], data["horizon"]) == (
        "April 2011",
        "März 2011",
        date(2011, 5, 31),
    )
    assert digest.as_of(date(2010, 11, 1)) == berlin(2010, 11, 2, 7)  # 1 November: Allerheiligen in NRW
    assert digest.as_of(date(2011, 5, 1)) == berlin(2011, 5, 2, 7)  # a Sunday and Tag der Arbeit


def test_status_counts_per_field_and_state(data):
    status = data["status"]
    assert [(c["state"], c["label"]) for c in status["columns"]] == [
        ("examine", "Prüfung"),
        ("propose", "Konzepterstellung"),
        ("present", "Vorlage an die Bürgermeisterkonferenz"),
        ("implement", "Umsetzung"),
        ("on_hold", "Auf Eis"),
        ("withdrawn", "Zurückgezogen"),
    ]
    assert [(f["number"], f["name"], f["counts"], f["total"]) for f in status["fields"]] == [
        (1, "Informationstechnologien", {"propose": 3, "present": 1, "implement": 3, "withdrawn": 1}, 8),
        (2, "Rechnungsprüfung", {"examine": 1, "on_hold": 1}, 2),
        (3, "Immobilienverwaltung", {"propose": 1}, 1),
        (4, "Baubetriebshof", {"implement": 1}, 1),
        (5, "Beschaffungswesen / Einkauf", {"propose": 1, "implement": 1}, 2),
        (6, "Personalbörse", {"implement": 1}, 1),
        (7, "Beauftragtenwesen", {"on_hold": 1}, 1),
    ]
    assert status["totals"] == {"examine": 1, "propose": 5, "present": 1, "implement": 6, "on_hold": 2, "withdrawn": 1}
    assert status["total"] == 16


def test_transitions_of_the_past_calendar_month_in_berlin_time(data):
    rows = [
        (t["code"], t["date"], t["trigger"], t["from_label"], t["to_label"], t["actor"], t["note"])
        for t in data["transitions"]
    ]
    assert rows == [
        (
            "1.3",
            date(2011, 3, 10),
            "edit",
            "Konzepterstellung",
            "Konzepterstellung",
            "Koordination",
            "Effizienzziel: – → 1.234.567 €",
        ),
        (
            "1.4",
            date(2011, 3, 1),
            "start_concept",
            "Prüfung",
            "Konzepterstellung",
            "Koordination",
            "Verhandlungen mit dem RZ aufgenommen",
        ),
        (
            "1.4",
            date(2011, 3, 16),
            "submit",
            "Konzepterstellung",
            "Vorlage an die Bürgermeisterkonferenz",
            "Koordination",
            None,
        ),
        ("2.1", date(2011, 3, 25), "edit", "Prüfung", "Prüfung", "Koordination", "Frist: 30.06.2011 → 01.04.2011"),
        ("5.1", date(2011, 3, 31), "start_concept", "Prüfung", "Konzepterstellung", "Koordination", None),
        (
            "5.1",
            date(2011, 3, 31),
            "edit",
            "Konzepterstellung",
            "Konzepterstellung",
            "Koordination",
            "Frist: 30.06.2011 → 31.05.2011",
        ),
        ("7.1", date(2011, 3, 20), "hold", "Prüfung", "Auf Eis", "Koordination", "Bestandsaufnahme abwarten"),
    ]
    assert data["transitions"][1]["title"] == "Einkaufsgemeinschaft LOGA"


def test_overdue_and_upcoming_deadlines_as_of_the_day(data):
    assert [(m["code"], m["due_date"], m["days"], m["state_label"], m["leads"]) for m in data["overdue"]] == [
        ("1.2", date(2011, 1, 31), 60, "Konzepterstellung", ["Bergkamen", "Kamen"]),
    ]
    # 1.4's submission deadline (25.3.) has passed, but a submitted paper waits for its meeting, it is not overdue.
    # Both ends of the 60 days count; 1.6 (1 June) is one day too far, 7.1 is on hold.
    assert [(m["code"], m["due_date"], m["days"]) for m in data["deadlines"]] == [
        ("2.1", date(2011, 4, 1), 0),
        ("5.1", date(2011, 5, 31), 60),
    ]


def test_on_hold_with_reason_and_duration(data):
    held = [(m["code"], m["since"], m["days"], m["held_label"], m["reason"]) for m in data["on_hold"]]
    assert held[1] == ("7.1", date(2011, 3, 20), 12, "Prüfung", "Bestandsaufnahme abwarten")
    # Held since the catalogue's start: the sources say it is on hold, not since when.
    assert held[0][:4] == ("2.1-LS", date(2010, 9, 21), 192, "Prüfung")
    assert held[0][4].startswith("Ein wichtiger Mitarbeiter")


def test_savings_against_the_two_million_goal(data):
    savings = data["savings"]
    # 1.8's 500.000 € no longer count: it was withdrawn.
    assert (savings["total"], savings["goal"], savings["share"]) == (1_284_567, 2_000_000, 64.2)
    assert [(m["code"], m["target"]) for m in savings["mandates"]] == [
        ("1.3", 1_234_567),
        ("1.4", 40_000),
        ("6.1", 10_000),
    ]


def test_next_conference_and_what_is_on_its_way(data):
    conference = data["conference"]
    assert conference["meeting"] == {"date": date(2011, 4, 12), "title": "Sitzung der Bürgermeisterkonferenz"}
    assert codes(conference["agenda"]) == ["1.4"]
    assert codes(conference["preparing"]) == ["1.2", "1.3", "1.6", "3.1", "5.1"]


def test_no_conference_after_the_last_meeting(march):
    with Session(march) as session:
        conference = digest_data(session, date(2011, 5, 1), settings=SETTINGS)["conference"]
    assert conference["meeting"] is None and conference["agenda"] == []


def test_failed_deliveries_are_listed(data):
    assert data["failed"] == [
        {
            "id": 1,
            "date": date(2011, 3, 5),
            "kind": "reminder",
            "recipient": "alt@unna.example",
            "subject": "Erinnerung 1.2",
            "attempts": 8,
            "error": "550 5.1.1 Empfänger unbekannt",
            "unreported": False,
        }
    ]


def test_text_version_in_german(data):
    subject, text, _html = render_digest(data)
    assert subject == "IKZ-Monatsbericht April 2011"
    lines = text.splitlines()
    assert lines[:3] == [
        "IKZ-Monatsbericht April 2011",
        "Interkommunale Zusammenarbeit im Kreis Unna",
        "Stand: 1. April 2011, 07:00 Uhr",
    ]
    for line in [
        "   1 Informationstechnologien: Konzepterstellung 3, Vorlage an die Bürgermeisterkonferenz 1, Umsetzung 3, Zurückgezogen 1",
        "   Insgesamt: Prüfung 1, Konzepterstellung 5, Vorlage an die Bürgermeisterkonferenz 1, Umsetzung 6, Auf Eis 2, Zurückgezogen 1",
        "2. Schritte im März 2011",
        "   1.4 Einkaufsgemeinschaft LOGA, 1. März 2011: Prüfung → Konzepterstellung (Koordination) – Verhandlungen mit dem RZ aufgenommen",
        "   1.3 Ausfallrechenzentrum, 10. März 2011: Änderung (Koordination) – Effizienzziel: – → 1.234.567 €",
        "   1.2 Breitbandverkabelung (Konzepterstellung; Bergkamen, Kamen): Frist 31. Januar 2011, 60 Tage überfällig",
        "4. Fristen bis 31. Mai 2011",
        "   2.1 Anstalt öffentlichen Rechts (Prüfung; AK der Kämmerer): Frist 1. April 2011, heute",
        "   7.1 Gemeinsame Beauftragte (AK der Kämmerer): seit 20. März 2011 (12 Tage), zuvor Prüfung",
        "      Grund: Bestandsaufnahme abwarten",
        "   Summe: 1.284.567 € pro Jahr – 64,2 % des Konsolidierungspotenzials von 2.000.000 €",
        "   1.3 Ausfallrechenzentrum (Konzepterstellung): Ziel 1.234.567 €, realisiert – – keine Daten",
        "   12. April 2011: Sitzung der Bürgermeisterkonferenz",
        "      1.4 Einkaufsgemeinschaft LOGA (Vorlage an die Bürgermeisterkonferenz; Lünen)",
        "   5. März 2011  an alt@unna.example: Erinnerung 1.2 (8 Versuche) – 550 5.1.1 Empfänger unbekannt",
    ]:
        assert line in lines


def test_html_is_a_german_page_with_tables(data):
    _subject, _text, html = render_digest(data)
    assert html.startswith('<!DOCTYPE html>\n<html lang="de">\n<head>\n<meta charset="utf-8">\n')
    assert html.rstrip().endswith("</html>")
    assert html.count("<table") == 7
    assert ">1. März 2011</td>" in html
    assert ">1.234.567 €</td>" in html
    assert "<strong>1.284.567 €</strong> pro Jahr – 64,2 % des Konsolidierungspotenzials von 2.000.000 €" in html
    assert ">60 Tage</td>" in html
    assert "<strong>12. April 2011</strong>: Sitzung der Bürgermeisterkonferenz" in html


def test_html_escapes_user_text_and_text_keeps_it(march):
    with transaction(march) as s:
        edit(s, "3.1", berlin(2011, 3, 2, 9), title='<script>alert("x")</script> & Co')
    with Session(march) as session:
        _subject, text, html = render_digest(digest_data(session, APRIL, settings=SETTINGS))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in html
    assert '      3.1 <script>alert("x")</script> & Co (UKBS)' in text.splitlines()


def test_templates_refuse_missing_values(data):
    incomplete = {key: value for key, value in data.items() if key != "failed"}
    with pytest.raises(jinja2.UndefinedError):
        render_digest(incomplete)


def with_recipients(*entries) -> settings_module.Settings:
    return settings_module.load(environ={}, digest_recipients=list(entries))


def test_recipients_honour_contact_id_and_dedupe(loaded):
    configured = with_recipients("leads", "coordinator", "IT@Kamen.example", "extern@werne.example")
    with Session(loaded) as session:
        found = recipients(session, configured)
    assert found == [
        ("ak-bauhof@kreis-unna.example", "Sprecher AK der Bauhofleiter"),
        ("ak-kaemmerer@kreis-unna.example", "Geschäftsführung AK der Kämmerer"),
        ("fortbildung@kamen.example", "Fortbildung Kamen"),
        ("geschaeftsfuehrung@ukbs.example", "Geschäftsführung UKBS"),
        ("it-ak@kreis-unna.example", "Sprecher IT-Arbeitskreis"),
        ("it@bergkamen.example", "IT-Leitung Bergkamen"),
        ("it@kamen.example", "IT-Leitung Kamen"),
        ("it@kreis-unna.example", "IT-Leitung Kreis Unna"),
        ("kreisbrandmeister@kreis-unna.example", "Kreisbrandmeister"),
        ("loga@luenen.example", "Personalabrechnung Lünen"),
        ("personal@kreis-unna.example", "Personalamt Kreis Unna"),
        ("rpa@luenen.example", "Rechnungsprüfungsamt Lünen"),
        ("rpa@selm.example", "Rechnungsprüfung Selm"),
        ("soziales@kreis-unna.example", "Sozialamt Kreis Unna"),
        ("wahlen@kreis-unna.example", "Kreiswahlleitung"),
        ("ikz@kreis-unna.example", "Koordinierungsstelle IKZ"),
        ("extern@werne.example", ""),
    ]
    # Lünen names a contact for each of its mandates, so its IT department gets nothing.
    assert "it@luenen.example" not in [email for email, _ in found]


def test_recipients_follow_the_lead_contact_and_open_mandates(loaded):
    configured = with_recipients("leads")
    with transaction(loaded) as s:
        selm = s.exec(select(Body).where(Body.key == "selm")).one()
        second = Contact(body_id=selm.id, name="Kämmerei Selm", email="kaemmerei@selm.example")
        s.add(second)
        s.flush()
        step(s, "3.1", "withdraw", berlin(2011, 3, 1, 9), note="Kein Bedarf")
    with Session(loaded) as session:
        emails = [email for email, _ in recipients(session, configured)]
    assert {"kaemmerei@selm.example", "rpa@selm.example"} <= set(emails)
    assert "geschaeftsfuehrung@ukbs.example" not in emails  # 3.1 was UKBS's only mandate
    with transaction(loaded) as s:
        lead = s.exec(select(MandateLead).where(MandateLead.body_id == selm.id)).one()
        lead.contact_id = second.id
        s.add(lead)
    with Session(loaded) as session:
        emails = [email for email, _ in recipients(session, configured)]
    assert "kaemmerei@selm.example" in emails and "rpa@selm.example" not in emails


def test_recipients_refuse_a_word_that_is_no_address():
    with pytest.raises(ConfigError) as refused:
        with_recipients("coordinator", "kaemmerer")
    assert str(refused.value) == (
        "Einstellung: digest.recipients: 'kaemmerer' ist nicht erlaubt; "
        "erlaubt: Liste mit höchstens 100 Einträgen: coordinator, leads oder E-Mail-Adressen."
    )


def digests(engine) -> list[tuple[str, str]]:
    with Session(engine) as session:
        return sorted(session.exec(select(Notice.topic, Notice.recipient).where(Notice.topic.like("digest:%"))).all())


def test_queue_digest_queues_once_per_recipient(loaded):
    configured = with_recipients("coordinator", "kaemmerei@unna.example")
    now = berlin(2011, 4, 1, 7, 5)
    with transaction(loaded) as s:
        assert queue_digest(s, configured, APRIL, now=now) == 2
    with transaction(loaded) as s:
        assert queue_digest(s, configured, APRIL, now=now) == 0
    assert digests(loaded) == [
        ("digest:2011-04", "ikz@kreis-unna.example"),
        ("digest:2011-04", "kaemmerei@unna.example"),
    ]
    with Session(loaded) as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "digest")).all()
    assert sorted(row.recipient for row in rows) == ["ikz@kreis-unna.example", "kaemmerei@unna.example"]
    assert {row.subject for row in rows} == {"IKZ-Monatsbericht April 2011"}
    # A new address added later in the month gets the report; the others do not get it again.
    with transaction(loaded) as s:
        assert (
            queue_digest(
                s, with_recipients("coordinator", "kaemmerei@unna.example", "neu@werne.example"), APRIL, now=now
            )
            == 1
        )


def test_a_concurrent_claim_loses_no_other_recipient(loaded, monkeypatch):
    configured = with_recipients("coordinator", "kaemmerei@unna.example")
    now = berlin(2011, 4, 1, 7, 5)
    original = monthly.render_digest

    def render_while_another_run_claims(data, **options):
        # Another process claims the coordinator after this run has checked the claims (once).
        monkeypatch.setattr(monthly, "render_digest", original)
        with transaction(loaded) as other:
            row = enqueue(
                other,
                configured,
                kind="digest",
                recipient="ikz@kreis-unna.example",
                recipient_name="",
                subject="s",
                text="t",
                html="h",
                now=now,
                thread=threads.for_recipient(configured, "digest", "ikz@kreis-unna.example", "Test"),
            )
            other.add(
                Notice(topic="digest:2011-04", recipient="ikz@kreis-unna.example", created_at=now, outbox_id=row.id)
            )
        return original(data, **options)

    monkeypatch.setattr(monthly, "render_digest", render_while_another_run_claims)
    # PostgreSQL reports the lost claim as an IntegrityError in its savepoint; SQLite refuses the
    # stale snapshot as a whole, and the retry then finds the coordinator claimed.
    assert retrying(loaded, lambda s: queue_digest(s, configured, APRIL, now=now)) == 1
    assert digests(loaded) == [
        ("digest:2011-04", "ikz@kreis-unna.example"),
        ("digest:2011-04", "kaemmerei@unna.example"),
    ]
    with Session(loaded) as session:
        queued = session.exec(select(OutboxMessage.recipient).where(OutboxMessage.kind == "digest")).all()
    assert sorted(queued) == ["ikz@kreis-unna.example", "kaemmerei@unna.example"]  # the loser's message is rolled back


def test_monthly_tick_waits_for_the_first_working_day_at_seven(loaded):
    configured = with_recipients("coordinator")
    assert monthly_tick(loaded, configured, now=berlin(2011, 5, 1, 12)).queued == 0  # Sunday and a holiday
    early = monthly_tick(loaded, configured, now=berlin(2011, 5, 2, 6, 59))
    assert (early.queued, early.summary()) == (0, "Monatsbericht Mai 2011: erst ab 02.05.2011 07:00 Uhr fällig.")
    assert digests(loaded) == []
    due = monthly_tick(loaded, configured, now=berlin(2011, 5, 2, 7))
    assert (due.queued, due.summary()) == (1, "Monatsbericht Mai 2011: 1 Nachricht in den Postausgang gestellt.")
    assert monthly_tick(loaded, configured, now=berlin(2011, 5, 2, 7, 1)).summary() == (
        "Monatsbericht Mai 2011: bereits für alle Empfänger in den Postausgang gestellt, nichts Neues."
    )
    assert monthly_tick(loaded, configured, now=berlin(2011, 5, 20, 7)).queued == 0
    assert digests(loaded) == [("digest:2011-05", "ikz@kreis-unna.example")]
    with Session(loaded) as session:
        assert session.exec(select(OutboxMessage.subject)).all() == ["IKZ-Monatsbericht Mai 2011"]


def test_monthly_tick_catches_up_after_downtime(loaded):
    configured = with_recipients("coordinator")
    assert monthly_tick(loaded, configured, now=berlin(2011, 6, 14, 15)).queued == 1
    assert digests(loaded) == [("digest:2011-06", "ikz@kreis-unna.example")]


@pytest.fixture
def board(cli, tmp_path, monkeypatch):
    config = tmp_path / "ikz.toml"
    config.write_text('[digest]\nrecipients = ["coordinator", "kaemmerei@unna.example"]\n', encoding="utf-8")
    monkeypatch.setenv("IKZ_CONFIG", str(config))
    assert cli("init", "--catalogue", "kreis-unna-2010").exit_code == 0
    return cli


def test_cli_prints_the_text_of_the_current_month(board):
    result = board("digest")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[:3] == [
        "IKZ-Monatsbericht November 2010",
        "Interkommunale Zusammenarbeit im Kreis Unna",
        "Stand: 2. November 2010, 07:00 Uhr",
    ]


def test_cli_preview_writes_the_html(board, tmp_path):
    path = tmp_path / "bericht.html"
    result = board("digest", "--month", "2011-03", "--preview", str(path))
    assert (result.exit_code, result.stdout) == (0, f"Vorschau des Monatsberichts März 2011 gespeichert: {path}\n")
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<title>IKZ-Monatsbericht März 2011</title>" in page


def test_cli_preview_into_a_missing_folder(board, tmp_path):
    path = tmp_path / "fehlt" / "bericht.html"
    result = board("digest", "--month", "2011-03", "--preview", str(path))
    assert (result.exit_code, result.stderr) == (
        1,
        f"Fehler: Das Verzeichnis {path.parent} gibt es nicht; die Vorschau kann nicht nach {path} geschrieben werden.\n",
    )


def test_cli_send_queues_once(board, engine):
    first = board("digest", "--month", "2011-03", "--send")
    assert (first.exit_code, first.stdout) == (
        0,
        "Monatsbericht März 2011: 2 Nachrichten in den Postausgang gestellt.\n",
    )
    again = board("digest", "--month", "2011-03", "--send")
    assert (again.exit_code, again.stdout) == (
        0,
        "Monatsbericht März 2011: bereits für alle Empfänger in den Postausgang gestellt, nichts Neues.\n",
    )
    assert digests(engine) == [
        ("digest:2011-03", "ikz@kreis-unna.example"),
        ("digest:2011-03", "kaemmerei@unna.example"),
    ]


def test_cli_send_with_a_bad_distribution_list(board, tmp_path, engine):
    config = tmp_path / "ikz.toml"
    config.write_text('[digest]\nrecipients = ["kaemmerer"]\n', encoding="utf-8")
    result = board("digest", "--send")
    assert (result.exit_code, result.stderr) == (
        1,
        f"Fehler: {config}: digest.recipients: 'kaemmerer' ist nicht erlaubt; "
        "erlaubt: Liste mit höchstens 100 Einträgen: coordinator, leads oder E-Mail-Adressen.\n",
    )
    assert digests(engine) == []


def test_cli_month_must_be_a_month(board):
    result = board("digest", "--month", "März")
    assert result.exit_code == 2
    assert (
        result.stderr.splitlines()[-1]
        == "Fehler: Ungültiger Wert für '--month': 'März' ist kein Monat; erlaubt: MM.JJJJ oder JJJJ-MM, z. B. 03.2011 oder 2011-03."
    )


def test_the_digest_says_what_blocks_what(data):
    assert [(m["code"], [w["code"] for w in m["waits_for"]]) for m in data["blocked"]] == [("2.1-LS", ["2.1"])]
    _subject, text, html = render_digest(data)
    assert "   2.1-LS Kooperation Lünen–Selm Rechnungsprüfung wartet auf 2.1 (Prüfung)\n" in text
    assert "<strong>2.1-LS</strong> Kooperation Lünen–Selm Rechnungsprüfung wartet auf <strong>2.1</strong>" in html


def test_the_digest_compares_realised_savings_with_targets(loaded):
    from workflow.controlling import record_saving

    with transaction(loaded) as s:
        mandate = s.exec(select(Mandate).where(Mandate.code == "1.5")).one()
        mandate.savings_target = 20_000
        s.add(mandate)
        record_saving(s, "1.5", 2011, 25_000, actor="t", now=berlin(2011, 12, 20, 9), today=date(2011, 12, 20))
    with Session(loaded) as s:
        data = digest_data(s, date(2012, 1, 1), settings=SETTINGS)
    assert (data["savings"]["realised_total"], data["savings"]["lights"]["im Plan"]) == (25_000, 1)
    _subject, text, _html = render_digest(data)
    assert "   1.5 Wahlsoftware (PC-Wahl) (Umsetzung): Ziel 20.000 €, realisiert 25.000 € (2011) – im Plan\n" in text
    assert "   Realisiert (jeweils letztes erfasstes Jahr): 25.000 € – 1,3 %\n" in text
