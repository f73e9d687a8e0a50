"""Shared fixtures: a fresh migrated database per test, the catalogue, a CLI runner, the clock."""

import shutil
from datetime import date, datetime, timezone

import pytest
from click.testing import CliRunner
from sqlmodel import Session

from models.db import make_engine, transaction
from models.schema import upgrade

NOW = datetime(2010, 11, 2, 9, 0, tzinfo=timezone.utc)
TODAY = date(2010, 11, 2)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """A migrated, empty SQLite file that each test copies (migrating once is the slow part)."""
    path = tmp_path_factory.mktemp("template") / "ikz.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def db_url(template_db, tmp_path):
    """URL of a fresh, migrated, empty database for this test."""
    path = tmp_path / "ikz.db"
    shutil.copy(template_db, path)
    return f"sqlite:///{path}"


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine):
    """A session for reading what commands wrote (and setting up rows directly)."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def loaded(engine):
    """The database with the kreis-unna-2010 catalogue imported at NOW."""
    from catalogue.importer import import_catalogue
    from catalogue.spec import load, resolve

    with transaction(engine) as session:
        import_catalogue(session, load(resolve("kreis-unna-2010")), actor="test", now=NOW)
    return engine


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
    from cli.main import ikz

    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(ikz, ["--db", db_url, *args], prog_name="ikz", catch_exceptions=False)

    return run


from tests.smtp_server import smtp_server  # noqa: E402,F401  (fixture for every test module)
