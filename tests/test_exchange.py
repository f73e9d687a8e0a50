"""Exports: the JSON backup and its exact restore, CSV for spreadsheets, iCalendar and OParl 1.1."""

import csv
import io
import json
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from icalendar import Calendar
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy import func, select
from sqlmodel import SQLModel

import ikz.cli.exchange
import ikz.cli.main
from ikz import settings as settings_module
from ikz.clock import BERLIN
from ikz.conference.issuing import agenda_files
from ikz.exchange.backup import backup_data
from ikz.exchange.oparl import oparl_document
from ikz.intake.taking import take_in
from models import Mandate, OutboxMessage, TransitionLog
from models.db import make_engine, transaction
from models.schema import EXPECTED_REVISION
from notifications import tokens
from notifications.effects import follow_up
from notifications.sweep import sweep
from tests import conftest
from tests.conftest import NOW
from tests.mailroom import KEY, reply
from tests.snapshot import snapshot
from workflow.accounts import add_user, authenticate
from workflow.controlling import record_saving
from workflow.decisions import record_decision
from workflow.duties import mark_done
from workflow.editing import edit_mandate
from workflow.meetings import add_item
from workflow.proposals import propose
from workflow.steps import advance

CONFIG = settings_module.load(environ={}, inbox_token_key=KEY)
APRIL = datetime(2011, 4, 12, 10, 0, tzinfo=BERLIN)
MAY = datetime(2011, 5, 2, 8, 0, tzinfo=BERLIN)


def run(url: str, *args: str):
    """Run ikz against any database, e.g. the second one a backup is restored into."""
    return CliRunner().invoke(ikz.cli.main.ikz, ["--db", url, *args], prog_name="ikz", catch_exceptions=False)


@pytest.fixture
def fresh_url(second_db_url):
    """A second empty, migrated database (same backend as the suite) to restore into."""
    return second_db_url


@pytest.fixture
def fresh_engine(fresh_url):
    engine = make_engine(fresh_url)
    yield engine
    engine.dispose()


def step(engine, code: str, trigger: str, at: datetime, **kwargs):
    """Fire a step and what it causes, as the CLI does."""
    with transaction(engine) as session:
        today = at.astimezone(BERLIN).date()
        entry = advance(session, code, trigger, actor="test", now=at, today=today, rules=CONFIG.rules(), **kwargs)
        follow_up(session, CONFIG, entry, now=at)


@pytest.fixture
def busy(loaded, frozen):
    """The catalogue after a conference decision, a hold, savings, reminders and notices: every table has rows."""
    engine = loaded
    step(engine, "2.1", "start_concept", NOW, note="Arbeitsgruppe gebildet")
    with transaction(engine) as session:
        edit_mandate(
            session,
            "2.1",
            actor="test",
            now=NOW,
            concept_ref="Konzept AöR v1",
            plan_ref="WP 2011",
            savings_target=120000,
        )
    step(engine, "2.1", "submit", NOW, meeting_date=date(2011, 4, 12))
    with transaction(engine) as session:
        # Issued before the meeting: the agenda and its papers as the mayors received them.
        agenda_files(
            session, date(2011, 4, 12), actor="test", now=datetime(2011, 3, 30, 9, tzinfo=BERLIN), issue_now=True
        )
    step(engine, "2.1", "open_decision", APRIL)
    with transaction(engine) as session:
        for body, decision, reference in (("luenen", "joined", "Ratsbeschluss 2011/17"), ("selm", "declined", None)):
            record_decision(
                session, "2.1", body, decision, decided_on=APRIL.date(), reference=reference, actor="test", now=APRIL
            )
    step(engine, "2.1", "approve", APRIL, note="einstimmig")
    with transaction(engine) as session:
        record_saving(session, "2.1", 2011, 38000, actor="test", now=APRIL, today=APRIL.date())
    step(engine, "1.3", "hold", APRIL, note="Haushaltssperre")
    with transaction(engine) as session:
        mark_done(
            session,
            "1.1",
            "it-ak-sitzung",
            day=date(2010, 11, 25),
            reference="Protokoll 1/2010",
            actor="test",
            now=APRIL,
        )
        add_item(session, date(2011, 4, 12), "Bericht des Landrats", now=NOW, note="mündlich")
        # The portal's tables: an account, one mistyped password.
        add_user(session, "koord", "sehr-geheim-123", role="koordination", now=APRIL)
        authenticate(session, "koord", "falsch", "127.0.0.1", now=APRIL)
        propose(
            session,
            "1.4",
            "deadline",
            text="Verhandlungen laufen",
            due_date=date(2011, 5, 31),
            actor="Lünen",
            now=APRIL,
            today=APRIL.date(),
            channel="E-Mail",
        )
    # Three working days before 1.4's deadline (15.12.2010): reminders to Lünen's LOGA contact.
    sweep(engine, CONFIG, now=datetime(2010, 12, 10, 7, 30, tzinfo=BERLIN))
    # Lünen answers the reminder by mail, and unsubscribes from the digest.
    with transaction(engine) as session:
        reminder = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "reminder")).scalars().first()
        answer = reply(reminder.raw.encode(), "Stand: Vertragsentwurf beim RZ", sender="loga@luenen.example")
        take_in(session, CONFIG, answer, now=APRIL)
        token = tokens.mint(CONFIG, "unsubscribe", reminder.id, reminder.message_id, reminder.recipient)
        request = b"From: loga@luenen.example\nTo: " + tokens.address(CONFIG, token).encode() + b"\n\n"
        take_in(session, CONFIG, request, now=APRIL)
    frozen("2011-05-02T09:00:00+02:00")
    return engine


