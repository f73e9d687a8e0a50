"""Reminder policy and sweep: recipients, grouping, working days, exactly-once, delivered over real SMTP."""

import re
import threading
from datetime import date, datetime, timedelta

import pytest
from sqlmodel import func, select

from ikz import settings as settings_module
from ikz.clock import BERLIN
from models import AccessGrant, Mandate, OutboxMessage, Reminder
from models.db import transaction
from notifications.delivery import dispatch
from notifications.policy import Policy, latest_slot
from notifications.sweep import sweep
from tests.factories import RULES
from tests.smtp_server import smtp_settings
from workflow.access import hash_token
from workflow.steps import advance

POLICY = Policy()


def at(day: str, time: str = "07:30") -> datetime:
    return datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=BERLIN)


def slot_days(due: date, days: list[str]) -> dict[str, str | None]:
    return {d: (lambda s: s and s.kind)(latest_slot(POLICY, due, date.fromisoformat(d))) for d in days}


def test_slots_before_on_and_after_a_deadline():
    due = date(2011, 4, 12)  # Tuesday; Easter 2011 (22.–25.4.) lies after it
    assert slot_days(
        due,
        [
            "2011-03-28",
            "2011-03-29",
            "2011-04-06",
            "2011-04-07",
            "2011-04-12",
            "2011-04-19",
            "2011-04-26",
            "2011-04-27",
        ],
    ) == {
        "2011-03-28": None,
        "2011-03-29": "before-10",
        "2011-04-06": "before-10",
        "2011-04-07": "before-3",
        "2011-04-12": "due",
        "2011-04-19": "overdue-1",
        "2011-04-26": "overdue-2",  # 19+7 = Easter Tuesday 26.4. is a working day again
        "2011-04-27": "overdue-2",
    }


def test_escalation_starts_after_ten_working_days():
    due = date(2011, 4, 12)
    # Ten working days after 12.4.2011 skip Good Friday and Easter Monday: 28.4.
    assert latest_slot(POLICY, due, date(2011, 4, 26)).escalated is False
    third = latest_slot(POLICY, due, date(2011, 5, 3))
    assert (third.kind, third.day, third.escalated) == ("overdue-3", date(2011, 5, 3), True)


def test_a_deadline_on_corpus_christi_is_reminded_on_the_next_working_day():
    due = date(2011, 6, 23)  # Fronleichnam, a holiday in NRW
    assert latest_slot(POLICY, due, date(2011, 6, 23)).kind == "before-3"
    slot = latest_slot(POLICY, due, date(2011, 6, 24))
    assert (slot.kind, slot.day) == ("due", date(2011, 6, 24))
    assert latest_slot(POLICY, due, date(2011, 6, 20)).kind == "before-3"  # 3 working days before: Mon 20.6.


def test_a_weekly_reminder_on_a_holiday_moves_to_the_next_working_day():
    due = date(2011, 4, 15)  # Friday; a week later is Good Friday 22.4., then Easter Monday
    assert latest_slot(POLICY, due, date(2011, 4, 22)).kind == "due"
    slot = latest_slot(POLICY, due, date(2011, 4, 26))
    assert (slot.kind, slot.day) == ("overdue-1", date(2011, 4, 26))


@pytest.fixture
def config(smtp_server):
    return smtp_settings(smtp_server)


def run_day(engine, config, day: str):
    report = sweep(engine, config, now=at(day))
    dispatch(engine, config, now=at(day, "07:31"), owner="test")
    return report


def received(server) -> dict[str, list[str]]:
    """Recipient → subjects of what the SMTP server accepted."""
    result: dict[str, list[str]] = {}
    for message in server.received:
        for rcpt in message.rcpt_tos:
            result.setdefault(rcpt, []).append(str(message.message["Subject"]))
    return result


