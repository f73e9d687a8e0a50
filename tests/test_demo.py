"""The README's main command runs end to end on the embedded defaults, and leaves a database whose records hold."""

import json
import shutil
import sqlite3

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from ikz.cli.main import ikz
from ikz.demo import run
from models import Mandate, TransitionLog
from models.db import make_engine


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    lines = []
    path = run(tmp_path_factory.mktemp("demo"), lines.append)
    return path, lines


def test_demo_walks_1_4_to_its_decision(demo):
    path, lines = demo
    assert "12.04.2011  1.4 Entscheidung → Umsetzung" in lines
    assert "30.03.2011  Tagesordnung für den 12.04.2011 ausgegeben: Fassung 1, 1 Beschlussvorlage" in lines
    # Lünen answers its reminder by mail; the coordinator accepts the new deadline.
    start = lines.index(
        "02.03.2011  Erinnerung an Petra Schulte (Lünen): ikz 1.4 Einkaufsgemeinschaft LOGA – Konzepterstellung"
    )
    assert lines[start + 1 : start + 3] == [
        "02.03.2011  Antwort von Petra Schulte (Lünen) zu 1.4: „Neue Frist: 31.03.2011 – Verhandlungen mit dem RZ "
        "laufen“ → Vorschlag 1",
        "03.03.2011  1.4 Vorschlag 1 angenommen: Frist: 16.03.2011 → 31.03.2011",
    ]
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        states = dict(session.exec(select(Mandate.code, Mandate.state)).all())
        loga = session.exec(select(Mandate).where(Mandate.code == "1.4")).one()
        entries = session.exec(select(TransitionLog).where(TransitionLog.mandate_id == loga.id)).all()
    engine.dispose()
    assert (states["1.4"], states["2.1-LS"], states["1.2"]) == ("implement", "examine", "propose")
    by_mail = [(e.trigger, e.actor) for e in entries if e.channel == "E-Mail"]
    assert by_mail == [("propose", "Petra Schulte (Lünen)")]


def test_demo_pauses_a_hold_undoes_a_mistake_takes_a_late_joiner_and_closes_duties(demo):
    path, lines = demo
    # 2.1-LS was on hold from the start (21.09.2010) until 01.02.2011: its deadline moved by those working days.
    assert "01.02.2011  2.1-LS Auf Eis → Prüfung; Frist: 21.12.2010 → 04.05.2011 (94 Arbeitstage auf Eis)" in lines
    assert "10.01.2011  7.1 Prüfung → Zurückgezogen" in lines
    assert (
        "10.01.2011  7.1 Korrektur: Schritt „zurückziehen“ vom 10.01.2011 10:00 (Eintrag Nr. 2) rückgängig gemacht: "
        "versehentlich 7.1 statt 1.7 gewählt" in lines
    )
    assert (
        "17.05.2011  1.4: Holzwickede später beigetreten (Ratsbeschluss Holzwickede vom 12.05.2011), jetzt beteiligt"
        in lines
    )
    assert (
        "26.11.2010  1.1: Vorbereitung der Sitzung des IT-Arbeitskreises (fällig am 30.11.2010) erledigt am "
        "25.11.2010 (Protokoll der Sitzung in Bergkamen vom 25.11.2010)" in lines
    )
    db = f"sqlite:///{path}"
    with sqlite3.connect(path) as connection:
        states = dict(connection.execute("SELECT code, state FROM mandate WHERE code IN ('7.1', '2.1-LS')"))
        log = connection.execute(
            "SELECT t.seq, t.trigger, t.corrects FROM transition_log t JOIN mandate m ON m.id = t.mandate_id "
            "WHERE m.code = '7.1' ORDER BY t.seq"
        ).fetchall()
        done = connection.execute("SELECT occurrence, done_on FROM duty_done ORDER BY occurrence").fetchall()
        holzwickede = connection.execute(
            "SELECT count(*) FROM participant p JOIN mandate m ON m.id = p.mandate_id JOIN body b ON b.id = p.body_id "
            "WHERE m.code = '1.4' AND b.key = 'holzwickede'"
        ).fetchone()
    assert states == {"7.1": "examine", "2.1-LS": "examine"}
    assert log == [(1, "import", None), (2, "withdraw", None), (3, "undo", 2)]
    assert done == [("2010-11-30", "2010-11-25"), ("2011-03-31", "2011-04-12")]
    assert holzwickede == (1,)
    matrix = CliRunner().invoke(ikz, ["--db", db, "participation", "--json"])
    loga = next(row for row in json.loads(matrix.stdout)["mandates"] if row["code"] == "1.4")
    assert loga["bodies"]["holzwickede"] == "joined_later"
    assert loga["joined_later"]["holzwickede"] == {
        "date": "2011-05-17",
        "reference": "Ratsbeschluss Holzwickede vom 12.05.2011",
    }


def test_audit_verify_passes_on_the_demo_and_names_an_entry_edited_with_sqlite3(demo, tmp_path):
    path, _lines = demo
    copy = tmp_path / "bearbeitet.db"
    shutil.copy(path, copy)
    passed = CliRunner().invoke(ikz, ["--db", f"sqlite:///{path}", "audit", "verify"])
    assert passed.exit_code == 0
    assert passed.stdout.startswith("Protokoll unversehrt: ")
    with sqlite3.connect(copy) as connection:
        entry_id, seq = connection.execute(
            "SELECT t.id, t.seq FROM transition_log t JOIN mandate m ON m.id = t.mandate_id "
            "WHERE m.code = '1.4' AND t.trigger = 'approve'"
        ).fetchone()
        connection.execute("UPDATE transition_log SET actor = 'Landrat' WHERE id = ?", (entry_id,))
    failed = CliRunner().invoke(ikz, ["--db", f"sqlite:///{copy}", "audit", "verify"])
    assert failed.exit_code == 1
    assert (
        f"Mandat 1.4, Eintrag Nr. {seq} (ID {entry_id}): wurde nachträglich verändert (Prüfsumme stimmt nicht)."
        in failed.stderr
    )
