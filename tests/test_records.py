"""Records that hold: issued papers stay as issued, past views as of their day, an audit log that can't lie."""

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select

from ikz import settings as settings_module
from ikz.exchange.backup import backup_data
from models import Document, TransitionLog
from models.db import make_engine, transaction
from notifications.delivery import dispatch
from notifications.digest import as_of
from notifications.monthly import monthly_tick
from tests.conftest import NOW
from tests.smtp_server import smtp_settings
from tests.snapshot import snapshot
from tests.test_exchange import run
from workflow.seam import os_account


@pytest.fixture
def board(cli, frozen):
    assert cli("init", "--catalogue", "kreis-unna-2010").exit_code == 0
    return cli


def submitted(board, frozen):
    """1.4 submitted to the April 2011 conference in March."""
    frozen("2011-03-01T10:00")
    assert board("advance", "1.4", "start_concept").exit_code == 0
    assert board("edit", "1.4", "--concept", "Konzept LOGA", "--plan", "WP LOGA", "--target", "40000").exit_code == 0
    assert board("advance", "1.4", "submit", "--meeting", "2011-04-12").exit_code == 0


def files_in(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


# --- issued documents --------------------------------------------------------------------------------------------


def test_an_agenda_issued_in_march_is_byte_identical_in_june(board, frozen, tmp_path):
    submitted(board, frozen)
    frozen("2011-03-30T10:00")
    issued = board("agenda", "2011-04-12", "--issue", "--out", str(tmp_path / "maerz"), "--actor", "Koordination")
    assert issued.exit_code == 0
    assert issued.stdout.splitlines()[0] == (
        "Tagesordnung für die Sitzung am 12. April 2011: 5 Tagesordnungspunkte, 1 Beschlussvorlage, "
        "ausgegeben als Fassung 1 (Dokument 1). Geschrieben:"
    )
    march = files_in(tmp_path / "maerz")
    assert sorted(march) == ["sitzungsunterlagen.pdf", "tagesordnung.html", "tagesordnung.md", "vorlage-1.4.html",
                             "vorlage-1.4.md"]  # fmt: skip
    assert "Fassung 1 vom 30.03.2011" in march["vorlage-1.4.html"].decode()
    assert "Stand</th><td>Vorlage an die Bürgermeisterkonferenz" in march["vorlage-1.4.html"].decode()
    # April and June: the conference decides, the mandate moves on, a dependency is added.
    frozen("2011-04-12T16:00")
    assert board("advance", "1.4", "open_decision").exit_code == 0
    assert board("decision", "1.4", "luenen", "joined", "--ref", "Ratsbeschluss 2011/17").exit_code == 0
    assert board("advance", "1.4", "approve").exit_code == 0
    frozen("2011-06-15T10:00")
    assert board("depend", "1.4", "--on", "1.3").exit_code == 0
    june = board("agenda", "2011-04-12", "--out", str(tmp_path / "juni"))
    assert june.stdout.splitlines()[0] == (
        "Ausgegebene Fassung 1 vom 30.03.2011 10:00 (Dokument 1, Prüfsummen stimmen). Geschrieben:"
    )
    assert files_in(tmp_path / "juni") == march
    # A draft shows today's state; it is marked as one and stores nothing.
    draft = board("agenda", "2011-04-12", "--draft", "--out", str(tmp_path / "entwurf"))
    paper = (tmp_path / "entwurf" / "vorlage-1.4.html").read_text()
    assert "Entwurf, nicht ausgegeben" in draft.stdout
    assert "Entwurf – nicht ausgegeben" in paper and "Stand</th><td>Umsetzung" in paper
    # A re-issue is version 2 and says what it replaces; version 1 stays retrievable as it was.
    again = board("agenda", "2011-04-12", "--issue", "--out", str(tmp_path / "fassung-2"))
    assert "ausgegeben als Fassung 2 (Dokument 2)" in again.stdout
    assert (
        "Fassung 2 vom 15.06.2011, ersetzt Fassung 1 vom 30.03.2011"
        in (tmp_path / "fassung-2" / "tagesordnung.html").read_text()
    )
    shown = board("documents", "show", "1", "--out", str(tmp_path / "wieder"))
    assert shown.exit_code == 0
    assert shown.stdout.splitlines()[0] == (
        "Tagesordnung Bürgermeisterkonferenz am 12. April 2011 – Tagesordnung mit Beschlussvorlagen, "
        "Fassung 1 (Dokument 1)"
    )
    assert files_in(tmp_path / "wieder") == march
    listing = json.loads(board("documents", "list", "--json").stdout)
    assert [(d["id"], d["kind"], d["subject"], d["version"]) for d in listing] == [
        (1, "agenda", "bmk/2011-04-12", 1),
        (2, "agenda", "bmk/2011-04-12", 2),
    ]
    assert listing[0]["account"] == os_account()


def test_a_damaged_document_is_refused_not_shown(board, frozen, engine, tmp_path):
    submitted(board, frozen)
    frozen("2011-03-30T10:00")
    board("agenda", "2011-04-12", "--issue", "--out", str(tmp_path / "a"))
    with engine.begin() as connection:
        # Outside ikz (the ORM refuses to change an issued document): a tampered file in the database.
        connection.execute(text("UPDATE document_file SET content = :x WHERE name = 'tagesordnung.md'"), {"x": b"x"})
    result = board("agenda", "2011-04-12", "--out", str(tmp_path / "b"))
    assert (result.exit_code, result.stderr) == (
        1,
        "Fehler: Die ausgegebene Fassung 1 der Tagesordnung ist beschädigt: tagesordnung.md passt nicht mehr "
        "zur gespeicherten Prüfsumme (SHA-256).\n",
    )


def test_the_march_digest_read_in_june_is_the_one_mailed_in_march(loaded, smtp_server, cli, frozen, session):
    config = smtp_settings(smtp_server, digest_recipients=["coordinator"])
    march = as_of(date(2011, 3, 1))
    assert monthly_tick(loaded, config, now=march).queued == 1
    dispatch(loaded, config, now=march, owner="test")
    [mail] = smtp_server.received
    mailed = mail.message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    # Each mailed copy has its recipient's own opt-out link; the kept one shows none.
    mailed = re.sub(r"(?m)^(Monatsbericht abbestellen: ).*$", r"\1#abbestellen", mailed)
    # And its own access link to the portal; the kept one links the portal plainly.
    mailed = re.sub(r"\?zugang=[\w-]+", "", mailed)
    # March to June: steps, deadlines, a hold, savings targets: today's columns all change.
    frozen("2011-03-10T10:00")
    assert cli("advance", "1.4", "start_concept").exit_code == 0
    assert cli("edit", "1.4", "--due", "2011-05-31", "--target", "40000").exit_code == 0
    frozen("2011-04-20T10:00")
    assert cli("hold", "7.1", "--reason", "Bestandsaufnahme abwarten").exit_code == 0
    assert cli("edit", "1.3", "--target", "90000", "--due", "2011-09-30").exit_code == 0
    frozen("2011-06-15T10:00")
    shown = cli("digest", "--month", "2011-03")
    rebuilt = cli("digest", "--month", "2011-03", "--rebuild")
    assert shown.stdout == mailed
    assert rebuilt.stdout == mailed
    assert "Stand: 1. März 2011, 07:00 Uhr" in mailed
    stored = session.exec(select(Document).where(Document.kind == "digest")).one()
    assert (stored.subject, stored.version, stored.issued_by) == ("2011-03", 1, "Zeitplaner")


# --- the audit log ------------------------------------------------------------------------------------------------


def test_a_backdated_step_shows_both_moments(board, frozen, recording_clock):
    frozen("2011-04-12T16:00")
    recording_clock(datetime(2011, 4, 14, 7, 30, tzinfo=UTC))
    assert board("advance", "1.4", "start_concept", "--actor", "Koordination").exit_code == 0
    shown = board("show", "1.4").stdout
    assert (
        "  12.04.2011 16:00  Koordination: start_concept (Prüfung → Konzepterstellung) "
        "(Frist → 12.07.2011) (nachgetragen am 14.04.2011 09:30)\n" in shown
    )
    entry = json.loads(board("show", "1.4", "--json").stdout)["history"][-1]
    assert (entry["at"], entry["recorded_at"], entry["backdated"]) == (
        "2011-04-12T14:00:00+00:00",
        "2011-04-14T07:30:00+00:00",
        True,
    )
    # Recorded the same day it took effect: not booked afterwards.
    recording_clock(datetime(2011, 4, 12, 15, 0, tzinfo=UTC))
    assert board("note", "1.4", "Telefonat mit dem RZ").exit_code == 0
    assert json.loads(board("show", "1.4", "--json").stdout)["history"][-1]["backdated"] is False


@pytest.mark.parametrize(
    ("moment", "message"),
    [
        (
            "1995-01-01",
            "Fehler: Der Zeitpunkt 01.01.1995 00:00 liegt vor dem Anlegen von Mandat 1.4 (21.09.2010 00:00); "
            "davor kann nichts geschehen sein.\n",
        ),
        (
            "2011-02-01T09:00",
            "Fehler: Der Zeitpunkt 01.02.2011 09:00 liegt vor dem letzten Eintrag im Verlauf von 1.4 "
            "(01.03.2011 10:00); nachgetragen werden kann nur in zeitlicher Reihenfolge.\n",
        ),
        (
            "2030-01-03T09:00",
            "Fehler: Der Zeitpunkt 03.01.2030 09:00 liegt in der Zukunft; erlaubt ist jetzt (02.01.2030 09:00) "
            "oder früher, um etwas nachzutragen.\n",
        ),
    ],
    ids=["before the mandate", "before the last entry", "future"],
)
def test_an_impossible_moment_is_refused_and_nothing_written(board, frozen, engine, moment, message):
    frozen("2011-03-01T10:00")
    assert board("note", "1.4", "Verhandlungen laufen").exit_code == 0
    before = snapshot(engine)
    frozen(moment)
    result = board("hold", "1.4", "--reason", "x", "--actor", "Landrat")
    assert (result.exit_code, result.stderr) == (1, message)
    assert snapshot(engine) == before


def test_entries_record_the_account_beside_the_stated_actor(board, session):
    board("note", "1.4", "Anruf", "--actor", "Landrat")
    entry = session.exec(select(TransitionLog).order_by(TransitionLog.id.desc())).first()
    assert (entry.actor, entry.account, entry.channel) == ("Landrat", os_account(), "CLI")


@pytest.fixture
def chained(board, frozen):
    submitted(board, frozen)
    assert board("audit", "verify").stdout == (
        "Protokoll unversehrt: 19 Einträge geprüft, jede Kette vollständig, alle Daten stimmen.\n"
    )
    return board


def entry_id(engine, code: str, seq: int) -> int:
    with engine.connect() as connection:
        return connection.execute(
            text(
                "SELECT t.id FROM transition_log t JOIN mandate m ON m.id = t.mandate_id WHERE m.code = :c AND seq = :s"
            ),
            {"c": code, "s": seq},
        ).scalar_one()


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (
            "UPDATE transition_log SET actor = 'Landrat' WHERE id = :id",
            "wurde nachträglich verändert (Prüfsumme stimmt nicht)",
        ),
        (
            "UPDATE transition_log SET note = 'genehmigt' WHERE id = :id",
            "wurde nachträglich verändert (Prüfsumme stimmt nicht)",
        ),
        ("DELETE FROM transition_log WHERE id = :id", None),
    ],
    ids=["actor rewritten", "note rewritten", "entry deleted"],
)
def test_audit_verify_names_the_first_broken_entry(chained, engine, edit, reason):
    target = entry_id(engine, "1.4", 2)
    with engine.begin() as connection:
        connection.execute(text(edit), {"id": target})
    result = chained("audit", "verify")
    assert result.exit_code == 1
    if reason is None:
        following = entry_id(engine, "1.4", 3)
        reason = "Eintrag Nr. 2 fehlt (Kette unterbrochen)"
        where = f"Mandat 1.4, Eintrag Nr. 3 (ID {following})"
    else:
        where = f"Mandat 1.4, Eintrag Nr. 2 (ID {target})"
    total = 18 if "DELETE" in edit else 19
    assert result.stderr == (
        f"Fehler: Das Protokoll ist nicht unversehrt ({total} Einträge geprüft; erster Bruch je Mandat): "
        f"{where}: {reason}.\n"
    )