def test_sweep_groups_one_message_per_recipient(deadlines_only, config, smtp_server):
    report = run_day(deadlines_only, config, "2011-02-14")
    assert report.summary() == "5 Erinnerungen für 4 Empfänger, 4 Nachrichten in den Postausgang gestellt."
    assert received(smtp_server) == {
        "loga@luenen.example": ["ikz 1.4 Einkaufsgemeinschaft LOGA – Prüfung"],
        "ikz@kreis-unna.example": ["ikz: Ihre Fristen in der interkommunalen Zusammenarbeit"],
        "it@kamen.example": ["ikz 1.2 Breitbandverkabelung – Konzepterstellung"],
        "it@bergkamen.example": ["ikz 1.2 Breitbandverkabelung – Konzepterstellung"],
    }
    coordinator = next(m.message for m in smtp_server.received if m.rcpt_tos == ["ikz@kreis-unna.example"])
    text = coordinator.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "1.4 Einkaufsgemeinschaft LOGA – Prüfung\n  Zu tun: Prüfergebnis vorlegen" in text
    assert (
        "  Frist: 15. Dezember 2010 (seit 43 Arbeitstagen überschritten)\n  Federführung: Lünen (Petra Schulte, Sachgebietsleitung Personalabrechnung)\n"
        in text
    )
    assert "1.2 Breitbandverkabelung – Konzepterstellung\n" in text
    assert "  Federführung: Bergkamen (Sabine Krüger, Leitung IT), Kamen (Jürgen Brandt, Leitung IT)\n" in text


def test_a_message_is_multipart_german_with_proper_headers(deadlines_only, config, smtp_server):
    run_day(deadlines_only, config, "2010-12-01")
    [delivered] = smtp_server.received
    message = delivered.message
    assert delivered.rcpt_tos == ["loga@luenen.example"]
    assert message["To"] == "Petra Schulte <loga@luenen.example>"
    assert message["From"] == "ikz – Interkommunale Zusammenarbeit Kreis Unna <ikz@kreis-unna.example>"
    assert message["Subject"] == "ikz 1.4 Einkaufsgemeinschaft LOGA – Prüfung"
    assert message["Date"] == "Wed, 01 Dec 2010 07:30:00 +0100"
    assert message["Message-ID"].endswith("@kreis-unna.example>")
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = message.get_body(("html",)).get_content().replace("\r\n", "\n")
    assert plain.startswith("Guten Tag Petra Schulte,\n")
    assert "  Frist: 15. Dezember 2010 (noch 10 Arbeitstage)\n" in plain
    assert "<td>15. Dezember 2010 (<span>noch 10 Arbeitstage</span>)</td>" in html
    row = deadlines_only.connect().exec_driver_sql("SELECT message_id, status FROM outbox").one()
    assert row == (message["Message-ID"], "sent")


def test_a_hostile_title_cannot_break_headers_or_html(deadlines_only, config, smtp_server, session):
    mandate = session.exec(select(Mandate).where(Mandate.code == "1.4")).one()
    mandate.title = "LOGA <script>alert(1)</script>\r\nBcc: everyone@example.org"
    session.add(mandate)
    session.commit()
    run_day(deadlines_only, config, "2010-12-01")
    [delivered] = smtp_server.received
    assert delivered.rcpt_tos == ["loga@luenen.example"]
    message = delivered.message
    assert message["Bcc"] is None
    assert message["Subject"] == "ikz 1.4 LOGA <script>alert(1)</script> Bcc: everyone@example.org – Prüfung"
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html
    assert "LOGA &lt;script&gt;alert(1)&lt;/script&gt;" in html


def counts(engine) -> tuple[int, int]:
    with transaction(engine) as session:
        return (
            session.exec(select(func.count()).select_from(Reminder)).one(),
            session.exec(select(func.count()).select_from(OutboxMessage)).one(),
        )


def test_running_the_sweep_twice_sends_nothing_twice(deadlines_only, config, smtp_server):
    run_day(deadlines_only, config, "2011-02-14")
    first = counts(deadlines_only)
    second = run_day(deadlines_only, config, "2011-02-14")
    assert second.summary() == "Keine Erinnerungen fällig."
    assert counts(deadlines_only) == first
    assert len(smtp_server.received) == 4


def test_concurrent_sweeps_claim_each_reminder_once(deadlines_only, config, smtp_server):
    barrier = threading.Barrier(3)
    errors = []

    def worker():
        try:
            barrier.wait()
            sweep(deadlines_only, config, now=at("2011-02-14"))
        except Exception as exc:  # collected to fail the test in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    dispatch(deadlines_only, config, now=at("2011-02-14", "07:31"), owner="test")
    assert counts(deadlines_only) == (5, 4)
    assert sorted(r for m in smtp_server.received for r in m.rcpt_tos) == [
        "ikz@kreis-unna.example",
        "it@bergkamen.example",
        "it@kamen.example",
        "loga@luenen.example",
    ]


