"""Database connection: one engine per URL, SQLite by default, PostgreSQL alike."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from ikz.errors import ConcurrentChange, DatabaseUnavailable

URL_VARIABLE = "IKZ_DATABASE_URL"
DEFAULT_URL = "sqlite:///ikz.db"


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
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record):
    # pysqlite's own transaction handling breaks SAVEPOINTs (a released savepoint commits);
    # SQLAlchemy's documented recipe: switch it off and emit BEGIN ourselves (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets readers (the CLI) work while the scheduler writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection):
    connection.exec_driver_sql("BEGIN")


def is_lock_conflict(exc: OperationalError) -> bool:
    """True when SQLite refused a write because another connection holds or changed the database."""
    return "locked" in str(exc.orig).lower() or "busy" in str(exc.orig).lower()


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """Yield a session that commits at the end or rolls everything back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            if is_lock_conflict(exc):
                raise ConcurrentChange(
                    "Die Datenbank ist gerade durch einen anderen Vorgang gesperrt; bitte erneut versuchen."
                ) from None
            if exc.connection_invalidated or session.get_bind().dialect.name != "sqlite":
                raise DatabaseUnavailable(
                    "Die Verbindung zur Datenbank ist abgebrochen; nichts wurde gespeichert. Bitte erneut versuchen."
                ) from None
            raise
        except BaseException:
            session.rollback()
            raise


def retrying(engine: Engine, work, attempts: int = 3):
    """Run work(session) in a transaction, again from the start if a concurrent writer got in first."""
    for attempt in range(1, attempts + 1):
        try:
            with transaction(engine) as session:
                return work(session)
        except ConcurrentChange:
            # SQLite refuses a write on a stale snapshot; a fresh transaction sees the other's claims.
            if attempt == attempts:
                raise