def rows(engine, model) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(model.__table__)).scalar_one()


# --- JSON backup -------------------------------------------------------------------------------


def test_backup_holds_every_table_with_ids_and_iso_values(loaded):
    with transaction(loaded) as session:
        data = backup_data(session, now=NOW)
    assert (data["format"], data["format_version"], data["schema_revision"]) == ("ikz-backup", 1, EXPECTED_REVISION)
    assert data["exported_at"] == "2010-11-02T09:00:00+00:00"
    # Every table, parents before children (the order a restore inserts in).
    assert list(data["tables"]) == [table.name for table in SQLModel.metadata.sorted_tables]
    assert {"body", "mandate", "transition_log", "outbox", "reminder", "notice", "saving", "body_decision"} <= set(
        data["tables"]
    )
    assert data["tables"]["field"][0] == {"number": 1, "name": "Informationstechnologien"}
    loga = next(row for row in data["tables"]["mandate"] if row["code"] == "1.4")
    assert {
        key: loga[key] for key in ("id", "state", "stage_seq", "due_date", "meeting_id", "created_at", "version")
    } == {
        "id": 4,
        "state": "examine",
        "stage_seq": 1,
        "due_date": "2010-12-15",
        "meeting_id": None,
        "created_at": "2010-09-20T22:00:00+00:00",
        "version": 1,
    }
    held = next(row for row in data["tables"]["mandate"] if row["code"] == "2.1-LS")
    assert held["held_since"] == "2010-09-20T22:00:00+00:00"  # the catalogue's start, 21.09.2010 00:00 in Berlin


def test_round_trip_restores_exactly(busy, cli, fresh_url, fresh_engine, tmp_path):
    first = tmp_path / "sicherung.json"
    written = cli("export", "--format", "json", "--out", str(first))
    tables = len(SQLModel.metadata.tables)
    assert (written.exit_code, written.stdout) == (
        0,
        f"{first} geschrieben: Sicherung mit 218 Zeilen aus {tables} Tabellen (Schemastand {EXPECTED_REVISION}).\n",
    )
    backup = json.loads(first.read_text(encoding="utf-8"))
    assert [name for name, table_rows in backup["tables"].items() if not table_rows] == []  # every table takes part

    restored = run(fresh_url, "import", str(first))
    assert (restored.exit_code, restored.stdout) == (
        0,
        f"Sicherung {first} eingespielt (Schemastand {EXPECTED_REVISION}): 218 Zeilen, darunter 16 Mandate.\n",
    )
    second = run(fresh_url, "export", "--format", "json")
    assert second.stdout == first.read_text(encoding="utf-8")
    assert snapshot(fresh_engine) == snapshot(busy)


def test_a_restored_database_keeps_counting_ids(busy, cli, fresh_url, fresh_engine, tmp_path):
    backup = tmp_path / "sicherung.json"
    cli("export", "--format", "json", "--out", str(backup))
    run(fresh_url, "import", str(backup))
    with fresh_engine.connect() as connection:
        last = connection.execute(select(func.max(TransitionLog.id))).scalar_one()
    result = run(fresh_url, "advance", "1.4", "start_concept", "--actor", "test")
    assert result.exit_code == 0, result.output
    with fresh_engine.connect() as connection:
        newest = connection.execute(
            select(TransitionLog.id, TransitionLog.trigger).order_by(TransitionLog.id.desc())
        ).first()
    assert tuple(newest) == (last + 1, "start_concept")


