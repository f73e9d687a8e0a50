"""The coordinator CLI: exact German output, exit codes and what lands in the database."""

import json
import os
import subprocess
import sys

import click
import pytest
from sqlmodel import select

from ikz.cli.main import COMMANDS, ikz, load_all
from models import Mandate, Meeting, TransitionLog
from models.db import database_url
from models.schema import EXPECTED_REVISION, head_revision
from tests.snapshot import snapshot
from workflow import lifecycle
from workflow.seam import os_account


@pytest.fixture
def board(cli):
    assert cli("init", "--catalogue", "kreis-unna-2010").exit_code == 0
    return cli


def test_init_reports_the_schema_and_is_repeatable(cli, db_url):
    first = cli("init", "--catalogue", "kreis-unna-2010")
    assert first.exit_code == 0
    assert first.stdout.splitlines()[0] == f"Datenbank {db_url} ist aktuell (Schemastand {EXPECTED_REVISION})."
    assert first.stdout.splitlines()[1].startswith("Katalog kreis-unna-2010 importiert. Mandate: 16 neu, 0 geändert;")


def test_init_sets_up_an_empty_database(tmp_path, frozen):
    url = f"sqlite:///{tmp_path / 'neu.db'}"
    result = click.testing.CliRunner().invoke(ikz, ["--db", url, "init"])
    assert (result.exit_code, result.stdout) == (
        0,
        f"Datenbank {url} eingerichtet (Schemastand {EXPECTED_REVISION}).\n",
    )


def test_commands_refuse_a_database_that_was_never_set_up(tmp_path, frozen):
    url = f"sqlite:///{tmp_path / 'fehlt.db'}"
    result = click.testing.CliRunner().invoke(ikz, ["--db", url, "list"])
    assert (result.exit_code, result.stderr) == (
        1,
        f"Fehler: Die Datenbank {url} ist nicht eingerichtet. Zuerst: ikz init --catalogue kreis-unna-2010\n",
    )
    assert not (tmp_path / "fehlt.db").exists()


def test_list_prints_a_german_table(board, frozen):
    frozen("2011-02-15T10:00:00+01:00")
    lines = board("list", "--field", "1").stdout.splitlines()
    assert lines[0].split() == ["Code", "Feld", "Titel", "Zustand", "Federführung", "Frist"]
    # A stage without a deadline in the catalogue gets the default from the day it was agreed (12 months).
    assert lines[2].split() == ["1.1", "1", "IT-Arbeitskreis", "Umsetzung", "IT-Arbeitskreis", "21.09.2011"]
    assert lines[3].split() == [
        "1.2",
        "1",
        "Breitbandverkabelung",
        "Konzepterstellung",
        "Bergkamen,",
        "Kamen",
        "31.01.2011",
        "überfällig",
    ]
    assert len(lines) == 2 + 8


@pytest.mark.parametrize(
    ("args", "codes"),
    [
        (["--state", "examine"], ["1.4", "2.1", "5.1", "7.1"]),
        (["--lead", "Lünen"], ["1.4", "2.1-LS"]),
        (["--lead", "ak-kaemmerer", "--state", "examine"], ["2.1", "5.1", "7.1"]),
        (["--field", "2"], ["2.1", "2.1-LS"]),
        (["--overdue"], ["1.2", "1.4"]),
    ],
)
def test_list_filters(board, frozen, args, codes):
    frozen("2011-02-15T10:00:00+01:00")
    rows = json.loads(board("list", "--json", *args).stdout)
    assert [row["code"] for row in rows] == codes


def test_list_json_is_the_documented_shape(board):
    rows = json.loads(board("list", "--json", "--lead", "kamen").stdout)
    assert rows[0] == {
        "code": "1.2",
        "field": 1,
        "field_name": "Informationstechnologien",
        "title": "Breitbandverkabelung",
        "state": "propose",
        "state_label": "Konzepterstellung",
        "held_state": None,
        "leads": ["bergkamen", "kamen"],
        "due_date": "2011-01-31",
        "overdue": False,
        "deadline_missing": False,
        "savings_target": None,
        "version": 1,
    }


