"""Database connection: one engine per URL, SQLite by default, PostgreSQL alike."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from errors import ConcurrentChange

URL_VARIABLE = "IKZ_DATABASE_URL"
DEFAULT_URL = "sqlite:///ikz.db"
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def database_url(explicit: str | None = None) -> str:
    """Return the database URL: explicit, else $IKZ_DATABASE_URL, else ./ikz.db."""
    url = explicit or os.environ.get(URL_VARIABLE) or DEFAULT_URL
    # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str | None = None) -> Engine:
    """Create an engine for the URL with the per-backend settings ikz relies on."""
    url = database_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets readers (the CLI) work while the scheduler writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """Yield a session that commits at the end or rolls everything back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            if "locked" in str(exc.orig).lower():
                raise ConcurrentChange(
                    "Die Datenbank ist gerade durch einen anderen Vorgang gesperrt; bitte erneut versuchen."
                ) from None
            raise
        except BaseException:
            session.rollback()
            raise
