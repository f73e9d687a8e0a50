"""The database address is checked at the door; a server that cannot be used is one German line saying why."""

import re

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ikz.cli.main import ikz
from tests.conftest import PG_URL, backend
from tests.smtp_server import free_port
from tests.strategies import nasty_text

FORMS = "sqlite:///DATEI oder postgresql://[BENUTZER[:PASSWORT]@]HOST[:PORT]/DATENBANK"


def run(*args: str):
    return CliRunner().invoke(ikz, list(args), prog_name="ikz", catch_exceptions=False)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("foo", f"Die Datenbank-Adresse 'foo' ist ungültig: nicht lesbar; erlaubt: {FORMS}."),
        (
            "mysql://ikz:geheim@db/ikz",
            f"Die Datenbank-Adresse 'mysql://ikz:***@db/ikz' ist ungültig: ikz arbeitet nur mit SQLite und "
            f"PostgreSQL; erlaubt: {FORMS}.",
        ),
        (
            "postgresql://ikz:geheim@127.0.0.1:99999/ikz",
            "Die Datenbank-Adresse 'postgresql+psycopg://ikz:***@127.0.0.1:99999/ikz' ist ungültig: der Port 99999 "
            f"liegt nicht zwischen 1 und 65535; erlaubt: {FORMS}.",
        ),
        (
            "postgresql://ikz:geheim@[::1/ikz",
            f"Die Datenbank-Adresse 'postgresql+psycopg://ikz:***@[::1/ikz' ist ungültig: nicht lesbar; erlaubt: {FORMS}.",
        ),
        (
            "postgresql://127.0.0.1:9/ikz",
            "Die Datenbank postgresql+psycopg://127.0.0.1:9/ikz ist nicht erreichbar. Läuft der Server, und stimmt "
            "die Adresse?",
        ),
    ],
    ids=["no url", "another backend", "port", "unparsable", "nobody listens"],
)
def test_an_unusable_address_is_named_without_its_password(url, message):
    for command in (["outbox", "list"], ["init"], ["db", "current"]):
        result = run("--db", url, *command)
        assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"Fehler: {message}\n")


def test_a_sqlite_file_that_cannot_be_opened(tmp_path):
    result = run("--db", f"sqlite:///{tmp_path}/fehlt/ikz.db", "init")
    assert (result.exit_code, result.stderr) == (
        1,
        f"Fehler: Die Datenbank sqlite:///{tmp_path}/fehlt/ikz.db lässt sich nicht öffnen (unable to open database file).\n",
    )


@pytest.mark.skipif(not PG_URL, reason="needs the PostgreSQL server (set IKZ_TEST_DATABASE_URL)")
def test_a_database_the_server_does_not_have_is_named_as_missing():
    url = re.sub(r"/[^/]*$", "/ikz_gibt_es_nicht", PG_URL)
    for command in (["outbox", "list"], ["init"], ["scheduler", "run"], ["remind"]):
        result = run("--db", url, *command)
        assert result.exit_code == 1
        assert re.fullmatch(
            r"Fehler: Die Datenbank ikz_gibt_es_nicht gibt es auf dem Server [^ ]+ nicht \(postgresql\+psycopg://[^)]*"
            r"/ikz_gibt_es_nicht\)\. Anlegen, z\. B\. mit: createdb ikz_gibt_es_nicht; dann: ikz init\n",
            result.stderr,
        ), result.stderr


@pytest.mark.skipif(not PG_URL, reason="needs the PostgreSQL server (set IKZ_TEST_DATABASE_URL)")
def test_a_server_that_refuses_the_user_says_why():
    url = re.sub(r"://([^@/]*@)?", "://niemand_hier@", PG_URL, count=1)
    result = run("--db", url, "outbox", "list")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Fehler: Der Datenbankserver verweigert die Verbindung zu postgresql+psycopg://niemand_hier@"
    )
    assert result.stderr.count("\n") == 1


# Addresses that cannot reach a slow network: SQLite paths, and PostgreSQL on this machine only.
URLS = st.one_of(
    nasty_text(30),
    st.tuples(
        st.sampled_from(["sqlite://", "sqlite:///", "postgresql://", "postgres://", "mysql://", "x://", ""]),
        nasty_text(20),
    ).map("".join),
    st.builds(
        "postgresql://{}:{}@127.0.0.1:{}/{}".format,
        st.sampled_from(["ikz", "", "a b"]),
        st.sampled_from(["Geheim-4711!", "p@ss/wort"]),
        # Ports nobody listens on, or no ports at all: another number could reach a real service on this machine.
        st.one_of(st.builds(free_port), st.integers(65536, 70000), st.sampled_from(["", "x", "-1", "0"])),
        st.sampled_from(["ikz", "", "a/b"]),
    ),
)


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(url=URLS)
def test_any_database_address_ends_in_one_german_line(tmp_path, monkeypatch, url):
    """Property: whatever `--db` says, `ikz outbox list` lists, or refuses with one German line that never shows
    the password of the address."""
    monkeypatch.chdir(tmp_path)
    result = run("--db", url, "outbox", "list")
    assert result.exit_code in (0, 1, 2), result.output
    if result.exit_code == 1:
        assert re.fullmatch(r"Fehler: [^\n\r]+\n", result.stderr), repr(result.stderr)
        assert "Geheim-4711!" not in result.stderr and "p@ss/wort" not in result.stderr
    assert backend() in ("sqlite", "postgresql")