def test_restore_refuses_a_database_that_holds_data(loaded, cli, tmp_path):
    backup = tmp_path / "sicherung.json"
    cli("export", "--format", "json", "--out", str(backup))
    before = snapshot(loaded)
    result = cli("import", str(backup))
    assert (result.exit_code, result.stderr) == (
        1,
        "Fehler: Die Datenbank ist nicht leer (16 Mandate, 17 Stellen, 25 Kontakte, 7 Felder, 2 Sitzungen, "
        "18 Federführungen, 68 Beteiligungen, 1 Abhängigkeit, 2 Pflichten, 16 Protokolleinträge). Eine Sicherung "
        "wird nur in eine leere Datenbank eingespielt; eine neue richtet 'ikz --db URL init' ein. Nichts wurde eingespielt.\n",
    )
    assert snapshot(loaded) == before


def _backup(engine, tmp_path, change) -> Path:
    with transaction(engine) as session:
        data = backup_data(session, now=NOW)
    change(data)
    path = tmp_path / "sicherung.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda data: data.update(schema_revision="0002"),
            f"Die Sicherung {{path}} hat den Schemastand 0002, diese ikz-Version erwartet {EXPECTED_REVISION}. Nichts wurde eingespielt.",
        ),
        (
            lambda data: data.pop("format"),
            "{path} ist keine ikz-Sicherung (sie entsteht mit: ikz export --format json --out DATEI).",
        ),
        (
            lambda data: data["tables"].pop("saving"),
            "Die Tabellen der Sicherung {path} passen nicht zum Schema (fehlt: saving). Nichts wurde eingespielt.",
        ),
        (
            lambda data: data["tables"]["mandate"][3].update(created_at="gestern"),
            "Sicherung {path}, Tabelle mandate, Zeile 4, Spalte created_at: 'gestern' ist kein Zeitpunkt "
            "(JJJJ-MM-TTTHH:MM:SS+00:00). Nichts wurde eingespielt.",
        ),
        (
            lambda data: data["tables"]["mandate"][3].update(created_at="2010-11-02T09:00:00"),
            "Sicherung {path}, Tabelle mandate, Zeile 4, Spalte created_at: dem Zeitpunkt '2010-11-02T09:00:00' "
            "fehlt die Zeitzone. Nichts wurde eingespielt.",
        ),
        (
            lambda data: data["tables"]["saving"].append(
                {"id": 1, "mandate_id": 1, "year": "2011", "amount": 5, "recorded_at": None, "actor": "x"}
            ),
            "Sicherung {path}, Tabelle saving, Zeile 1, Spalte year: '2011' ist keine ganze Zahl. Nichts wurde eingespielt.",
        ),
        (
            # SQLite would store it, PostgreSQL's INTEGER column not: refused on both before anything is written.
            lambda data: data["tables"]["mandate"][3].update(savings_target=2**31),
            "Sicherung {path}, Tabelle mandate, Zeile 4, Spalte savings_target: 2147483648 liegt außerhalb des "
            "Zahlenbereichs der Datenbank (-2147483648 bis 2147483647). Nichts wurde eingespielt.",
        ),
        (
            # Bodies, fields and contacts are inserted before the mandates clash: all of it must roll back.
            lambda data: data["tables"]["mandate"].append({**data["tables"]["mandate"][0], "id": 99}),
            "Die Sicherung {path} ist in sich widersprüchlich (UNIQUE constraint failed: mandate.code). Nichts wurde eingespielt.",
        ),
    ],
    ids=["revision", "marker", "table", "moment", "offset", "type", "integer range", "conflict"],
)
def test_restore_refuses_a_bad_backup_and_writes_nothing(
    loaded, fresh_url, fresh_engine, tmp_path, frozen, change, message
):
    path = _backup(loaded, tmp_path, change)
    before = snapshot(fresh_engine)
    result = run(fresh_url, "import", str(path))
    expected = f"Fehler: {message.format(path=path)}\n"
    assert result.exit_code == 1
    if conftest.PG_URL and "UNIQUE" in expected:
        # PostgreSQL words the clash in its own way.
        assert result.stderr.startswith(
            expected.split(" (UNIQUE")[0] + " (duplicate key value violates unique constraint"
        )
    else:
        assert result.stderr == expected
    assert snapshot(fresh_engine) == before
    assert rows(fresh_engine, Mandate) == 0