def test_audit_verify_finds_data_changed_without_history(chained, engine):
    last = entry_id(engine, "1.4", 4)
    with engine.begin() as connection:
        connection.execute(text("UPDATE mandate SET due_date = '2011-12-31' WHERE code = '1.4'"))
    result = chained("audit", "verify")
    assert (result.exit_code, result.stderr) == (
        1,
        "Fehler: Das Protokoll ist nicht unversehrt (19 Einträge geprüft; erster Bruch je Mandat): Mandat 1.4, "
        f"Eintrag Nr. 4 (ID {last}): die Daten des Mandats weichen vom letzten Eintrag ab (verändert ohne Verlauf).\n",
    )


# --- views as of a day -------------------------------------------------------------------------------------------


def test_list_and_show_as_of_a_day(board, frozen):
    submitted(board, frozen)
    frozen("2011-04-12T16:00")
    board("advance", "1.4", "open_decision")
    board("decision", "1.4", "luenen", "joined")
    board("advance", "1.4", "approve")
    rows = json.loads(board("list", "--json", "--as-of", "28.02.2011", "--lead", "luenen").stdout)
    assert [(r["code"], r["state"], r["due_date"], r["overdue"], r["version"]) for r in rows] == [
        ("1.4", "examine", "2010-12-15", True, None),
        ("2.1-LS", "on_hold", "2010-12-21", False, None),
    ]
    march = json.loads(board("list", "--json", "--as-of", "2011-03-15", "--lead", "luenen").stdout)
    assert (march[0]["state"], march[0]["due_date"], march[0]["overdue"]) == ("present", "2011-03-29", False)
    today = json.loads(board("list", "--json", "--lead", "luenen").stdout)
    assert today[0]["state"] == "implement"
    detail = json.loads(board("show", "1.4", "--json", "--as-of", "2011-03-20").stdout)
    assert (detail["state"], detail["due_date"], detail["meeting"], detail["participants"]) == (
        "present",
        "2011-03-29",
        {"date": "2011-04-12", "title": "Sitzung der Bürgermeisterkonferenz"},
        [],
    )
    assert [e["trigger"] for e in detail["history"]] == ["import", "start_concept", "edit", "submit"]
    shown = board("show", "1.4", "--as-of", "2011-03-20").stdout
    assert shown.splitlines()[0] == "1.4 – Einkaufsgemeinschaft LOGA (Stand 20.03.2011)"
    assert "Mögliche Schritte" not in shown
    early = board("show", "1.4", "--as-of", "2010-09-01")
    assert (early.exit_code, early.stderr) == (
        1,
        "Fehler: Mandat 1.4 gab es am 01.09.2010 noch nicht (angelegt am 21.09.2010).\n",
    )


