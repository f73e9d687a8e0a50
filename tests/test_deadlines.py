"""Deadlines per stage: defaults from the settings, the clock paused on hold, Wiedervorlage, the submission deadline."""

import json
from datetime import date, datetime
from email import message_from_string, policy

import pytest
from sqlmodel import select

from ikz import settings as settings_module
from ikz.clock import BERLIN
from models import Mandate, OutboxMessage, Reminder, TransitionLog
from notifications.sweep import sweep
from tests.snapshot import snapshot

COORDINATOR = settings_module.load(environ={}).coordinator.email


@pytest.fixture
def board(cli, frozen):
    frozen("2010-11-02T10:00")
    assert cli("init", "--catalogue", "kreis-unna-2010").exit_code == 0
    return cli


@pytest.fixture
def configured(tmp_path, monkeypatch):
    """Write an ikz.toml with the given text and point $IKZ_CONFIG at it."""

    def write(text: str):
        path = tmp_path / "ikz.toml"
        path.write_text(text, encoding="utf-8")
        monkeypatch.setenv("IKZ_CONFIG", str(path))
        return path

    return write


def detail(board, code: str) -> dict:
    return json.loads(board("show", code, "--json").stdout)


def mandate(engine, code: str) -> Mandate:
    with engine.connect() as connection:
        return connection.execute(select(Mandate).where(Mandate.code == code)).one()


def last_entry(engine, code: str) -> TransitionLog:
    with engine.connect() as connection:
        return connection.execute(
            select(TransitionLog)
            .join(Mandate, Mandate.id == TransitionLog.mandate_id)
            .where(Mandate.code == code)
            .order_by(TransitionLog.seq.desc())
        ).first()


def date_at(year: int, month: int, day: int) -> datetime:
    """The sweep's hour on a Berlin day."""
    return datetime(year, month, day, 7, 30, tzinfo=BERLIN)


def approved(board, frozen):
    """1.4 through the conference of 12.04.2011 to its approval."""
    frozen("2011-03-01T10:00")
    board("advance", "1.4", "start_concept")
    board("edit", "1.4", "--concept", "Konzept LOGA", "--plan", "WP LOGA", "--target", "40000")
    board("advance", "1.4", "submit", "--meeting", "2011-04-12")
    frozen("2011-04-12T16:00")
    board("advance", "1.4", "open_decision")
    board("decision", "1.4", "luenen", "joined")
    return board("advance", "1.4", "approve")


# --- a deadline for every new stage ---------------------------------------------------------------------------------


def test_a_new_stage_gets_its_default_deadline_and_the_cli_says_so(board, engine):
    result = board("advance", "1.4", "start_concept")
    # Three months from 02.11.2010: 02.02.2011, a Wednesday.
    assert (result.exit_code, result.stdout) == (
        0,
        "1.4: Prüfung → Konzepterstellung (start_concept).\n"
        "Frist: 02.02.2011.\n"
        "Erlaubt im Zustand Konzepterstellung: submit, hold, withdraw.\n",
    )
    assert mandate(engine, "1.4").due_date == date(2011, 2, 2)
    assert json.loads(last_entry(engine, "1.4").snapshot)["due"] == "2011-02-02"
    assert "(Frist → 02.02.2011)" in board("show", "1.4").stdout


def test_a_deadline_in_months_that_falls_on_a_weekend_moves_to_the_next_working_day(board, frozen, engine):
    frozen("2010-11-05T10:00")  # a Friday; three months later, 05.02.2011, is a Saturday
    board("advance", "1.4", "start_concept")
    assert mandate(engine, "1.4").due_date == date(2011, 2, 7)


def test_the_approval_starts_the_implementation_with_twelve_months(board, frozen, engine):
    assert approved(board, frozen).stdout.splitlines()[1] == "Frist: 12.04.2012."
    assert mandate(engine, "1.4").due_date == date(2012, 4, 12)


def test_the_defaults_are_configurable_in_working_days(board, configured, engine):
    configured('[deadlines]\npropose = "20 Arbeitstage"\n')
    board("advance", "1.4", "start_concept")
    # 20 working days after Tuesday 02.11.2010 (Allerheiligen, 01.11., lies before).
    assert mandate(engine, "1.4").due_date == date(2010, 11, 30)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[deadlines]\npropose = "drei Monate"\n',
            'deadlines.propose: \'drei Monate\' ist nicht erlaubt; erlaubt: z. B. "20 Arbeitstage" oder "3 Monate" '
            '(bis 500 Arbeitstage oder 36 Monate), oder "keine".',
        ),
        (
            '[deadlines]\nimplement = "40 Monate"\n',
            'deadlines.implement: \'40 Monate\' ist nicht erlaubt; erlaubt: z. B. "20 Arbeitstage" oder "3 Monate" '
            '(bis 500 Arbeitstage oder 36 Monate), oder "keine".',
        ),
        ('[deadlines]\non_hold = "halt"\n', "deadlines.on_hold: 'halt' ist nicht erlaubt; erlaubt: pause, keep."),
    ],
)
def test_a_bad_deadline_setting_is_refused_in_german(board, configured, engine, text, message):
    path = configured(text)
    before = snapshot(engine)
    result = board("advance", "1.4", "start_concept")
    assert (result.exit_code, result.stderr) == (1, f"Fehler: {path}: {message}\n")
    assert snapshot(engine) == before


