"""Late joining and leaving: bodies decide after the conference, the participants follow, every view says when."""

import json
import re

import pytest
from sqlmodel import select

from models import Body, BodyDecision, Mandate, Participant, TransitionLog
from tests.snapshot import snapshot


@pytest.fixture
def approved(cli, frozen, tmp_path):
    """1.4 approved on 12.04.2011 with Lünen and Selm; its agenda issued on 30.03.2011 (files in tmp_path/maerz)."""
    frozen("2011-03-01T10:00")
    assert cli("init", "--catalogue", "kreis-unna-2010").exit_code == 0
    cli("advance", "1.4", "start_concept")
    cli("edit", "1.4", "--concept", "Konzept LOGA", "--plan", "WP LOGA", "--target", "40000")
    cli("advance", "1.4", "submit", "--meeting", "2011-04-12")
    frozen("2011-03-30T10:00")
    assert cli("agenda", "2011-04-12", "--issue", "--out", str(tmp_path / "maerz")).exit_code == 0
    frozen("2011-04-12T16:00")
    cli("advance", "1.4", "open_decision")
    assert cli("decision", "1.4", "luenen,selm", "joined", "--ref", "Ratsbeschlüsse März").exit_code == 0
    assert cli("advance", "1.4", "approve").exit_code == 0
    frozen("2011-06-14T10:00")
    return cli


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


def notes(engine, code: str, trigger: str) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(TransitionLog.note)
                .join(Mandate, Mandate.id == TransitionLog.mandate_id)
                .where(Mandate.code == code, TransitionLog.trigger == trigger)
                .order_by(TransitionLog.seq)
            ).scalars()
        )


def test_a_body_joins_after_the_approval_and_becomes_a_participant(approved, engine):
    result = approved(
        "decision", "1.4", "holzwickede", "beigetreten", "--ref", "Ratsbeschluss 2011/40", "--date", "10.06.2011"
    )
    assert (result.exit_code, result.stdout) == (0, "1.4: Holzwickede – beigetreten.\n")
    assert participants(engine, "1.4") == ["holzwickede", "luenen", "selm"]
    assert notes(engine, "1.4", "decision")[-1] == (
        "Holzwickede: beigetreten am 10.06.2011 (Ratsbeschluss 2011/40) – nach der Entscheidung der "
        "Bürgermeisterkonferenz"
    )
    with engine.connect() as connection:
        state = connection.execute(select(Mandate.state).where(Mandate.code == "1.4")).scalar_one()
    assert state == "implement"


def test_several_bodies_in_one_call(approved, engine):
    result = approved("decision", "1.4", "bergkamen,kamen,unna", "joined", "--ref", "Ratsbeschlüsse Juni 2011")
    assert result.stdout == "1.4: Bergkamen, Kamen, Unna – beigetreten.\n"
    assert participants(engine, "1.4") == ["bergkamen", "kamen", "luenen", "selm", "unna"]
    assert len(notes(engine, "1.4", "decision")) == 2 + 3


@pytest.mark.parametrize(
    ("bodies", "message"),
    [
        (
            "bergkamen,dortmund",
            "Fehler: Stelle 'dortmund' gibt es nicht. Bekannt: ak-bauhof, ak-kaemmerer, bergkamen, bmk, boenen, "
            "froendenberg, holzwickede, it-ak, kamen, kreis-unna, luenen, rz-lemgo, schwerte, selm, ukbs, unna, werne.\n",
        ),
        (" , ", "Fehler: Keine Stelle genannt; erlaubt ist eine Stelle oder mehrere, mit Komma getrennt.\n"),
        (
            "kamen,it-ak",
            "Fehler: IT-Arbeitskreis kann keinem Mandat beitreten; möglich sind: kreis-unna, bergkamen, boenen, "
            "froendenberg, holzwickede, kamen, luenen, schwerte, selm, unna, werne.\n",
        ),
    ],
)
def test_one_bad_body_in_the_list_writes_none_of_them(approved, engine, bodies, message):
    before = snapshot(engine)
    result = approved("decision", "1.4", bodies, "joined")
    assert (result.exit_code, result.stderr) == (1, message)
    assert snapshot(engine) == before