def test_restore_refuses_what_is_not_json(fresh_url, tmp_path, frozen):
    path = tmp_path / "kaputt.json"
    path.write_text('{"format": "ikz-backup",', encoding="utf-8")
    result = run(fresh_url, "import", str(path))
    assert (result.exit_code, result.stderr) == (
        1,
        f"Fehler: {path} ist keine gültige JSON-Datei (Zeile 1, Spalte 25).\n",
    )
    missing = run(fresh_url, "import", str(tmp_path / "fehlt.json"))
    assert (missing.exit_code, missing.stderr) == (
        1,
        f"Fehler: Die Sicherung {tmp_path / 'fehlt.json'} gibt es nicht.\n",
    )


def test_yaml_still_goes_to_the_catalogue_importer(cli):
    result = cli("import", str(Path(__file__).parent.parent / "ikz" / "catalogue" / "shipped" / "kreis-unna-2010.yaml"))
    assert result.exit_code == 0
    assert result.stdout.startswith("Katalog kreis-unna-2010 importiert. Mandate: 16 neu, 0 geändert;")


# --- CSV ---------------------------------------------------------------------------------------


def test_csv_opens_in_a_german_spreadsheet(busy, cli, tmp_path):
    path = tmp_path / "mandate.csv"
    result = cli("export", "--format", "csv", "--out", str(path))
    assert (result.exit_code, result.stdout) == (
        0,
        f"{path} geschrieben: 16 Mandate als CSV (UTF-8 mit BOM, Trennzeichen ;).\n",
    )
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in raw and raw.count(b"\n") == raw.count(b"\r\n")
    records = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert records[0] == [
        "Code",
        "Feld",
        "Titel",
        "Zustand",
        "Federführung",
        "Frist",
        "Effizienzziel (EUR)",
        "Sitzung",
        "Feldname",
        "Beteiligte",
        "Wartet auf",
        "Überfällig",
        "Grund (auf Eis)",
    ]
    by_code = {record[0]: record for record in records[1:]}
    assert list(by_code)[:4] == ["1.1", "1.2", "1.3", "1.4"] and len(by_code) == 16
    assert by_code["1.4"] == [
        "1.4",
        "1",
        "Einkaufsgemeinschaft LOGA",
        "Prüfung",
        "Lünen",
        "15.12.2010",
        "",
        "",
        "Informationstechnologien",
        "",
        "",
        "ja",
        "",
    ]
    assert by_code["2.1"] == [
        "2.1",
        "2",
        "Anstalt öffentlichen Rechts",
        "Umsetzung",
        "AK der Kämmerer",
        # The implementation stage's default deadline: twelve months from the approval.
        "12.04.2012",
        "120000",
        "12.04.2011",
        "Rechnungsprüfung",
        "Lünen",
        "",
        "",
        "",
    ]
    assert by_code["1.3"][3:6] == ["Auf Eis", "Kreis Unna", "23.06.2011"]
    assert by_code["1.3"][12] == "Haushaltssperre"
    assert by_code["2.1-LS"][4] == "Lünen, Selm" and by_code["2.1-LS"][10] == "2.1"
    assert by_code["1.2"][4] == "Bergkamen, Kamen"


def test_csv_goes_to_stdout_without_out(loaded, cli):
    result = cli("export", "--format", "csv")
    assert result.exit_code == 0
    # stdout_bytes: click's Result.stdout turns CRLF into LF.
    text = result.stdout_bytes.decode("utf-8")
    assert text.startswith("\ufeffCode;Feld;Titel;Zustand;Federführung;Frist;")
    assert "\r\n1.4;1;Einkaufsgemeinschaft LOGA;Prüfung;Lünen;15.12.2010;;;Informationstechnologien;;;;\r\n" in text


# --- iCalendar ---------------------------------------------------------------------------------