def test_list_with_an_unknown_lead(board):
    result = board("list", "--lead", "Dortmund")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Fehler: Stelle 'Dortmund' gibt es nicht. Bekannt: ak-bauhof, ak-kaemmerer, bergkamen,"
    )


def test_advance_moves_and_show_has_the_step(board, session):
    result = board("advance", "1.4", "start_concept", "--note", "Verhandlungen aufgenommen", "--actor", "Koordination")
    assert (result.exit_code, result.stdout) == (
        0,
        "1.4: Prüfung → Konzepterstellung (start_concept).\nFrist: 02.02.2011.\n"
        "Erlaubt im Zustand Konzepterstellung: submit, hold, withdraw.\n",
    )
    shown = board("show", "1.4").stdout
    assert "Zustand:         Konzepterstellung\n" in shown
    assert (
        "  02.11.2010 10:00  Koordination: start_concept (Prüfung → Konzepterstellung) – Verhandlungen aufgenommen"
        " (Frist → 02.02.2011) (nachgetragen am 02.01.2030 09:00)\n" in shown
    )
    assert shown.endswith(
        "Mögliche Schritte: submit (der Bürgermeisterkonferenz vorlegen), hold (auf Eis legen), withdraw (zurückziehen)\n"
    )
    detail = json.loads(board("show", "1.4", "--json").stdout)
    assert detail["history"][-1] == {
        "at": "2010-11-02T09:00:00+00:00",
        "actor": "Koordination",
        "trigger": "start_concept",
        "from": "examine",
        "to": "propose",
        "note": "Verhandlungen aufgenommen",
        "channel": "CLI",
        "recorded_at": "2030-01-02T08:00:00+00:00",
        "account": os_account(),
        "backdated": True,
        "seq": 2,
        "due_date": "2011-02-02",
        "due_changed": True,
        "corrects": None,
        "undone_at": None,
    }
    assert detail["allowed"] == ["submit", "hold", "withdraw"]
    assert detail["lead_bodies"] == [{"key": "luenen", "name": "Lünen"}]


def test_a_refused_step_exits_1_with_one_german_line(board, engine):
    before = snapshot(engine)
    result = board("advance", "1.4", "approve")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "Fehler: Schritt 'approve' (zustimmen) für 1.4 ist im Zustand Prüfung nicht möglich. "
        "Erlaubt im Zustand Prüfung: start_concept, hold, withdraw.\n"
    )
    assert snapshot(engine) == before


def test_show_names_what_blocks_what(board):
    shown = board("show", "2.1-LS").stdout
    assert "Zustand:         Auf Eis (aus Prüfung)\n" in shown
    assert "Wartet auf:      2.1 (Prüfung)\n" in shown
    assert "Blockiert:       2.1-LS\n" in board("show", "2.1").stdout


def test_full_walk_to_the_april_conference(board, frozen, session):
    assert (
        board("edit", "1.4", "--concept", "Konzept LOGA", "--plan", "WP-LOGA-2011", "--target", "40.000").exit_code == 0
    )
    assert board("advance", "1.4", "start_concept").exit_code == 0
    result = board("advance", "1.4", "submit", "--meeting", "12.04.2011")
    assert result.exit_code == 0, result.stderr
    refused = board("advance", "1.4", "open_decision")
    assert refused.exit_code == 1
    assert "die Sitzung am 12.04.2011 hat noch nicht stattgefunden" in refused.stderr
    frozen("2011-04-12T16:00:00+02:00")
    assert board("advance", "1.4", "open_decision").exit_code == 0
    assert (
        board("decision", "1.4", "luenen", "joined", "--ref", "Ratsbeschluss 2011/17").stdout
        == "1.4: Lünen – beigetreten.\n"
    )
    assert board("advance", "1.4", "approve", "--note", "Einstimmig").exit_code == 0
    mandate = session.exec(select(Mandate).where(Mandate.code == "1.4")).one()
    assert (mandate.state, mandate.savings_target, mandate.plan_ref) == ("implement", 40000, "WP-LOGA-2011")
    triggers = session.exec(
        select(TransitionLog.trigger).where(TransitionLog.mandate_id == mandate.id).order_by(TransitionLog.id)
    ).all()
    assert triggers == ["import", "edit", "start_concept", "submit", "open_decision", "decision", "approve"]