def test_after_a_week_of_downtime_each_due_reminder_goes_out_once(deadlines_only, config, smtp_server):
    run_day(deadlines_only, config, "2011-01-17")
    before = len(smtp_server.received)
    # Down from 18.1. to 31.1.: 1.2's "before-3" (26.1.) was missed; only the latest slot ("due") is sent.
    run_day(deadlines_only, config, "2011-01-31")
    new = received_since(smtp_server, before)
    assert new["it@kamen.example"] == ["ikz 1.2 Breitbandverkabelung – Konzepterstellung"]
    with transaction(deadlines_only) as session:
        kinds = session.exec(
            select(Reminder.kind).where(Reminder.recipient == "it@kamen.example").order_by(Reminder.id)
        ).all()
    assert kinds == ["before-10", "due"]


def received_since(server, index: int) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for message in server.received[index:]:
        for rcpt in message.rcpt_tos:
            result.setdefault(rcpt, []).append(str(message.message["Subject"]))
    return result


def test_no_reminders_while_on_hold_and_they_continue_after_resume(deadlines_only, config, smtp_server):
    run_day(deadlines_only, config, "2011-01-17")  # 1.2 before-10 sent
    with transaction(deadlines_only) as session:
        advance(
            session,
            "1.2",
            "hold",
            actor="t",
            now=at("2011-01-18"),
            today=date(2011, 1, 18),
            note="Klärung mit GSW",
            rules=RULES,
        )
    assert received_since(smtp_server, len(smtp_server.received)) == {}
    start = len(smtp_server.received)
    run_day(deadlines_only, config, "2011-01-26")
    assert "it@kamen.example" not in received_since(smtp_server, start)
    with transaction(deadlines_only) as session:
        advance(session, "1.2", "resume", actor="t", now=at("2011-01-27"), today=date(2011, 1, 27), rules=RULES)
    start = len(smtp_server.received)
    run_day(deadlines_only, config, "2011-01-27")
    # Same stage: before-10 is not repeated; the missed before-3 slot is caught up once.
    assert received_since(smtp_server, start)["it@kamen.example"] == [
        "ikz 1.2 Breitbandverkabelung – Konzepterstellung"
    ]


def test_a_new_stage_gets_fresh_reminders(deadlines_only, config, smtp_server):
    run_day(deadlines_only, config, "2010-12-01")
    with transaction(deadlines_only) as session:
        advance(session, "1.4", "start_concept", actor="t", now=at("2010-12-02"), today=date(2010, 12, 2), rules=RULES)
        mandate = session.exec(select(Mandate).where(Mandate.code == "1.4")).one()
        mandate.due_date = date(2010, 12, 15)
    start = len(smtp_server.received)
    run_day(deadlines_only, config, "2010-12-03")
    assert received_since(smtp_server, start) == {
        "loga@luenen.example": ["ikz 1.4 Einkaufsgemeinschaft LOGA – Konzepterstellung"]
    }


def test_the_municipality_whose_turn_it_is_prepares_the_it_meeting(loaded, config, smtp_server):
    run_day(loaded, config, "2010-11-16")
    assert received(smtp_server) == {
        "it@bergkamen.example": ["ikz 1.1 IT-Arbeitskreis – Vorbereitung der Sitzung des IT-Arbeitskreises"]
    }
    start = len(smtp_server.received)
    run_day(loaded, config, "2011-01-17")
    assert "hauptamt@boenen.example" in received_since(smtp_server, start)


def test_the_it_working_group_is_reminded_of_its_half_yearly_report(loaded, config, smtp_server):
    run_day(loaded, config, "2011-03-17")
    assert received(smtp_server)["it-ak@kreis-unna.example"] == [
        "ikz 1.1 IT-Arbeitskreis – Bericht des IT-Arbeitskreises an die Bürgermeisterkonferenz (2x pro Jahr)"
    ]


def test_no_sweep_on_a_holiday(deadlines_only, config):
    report = sweep(deadlines_only, config, now=at("2011-06-23"))
    assert report.summary() == "23.06.2011 ist kein Arbeitstag in NRW: keine Erinnerungen."
    assert counts(deadlines_only) == (0, 0)


def test_offsets_come_from_the_configuration(deadlines_only, tmp_path, smtp_server):
    path = tmp_path / "ikz.toml"
    path.write_text("[reminders]\nbefore = [5]\non_due = false\n", encoding="utf-8")
    config = settings_module.load(path, environ={})
    assert sweep(deadlines_only, config, now=at("2010-12-01"), dry_run=True).items == {}
    report = sweep(deadlines_only, config, now=at("2010-12-08"), dry_run=True)
    assert [(i.code, i.slot.kind) for i in report.items["loga@luenen.example"]] == [("1.4", "before-5")]


