"""Full backup as JSON: every row of every table, restored exactly into an empty database."""

import json
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Table, TypeDecorator, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

import models  # noqa: F401  (puts every table into the metadata)
from ikz.errors import RestoreRefused
from ikz.exchange import Export
from models.schema import EXPECTED_REVISION
from workflow.text import plural

FORMAT = "ikz-backup"
FORMAT_VERSION = 1

# German names for messages, most telling first; a table missing here is named by its SQL name.
LABELS = {
    "mandate": ("Mandat", "Mandate"),
    "body": ("Stelle", "Stellen"),
    "contact": ("Kontakt", "Kontakte"),
    "field": ("Feld", "Felder"),
    "meeting": ("Sitzung", "Sitzungen"),
    "mandate_lead": ("Federführung", "Federführungen"),
    "participant": ("Beteiligung", "Beteiligungen"),
    "dependency": ("Abhängigkeit", "Abhängigkeiten"),
    "duty": ("Pflicht", "Pflichten"),
    "transition_log": ("Protokolleintrag", "Protokolleinträge"),
    "body_decision": ("Beitrittsentscheidung", "Beitrittsentscheidungen"),
    "saving": ("Einsparung", "Einsparungen"),
    "outbox": ("Nachricht", "Nachrichten"),
    "reminder": ("Erinnerung", "Erinnerungen"),
    "notice": ("Benachrichtigung", "Benachrichtigungen"),
    "outbox_mandate": ("Nachrichtenbezug", "Nachrichtenbezüge"),
    "inbound": ("eingegangene Nachricht", "eingegangene Nachrichten"),
    "digest_optout": ("Abbestellung", "Abbestellungen"),
}


def tables() -> list[Table]:
    """Every table, parents before children: the order rows must be inserted in."""
    return list(SQLModel.metadata.sorted_tables)


def backup_data(session: Session, *, now: datetime) -> dict:
    """Return every row of every table (ids included) with a format marker and the schema revision."""
    if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
        # Under READ COMMITTED each SELECT sees its own snapshot; one snapshot keeps the tables consistent.
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    connection = session.connection()
    data = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_revision": EXPECTED_REVISION,
        "exported_at": _dump(now),
        "tables": {},
    }
    for table in tables():
        rows = connection.execute(select(table).order_by(*table.primary_key.columns)).mappings()
        data["tables"][table.name] = [{name: _dump(value) for name, value in row.items()} for row in rows]
    return data


def export_backup(session: Session, *, now: datetime) -> Export:
    """Render the backup as indented UTF-8 JSON."""
    data = backup_data(session, now=now)
    rows = sum(len(table_rows) for table_rows in data["tables"].values())
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    summary = (
        f"Sicherung mit {plural(rows, 'Zeile', 'Zeilen')} aus {len(data['tables'])} Tabellen "
        f"(Schemastand {EXPECTED_REVISION})"
    )
    return Export(text, summary)