def test_hold_and_resume_commands(board, session):
    assert board("hold", "1.2", "--reason", "Anbieter prüfen Trassen").stdout == (
        "1.2: Konzepterstellung → Auf Eis (hold).\nErlaubt im Zustand Auf Eis: resume, withdraw.\n"
    )
    missing = board("hold", "1.3")
    assert missing.exit_code == 2
    assert "Fehlende Option '--reason'." in missing.stderr
    assert board("resume", "1.2").stdout == (
        "1.2: Auf Eis → Konzepterstellung (resume).\nErlaubt im Zustand Konzepterstellung: submit, hold, withdraw.\n"
    )
    assert session.exec(select(Mandate.due_date).where(Mandate.code == "1.2")).one().isoformat() == "2011-01-31"


def test_edit_reports_changes_and_refuses_bad_values(board):
    assert board("edit", "1.3", "--due", "2011-06-30", "--target", "120000").stdout == (
        "1.3 geändert: Frist: 23.06.2011 → 30.06.2011; Effizienzziel: – → 120.000 €.\n"
    )
    assert board("edit", "1.3", "--due", "30.06.2011").stdout == "1.3: nichts geändert.\n"
    bad = board("edit", "1.3", "--target", "-5")
    assert bad.exit_code == 2
    assert bad.stderr.endswith(
        "Fehler: Ungültiger Wert für '--target': '-5' ist kein Betrag; erlaubt: ganze Euro ohne Vorzeichen bis 1.000.000.000, z. B. 120000 oder 120.000.\n"
    )
    assert board("edit", "1.3", "--plan", "  ").stderr == "Fehler: Wirtschaftsplan darf nicht leer sein.\n"


def test_meetings_are_added_and_listed(board, session):
    assert (
        board("meeting", "add", "2011-09-13", "--title", "BMK Herbst").stdout
        == "Sitzung am 13.09.2011 angelegt: BMK Herbst.\n"
    )
    past = board("meeting", "add", "2010-10-01")
    assert (past.exit_code, past.stderr) == (
        1,
        "Fehler: Das Sitzungsdatum 01.10.2010 liegt in der Vergangenheit; erlaubt ist heute (02.11.2010) oder später.\n",
    )
    twice = board("meeting", "add", "2011-04-12")
    assert twice.stderr == "Fehler: Am 12.04.2011 ist bereits eine Sitzung der Bürgermeisterkonferenz angelegt.\n"
    lines = board("meeting", "list").stdout.splitlines()
    assert lines[2:] == [
        "16.03.2011  AK der Kämmerer         Sitzung des AK der Kämmerer",
        "12.04.2011  Bürgermeisterkonferenz  Sitzung der Bürgermeisterkonferenz",
        "13.09.2011  Bürgermeisterkonferenz  BMK Herbst",
    ]
    assert len(session.exec(select(Meeting)).all()) == 3


def test_usage_errors_exit_2_in_german(board):
    result = board("advance", "1.4")
    assert result.exit_code == 2
    assert (
        result.stderr
        == "Aufruf: ikz advance [OPTIONEN] CODE SCHRITT\nHilfe: 'ikz advance --help'.\n\nFehler: Fehlendes Argument 'SCHRITT'.\n"
    )
    unknown = board("frobnicate")
    assert (unknown.exit_code, unknown.stderr.splitlines()[-1]) == (2, "Fehler: Unbekannter Befehl 'frobnicate'.")


def test_lifecycle_prints_the_machine_as_mermaid(cli):
    result = cli("lifecycle")
    assert (result.exit_code, result.stdout) == (0, lifecycle.mermaid())