def test_remind_dry_run_lists_who_would_get_what(cli, engine):
    cli("init", "--catalogue", "kreis-unna-2010")
    result = cli("remind", "--at", "2011-01-31T07:30", "--dry-run")
    assert result.exit_code == 0
    # The IT working group's meeting preparations are duties: Bergkamen's of 30.11.2010 is still open (chased,
    # escalated), Bönen's of 30.01.2011 has just passed.
    prepare = "1.1 IT-Arbeitskreis – Vorbereitung der Sitzung des IT-Arbeitskreises"
    assert result.stdout == (
        "hauptamt@boenen.example:\n"
        f"  {prepare}: Frist abgelaufen (Bönen ist an der Reihe) (Frist 30.01.2011)\n"
        "ikz@kreis-unna.example:\n"
        "  1.4 Einkaufsgemeinschaft LOGA – Frist seit 33 Arbeitstagen überschritten – Eskalation an die Koordination (Frist 15.12.2010)\n"
        f"  {prepare}: Frist seit 44 Arbeitstagen überschritten – Eskalation an die Koordination (Bergkamen ist an der Reihe) (Frist 30.11.2010)\n"
        "it@bergkamen.example:\n"
        "  1.2 Breitbandverkabelung – Frist heute (Frist 31.01.2011)\n"
        f"  {prepare}: Frist seit 44 Arbeitstagen überschritten – Eskalation an die Koordination (Bergkamen ist an der Reihe) (Frist 30.11.2010)\n"
        "it@kamen.example:\n"
        "  1.2 Breitbandverkabelung – Frist heute (Frist 31.01.2011)\n"
        "loga@luenen.example:\n"
        "  1.4 Einkaufsgemeinschaft LOGA – Frist seit 33 Arbeitstagen überschritten – Eskalation an die Koordination (Frist 15.12.2010)\n"
        "Probelauf: 7 Erinnerungen für 5 Empfänger; nichts gespeichert oder versendet.\n"
    )
    assert counts(engine) == (0, 0)


def test_a_bad_configuration_is_one_german_line(cli, tmp_path, monkeypatch):
    cli("init")
    path = tmp_path / "ikz.toml"
    path.write_text("[reminders]\nbefore = 10\n", encoding="utf-8")
    monkeypatch.setenv("IKZ_CONFIG", str(path))
    result = cli("remind", "--dry-run")
    assert (result.exit_code, result.stderr) == (
        1,
        f"Fehler: {path}: reminders.before muss eine Liste sein, nicht 10.\n",
    )


def test_once_submitted_the_submission_deadline_is_the_coordinators_and_not_chased(deadlines_only, config, smtp_server):
    with transaction(deadlines_only) as session:
        mandate = session.exec(select(Mandate).where(Mandate.code == "1.4")).one()
        mandate.concept_ref, mandate.plan_ref, mandate.savings_target = "K", "P", 1
        session.add(mandate)
    for trigger, inputs in (("start_concept", {}), ("submit", {"meeting_date": date(2011, 4, 12)})):
        with transaction(deadlines_only) as session:
            advance(
                session,
                "1.4",
                trigger,
                actor="t",
                now=at("2011-03-01"),
                today=date(2011, 3, 1),
                rules=config.rules(),
                **inputs,
            )
    run_day(deadlines_only, config, "2011-03-24")
    # Lünen met its deadline by submitting: the coordinator now has to send out the agenda with the papers.
    assert "loga@luenen.example" not in received(smtp_server)
    [mail] = [m.message for m in smtp_server.received if m.rcpt_tos == ["ikz@kreis-unna.example"]]
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert (
        "1.4 Einkaufsgemeinschaft LOGA – Vorlage an die Bürgermeisterkonferenz\n"
        "  Zu tun: Tagesordnung mit den Beschlussvorlagen an die Bürgermeisterkonferenz ausgeben (Vorlagefrist)\n"
    ) in text
    run_day(deadlines_only, config, "2011-03-29")
    start = len(smtp_server.received)
    run_day(deadlines_only, config, "2011-04-08")  # after the Vorlagefrist (29.03.), before the meeting
    later = [m.message.get_body(("plain",)).get_content() for m in smtp_server.received[start:]]
    assert later and not any("1.4 Einkaufsgemeinschaft" in text for text in later)


