"""Database connection: one engine per URL, SQLite by default, PostgreSQL alike."""

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from ikz.errors import ConcurrentChange, ConfigError, DatabaseMissing, DatabaseUnavailable

URL_VARIABLE = "IKZ_DATABASE_URL"
DEFAULT_URL = "sqlite:///ikz.db"
URL_FORMS = "sqlite:///DATEI oder postgresql://[BENUTZER[:PASSWORT]@]HOST[:PORT]/DATENBANK"


def database_url(explicit: str | None = None) -> str:
    """Return the database URL: explicit, else $IKZ_DATABASE_URL, else ./ikz.db."""
    url = explicit or os.environ.get(URL_VARIABLE) or DEFAULT_URL
    # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str | None = None) -> Engine:
    """Create an engine for the URL with the per-backend settings ikz relies on; refuse a URL it cannot use."""
    parsed = checked_url(database_url(url))
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = create_engine(parsed, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        else:
            # A server that takes the connection and never answers would otherwise hold every command forever.
            timeout = {} if "connect_timeout" in parsed.query else {"connect_timeout": 15}
            # A portal worker runs up to 40 requests at once (Starlette's thread pool). The default pool keeps 5
            # connections and closes the rest on return, so under load every request beyond 5 connected anew
            # (a server process forked per request); 20 kept, opened only as needed, 40 at most.
            engine = create_engine(parsed, pool_pre_ping=True, pool_size=20, max_overflow=20, connect_args=timeout)
    except ArgumentError:
        # The dialect's own check, e.g. sqlite://name (a host instead of a path).
        raise _bad_url(parsed.render_as_string(hide_password=True), "nicht lesbar") from None
    event.listen(engine, "handle_error", _connect_failed)
    return engine


def checked_url(url: str) -> URL:
    """Parse a database URL, refusing in German what is no SQLite or PostgreSQL address (without its password)."""
    # Shown without the password: the URL is not parsed yet, so mask what sits between "user:" and "@".
    shown = re.sub(r"(://[^/:@]*:)[^@/]*@", r"\1***@", url)
    problem = None
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in url):
        # A line break would split the one-line message (and no database is named with one).
        raise _bad_url(shown, "sie enthält Steuerzeichen")
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        problem = "nicht lesbar"
    else:
        shown = parsed.render_as_string(hide_password=True)
        if parsed.get_backend_name() not in ("sqlite", "postgresql"):
            problem = "ikz arbeitet nur mit SQLite und PostgreSQL"
        elif parsed.port is not None and not 1 <= parsed.port <= 65535:
            problem = f"der Port {parsed.port} liegt nicht zwischen 1 und 65535"
        elif parsed.host and not _is_host_name(parsed.host):
            problem = f"{parsed.host!r} ist kein Rechnername"
        else:
            try:
                parsed.get_dialect()
            except (NoSuchModuleError, ImportError):
                problem = f"der Treiber {parsed.drivername} ist nicht installiert"
    if problem:
        raise _bad_url(shown, problem)
    return parsed


def _bad_url(shown: str, problem: str) -> ConfigError:
    return ConfigError(f"Die Datenbank-Adresse {shown!r} ist ungültig: {problem}; erlaubt: {URL_FORMS}.")


def _is_host_name(host: str) -> bool:
    # The resolver takes a name as IDNA: one it cannot encode (empty or long labels, odd characters) would crash it.
    try:
        host.encode("idna")
    except UnicodeError:
        return host.startswith("[") or ":" in host  # an IPv6 address in brackets, or a socket directory path
    return "\x00" not in host


def _connect_failed(context) -> None:
    """Turn a failure to connect (not one inside a session) into one German line saying what is wrong."""
    if (
        context.connection is not None
        or context.is_pre_ping
        or not isinstance(context.sqlalchemy_exception, DBAPIError)
    ):
        return
    if is_lock_conflict(context.sqlalchemy_exception):
        return  # SQLite's busy database: transaction() turns it into ConcurrentChange
    url = context.engine.url
    shown = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite":
        raise DatabaseUnavailable(f"Die Datenbank {shown} lässt sich nicht öffnen ({context.original_exception}).")
    if _database_missing(url, str(context.original_exception)):
        raise DatabaseMissing(
            f"Die Datenbank {url.database} gibt es auf dem Server {url.host or 'localhost'} nicht ({shown}). "
            f"Anlegen, z. B. mit: createdb {url.database}; dann: ikz init"
        )
    message = str(context.original_exception)
    if "FATAL:" in message:
        # The server answered and refused (user unknown, wrong password, not allowed from here): say its reason.
        reason = " ".join(message.split("FATAL:", 1)[1].split())
        raise DatabaseUnavailable(f"Der Datenbankserver verweigert die Verbindung zu {shown}: {reason}")
    raise DatabaseUnavailable(f"Die Datenbank {shown} ist nicht erreichbar. Läuft der Server, und stimmt die Adresse?")


def _database_missing(url: URL, message: str) -> bool:
    """Whether the server itself refused because there is no database of that name."""
    if "FATAL" not in message or not url.database:
        return False  # no answer from the server at all (refused, timed out): asking again would not help
    # psycopg carries no SQLSTATE for a failed connection, and the server words it in its own language: ask it.
    probe = create_engine(url.set(database="postgres"), poolclass=NullPool)
    try:
        with probe.connect() as connection:
            query = text("SELECT 1 FROM pg_database WHERE datname = :name")
            return connection.execute(query, {"name": url.database}).first() is None
    except DBAPIError:
        # Not allowed into the maintenance database either: fall back to the server's English wording.
        return f'database "{url.database}" does not exist' in message
    finally:
        probe.dispose()


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


def insert_rows(session: Session, table, rows: list[dict]) -> None:
    """Insert many rows as one executemany per batch (no ORM objects, no RETURNING)."""
    table = getattr(table, "__table__", table)
    # Multi-row VALUES lists were measured slower on PostgreSQL (compiling 3k-parameter statements, 19 s vs 11 s
    # CPU for a 10k catalogue); psycopg pipelines an executemany.
    for start in range(0, len(rows), 5000):
        session.execute(table.insert(), rows[start : start + 5000])