# --- a restore is an import --------------------------------------------------------------------------------------


def _first(rows, **match):
    return next(row for row in rows if all(row[key] == value for key, value in match.items()))


TAMPERED = {
    "log entry deleted": (
        lambda t: t["transition_log"].remove(_first(t["transition_log"], mandate_id=4, seq=2)),
        "Die Sicherung {path} enthält ein verändertes Protokoll: Mandat 1.4, Eintrag Nr. 3 (ID {id3}): "
        "Eintrag Nr. 2 fehlt (Kette unterbrochen). Nichts wurde eingespielt.",
    ),
    "actor rewritten": (
        lambda t: _first(t["transition_log"], mandate_id=4, seq=2).update(actor="Landrat"),
        "Die Sicherung {path} enthält ein verändertes Protokoll: Mandat 1.4, Eintrag Nr. 2 (ID {id2}): "
        "wurde nachträglich verändert (Prüfsumme stimmt nicht). Nichts wurde eingespielt.",
    ),
    "unknown state": (
        lambda t: _first(t["mandate"], code="1.4").update(state="fertig"),
        "Sicherung {path}, Tabelle mandate, Zeile 4, Spalte state: 'fertig' ist kein Zustand; erlaubt: examine, "
        "propose, present, decide, implement, control, on_hold, closed, rejected, withdrawn. Nichts wurde eingespielt.",
    ),
    "unknown held state": (
        lambda t: _first(t["mandate"], code="2.1-LS").update(held_state="dösen"),
        "Sicherung {path}, Tabelle mandate, Zeile 16, Spalte held_state: 'dösen' ist kein aktiver Zustand; "
        "erlaubt: examine, propose, present, decide, implement, control. Nichts wurde eingespielt.",
    ),
    "held state without hold": (
        lambda t: _first(t["mandate"], code="1.4").update(held_state="examine"),
        "Sicherung {path}, Tabelle mandate, Zeile 4, Spalte held_state: ein ruhendes Mandat braucht den Zustand, "
        "aus dem es ruht, und nur ein ruhendes hat einen. Nichts wurde eingespielt.",
    ),
    "unknown outbox status": (
        lambda t: t["outbox"].append({**_OUTBOX, "status": "verloren"}),
        "Sicherung {path}, Tabelle outbox, Zeile 1, Spalte status: 'verloren' ist kein Versandstatus; erlaubt: "
        "queued, sent, failed. Nichts wurde eingespielt.",
    ),
    "address with a line break": (
        lambda t: t["contact"][0].update(email="it@kamen.example\nBcc: alle@x.example"),
        "Sicherung {path}, Tabelle contact, Zeile 1, Spalte email: enthält einen Zeilenumbruch. Nichts wurde eingespielt.",
    ),
    "dangling reference": (
        lambda t: t["mandate_lead"][0].update(body_id=999),
        "Sicherung {path}, Tabelle mandate_lead, Zeile 1, Spalte body_id: 999 verweist auf keine Zeile der Tabelle "
        "body. Nichts wurde eingespielt.",
    ),
    "id beyond the integer range": (
        lambda t: t["mandate_lead"][0].update(body_id=2**40),
        "Sicherung {path}, Tabelle mandate_lead, Zeile 1, Spalte body_id: 1099511627776 liegt außerhalb des "
        "Zahlenbereichs der Datenbank (-2147483648 bis 2147483647). Nichts wurde eingespielt.",
    ),
    "amount beyond range": (
        lambda t: _first(t["mandate"], code="1.4").update(savings_target=-5),
        "Sicherung {path}, Tabelle mandate, Zeile 4, Spalte savings_target: -5 € liegt außerhalb von 0 € bis "
        "1.000.000.000 €. Nichts wurde eingespielt.",
    ),
    "nested value": (
        lambda t: t["body"][0].update(name={"a": [1, 2]}),
        "Sicherung {path}, Tabelle body, Zeile 1, Spalte name: {{'a': [1, 2]}} ist kein Text. Nichts wurde eingespielt.",
    ),
}

