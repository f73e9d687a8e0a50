"""Notes without a step, and proposals from leads that the coordinator accepts or declines."""

import json
from datetime import date, datetime

import pytest
from sqlmodel import select

from ikz.clock import BERLIN
from models import Mandate, Proposal, TransitionLog
from models.db import transaction
from tests.snapshot import snapshot
from workflow.proposals import propose

MARCH = datetime(2011, 3, 1, 9, 0, tzinfo=BERLIN)


@pytest.fixture
def board(cli, frozen):
    assert cli("init", "--catalogue", "kreis-unna-2010").exit_code == 0
    frozen("2011-03-01T10:00")
    return cli


def lunen_proposes(engine, kind="deadline", **inputs):
    values = {"text": "Verhandlungen mit dem RZ laufen", "due_date": date(2011, 3, 31)} | inputs
    if kind != "deadline":
        values.pop("due_date", None)
    with transaction(engine) as session:
        made = propose(
            session,
            "1.4",
            kind,
            actor="Lünen (loga@luenen.example)",
            now=MARCH,
            today=MARCH.date(),
            channel="E-Mail",
            **values,
        )
        return made.id


def history(session, code):
    mandate = session.exec(select(Mandate).where(Mandate.code == code)).one()
    return session.exec(
        select(TransitionLog).where(TransitionLog.mandate_id == mandate.id).order_by(TransitionLog.id)
    ).all()


def test_a_note_is_recorded_without_a_step(board, session):
    result = board("note", "1.4", "AK der Kämmerer: Ergebnisse vorgestellt", "--actor", "Koordination")
    assert (result.exit_code, result.stdout) == (0, "1.4: Vermerk gespeichert.\n")
    entry = history(session, "1.4")[-1]
    assert (entry.trigger, entry.from_state, entry.to_state, entry.note, entry.actor, entry.channel) == (
        "note",
        "examine",
        "examine",
        "AK der Kämmerer: Ergebnisse vorgestellt",
        "Koordination",
        "CLI",
    )
    assert "Koordination: note (Änderung) – AK der Kämmerer: Ergebnisse vorgestellt" in board("show", "1.4").stdout


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("   ", "Fehler: Der Vermerk ist leer; bitte Text angeben.\n"),
        ("a\x00b", "Fehler: Der Vermerk enthält ein NUL-Zeichen; erlaubt ist Text ohne Steuerzeichen.\n"),
        ("x" * 5001, "Fehler: Der Vermerk ist zu lang (5001 Zeichen); erlaubt sind höchstens 5000.\n"),
    ],
)
def test_a_bad_note_is_refused_and_nothing_written(board, engine, text, message):
    before = snapshot(engine)
    result = board("note", "1.4", text)
    assert (result.exit_code, result.stderr) == (1, message)
    assert snapshot(engine) == before


def test_accepting_a_deadline_proposal_moves_the_deadline_and_logs_both(board, engine, session):
    number = lunen_proposes(engine)
    listing = board("proposals").stdout.splitlines()
    assert listing[0].split() == ["Nr.", "Code", "Vorschlag", "Von", "Eingang", "Status", "Text"]
    assert listing[2].split()[:5] == [str(number), "1.4", "neue", "Frist", "31.03.2011"]
    result = board("proposal", "accept", str(number), "--actor", "Koordination")
    assert result.exit_code == 0
    assert result.stdout == (
        f"Vorschlag {number} angenommen: Vorschlag {number}: neue Frist 31.03.2011 – Verhandlungen mit dem RZ laufen "
        "(von Lünen (loga@luenen.example)) angenommen; Frist: 15.12.2010 → 31.03.2011.\n"
    )
    assert session.exec(select(Mandate).where(Mandate.code == "1.4")).one().due_date == date(2011, 3, 31)
    proposed, accepted = history(session, "1.4")[-2:]
    assert (proposed.trigger, proposed.channel, proposed.actor) == ("propose", "E-Mail", "Lünen (loga@luenen.example)")
    assert (accepted.trigger, accepted.channel, accepted.actor) == ("accept", "CLI", "Koordination")
    stored = session.get(Proposal, number)
    assert (stored.status, stored.decided_by) == ("accepted", "Koordination")
    assert board("proposals").stdout == "Keine offenen Vorschläge.\n"
    assert json.loads(board("proposals", "--all", "--json").stdout)[0]["status_label"] == "angenommen"


def test_a_decided_proposal_cannot_be_decided_again(board, engine):
    number = lunen_proposes(engine)
    declined = board("proposal", "decline", str(number), "--reason", "Sitzung am 12.04.2011", "--actor", "Koordination")
    assert declined.exit_code == 0
    again = board("proposal", "accept", str(number))
    assert (again.exit_code, again.stderr) == (
        1,
        f"Fehler: Vorschlag {number} ist bereits abgelehnt (01.03.2011, Koordination).\n",
    )


def test_declining_needs_a_reason_and_keeps_it(board, engine, session):
    number = lunen_proposes(engine)
    refused = board("proposal", "decline", str(number), "--reason", "  ")
    assert (refused.exit_code, refused.stderr) == (
        1,
        "Fehler: Eine Ablehnung braucht eine Begründung (--reason TEXT).\n",
    )
    assert board("proposal", "decline", str(number), "--reason", "Frist bleibt").stdout == (
        f"Vorschlag {number} abgelehnt.\n"
    )
    assert history(session, "1.4")[-1].note == (
        f"Vorschlag {number}: neue Frist 31.03.2011 – Verhandlungen mit dem RZ laufen "
        "(von Lünen (loga@luenen.example)) abgelehnt: Frist bleibt"
    )
    assert session.exec(select(Mandate).where(Mandate.code == "1.4")).one().due_date == date(2010, 12, 15)


def test_an_accepted_status_report_becomes_the_mandates_status(board, engine):
    number = lunen_proposes(engine, "status", text="Vertragsentwurf liegt dem RZ vor")
    assert board("proposal", "accept", str(number)).exit_code == 0
    assert "Stand (01.03.2011): Vertragsentwurf liegt dem RZ vor\n" in board("show", "1.4").stdout


def test_proposals_are_refused_in_german(board, engine):
    with transaction(engine) as session, pytest.raises(Exception) as past:
        propose(
            session,
            "1.4",
            "deadline",
            text="",
            due_date=date(2011, 2, 1),
            actor="Lünen",
            now=MARCH,
            today=MARCH.date(),
            channel="Portal",
        )
    assert str(past.value) == (
        "Die vorgeschlagene Frist 01.02.2011 liegt in der Vergangenheit; erlaubt ist heute (01.03.2011) oder später."
    )
    unknown = board("proposal", "accept", "99")
    assert (unknown.exit_code, unknown.stderr) == (1, "Fehler: Einen Vorschlag 99 gibt es nicht. Offen: keine.\n")
    huge = board("proposal", "accept", "99999999999999999999")
    assert huge.exit_code == 2
    assert huge.stderr.endswith(
        "Fehler: Ungültiger Wert für 'NR': '99999999999999999999' liegt außerhalb des erlaubten Bereichs; "
        "erlaubt: ganze Zahlen von 1 bis 2.147.483.647.\n"
    )