def events(text: str) -> dict[str, object]:
    calendar = Calendar.from_ical(text)
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def test_calendar_holds_deadlines_duties_and_meetings(loaded, cli):
    result = cli("export", "--format", "ics")
    assert result.exit_code == 0
    calendar = Calendar.from_ical(result.stdout)
    assert (str(calendar["prodid"]), str(calendar["version"])) == (
        "-//Kreis Unna//ikz Interkommunale Zusammenarbeit//DE",
        "2.0",
    )
    found = events(result.stdout)
    assert sorted(uid for uid in found if uid.startswith("frist-")) == [
        f"frist-{code}-stage1@ikz.kreis-unna.example"
        # Every active stage has a deadline (the catalogue's or the default); 2.1-LS's rests on hold.
        for code in (
            "1.1",
            "1.2",
            "1.3",
            "1.4",
            "1.5",
            "1.6",
            "1.7",
            "1.8",
            "2.1",
            "3.1",
            "4.1",
            "5.1",
            "5.2",
            "6.1",
            "7.1",
        )
    ]
    loga = found["frist-1.4-stage1@ikz.kreis-unna.example"]
    assert str(loga["summary"]) == "Frist: 1.4 Einkaufsgemeinschaft LOGA (Prüfung)"
    assert (loga.decoded("dtstart"), loga.decoded("dtend")) == (date(2010, 12, 15), date(2010, 12, 16))
    assert loga.decoded("dtstamp") == NOW
    assert str(loga["description"]) == (
        "Mandat 1.4 Einkaufsgemeinschaft LOGA\nZustand: Prüfung\nFederführung: Lünen\nFeld: 1 Informationstechnologien"
    )
    assert loga["categories"].cats == ["IKZ", "Frist"]
    meeting = found["sitzung-bmk-2011-04-12@ikz.kreis-unna.example"]
    assert (str(meeting["summary"]), meeting.decoded("dtstart")) == (
        "Sitzung der Bürgermeisterkonferenz",
        date(2011, 4, 12),
    )
    assert "sitzung-ak-kaemmerer-2011-03-16@ikz.kreis-unna.example" in found
    duties = sorted(
        (event.decoded("dtstart"), str(event["summary"])) for uid, event in found.items() if uid.startswith("pflicht-")
    )
    assert duties[0] == (
        date(2010, 11, 30),
        "Pflicht: Vorbereitung der Sitzung des IT-Arbeitskreises (Bergkamen ist an der Reihe)",
    )
    assert (
        date(2011, 3, 31),
        "Pflicht: Bericht des IT-Arbeitskreises an die Bürgermeisterkonferenz (2x pro Jahr) (IT-Arbeitskreis ist an der Reihe)",
    ) in duties
    assert len(duties) == 8 and len(found) == 15 + 8 + 2


def test_calendar_for_one_lead_keeps_the_meetings(loaded, cli, tmp_path):
    path = tmp_path / "luenen.ics"
    result = cli("export", "--format", "ics", "--lead", "Lünen", "--out", str(path))
    assert (result.exit_code, result.stdout) == (
        0,
        f"{path} geschrieben: Kalender mit 1 Frist, 1 Pflichttermin und 2 Sitzungen.\n",
    )
    found = events(path.read_text(encoding="utf-8"))
    assert sorted(found) == [
        "frist-1.4-stage1@ikz.kreis-unna.example",
        "pflicht-it-ak-sitzung-2011-09-30@ikz.kreis-unna.example",
        "sitzung-ak-kaemmerer-2011-03-16@ikz.kreis-unna.example",
        "sitzung-bmk-2011-04-12@ikz.kreis-unna.example",
    ]
    assert str(found["pflicht-it-ak-sitzung-2011-09-30@ikz.kreis-unna.example"]["summary"]).endswith(
        "(Lünen ist an der Reihe)"
    )


