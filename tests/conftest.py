"""Shared fixtures: a fresh migrated database per test, the catalogue, a CLI runner, the clock."""

import itertools
import os
import shutil
from datetime import UTC, date, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from ikz import settings as settings_module
from models.db import database_url, make_engine, transaction
from models.schema import upgrade

# Set to a PostgreSQL URL (e.g. postgresql://127.0.0.1/test) to run the whole suite there.
PG_URL = os.environ.get("IKZ_TEST_DATABASE_URL")
_numbers = itertools.count()

NOW = datetime(2010, 11, 2, 9, 0, tzinfo=UTC)
# The lifecycle rules with the shipped defaults, for tests that fire steps directly.
RULES = settings_module.load(environ={}).rules()
TODAY = date(2010, 11, 2)
# The system clock that entries and documents are recorded by, in every test that does not set it:
# after every moment the tests act at, so each entry of a simulated past reads "nachgetragen am 02.01.2030".
RECORDED = datetime(2030, 1, 2, 8, 0, tzinfo=UTC)


def _admin(sql: str) -> None:
    """Run CREATE/DROP DATABASE on the PostgreSQL server named by IKZ_TEST_DATABASE_URL."""
    engine = make_engine(PG_URL).execution_options(isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(sql))
    engine.dispose()


def _pg_database(name: str) -> str:
    return make_url(database_url(PG_URL)).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """A migrated, empty database that each test copies (migrating once is the slow part)."""
    if PG_URL:
        name = f"ikz_template_{os.getpid()}"
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _admin(f'CREATE DATABASE "{name}"')
        engine = make_engine(_pg_database(name))
        upgrade(engine)
        engine.dispose()
        yield name
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    path = tmp_path_factory.mktemp("template") / "ikz.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    yield path


def _copy_of_template(template_db, tmp_path, label: str):
    """Yield the URL of a fresh copy of the migrated template; drop it afterwards."""
    if PG_URL:
        name = f"ikz_{label}_{os.getpid()}_{next(_numbers)}"
        _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
        yield _pg_database(name)
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    path = tmp_path / f"{label}.db"
    shutil.copy(template_db, path)
    yield f"sqlite:///{path}"


@pytest.fixture
def db_url(template_db, tmp_path):
    """URL of a fresh, migrated, empty database for this test (SQLite file, or a PostgreSQL copy)."""
    yield from _copy_of_template(template_db, tmp_path, "test")


@pytest.fixture
def second_db_url(template_db, tmp_path):
    """A second fresh, migrated, empty database, e.g. to restore a backup into."""
    yield from _copy_of_template(template_db, tmp_path, "second")


@pytest.fixture
def empty_db_url(tmp_path):
    """URL of an empty database without any schema, on the backend of this test run."""
    if PG_URL:
        name = f"ikz_empty_{os.getpid()}_{next(_numbers)}"
        _admin(f'CREATE DATABASE "{name}"')
        yield _pg_database(name)
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    yield f"sqlite:///{tmp_path / 'leer.db'}"


def backend() -> str:
    """The database backend this test run uses: 'postgresql' or 'sqlite'."""
    return "postgresql" if PG_URL else "sqlite"


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


class ReadingSession(Session):
    """A test session that starts a fresh read before each query when it holds no changes.

    SQLite (like PostgreSQL's REPEATABLE READ) keeps one snapshot per transaction; a test that
    reads, runs a command and reads again must see what the command committed.
    """

    def _fresh(self):
        if self.in_transaction() and not (self.new or self.dirty or self.deleted):
            self.commit()
            self.expire_all()

    def exec(self, *args, **kwargs):
        self._fresh()
        return super().exec(*args, **kwargs)

    def get(self, *args, **kwargs):
        self._fresh()
        return super().get(*args, **kwargs)


@pytest.fixture
def session(engine):
    """A session for reading what commands wrote (and setting up rows directly)."""
    with ReadingSession(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def loaded(engine):
    """The database with the kreis-unna-2010 catalogue imported at NOW."""
    from ikz.catalogue.importer import import_catalogue
    from ikz.catalogue.spec import load, resolve

    with transaction(engine) as session:
        import_catalogue(session, load(resolve("kreis-unna-2010")), actor="test", now=NOW, rules=RULES)
    return engine


@pytest.fixture
def deadlines_only(loaded):
    """The catalogue without its recurring duties, for tests about the mandates' stage deadlines and mail.

    Duties are chased like deadlines (tests/test_duties.py); where a test counts reminders of mandates, the
    IT working group's open meeting preparations would only add to every count.
    """
    from sqlmodel import delete

    from models import Duty

    with transaction(loaded) as session:
        session.exec(delete(Duty))
    return loaded


@pytest.fixture(autouse=True)
def recording_clock(monkeypatch):
    """Fix the real-time clock of recording; returns a setter for tests about booking afterwards."""
    from ikz import clock

    current = {"moment": RECORDED}
    monkeypatch.setattr(clock, "recording_now", lambda: current["moment"])

    def set_to(moment: datetime) -> None:
        current["moment"] = moment

    return set_to


@pytest.fixture
def frozen(monkeypatch):
    """Fix the CLI's clock; returns a setter for moving it."""

    def set_now(moment: str):
        monkeypatch.setenv("IKZ_NOW", moment)

    set_now(NOW.isoformat())
    return set_now


@pytest.fixture
def cli(db_url, frozen):
    """Run `ikz --db <test db> ARGS…` in-process; returns click's Result."""
    from ikz.cli.main import ikz

    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(ikz, ["--db", db_url, *args], prog_name="ikz", catch_exceptions=False, input=input)

    return run


from tests.imap_server import imap_server  # noqa: E402,F401  (fixture: Dovecot, started on first use)
from tests.smtp_server import smtp_server  # noqa: E402,F401  (fixture for every test module)
