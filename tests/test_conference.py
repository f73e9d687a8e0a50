"""Body decisions, participation, controlling, dependencies and the notices a decision triggers."""

import csv
import io
import json
from datetime import date, datetime

import pytest
from sqlmodel import select

from ikz.clock import BERLIN
from models import Body, Mandate, Notice, OutboxMessage, Participant
from models.db import transaction
from notifications.delivery import dispatch
from notifications.effects import follow_up
from tests.smtp_server import smtp_settings
from tests.snapshot import snapshot
from workflow.steps import advance


@pytest.fixture
def deciding(cli):
    """kreis-unna-2010 with 1.4 submitted to the April 2011 conference and its decision opened."""
    assert cli("init", "--catalogue", "kreis-unna-2010").exit_code == 0
    assert cli("edit", "1.4", "--concept", "Konzept LOGA", "--plan", "WP LOGA 2011", "--target", "40000").exit_code == 0
    assert cli("advance", "1.4", "start_concept").exit_code == 0
    assert cli("advance", "1.4", "submit", "--meeting", "2011-04-12").exit_code == 0
    return cli


def test_submitting_sets_the_submission_deadline(deciding):
    detail = json.loads(deciding("show", "1.4", "--json").stdout)
    # Vorlagefrist: 10 working days before 12.04.2011.
    assert detail["due_date"] == "2011-03-29"
    assert detail["meeting"] == {"date": "2011-04-12", "title": "Sitzung der Bürgermeisterkonferenz"}


def test_the_submission_deadline_is_configurable(cli, tmp_path, monkeypatch):
    path = tmp_path / "ikz.toml"
    path.write_text("[conference]\nsubmission_days = 5\n", encoding="utf-8")
    monkeypatch.setenv("IKZ_CONFIG", str(path))
    cli("init", "--catalogue", "kreis-unna-2010")
    cli("edit", "1.4", "--concept", "K", "--plan", "P", "--target", "1")
    cli("advance", "1.4", "start_concept")
    cli("advance", "1.4", "submit", "--meeting", "2011-04-12")
    assert json.loads(cli("show", "1.4", "--json").stdout)["due_date"] == "2011-04-05"


def test_working_group_meetings(cli):
    cli("init", "--catalogue", "kreis-unna-2010")
    assert (
        cli("meeting", "add", "2011-05-18", "--body", "it-ak").stdout
        == "Sitzung am 18.05.2011 angelegt: Sitzung des IT-Arbeitskreises.\n"
    )
    rows = json.loads(cli("meeting", "list", "--json").stdout)
    assert {
        "date": "2011-05-18",
        "body": "it-ak",
        "body_name": "IT-Arbeitskreis",
        "title": "Sitzung des IT-Arbeitskreises",
    } in rows


def test_body_decisions_only_during_the_decision(deciding, engine):
    before = snapshot(engine)
    early = deciding("decision", "1.4", "luenen", "joined")
    assert (early.exit_code, early.stderr) == (
        1,
        "Fehler: Entscheidungen der Stellen werden im Zustand Entscheidung erfasst; 1.4 ist im Zustand "
        "Vorlage an die Bürgermeisterkonferenz.\n",
    )
    assert snapshot(engine) == before


def test_approve_requires_a_joined_body_and_adopts_the_joined_ones(deciding, frozen, session):
    frozen("2011-04-12T16:00:00+02:00")
    assert deciding("advance", "1.4", "open_decision").exit_code == 0
    refused = deciding("advance", "1.4", "approve")
    assert refused.exit_code == 1
    assert "keine Stelle ist beigetreten (ikz decision 1.4 STELLE joined)" in refused.stderr
    for body in ("kreis-unna", "luenen", "kamen"):
        assert deciding("decision", "1.4", body, "joined", "--ref", f"Beschluss {body}").exit_code == 0
    assert deciding("decision", "1.4", "werne", "declined").stdout == "1.4: Werne – abgelehnt.\n"
    assert deciding("decision", "1.4", "selm", "pending").exit_code == 0
    wg = deciding("decision", "1.4", "it-ak", "joined")
    assert wg.exit_code == 1
    assert wg.stderr.startswith(
        "Fehler: IT-Arbeitskreis kann keinem Mandat beitreten; möglich sind: kreis-unna, bergkamen, boenen,"
    )
    assert deciding("advance", "1.4", "approve").exit_code == 0
    keys = session.exec(
        select(Body.key)
        .join(Participant, Participant.body_id == Body.id)
        .join(Mandate, Mandate.id == Participant.mandate_id)
        .where(Mandate.code == "1.4")
    ).all()
    assert sorted(keys) == ["kamen", "kreis-unna", "luenen"]


