"""Corrections without rewriting history: `ikz undo` appends an entry that reverses the last step, and says so."""

import json
from datetime import date
from email import message_from_string, policy

import pytest
from sqlmodel import select

from models import Body, Mandate, OutboxMessage, Participant, TransitionLog
from tests.snapshot import snapshot


@pytest.fixture
def board(cli, frozen):
    frozen("2011-03-01T10:00")
    assert cli("init", "--catalogue", "kreis-unna-2010").exit_code == 0
    return cli


def mandate(engine, code: str) -> Mandate:
    with engine.connect() as connection:
        return connection.execute(select(Mandate).where(Mandate.code == code)).one()


def log(engine, code: str) -> list[TransitionLog]:
    with engine.connect() as connection:
        return connection.execute(
            select(TransitionLog)
            .join(Mandate, Mandate.id == TransitionLog.mandate_id)
            .where(Mandate.code == code)
            .order_by(TransitionLog.seq)
        ).all()


def participants(engine, code: str) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(Body.key)
                .join(Participant, Participant.body_id == Body.id)
                .join(Mandate, Mandate.id == Participant.mandate_id)
                .where(Mandate.code == code)
                .order_by(Body.key)
            ).scalars()
        )


def mails(engine, since_id: int = 0) -> list[tuple[str, str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(OutboxMessage).where(OutboxMessage.id > since_id).order_by(OutboxMessage.id)
        ).all()
    return [
        (
            row.recipient,
            row.subject,
            message_from_string(row.raw, policy=policy.default)
            .get_body(("plain",))
            .get_content()
            .replace("\r\n", "\n"),
        )
        for row in rows
    ]


def last_mail_id(engine) -> int:
    with engine.connect() as connection:
        return max(connection.execute(select(OutboxMessage.id)).scalars(), default=0)


def test_undo_reverses_a_mistaken_withdrawal_and_keeps_it_in_the_history(board, engine):
    board("advance", "7.1", "withdraw", "--reason", "wird nicht weiterverfolgt")
    withdrawn = log(engine, "7.1")[-1]
    result = board("undo", "7.1", "--reason", "versehentlich 7.1 statt 1.7")
    assert (result.exit_code, result.stdout) == (
        0,
        "7.1: Zurückgezogen → Prüfung (rückgängig gemacht).\n"
        "Frist: 30.06.2011.\n"
        "Erlaubt im Zustand Prüfung: start_concept, hold, withdraw.\n",
    )
    row = mandate(engine, "7.1")
    assert (row.state, row.due_date) == ("examine", date(2011, 6, 30))
    entries = log(engine, "7.1")
    assert [(e.seq, e.trigger, e.from_state, e.to_state, e.corrects) for e in entries] == [
        (1, "import", None, "examine", None),
        (2, "withdraw", "examine", "withdrawn", None),
        (3, "undo", "withdrawn", "examine", 2),
    ]
    # The undone entry is exactly as it was; the correction is a new entry.
    assert (entries[1].note, entries[1].hash) == (withdrawn.note, withdrawn.hash)
    assert entries[2].note == (
        "Schritt „zurückziehen“ vom 01.03.2011 10:00 (Eintrag Nr. 2) rückgängig gemacht: versehentlich 7.1 statt 1.7"
    )
    assert json.loads(entries[2].snapshot)["due"] == "2011-06-30"
    history = board("show", "7.1").stdout.splitlines()
    assert any(
        "withdraw (Prüfung → Zurückgezogen) – wird nicht weiterverfolgt" in line
        and "(rückgängig gemacht am 01.03.2011)" in line
        for line in history
    )
    assert board("audit", "verify").exit_code == 0
    shown = json.loads(board("show", "7.1", "--json").stdout)["history"]
    assert [(h["seq"], h["corrects"], h["undone_at"] is not None) for h in shown] == [
        (1, None, False),
        (2, None, True),
        (3, 2, False),
    ]


def test_undo_of_a_submission_restores_the_deadline_and_the_meeting(board, engine):
    board("advance", "1.4", "start_concept")
    board("edit", "1.4", "--concept", "K", "--plan", "P", "--target", "1")
    before = mandate(engine, "1.4")
    board("advance", "1.4", "submit", "--meeting", "2011-04-12")
    assert mandate(engine, "1.4").meeting_id is not None
    result = board("undo", "1.4", "--reason", "Vorlage noch nicht abgestimmt")
    assert result.stdout.splitlines()[:2] == [
        "1.4: Vorlage an die Bürgermeisterkonferenz → Konzepterstellung (rückgängig gemacht).",
        f"Frist: {before.due_date:%d.%m.%Y}.",
    ]
    after = mandate(engine, "1.4")
    assert (after.state, after.due_date, after.meeting_id, after.stage_seq) == (
        "propose",
        before.due_date,
        None,
        before.stage_seq,
    )
    # The agenda of 12.04.2011 no longer carries 1.4.
    assert json.loads(board("show", "1.4", "--json").stdout)["meeting"] is None


def approve_2_1(board, frozen) -> None:
    """2.1 (the AöR) through the conference to its approval; 2.1-LS waits for it."""
    board("advance", "2.1", "start_concept")
    board("edit", "2.1", "--concept", "Konzept AöR", "--plan", "WP 2011", "--target", "120000")
    board("advance", "2.1", "submit", "--meeting", "2011-04-12")
    frozen("2011-04-12T16:00")
    board("advance", "2.1", "open_decision")
    board("decision", "2.1", "luenen,selm,unna", "joined")
    board("advance", "2.1", "approve")


def test_undo_of_an_approval_restores_the_participants_and_tells_who_heard_of_it(board, frozen, engine):
    all_bodies = participants(engine, "2.1")
    approve_2_1(board, frozen)
    assert participants(engine, "2.1") == ["luenen", "selm", "unna"]
    # The approval told the leads of 2.1-LS (which waits for 2.1) that it was decided.
    decided = [(to, subject) for to, subject, text in mails(engine) if "2.1 Anstalt öffentlichen Rechts" in text]
    assert decided == [
        ("rpa@luenen.example", "ikz 2.1-LS Kooperation Lünen–Selm Rechnungsprüfung – Auf Eis"),
        ("rpa@selm.example", "ikz 2.1-LS Kooperation Lünen–Selm Rechnungsprüfung – Auf Eis"),
    ]
    seen = last_mail_id(engine)
    frozen("2011-04-12T17:00")
    result = board("undo", "2.1", "--reason", "Beschluss vertagt")
    assert result.exit_code == 0, result.output
    row = mandate(engine, "2.1")
    assert (row.state, participants(engine, "2.1")) == ("decide", all_bodies)
    corrections = mails(engine, seen)
    recipients = sorted(to for to, _subject, _text in corrections)
    assert {"rpa@luenen.example", "rpa@selm.example", "ak-kaemmerer@kreis-unna.example"} <= set(recipients)
    _to, subject, text = next(mail for mail in corrections if mail[0] == "rpa@selm.example")
    assert "Korrektur zu 2.1 Anstalt öffentlichen Rechts: der Schritt „zustimmen“ vom 12.04.2011 gilt nicht." in text
    assert "Schritt „zustimmen“ vom 12.04.2011 16:00 (Eintrag Nr. 9) rückgängig gemacht: Beschluss vertagt" in text
    assert subject.startswith("ikz 2.1 Anstalt öffentlichen Rechts")


def test_a_note_after_the_step_does_not_stop_the_undo_and_stays(board, engine):
    board("advance", "1.4", "start_concept")
    board("note", "1.4", "AK der Kämmerer tagt im März")
    assert board("undo", "1.4", "--reason", "zu früh").exit_code == 0
    assert [e.trigger for e in log(engine, "1.4")] == ["import", "start_concept", "note", "undo"]
    assert mandate(engine, "1.4").state == "examine"


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (
            [],
            ("undo", "1.4", "--reason", "x"),
            "Fehler: Mandat 1.4 hat noch keinen Schritt, der rückgängig zu machen wäre.\n",
        ),
        (
            [("advance", "7.1", "withdraw", "--reason", "r"), ("undo", "7.1", "--reason", "falsch")],
            ("undo", "7.1", "--reason", "noch einmal"),
            "Fehler: Der letzte Schritt von 7.1 wurde bereits am 01.03.2011 10:00 rückgängig gemacht; ein weiterer "
            "Schritt zurück ist nicht möglich (den Schritt erneut ausführen, wenn er doch galt).\n",
        ),
        (
            [("advance", "1.4", "start_concept"), ("edit", "1.4", "--target", "5000")],
            ("undo", "1.4", "--reason", "x"),
            "Fehler: Rückgängig machen lässt sich nur der letzte Schritt; nach dem letzten Schritt von 1.4 folgte "
            "noch ein Eintrag (geändert, 01.03.2011 10:00). Diese Änderung zuerst zurücknehmen (z. B. mit ikz edit).\n",
        ),
        (
            [("advance", "1.4", "start_concept")],
            ("undo", "1.4", "--reason", "   "),
            "Fehler: Eine Korrektur braucht einen Grund (--reason TEXT).\n",
        ),
        (
            [],
            ("undo", "9.9", "--reason", "x"),
            None,  # the unknown code: checked by its start below
        ),
    ],
)
def test_undo_refusals_are_german_and_write_nothing(board, engine, setup, args, message):
    for step in setup:
        assert board(*step).exit_code == 0
    before = snapshot(engine)
    result = board(*args)
    assert result.exit_code == 1
    if message:
        assert result.stderr == message
    else:
        assert result.stderr.startswith("Fehler: Mandat '9.9' gibt es nicht.")
    assert snapshot(engine) == before


def test_undo_without_reason_is_a_usage_error(board):
    result = board("undo", "1.4")
    assert result.exit_code == 2
    assert "Fehler: Fehlende Option '--reason'." in result.stderr
