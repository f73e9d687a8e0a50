"""Full backup as JSON: every row of every table, restored exactly into an empty database."""

import base64
import json
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Table, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

import models
from ikz.errors import RestoreRefused
from ikz.exchange.checks import Invalid, column_value, row_problem
from ikz.exchange.streaming import BATCH, ENCODERS, Raw, Stream, Write, object_template, write_json
from models.schema import EXPECTED_REVISION
from workflow.documents import sha256
from workflow.history import verify as verify_history
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
    models.load_all()
    return list(SQLModel.metadata.sorted_tables)


def backup_data(session: Session, *, now: datetime) -> dict:
    """Return every row of every table (ids included) with a format marker and the schema revision."""
    connection = _snapshot(session)
    data = {**_header(now), "tables": {}}
    for table in tables():
        rows = connection.execute(select(table).order_by(*table.primary_key.columns)).mappings()
        data["tables"][table.name] = [{name: _dump(value) for name, value in row.items()} for row in rows]
    return data


def write_backup(session: Session, write: Write, *, now: datetime) -> str:
    """Write the backup as indented UTF-8 JSON while reading it (backup_data's content); return a German summary."""
    connection = _snapshot(session)
    counted = {"rows": 0}

    def rows(table: Table):
        # Streamed from the database (a server-side cursor on PostgreSQL): 100k mandates never sit in memory at once.
        result = connection.execution_options(yield_per=BATCH).execute(
            select(table).order_by(*table.primary_key.columns)
        )
        # Rows at the third level (document, tables, table); encoded by type, as json.dumps(_dump(value)) would.
        template = object_template(list(result.keys()), 3)
        for row in result:
            counted["rows"] += 1
            yield Raw(template % tuple(map(_encode, row)))

    write_json(write, {**_header(now), "tables": {table.name: Stream(rows(table)) for table in tables()}})
    write("\n")
    return (
        f"Sicherung mit {plural(counted['rows'], 'Zeile', 'Zeilen')} aus {len(tables())} Tabellen "
        f"(Schemastand {EXPECTED_REVISION})"
    )


def _snapshot(session: Session):
    """The session's connection, reading all tables from one snapshot."""
    if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
        # Under READ COMMITTED each SELECT sees its own snapshot; one snapshot keeps the tables consistent.
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    return session.connection()


def _header(now: datetime) -> dict:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_revision": EXPECTED_REVISION,
        "exported_at": _dump(now),
    }


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
    except RecursionError:
        # A backup is a flat list of rows per table; thousands of nested brackets are an attack, not data.
        raise RestoreRefused(
            f"Die Sicherung {path} ist zu tief verschachtelt; eine ikz-Sicherung ist eine Liste von Zeilen je Tabelle."
        ) from None


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
    # A backup whose history was edited restores nothing: the chains and the data must hold as written.
    _count, breaks = verify_history(session)
    if breaks:
        first = breaks[0]
        entry = f"Eintrag Nr. {first.seq} (ID {first.entry_id})" if first.seq is not None else "Verlauf"
        raise RestoreRefused(
            f"Die Sicherung {source} enthält ein verändertes Protokoll: Mandat {first.mandate_code}, {entry}: "
            f"{first.reason}. Nichts wurde eingespielt."
        )
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
    for name, table_rows in stored.items():
        if not isinstance(table_rows, list):
            raise RestoreRefused(
                f"Sicherung {source}, Tabelle {name}: erwartet eine Liste von Zeilen. Nichts wurde eingespielt."
            )
    rows = {
        table.name: [_row(table, row, number, source) for number, row in enumerate(stored[table.name], 1)]
        for table in tables()
    }
    _check_references(rows, source)
    _check_documents(rows, source)
    return rows


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
            values[column.name] = column_value(table, column, row[column.name])
        except Invalid as exc:
            raise RestoreRefused(f"{where}, Spalte {column.name}: {exc}. Nichts wurde eingespielt.") from None
    problem = row_problem(table, values)
    if problem:
        raise RestoreRefused(f"{where}, Spalte {problem[0]}: {problem[1]}. Nichts wurde eingespielt.")
    return values


def _check_references(rows: dict[str, list[dict]], source: str) -> None:
    """Every foreign key names a row of the backup itself (tables come parents first)."""
    keys: dict[tuple[str, str], set] = {}
    for table in tables():
        for column in table.columns:
            for foreign in column.foreign_keys:
                parent = foreign.column
                wanted = (parent.table.name, parent.name)
                if wanted not in keys:
                    keys[wanted] = {row[parent.name] for row in rows[parent.table.name]}
                for number, row in enumerate(rows[table.name], 1):
                    value = row[column.name]
                    if value is not None and value not in keys[wanted]:
                        raise RestoreRefused(
                            f"Sicherung {source}, Tabelle {table.name}, Zeile {number}, Spalte {column.name}: "
                            f"{value} verweist auf keine Zeile der Tabelle {parent.table.name}. "
                            "Nichts wurde eingespielt."
                        )


def _check_documents(rows: dict[str, list[dict]], source: str) -> None:
    """Every stored file still has the bytes its SHA-256 was taken of."""
    for number, row in enumerate(rows["document_file"], 1):
        if sha256(row["content"]) != row["sha256"]:
            raise RestoreRefused(
                f"Sicherung {source}, Tabelle document_file, Zeile {number}, Spalte content: die Datei {row['name']!r} "
                "passt nicht zu ihrer Prüfsumme (SHA-256); ein ausgegebenes Dokument wurde verändert. "
                "Nichts wurde eingespielt."
            )


def _encode(value) -> str:
    encode = _BY_TYPE.get(type(value))
    return encode(value) if encode else json.dumps(_dump(value), ensure_ascii=False)


# Moments and days as _dump writes them, quoted (ISO text needs no escaping): a million of them in a large backup.
_BY_TYPE = {
    **ENCODERS,
    datetime: lambda value: f'"{value.astimezone(UTC).isoformat()}"',
    date: lambda value: f'"{value.isoformat()}"',
}


def _dump(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
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