def test_participation_matrix_table_csv_and_json(deciding, frozen):
    frozen("2011-04-12T16:00:00+02:00")
    deciding("advance", "1.4", "open_decision")
    deciding("decision", "1.4", "luenen", "joined")
    deciding("decision", "1.4", "werne", "declined")
    data = json.loads(deciding("participation", "--json").stdout)
    assert [b["key"] for b in data["bodies"]] == [
        "kreis-unna",
        "bergkamen",
        "boenen",
        "froendenberg",
        "holzwickede",
        "kamen",
        "luenen",
        "schwerte",
        "selm",
        "unna",
        "werne",
    ]
    row = next(r for r in data["mandates"] if r["code"] == "1.4")
    assert (row["bodies"]["luenen"], row["bodies"]["werne"], row["bodies"]["kamen"]) == ("joined", "declined", None)
    assert set(next(r for r in data["mandates"] if r["code"] == "1.7")["bodies"].values()) == {"participant"}
    text = deciding("participation", "--csv").stdout
    assert text.startswith("\ufeffCode;Titel;Kreis Unna;Bergkamen;Bönen;Fröndenberg/Ruhr;")
    records = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert records[4][:2] == ["1.4", "Einkaufsgemeinschaft LOGA"]
    assert records[4][8] == "beigetreten" and records[4][12] == "abgelehnt"
    table = deciding("participation").stdout.splitlines()
    assert table[-1] == "● beteiligt  ✓ beigetreten  ✗ abgelehnt  ? offen  · nichts erfasst"


def approved_14(deciding, frozen):
    frozen("2011-04-12T16:00:00+02:00")
    deciding("advance", "1.4", "open_decision")
    deciding("decision", "1.4", "luenen", "joined")
    assert deciding("advance", "1.4", "approve").exit_code == 0


def test_controlling_report_with_traffic_lights(deciding, frozen):
    approved_14(deciding, frozen)
    frozen("2013-02-01T10:00:00+01:00")
    assert deciding("savings", "1.4", "2011", "12000").stdout == "1.4: Einsparung 2011 = 12.000 €.\n"
    assert deciding("savings", "1.4", "2012", "41.000").exit_code == 0
    assert deciding("edit", "1.3", "--target", "150000").exit_code == 0
    data = json.loads(deciding("report", "--json").stdout)
    assert data["goal"] == 2_000_000
    assert (data["target_total"], data["realised_total"], data["target_share"], data["realised_share"]) == (
        190000,
        41000,
        9.5,
        2.1,
    )
    assert data["lights"] == {"on_track": 1, "behind": 0, "no_data": 1}
    row = data["mandates"][0]
    assert (row["code"], row["savings"], row["latest_year"], row["realised"], row["light"]) == (
        "1.3",
        {},
        None,
        None,
        "no_data",
    )
    assert data["mandates"][1]["savings"] == {"2011": 12000, "2012": 41000}
    assert data["mandates"][1]["light_label"] == "im Plan"
    lines = deciding("report").stdout.splitlines()
    assert (
        lines[-1]
        == "Programm: Ziele 190.000 € pro Jahr (9,5 % des Ziels von 2.000.000 €), realisiert 41.000 € (2,1 %)."
    )
    deciding("savings", "1.4", "2012", "30000")
    assert json.loads(deciding("report", "--json").stdout)["mandates"][1]["light"] == "behind"


def test_savings_are_refused_before_approval_and_for_future_years(deciding, frozen):
    early = deciding("savings", "1.4", "2011", "100")
    assert (
        early.stderr
        == "Fehler: Einsparungen werden erst nach der Zustimmung erfasst; 1.4 ist im Zustand Vorlage an die Bürgermeisterkonferenz.\n"
    )
    approved_14(deciding, frozen)
    future = deciding("savings", "1.4", "2012", "100")
    assert (future.exit_code, future.stderr) == (1, "Fehler: Ungültiges Jahr 2012 für 1.4; erlaubt: 2010 bis 2011.\n")