def test_calendar_uids_are_stable_and_a_new_stage_is_a_new_event(busy, cli, frozen):
    first = events(cli("export", "--format", "ics").stdout)
    frozen("2011-05-03T09:00:00+02:00")
    again = events(cli("export", "--format", "ics").stdout)
    assert set(again) == set(first)
    assert "sitzung-bmk-2011-04-12@ikz.kreis-unna.example" in first
    bmk = str(first["sitzung-bmk-2011-04-12@ikz.kreis-unna.example"]["description"])
    assert bmk == "Gremium: Bürgermeisterkonferenz\nTagesordnung:\n- 2.1 Anstalt öffentlichen Rechts (Umsetzung)"
    # Moving the deadline keeps the event (a higher SEQUENCE updates it); the next stage is a new event.
    assert cli("edit", "1.8", "--due", "2011-07-29").exit_code == 0
    moved = events(cli("export", "--format", "ics").stdout)["frist-1.8-stage1@ikz.kreis-unna.example"]
    assert moved.decoded("dtstart") == date(2011, 7, 29)
    assert moved.decoded("sequence") > first["frist-1.8-stage1@ikz.kreis-unna.example"].decoded("sequence")
    assert cli("advance", "1.4", "start_concept").exit_code == 0
    assert cli("edit", "1.4", "--due", "2011-06-30").exit_code == 0
    after = events(cli("export", "--format", "ics").stdout)
    assert "frist-1.4-stage1@ikz.kreis-unna.example" not in after
    assert (
        str(after["frist-1.4-stage2@ikz.kreis-unna.example"]["summary"])
        == "Frist: 1.4 Einkaufsgemeinschaft LOGA (Konzepterstellung)"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "csv", "--lead", "luenen"], "Fehler: --lead gilt nur für --format ics.\n"),
        (
            ["--format", "json", "--base-url", "https://ris.example"],
            "Fehler: --base-url gilt nur für --format oparl.\n",
        ),
        (
            ["--format", "ics", "--lead", "Dortmund"],
            "Fehler: Stelle 'Dortmund' gibt es nicht. Bekannt: ak-bauhof, ak-kaemmerer, "
            "bergkamen, bmk, boenen, froendenberg, holzwickede, it-ak, kamen, kreis-unna, luenen, rz-lemgo, schwerte, selm, ukbs, unna, werne.\n",
        ),
    ],
)
def test_export_refuses_options_that_do_not_fit(loaded, cli, args, message):
    result = cli("export", *args)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", message)


def test_export_into_a_missing_directory_says_so(loaded, cli, tmp_path):
    path = tmp_path / "fehlt" / "sicherung.json"
    result = cli("export", "--format", "json", "--out", str(path))
    assert (result.exit_code, result.stderr) == (
        1,
        f"Fehler: {path} lässt sich nicht schreiben: das Verzeichnis gibt es nicht.\n",
    )


def test_export_help_is_german_with_an_example(cli):
    result = cli("export", "--help")
    assert result.exit_code == 0
    assert (
        "Beispiel:" in result.stdout
        and "ikz export --format ics --lead luenen --out fristen-luenen.ics" in result.stdout
    )


# --- OParl 1.1 ---------------------------------------------------------------------------------

SCHEMAS = Path(__file__).parent / "data" / "oparl"
SCHEMA_BASE = "https://schema.oparl.org/1.1/"
KINDS = {
    "system": "System",
    "body": "Body",
    "organization": "Organization",
    "meeting": "Meeting",
    "agendaItem": "AgendaItem",
    "paper": "Paper",
    "consultation": "Consultation",
    "person": "Person",
    "membership": "Membership",
    "file": "File",
    "locationList": "Location",
    "legislativeTermList": "LegislativeTerm",
}


def _with_refs(node):
    """OParl marks an embedded object with the custom key "schema": "File.json"; add a real $ref to that file."""
    if isinstance(node, list):
        return [_with_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _with_refs(value) for key, value in node.items()}
    if node.get("type") == "object" and str(node.get("schema", "")).endswith(".json"):
        node["$ref"] = node["schema"]
    return node


@pytest.fixture(scope="module")
def validators():
    """One validator per OParl type (see oparl_validators)."""
    return oparl_validators()


def oparl_validators() -> dict:
    """One validator per OParl type; cross-file $refs resolve through a registry over tests/data/oparl."""
    resources = []
    for path in SCHEMAS.glob("*.json"):
        contents = _with_refs(json.loads(path.read_text(encoding="utf-8")))
        resources.append((SCHEMA_BASE + path.name, Resource.from_contents(contents, default_specification=DRAFT202012)))
    registry = Registry().with_resources(resources)
    # "url" is OParl's own format; date-time must carry an offset (spec 3.0, "Datums- und Zeitangaben").
    checker = FormatChecker()
    checker.checks("url")(lambda value: not isinstance(value, str) or value.startswith("https://"))
    checker.checks("date-time", raises=ValueError)(
        lambda value: not isinstance(value, str) or datetime.fromisoformat(value).tzinfo is not None
    )
    return {
        kind: Draft202012Validator({"$ref": f"{SCHEMA_BASE}{kind}.json"}, registry=registry, format_checker=checker)
        for kind in KINDS.values()
    }