def test_a_stage_configured_without_default_is_flagged_in_show_list_and_digest(board, frozen, configured, engine):
    configured('[deadlines]\nimplement = "keine"\n')
    approved(board, frozen)
    assert mandate(engine, "1.4").due_date is None
    shown = board("show", "1.4").stdout.splitlines()
    assert "Frist:           – (keine Frist gesetzt: niemand wird erinnert)" in shown
    row = next(r for r in json.loads(board("list", "--json").stdout) if r["code"] == "1.4")
    assert (row["due_date"], row["deadline_missing"]) == (None, True)
    table = [line for line in board("list", "--lead", "luenen").stdout.splitlines() if line.startswith("1.4 ")]
    assert table[0].split()[-1] == "fehlt"
    frozen("2011-05-02T09:00")
    digest = board("digest", "--month", "2011-05").stdout
    assert "   Ohne Frist (niemand wird erinnert):\n      1.4 Einkaufsgemeinschaft LOGA (Umsetzung; Lünen)\n" in digest


def test_a_mandate_with_its_deadline_is_not_flagged(board):
    row = next(r for r in json.loads(board("list", "--json").stdout) if r["code"] == "1.4")
    assert (row["due_date"], row["deadline_missing"]) == ("2010-12-15", False)
    assert "keine Frist gesetzt" not in board("show", "1.4").stdout


# --- the clock pauses on hold ---------------------------------------------------------------------------------------


def test_resume_moves_the_deadline_by_the_working_days_on_hold(board, frozen, engine):
    board("advance", "1.4", "start_concept")  # Frist 02.02.2011
    board("hold", "1.4", "--reason", "Haushaltssperre")
    frozen("2010-12-06T10:00")
    result = board("resume", "1.4")
    assert result.stdout == (
        "1.4: Auf Eis → Konzepterstellung (resume).\n"
        "Frist: 08.03.2011.\n"
        "Erlaubt im Zustand Konzepterstellung: submit, hold, withdraw.\n"
    )
    # 02.11.–06.12.2010 are 24 working days; 24 working days after 02.02.2011 is 08.03.2011.
    assert last_entry(engine, "1.4").note == "Frist: 02.02.2011 → 08.03.2011 (24 Arbeitstage auf Eis)"
    assert mandate(engine, "1.4").due_date == date(2011, 3, 8)


def test_a_month_on_hold_does_not_count_as_overdue(board, frozen, engine, deadlines_only):
    board("hold", "1.4", "--reason", "Haushaltssperre")  # Frist 15.12.2010 (examine)
    frozen("2011-01-17T10:00")
    board("resume", "1.4")
    config = settings_module.load(environ={})
    sweep(engine, config, now=date_at(2011, 1, 17))
    with engine.connect() as connection:
        kinds = connection.execute(
            select(Reminder.kind).join(Mandate, Mandate.id == Reminder.mandate_id).where(Mandate.code == "1.4")
        ).all()
    # 15.12.2010 + 51 working days on hold: the new deadline lies ahead; no overdue reminder, no escalation.
    assert mandate(engine, "1.4").due_date == date(2011, 3, 1)
    assert [kind for (kind,) in kinds if kind.startswith("overdue")] == []


def test_with_keep_the_deadline_stays_after_a_hold(board, frozen, configured, engine):
    configured('[deadlines]\non_hold = "keep"\n')
    board("hold", "1.4", "--reason", "Haushaltssperre")
    frozen("2010-12-06T10:00")
    result = board("resume", "1.4")
    assert "Frist:" not in result.stdout
    assert mandate(engine, "1.4").due_date == date(2010, 12, 15)
    assert last_entry(engine, "1.4").note is None


# --- Wiedervorlage -------------------------------------------------------------------------------------------------