_OUTBOX = {
    "id": 1, "message_id": "<x@kreis-unna.example>", "kind": "reminder", "recipient": "it@kamen.example",
    "subject": "s", "raw": "r", "status": "queued", "attempts": 0, "next_attempt_at": "2010-11-02T09:00:00+00:00",
    "lease_owner": None, "lease_until": None, "last_error": None, "created_at": "2010-11-02T09:00:00+00:00",
    "sent_at": None, "failed_at": None, "reported_at": None,
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(TAMPERED))
def test_a_tampered_or_bad_backup_is_refused_with_the_database_untouched(
    board, frozen, engine, second_db_url, tmp_path, case
):
    submitted(board, frozen)
    with transaction(engine) as session:
        data = backup_data(session, now=NOW)
    change, message = TAMPERED[case]
    change(data["tables"])
    path = tmp_path / "sicherung.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    target = make_engine(second_db_url)
    untouched = snapshot(target)
    result = run(second_db_url, "import", str(path))
    ids = {f"id{seq}": entry_id(engine, "1.4", seq) for seq in (2, 3)}
    assert (result.exit_code, result.stderr) == (1, "Fehler: " + message.format(path=path, **ids) + "\n")
    assert snapshot(target) == untouched
    target.dispose()


def test_a_backup_nested_too_deep_is_refused(board, tmp_path):
    path = tmp_path / "tief.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    result = board("import", str(path))
    assert (result.exit_code, result.stderr) == (
        1,
        f"Fehler: Die Sicherung {path} ist zu tief verschachtelt; eine ikz-Sicherung ist eine Liste von Zeilen je "
        "Tabelle.\n",
    )