def test_a_body_that_leaves_stops_being_a_participant(approved, engine):
    result = approved("decision", "1.4", "selm", "declined", "--ref", "Austritt zum 30.06.2011")
    assert result.stdout == "1.4: Selm – abgelehnt.\n"
    assert participants(engine, "1.4") == ["luenen"]
    with engine.connect() as connection:
        rows = connection.execute(
            select(Body.key, BodyDecision.decision, BodyDecision.reference)
            .join(Body, Body.id == BodyDecision.body_id)
            .order_by(Body.key)
        ).all()
    assert [tuple(row) for row in rows] == [
        ("luenen", "joined", "Ratsbeschlüsse März"),
        ("selm", "declined", "Austritt zum 30.06.2011"),
    ]
    # The history keeps Selm's joining in April as well as its leaving in June.
    assert [note.split(" am ")[0] for note in notes(engine, "1.4", "decision")] == [
        "Lünen: beigetreten",
        "Selm: beigetreten",
        "Selm: abgelehnt",
    ]


def test_decisions_are_taken_in_control_too_and_refused_when_closed(approved, engine, frozen):
    approved("advance", "1.4", "start_control")
    assert approved("decision", "1.4", "werne", "joined").exit_code == 0
    assert "werne" in participants(engine, "1.4")
    approved("advance", "1.4", "close")
    before = snapshot(engine)
    result = approved("decision", "1.4", "unna", "joined")
    assert (result.exit_code, result.stderr) == (
        1,
        "Fehler: Entscheidungen der Stellen werden in diesen Zuständen erfasst: Entscheidung, Umsetzung, "
        "Controlling; 1.4 ist im Zustand Abgeschlossen.\n",
    )
    assert snapshot(engine) == before


def test_participation_shows_who_joined_later_with_date_and_reference(approved):
    approved("decision", "1.4", "holzwickede", "joined", "--ref", "Ratsbeschluss 2011/40", "--date", "2011-06-10")
    data = json.loads(approved("participation", "--json").stdout)
    loga = next(row for row in data["mandates"] if row["code"] == "1.4")
    assert (loga["bodies"]["holzwickede"], loga["bodies"]["luenen"]) == ("joined_later", "participant")
    assert loga["joined_later"] == {"holzwickede": {"date": "2011-06-10", "reference": "Ratsbeschluss 2011/40"}}
    table = approved("participation").stdout.splitlines()
    header = table[0]
    row = next(line for line in table if line.startswith("1.4 "))
    assert row[header.index("Holzwickede")] == "◐"
    assert row[header.index("Lünen")] == "●"
    assert "● beteiligt  ◐ später beigetreten  ✓ beigetreten  ✗ abgelehnt  ? offen  · nichts erfasst" in table
    csv_row = next(line for line in approved("participation", "--csv").stdout.splitlines() if line.startswith("1.4;"))
    assert "später beigetreten am 10.06.2011" in csv_row


def test_the_papers_successor_version_shows_the_late_joiner(approved, tmp_path):
    approved("decision", "1.4", "holzwickede", "joined", "--ref", "Ratsbeschluss 2011/40", "--date", "2011-06-10")
    result = approved("agenda", "2011-04-12", "--issue", "--out", str(tmp_path / "fassung"))
    assert result.exit_code == 0, result.output
    assert ", ausgegeben als Fassung 2 " in result.stdout.splitlines()[0]
    paper = (tmp_path / "fassung" / "vorlage-1.4.md").read_text(encoding="utf-8")
    assert "| Holzwickede | später beigetreten | 10. Juni 2011 | Ratsbeschluss 2011/40 |" in paper
    assert "Beteiligt sind bisher Holzwickede, Lünen und Selm; weitere Stellen können sich anschließen." in paper
    # The version the mayors received in March is kept as it was: a new version, not a rewrite.
    march = (tmp_path / "maerz" / "vorlage-1.4.md").read_text(encoding="utf-8")
    assert "Holzwickede | später beigetreten" not in march
    editions = [re.split(r"\s{2,}", line)[2] for line in approved("documents", "list").stdout.splitlines()[2:]]
    assert editions == ["1", "2"]


def test_the_digest_lists_the_late_joins_of_the_month(approved, frozen):
    approved("decision", "1.4", "holzwickede", "joined", "--ref", "Ratsbeschluss 2011/40", "--date", "2011-06-10")
    frozen("2011-07-01T09:00")
    digest = approved("digest", "--month", "2011-07").stdout
    assert (
        "   Davon nach der Entscheidung der Bürgermeisterkonferenz beigetreten oder ausgetreten:\n"
        "      1.4 Einkaufsgemeinschaft LOGA: Holzwickede: beigetreten am 10.06.2011 (Ratsbeschluss 2011/40) – nach "
        "der Entscheidung der Bürgermeisterkonferenz\n" in digest
    )
    june = approved("digest", "--month", "2011-06").stdout
    assert "Davon nach der Entscheidung" not in june