def test_a_coordinator_who_is_also_a_lead_contact_gets_one_reminder(deadlines_only, config, smtp_server):
    from models import Body, Contact, MandateLead

    with transaction(deadlines_only) as session:
        mandate = session.exec(select(Mandate).where(Mandate.code == "1.4")).one()
        county = session.exec(select(Body).where(Body.key == "kreis-unna")).one()
        coordinator = session.exec(select(Contact).where(Contact.email == "ikz@kreis-unna.example")).one()
        lead = session.exec(select(MandateLead).where(MandateLead.mandate_id == mandate.id)).one()
        session.delete(lead)
        session.add(MandateLead(mandate_id=mandate.id, body_id=county.id, contact_id=coordinator.id))
    run_day(deadlines_only, config, "2011-01-12")  # 1.4 escalated: as lead contact and as coordinator, the same address
    assert received(smtp_server)["ikz@kreis-unna.example"] == ["ikz 1.4 Einkaufsgemeinschaft LOGA – Prüfung"]


def test_a_reminder_reads_as_a_letter_to_the_person(deadlines_only, config, smtp_server):
    run_day(deadlines_only, config, "2011-01-31")  # 1.2 due today; led by Kamen (its IT lead named) and Bergkamen
    kamen = next(m.message for m in smtp_server.received if m.rcpt_tos == ["it@kamen.example"])
    assert kamen["To"] == "Jürgen Brandt <it@kamen.example>"
    text = kamen.get_body(("plain",)).get_content().replace("\r\n", "\n")
    # The link carries Jürgen Brandt's personal access (tests/test_portal.py follows it); only its hash is stored.
    token = re.search(r"/mandate/1\.2\?zugang=([A-Za-z0-9_-]{43})\n", text)[1]
    text = text.replace(token, "TOKEN")
    assert text == (
        "Guten Tag Jürgen Brandt,\n"
        "\n"
        "ikz erinnert Sie an diese Frist der interkommunalen Zusammenarbeit im Kreis Unna:\n"
        "\n"
        "1.2 Breitbandverkabelung – Konzepterstellung\n"
        "  Zu tun: Konzept mit Kosten- und Zeitplan und Wirtschaftsplan vorlegen\n"
        "  Frist: 31. Januar 2011 (heute)\n"
        "  Ebenfalls federführend: Bergkamen (Sabine Krüger, Leitung IT)\n"
        "  Danach: Ohne Erledigung oder neue Frist geht die Erinnerung ab dem 14. Februar 2011 auch an die "
        "Koordinierungsstelle (Eskalation).\n"
        "  Im Portal: http://127.0.0.1:8000/mandate/1.2?zugang=TOKEN\n"
        "\n"
        "Rückfragen beantwortet die Koordinierungsstelle (ikz@kreis-unna.example).\n"
        "\n"
        "Diese Nachricht wurde von ikz automatisch erstellt (31. Januar 2011).\n"
        "\n"
        "Mit freundlichen Grüßen\n"
        "\n"
        "-- \n"
        "Koordinierungsstelle IKZ\n"
        "Kreis Unna – Der Landrat\n"
        "Friedrich-Ebert-Straße 17, 59425 Unna\n"
        "ikz@kreis-unna.example\n"
    )
    with transaction(deadlines_only) as session:
        grant = session.exec(select(AccessGrant).where(AccessGrant.token_hash == hash_token(token))).one()
        assert (grant.role, grant.email, grant.expires_at) == (
            "lead",
            "it@kamen.example",
            at("2011-01-31") + timedelta(days=60),
        )
        assert session.exec(select(func.count()).where(AccessGrant.token_hash == token)).one() == 0
    # The coordination office (no person configured) is greeted without a department name.
    coordinator = next(m.message for m in smtp_server.received if m.rcpt_tos == ["ikz@kreis-unna.example"])
    assert coordinator.get_body(("plain",)).get_content().startswith("Guten Tag,\r\n")


def test_with_replies_enabled_a_reminder_says_how_to_answer(deadlines_only, tmp_path, smtp_server):
    from tests.mailroom import KEY

    answering = smtp_settings(smtp_server, inbox_token_key=KEY)
    run_day(deadlines_only, answering, "2010-12-01")
    [delivered] = smtp_server.received
    text = delivered.message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert (
        "So antworten Sie: Antworten Sie einfach auf diese E-Mail. Ihr Text kommt als Vermerk in den Verlauf des "
        "Mandats. Eine eigene Zeile „Erledigt“, „Neue Frist: TT.MM.JJJJ – Begründung“ oder „Stand: …“ wird ein "
        "Vorschlag, über den die Koordinierungsstelle entscheidet.\n"
    ) in text
    assert delivered.message["Reply-To"].startswith("ikz+r1.")