@pytest.mark.parametrize(
    ("catalogue", "message"),
    [
        ("catalogue: x\nmandates: " + "[" * 5000 + "]" * 5000 + "\n", "Zeile 2: zu tief verschachtelt"),
        ("catalogue: x\nmandates:\n" + "".join("  " * i + "- \n" for i in range(1, 300)), "Zeile 12: zu tief"),
        ("catalogue: x\nfields: &a\n  - {number: 1, name: a}\nbodies: *a\n", "Zeile 2: Anker und Verweise"),
    ],
    ids=["flow", "block", "alias"],
)
def test_a_catalogue_nested_too_deep_or_with_aliases_is_refused(cli, tmp_path, catalogue, message):
    cli("init")
    path = tmp_path / "tief.yaml"
    path.write_text(catalogue, encoding="utf-8")
    result = cli("import", str(path))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Fehler: tief.yaml, {message}")


# --- dates make sense --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["edit", "1.4", "--due", "2010-09-01"],
            "Fehler: Die Frist 01.09.2010 liegt vor dem Beginn von Mandat 1.4 (21.09.2010); erlaubt ist dieser Tag "
            "oder später.\n",
        ),
        (
            ["savings", "1.1", "2009", "100"],
            "Fehler: Ungültiges Jahr 2009 für 1.1; erlaubt: 2010 bis 2010.\n",
        ),
    ],
    ids=["deadline before the start", "saving before the start"],
)
def test_dates_before_a_mandate_began_are_refused(board, engine, args, message):
    before = snapshot(engine)
    result = board(*args)
    assert (result.exit_code, result.stderr) == (1, message)
    assert snapshot(engine) == before