def test_hold_until_reminds_the_coordinator_on_that_day_once(board, frozen, engine, deadlines_only):
    result = board("hold", "1.4", "--reason", "Haushaltssperre", "--until", "01.12.2010")
    assert result.stdout == (
        "1.4: Prüfung → Auf Eis (hold).\nWiedervorlage: 01.12.2010.\nErlaubt im Zustand Auf Eis: resume, withdraw.\n"
    )
    assert last_entry(engine, "1.4").note == "Haushaltssperre; Wiedervorlage am 01.12.2010"
    assert "Wiedervorlage:   01.12.2010" in board("show", "1.4").stdout.splitlines()
    config = settings_module.load(environ={})
    sweep(engine, config, now=date_at(2010, 11, 30))
    assert reminders_to(engine, COORDINATOR) == []
    sweep(engine, config, now=date_at(2010, 12, 1))
    sweep(engine, config, now=date_at(2010, 12, 2))
    assert reminders_to(engine, COORDINATOR) == [("1.4", "wiedervorlage", date(2010, 12, 1))]
    with engine.connect() as connection:
        mail = connection.execute(select(OutboxMessage).where(OutboxMessage.recipient == COORDINATOR)).one()
    text = message_from_string(mail.raw, policy=policy.default).get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert (
        "1.4 Einkaufsgemeinschaft LOGA – Auf Eis\n"
        "  Zu tun: Wiedervorlage: prüfen, ob das ruhende Mandat wieder aufgenommen werden kann – ruht seit "
        "02.11.2010 (Haushaltssperre)\n"
        "  Frist: 1. Dezember 2010 (heute)\n" in text
    )


def reminders_to(engine, recipient: str) -> list[tuple]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                select(Mandate.code, Reminder.kind, Reminder.due_date)
                .join(Mandate, Mandate.id == Reminder.mandate_id)
                .where(Reminder.recipient == recipient)
                .order_by(Reminder.id)
            ).all()
        ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("hold", "1.4", "--reason", "x", "--until", "02.11.2010"),
            "Fehler: Die Wiedervorlage am 02.11.2010 liegt nicht in der Zukunft; erlaubt ist ein Tag nach heute "
            "(02.11.2010).\n",
        ),
        (
            ("hold", "1.4", "--reason", "x", "--until", "31.02.2011"),
            None,  # click's date type refuses it (exit 2); checked below
        ),
    ],
)
def test_a_wiedervorlage_in_the_past_is_refused(board, engine, args, message):
    before = snapshot(engine)
    result = board(*args)
    if message:
        assert (result.exit_code, result.stderr) == (1, message)
    else:
        assert result.exit_code == 2
        assert "31.02.2011" in result.stderr
    assert snapshot(engine) == before


# --- the submission deadline is the coordinator's ------------------------------------------------------------------


def test_after_submit_the_lead_is_not_reminded_of_the_submission_deadline(board, frozen, engine, deadlines_only):
    frozen("2011-03-01T10:00")
    board("advance", "1.4", "start_concept")
    board("edit", "1.4", "--concept", "Konzept LOGA", "--plan", "WP LOGA", "--target", "40000")
    board("advance", "1.4", "submit", "--meeting", "2011-04-12")
    assert mandate(engine, "1.4").due_date == date(2011, 3, 29)  # Vorlagefrist: 10 working days before
    config = settings_module.load(environ={})
    for day in (15, 24, 29):  # ten and three working days before, and the day itself
        sweep(engine, config, now=date_at(2011, 3, day))
    assert reminders_to(engine, "loga@luenen.example") == []
    assert [kind for code, kind, _due in reminders_to(engine, COORDINATOR) if code == "1.4"] == [
        "before-10",
        "before-3",
        "due",
    ]


def test_submitting_after_the_vorlagefrist_works_with_a_warning_and_a_note(board, frozen, engine):
    frozen("2011-03-01T10:00")
    board("advance", "1.4", "start_concept")
    board("edit", "1.4", "--concept", "Konzept LOGA", "--plan", "WP LOGA", "--target", "40000")
    frozen("2011-04-01T10:00")
    result = board("advance", "1.4", "submit", "--meeting", "2011-04-12")
    assert (result.exit_code, result.stdout) == (
        0,
        "1.4: Konzepterstellung → Vorlage an die Bürgermeisterkonferenz (submit).\n"
        "Frist: 29.03.2011.\n"
        "Hinweis: Nach der Vorlagefrist (29.03.2011) eingereicht; die Vorlage wird nachgereicht.\n"
        "Erlaubt im Zustand Vorlage an die Bürgermeisterkonferenz: open_decision, refer_back, hold, withdraw.\n",
    )
    assert last_entry(engine, "1.4").note == "nach der Vorlagefrist (29.03.2011) eingereicht"


def test_submitting_in_time_has_no_warning(board, frozen, engine):
    frozen("2011-03-01T10:00")
    board("advance", "1.4", "start_concept")
    board("edit", "1.4", "--concept", "Konzept LOGA", "--plan", "WP LOGA", "--target", "40000")
    result = board("advance", "1.4", "submit", "--meeting", "2011-04-12")
    assert "Hinweis" not in result.stdout
    assert last_entry(engine, "1.4").note is None
