"""The benchmarks' synthetic programme: a valid programme of today's schema, on SQLite and PostgreSQL alike."""

import subprocess
import sys

from sqlmodel import Session

from bench import synthetic
from ikz import settings
from models.db import make_engine
from notifications.monthly import recipients

SIZE = 300


def test_generated_programme_verifies_and_reads(db_url, cli):
    counts = synthetic.generate(db_url, SIZE)
    assert counts["mandate"] == SIZE
    # 3–8 entries per generated mandate, one per shipped one, and the long history.
    assert counts["transition_log"] >= 16 + (SIZE - 16) * 3 + synthetic.LONG_HISTORY
    assert counts["transition_log"] <= 16 + (SIZE - 16) * 8 + synthetic.LONG_HISTORY

    result = cli("audit", "verify")
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"Protokoll unversehrt: {counts['transition_log']} Einträge geprüft, "
        "jede Kette vollständig, alle Daten stimmen.\n"
    )

    listed = cli("list")
    assert listed.exit_code == 0, listed.output
    assert "Angebotsplattform" in listed.output and "1.101" in listed.output

    shown = cli("show", synthetic.LONG_HISTORY_CODE)
    assert shown.exit_code == 0, shown.output
    assert "Stellenmeldung 10000:" in shown.output

    # Ids were given explicitly: a change afterwards must still get fresh ids (PostgreSQL's sequences).
    noted = cli("note", "1.101", "Nach dem Erzeugen vermerkt", "--actor", "koordination")
    assert noted.exit_code == 0, noted.output
    assert cli("audit", "verify").exit_code == 0


def test_digest_goes_to_coordinator_and_leads(db_url):
    synthetic.generate(db_url, SIZE)
    engine = make_engine(db_url)
    with Session(engine) as session:
        found = recipients(session, settings.load(environ={}))
    engine.dispose()
    # The coordinator and the 56 addresses answering for some lead, as in issue 14.
    assert len(found) == 57
    assert found[0] == ("ikz@kreis-unna.example", "Koordinierungsstelle IKZ")


def test_catalogue_file_imports(db_url, cli, tmp_path, monkeypatch):
    monkeypatch.setenv(synthetic.CACHE_VARIABLE, str(tmp_path))
    path = synthetic.catalogue_file(200)
    assert path.parent == tmp_path
    assert synthetic.catalogue_file(200) == path  # cached

    assert cli("init").exit_code == 0
    result = cli("import", str(path), "--actor", "koordination")
    assert result.exit_code == 0, result.output
    assert cli("audit", "verify").output == (
        "Protokoll unversehrt: 200 Einträge geprüft, jede Kette vollständig, alle Daten stimmen.\n"
    )


def test_stdlib_baseline_prints_what_list_prints(db_url, cli, frozen):
    synthetic.generate(db_url, 16)
    frozen(synthetic.NOW_TEXT)
    listed = cli("list")
    baseline = subprocess.run(
        [sys.executable, "bench/baseline.py", "list", db_url],
        cwd=synthetic.ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert baseline.stdout == listed.output
    assert "überfällig" in listed.output