def all_objects(document: dict):
    yield "System", document["system"]
    for key, kind in KINDS.items():
        if key != "system":
            for item in document[key]:
                yield kind, item


def test_every_oparl_object_follows_its_schema(busy, validators):
    with transaction(busy) as session:
        document = oparl_document(session, now=MAY)
    properties = {
        kind: set(json.loads((SCHEMAS / f"{kind}.json").read_text(encoding="utf-8"))["properties"])
        for kind in KINDS.values()
    }
    for kind, item in all_objects(document):
        errors = [error.message for error in validators[kind].iter_errors(item)]
        assert errors == [], (item["id"], errors)
        # Anything the schema does not define is a vendor extension with our prefix.
        assert {key for key in item if key not in properties[kind]} <= {
            key for key in item if key.startswith("ikz:")
        }, item["id"]
        # OParl 1.1: created and modified on every object, in whole seconds with an offset.
        for key in ("created", "modified"):
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", item[key]), (item["id"], key, item.get(key))
    # The free item "Bericht des Landrats" is an agenda item too; contacts (persons) are internal, the rest ikz lacks.
    assert [len(document[key]) for key in KINDS if key != "system"] == [1, 17, 2, 2, 16, 1, 0, 0, 0, 0, 0]


def test_the_schema_check_catches_broken_objects(busy, validators):
    with transaction(busy) as session:
        meeting = next(m for m in oparl_document(session, now=MAY)["meeting"] if m.get("agendaItem"))
    del meeting["agendaItem"][0]["order"]
    meeting["start"] = "2011-04-12T10:00:00"
    meeting["organization"] = ["bmk"]
    assert sorted(error.message for error in validators["Meeting"].iter_errors(meeting)) == [
        "'2011-04-12T10:00:00' is not a 'date-time'",
        "'bmk' is not a 'url'",
        "'order' is a required property",
    ]


def test_oparl_links_paper_meeting_and_agenda_item(busy):
    base = "https://ikz.kreis-unna.example/oparl/v1"
    with transaction(busy) as session:
        document = oparl_document(session, now=MAY)
    paper = next(p for p in document["paper"] if p["reference"] == "2.1")
    consultation = {
        "id": f"{base}/consultation/2.1-bmk-2011-04-12",
        "type": "https://schema.oparl.org/1.1/Consultation",
        "paper": f"{base}/paper/2.1",
        "agendaItem": f"{base}/agendaitem/bmk-2011-04-12-2.1",
        "meeting": f"{base}/meeting/bmk-2011-04-12",
        "organization": [f"{base}/organization/bmk"],
        "authoritative": True,
        "role": "Entscheidung",
        # On the agenda since it was submitted (NOW); changed with the mandate's approval.
        "created": "2010-11-02T09:00:00+00:00",
        "modified": "2011-04-12T08:00:00+00:00",
    }
    assert paper == {
        "id": f"{base}/paper/2.1",
        "type": "https://schema.oparl.org/1.1/Paper",
        "body": f"{base}/body/ikz-kreis-unna",
        "name": "Anstalt öffentlichen Rechts",
        "reference": "2.1",
        "date": "2010-09-21",
        "paperType": "Beschlussvorlage",
        "underDirectionOf": [f"{base}/organization/ak-kaemmerer"],
        "consultation": [consultation],
        "keyword": ["Rechnungsprüfung"],
        "created": "2010-09-20T22:00:00+00:00",
        "modified": "2011-04-12T08:00:00+00:00",
        "ikz:state": "implement",
        "ikz:stateLabel": "Umsetzung",
        "ikz:dueDate": "2012-04-12",
        "ikz:savingsTarget": 120000,
        "ikz:description": "Konzeptionell prüfen, ob die örtliche Rechnungsprüfung gemeinsam organisiert und vollständig "
        "kommunal wahrgenommen werden kann; Detailkonzept zur Errichtung einer Anstalt des öffentlichen Rechts, ergänzt "
        "um Vor- und Nachteile externer Wirtschaftsprüfungsgesellschaften für die Prüfung der Jahresabschlüsse.",
    }
    assert document["consultation"] == [consultation]
    # The list runs in key order; the meeting embeds its items in agenda order.
    agenda = sorted(document["agendaItem"], key=lambda item: item["order"])
    assert agenda == [
        {
            "id": f"{base}/agendaitem/bmk-2011-04-12-2.1",
            "type": "https://schema.oparl.org/1.1/AgendaItem",
            "meeting": f"{base}/meeting/bmk-2011-04-12",
            "number": "1",
            "order": 1,
            "name": "2.1 Anstalt öffentlichen Rechts",
            "public": True,
            "consultation": consultation["id"],
            "result": "zugestimmt",
            "created": "2010-11-02T09:00:00+00:00",
            "modified": "2011-04-12T08:00:00+00:00",
        },
        {
            "id": f"{base}/agendaitem/bmk-2011-04-12-punkt1",
            "type": "https://schema.oparl.org/1.1/AgendaItem",
            "meeting": f"{base}/meeting/bmk-2011-04-12",
            "number": "2",
            "order": 2,
            "name": "Bericht des Landrats",
            "public": True,
            "created": "2010-11-02T09:00:00+00:00",
            "modified": "2010-11-02T09:00:00+00:00",
        },
    ]
    bmk = next(m for m in document["meeting"] if m["id"].endswith("bmk-2011-04-12"))
    assert (bmk["start"], bmk["meetingState"], bmk["agendaItem"]) == (
        "2011-04-12T00:00:00+02:00",
        "durchgeführt",
        agenda,
    )
    held = next(p for p in document["paper"] if p["reference"] == "2.1-LS")
    assert (held["ikz:state"], held["ikz:stateLabel"], held["ikz:heldState"]) == ("on_hold", "Auf Eis", "examine")
    # Every link points at an object of the document (the Body's and System's list URLs aside).
    ids = {item["id"] for _kind, item in all_objects(document)}
    assert (document["body"][0]["system"], document["body"][0]["mainOrganization"]) == (
        f"{base}/system",
        f"{base}/organization/bmk",
    )
    links = ("body", "meeting", "paper", "agendaItem", "consultation", "organization", "underDirectionOf")
    for kind, item in all_objects(document):
        if kind in ("System", "Body"):
            continue
        for key in links:
            values = item.get(key, [])
            for value in values if isinstance(values, list) else [values]:
                assert (value["id"] if isinstance(value, dict) else value) in ids, (item["id"], key, value)