def test_a_decision_dated_outside_the_mandates_life_is_refused(board, frozen, engine):
    submitted(board, frozen)
    frozen("2011-04-12T16:00")
    board("advance", "1.4", "open_decision")
    before = snapshot(engine)
    result = board("decision", "1.4", "luenen", "joined", "--date", "2011-05-01")
    assert (result.exit_code, result.stderr) == (
        1,
        "Fehler: Das Datum der Entscheidung 01.05.2011 liegt außerhalb der Laufzeit von 1.4; erlaubt: 21.09.2010 "
        "bis 12.04.2011.\n",
    )
    assert snapshot(engine) == before


def test_no_view_prints_a_negative_duration(loaded):
    config = settings_module.load(environ={})
    from notifications.digest import digest_data

    with transaction(loaded) as session:
        october = digest_data(session, date(2010, 10, 1), settings=config)
    assert [(m["code"], m["since"], m["days"]) for m in october["on_hold"]] == [("2.1-LS", date(2010, 9, 21), 10)]
    assert all(m["days"] >= 0 for m in october["overdue"] + october["deadlines"])


def test_the_digest_marks_a_step_booked_afterwards(board, frozen, recording_clock):
    frozen("2011-02-10T10:00")
    recording_clock(datetime(2011, 2, 15, 8, 0, tzinfo=UTC))
    assert board("advance", "1.4", "start_concept", "--actor", "Koordination").exit_code == 0
    text = board("digest", "--month", "2011-03").stdout
    assert (
        "   1.4 Einkaufsgemeinschaft LOGA, 10. Februar 2011: Prüfung → Konzepterstellung (Koordination) "
        "(nachgetragen am 15.02.2011)\n" in text
    )