def test_dependencies_are_added_removed_and_cycles_refused(cli, engine):
    cli("init", "--catalogue", "kreis-unna-2010")
    assert cli("depend", "5.1", "--on", "2.1").stdout == "5.1 wartet jetzt auf die Entscheidung zu 2.1.\n"
    before = snapshot(engine)
    cycle = cli("depend", "2.1", "--on", "2.1-LS")
    assert (cycle.exit_code, cycle.stderr) == (
        1,
        "Fehler: Abhängigkeit 2.1 → 2.1-LS abgelehnt: sie ergäbe den Zyklus 2.1 → 2.1-LS → 2.1.\n",
    )
    assert cli("depend", "2.1", "--on", "2.1").stderr == "Fehler: Mandat 2.1 kann nicht auf sich selbst warten.\n"
    assert cli("depend", "5.1", "--on", "2.1").stderr == "Fehler: Mandat 5.1 wartet bereits auf 2.1.\n"
    assert snapshot(engine) == before
    assert "Blockiert:       2.1-LS, 5.1\n" in cli("show", "2.1").stdout
    assert cli("depend", "5.1", "--on", "2.1", "--remove").stdout == "5.1 wartet nicht mehr auf 2.1.\n"
    assert cli("depend", "5.1", "--on", "2.1", "--remove").stderr == "Fehler: Mandat 5.1 wartet nicht auf 2.1.\n"


def moment(day: str, time: str = "16:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=BERLIN)


def test_a_decision_notifies_the_leads_of_waiting_mandates_once(loaded, smtp_server):
    config = smtp_settings(smtp_server)
    with transaction(loaded) as session:
        mandate = session.exec(select(Mandate).where(Mandate.code == "2.1")).one()
        mandate.concept_ref, mandate.plan_ref, mandate.savings_target = "Detailkonzept AöR", "WP RPA", 90000
        session.add(mandate)
    steps = [("start_concept", {}), ("submit", {"meeting_date": date(2011, 4, 12)}), ("open_decision", {})]
    for trigger, inputs in steps:
        with transaction(loaded) as session:
            advance(
                session,
                "2.1",
                trigger,
                actor="t",
                now=moment("2011-04-12", "09:00"),
                today=date(2011, 4, 12) if trigger == "open_decision" else date(2011, 3, 1),
                rules=config.rules(),
                **inputs,
            )
    with transaction(loaded) as session:
        entry = advance(
            session,
            "2.1",
            "reject",
            actor="t",
            now=moment("2011-04-12"),
            today=date(2011, 4, 12),
            note="Keine Mehrheit",
            rules=config.rules(),
        )
        follow_up(session, config, entry, now=moment("2011-04-12"))
    dispatch(loaded, config, now=moment("2011-04-12", "16:01"), owner="t")
    notices = [(m.rcpt_tos, str(m.message["Subject"])) for m in smtp_server.received]
    # Each lead waits with one mandate: the notice joins that mandate's conversation, under its stage subject.
    assert notices == [
        (["rpa@luenen.example"], "ikz 2.1-LS Kooperation Lünen–Selm Rechnungsprüfung – Auf Eis"),
        (["rpa@selm.example"], "ikz 2.1-LS Kooperation Lünen–Selm Rechnungsprüfung – Auf Eis"),
    ]
    body = smtp_server.received[0].message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert body.startswith(
        "Guten Tag Monika Wagner,\n\ndie Bürgermeisterkonferenz hat über 2.1 Anstalt öffentlichen Rechts entschieden: "
        "Abgelehnt.\n"
    )
    assert "* 2.1-LS Kooperation Lünen–Selm Rechnungsprüfung – http://127.0.0.1:8000/mandate/2.1-LS" in body
    with transaction(loaded) as session:
        from notifications.notices import notify_waiting

        decided = session.exec(select(Mandate).where(Mandate.code == "2.1")).one()
        assert notify_waiting(session, config, decided, now=moment("2011-04-13")) == 0
        assert [n.topic for n in session.exec(select(Notice)).all()] == ["decided:2.1:5", "decided:2.1:5"]
        assert len(session.exec(select(OutboxMessage)).all()) == 2