def test_oparl_cli_uses_the_base_url(loaded, cli):
    result = cli("export", "--format", "oparl", "--base-url", "https://ris.kreis-unna.example/oparl/")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["system"]["id"] == "https://ris.kreis-unna.example/oparl/system"
    assert all(item["id"].startswith("https://ris.kreis-unna.example/oparl/") for _kind, item in all_objects(document))
    # OParl: UTF-8 without BOM, and no null values.
    assert not result.stdout.startswith("\ufeff") and ": null" not in result.stdout


def _streamed(engine, fmt: str, **options) -> str:
    from ikz.exchange import export

    out = io.StringIO()
    with transaction(engine) as session:
        export(session, fmt, out.write, now=APRIL, **options)
    return out.getvalue()


def test_streamed_exports_are_what_the_whole_documents_render(busy):
    """Written while read, each export is byte for byte the document built whole (as every export was before)."""
    from ikz.exchange.calendar_export import build_calendar

    with transaction(busy) as session:
        edit_mandate(
            session,
            "1.2",
            actor="test",
            now=APRIL,
            title="Breitband; Glasfaser, Kupfer \\ Funk – Ausbau der Verwaltungsnetze in allen elf Kommunen des Kreises Unna",
        )
    with transaction(busy) as session:
        whole = {
            "json": json.dumps(backup_data(session, now=APRIL), ensure_ascii=False, indent=2) + "\n",
            "oparl": json.dumps(oparl_document(session, now=APRIL), ensure_ascii=False, indent=2) + "\n",
            "ics": build_calendar(session, now=APRIL).to_ical().decode("utf-8"),
            "ics-luenen": build_calendar(session, now=APRIL, lead="luenen").to_ical().decode("utf-8"),
        }
    assert "Breitband\\; Glasfaser\\, Kupfer \\\\ Funk" in whole["ics"]
    assert "\r\n " in whole["ics"]
    for fmt in ("json", "oparl", "ics"):
        assert _streamed(busy, fmt) == whole[fmt], fmt
    assert _streamed(busy, "ics", lead="luenen") == whole["ics-luenen"]