def test_the_table_of_lazily_loaded_commands_names_what_each_module_registers():
    import importlib

    registered = {}
    for module_name in set(COMMANDS.values()):
        group = click.Group()
        importlib.import_module(f"ikz.cli.{module_name}").register(group)
        registered.update(dict.fromkeys(group.commands, module_name))
    assert registered == COMMANDS


def test_a_command_loads_only_its_own_module():
    code = "import sys; from ikz.cli.main import main; sys.argv = ['ikz', 'advance', '--help']; main()"
    probe = f"import atexit, sys; atexit.register(lambda: print(sorted(m for m in sys.modules if m.startswith('ikz.cli.')), file=sys.stderr)); {code}"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stderr.strip() == str(
        [
            "ikz.cli.app",
            "ikz.cli.common",
            "ikz.cli.german",
            "ikz.cli.main",
            "ikz.cli.mandates",
            "ikz.cli.output",
            "ikz.cli.params",
            "ikz.cli.vocabulary",
        ]
    )


def _commands(group, prefix=()):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))
        else:
            yield (*prefix, name), command


@pytest.mark.parametrize(
    ("path", "command"), list(_commands(load_all())), ids=lambda v: " ".join(v) if isinstance(v, tuple) else ""
)
def test_every_command_has_german_help_with_an_example(path, command):
    assert command.help and "Beispiel:" in command.help
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{'/'.join(path)} {param.name} has no help"


def test_expected_revision_is_the_newest_migration():
    assert head_revision() == EXPECTED_REVISION


def test_postgres_urls_use_psycopg3(monkeypatch):
    monkeypatch.delenv("IKZ_DATABASE_URL", raising=False)
    assert database_url("postgresql://db/ikz") == "postgresql+psycopg://db/ikz"
    assert database_url() == "sqlite:///ikz.db"
    monkeypatch.setenv("IKZ_DATABASE_URL", "sqlite:////srv/ikz.db")
    assert database_url() == "sqlite:////srv/ikz.db"


def test_two_processes_advancing_at_once_one_wins(board, db_url, session):
    env = {**os.environ, "IKZ_NOW": "2010-11-02T10:00:00+01:00"}
    command = [sys.executable, "-m", "ikz.cli", "--db", db_url, "advance", "1.4", "start_concept"]
    runs = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    results = sorted((p.wait(timeout=60), p.stderr.read()) for p in runs)
    assert [code for code, _ in results] == [0, 1]
    assert results[1][1].startswith("Fehler: ")
    assert "Traceback" not in results[1][1]
    count = session.exec(select(TransitionLog).where(TransitionLog.trigger == "start_concept")).all()
    assert len(count) == 1


def _console(db_url: str, *args: str) -> subprocess.CompletedProcess:
    """`ikz ARGS…` through the console script's main(), with an atexit hook that says whether teardown ran."""
    probe = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('[teardown]', file=sys.stderr))\n"
        "from ikz.cli.main import main\n"
        f"sys.argv = ['ikz', '--db', {db_url!r}, *{list(args)!r}]\n"
        "main()\n"
    )
    env = {**os.environ, "IKZ_NOW": "2010-11-02T10:00:00+01:00"}
    return subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60)


def test_show_and_list_print_everything_and_leave_without_teardown(board, db_url):
    """The read commands end the process after flushing; what they print and their exit codes stay the same."""
    shown = _console(db_url, "show", "1.4")
    assert (shown.returncode, shown.stderr) == (0, "")
    assert shown.stdout == board("show", "1.4").stdout
    listed = _console(db_url, "list", "--all")
    assert (listed.returncode, listed.stderr) == (0, "")
    assert listed.stdout == board("list", "--all").stdout
    unknown = _console(db_url, "show", "9.9")
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("Fehler: Mandat '9.9' gibt es nicht.")
    assert "[teardown]" not in unknown.stderr
    # A writing command keeps Python's normal exit, atexit handlers and all.
    moved = _console(db_url, "advance", "1.4", "start_concept")
    assert (moved.returncode, moved.stderr) == (0, "[teardown]\n")