def read_backup(path: str) -> dict:
    """Read a backup file, refusing in German what is not JSON."""
    try:
        # utf-8-sig: an editor may have added a BOM on saving.
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise RestoreRefused(f"Die Sicherung {path} gibt es nicht.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RestoreRefused(f"Die Sicherung {path} lässt sich nicht lesen ({exc}).") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RestoreRefused(f"{path} ist keine gültige JSON-Datei (Zeile {exc.lineno}, Spalte {exc.colno}).") from None


def restore(session: Session, data: dict, *, source: str) -> dict[str, int]:
    """Insert a backup's rows unchanged into an empty database (the caller commits); return rows per table."""
    rows = _checked_rows(data, source)
    connection = session.connection()
    occupied = {
        table.name: connection.execute(select(func.count()).select_from(table)).scalar_one() for table in tables()
    }
    if any(occupied.values()):
        raise RestoreRefused(
            f"Die Datenbank ist nicht leer ({describe(occupied)}). Eine Sicherung wird nur in eine leere Datenbank "
            "eingespielt; eine neue richtet 'ikz --db URL init' ein. Nichts wurde eingespielt."
        )
    try:
        for table in tables():
            if rows[table.name]:
                # Core, not ORM objects: rows go in as they were, and the append-only log's ORM guards stay untouched.
                connection.execute(table.insert(), rows[table.name])
    except IntegrityError as exc:
        reason = str(exc.orig).splitlines()[0]
        raise RestoreRefused(
            f"Die Sicherung {source} ist in sich widersprüchlich ({reason}). Nichts wurde eingespielt."
        ) from None
    _reset_sequences(connection)
    return {name: len(table_rows) for name, table_rows in rows.items()}


def describe(counts: dict[str, int]) -> str:
    """Say in German how many rows of which kind, e.g. '16 Mandate, 17 Stellen'."""
    order = [*LABELS, *(name for name in counts if name not in LABELS)]
    parts = [plural(counts[name], *LABELS.get(name, (name, name))) for name in order if counts.get(name)]
    return ", ".join(parts) or "keine Zeilen"


def restore_summary(source: str, counts: dict[str, int]) -> str:
    """The German confirmation after a restore."""
    total = sum(counts.values())
    return (
        f"Sicherung {source} eingespielt (Schemastand {EXPECTED_REVISION}): {plural(total, 'Zeile', 'Zeilen')}, "
        f"darunter {plural(counts.get('mandate', 0), 'Mandat', 'Mandate')}."
    )


def _checked_rows(data: dict, source: str) -> dict[str, list[dict]]:
    """Check marker, revision, tables and columns; return the rows with Python values, by table."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RestoreRefused(
            f"{source} ist keine ikz-Sicherung (sie entsteht mit: ikz export --format json --out DATEI)."
        )
    if data.get("format_version") != FORMAT_VERSION:
        raise RestoreRefused(
            f"Die Sicherung {source} hat das Format {data.get('format_version')!r}, erwartet {FORMAT_VERSION}. "
            "Nichts wurde eingespielt."
        )
    revision = data.get("schema_revision")
    if revision != EXPECTED_REVISION:
        raise RestoreRefused(
            f"Die Sicherung {source} hat den Schemastand {revision}, diese ikz-Version erwartet {EXPECTED_REVISION}. "
            "Nichts wurde eingespielt."
        )
    stored = data.get("tables")
    if not isinstance(stored, dict):
        raise RestoreRefused(f"Der Sicherung {source} fehlen die Tabellen. Nichts wurde eingespielt.")
    names = {table.name for table in tables()}
    unknown = sorted(set(stored) - names)
    missing = sorted(names - set(stored))
    if unknown or missing:
        detail = "; ".join(
            part
            for part in (unknown and f"unbekannt: {', '.join(unknown)}", missing and f"fehlt: {', '.join(missing)}")
            if part
        )
        raise RestoreRefused(
            f"Die Tabellen der Sicherung {source} passen nicht zum Schema ({detail}). Nichts wurde eingespielt."
        )
    return {
        table.name: [_row(table, row, number, source) for number, row in enumerate(stored[table.name], 1)]
        for table in tables()
    }


def _row(table: Table, row, number: int, source: str) -> dict:
    where = f"Sicherung {source}, Tabelle {table.name}, Zeile {number}"
    columns = [column.name for column in table.columns]
    if not isinstance(row, dict) or set(row) != set(columns):
        raise RestoreRefused(
            f"{where}: die Spalten passen nicht zum Schema (erwartet: {', '.join(columns)}). Nichts wurde eingespielt."
        )
    values = {}
    for column in table.columns:
        try:
            values[column.name] = _load(_python_type(column), row[column.name])
        except ValueError as exc:
            raise RestoreRefused(f"{where}, Spalte {column.name}: {exc}. Nichts wurde eingespielt.") from None
    return values


def _python_type(column) -> type:
    kind = column.type
    # SQLModel's AutoString and UTCDateTime decorate String and DateTime, whose Python types are the real ones.
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    return kind.python_type


def _dump(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _load(kind: type, value):
    """Turn a JSON value back into the column's Python type."""
    if value is None:
        return None
    if kind is datetime:
        try:
            moment = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise ValueError(f"{value!r} ist kein Zeitpunkt (JJJJ-MM-TTTHH:MM:SS+00:00)") from None
        if moment.tzinfo is None:
            raise ValueError(f"dem Zeitpunkt {value!r} fehlt die Zeitzone")
        return moment
    if kind is date:
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            raise ValueError(f"{value!r} ist kein Datum (JJJJ-MM-TT)") from None
    # bool is an int in Python, but not in a column of integers.
    if not isinstance(value, kind) or isinstance(value, bool) != (kind is bool):
        raise ValueError(f"{value!r} passt nicht zum Spaltentyp {kind.__name__}")
    return value


def _reset_sequences(connection) -> None:
    """Move PostgreSQL's id sequences past the restored ids (SQLite continues after the largest id by itself)."""
    if connection.dialect.name != "postgresql":
        return
    for table in tables():
        column = table.autoincrement_column
        if column is None:
            continue
        sequence = func.pg_get_serial_sequence(table.name, column.name)
        connection.execute(select(func.setval(sequence, func.coalesce(func.max(column), 0) + 1, False)))
