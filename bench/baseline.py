"""Raw-driver baselines without ikz or SQLAlchemy: stdlib sqlite3 (or psycopg for PostgreSQL) and plain SQL.

python bench/baseline.py list URL          prints the rows `ikz list --all` prints (code, field, title,
                                           state, leads, deadline), sorted by code: a whole process
python bench/baseline.py due URL HORIZON   reads the sweep's due set (active mandates with a deadline up
                                           to HORIZON, their answering contacts, the claims made): prints
                                           JSON with the seconds the queries took in-process
"""

import json
import sys
import time
from datetime import date

STATES = {
    "examine": "Prüfung",
    "propose": "Konzepterstellung",
    "present": "Vorlage an die Bürgermeisterkonferenz",
    "decide": "Entscheidung",
    "implement": "Umsetzung",
    "control": "Controlling",
    "on_hold": "Auf Eis",
    "closed": "Abgeschlossen",
    "rejected": "Abgelehnt",
    "withdrawn": "Zurückgezogen",
}
ACTIVE = ("examine", "propose", "present", "decide", "implement", "control")
# Stages whose deadline is chased (a submitted mandate waits for the meeting instead).
CHASED = ("examine", "propose", "decide", "implement", "control")
TODAY = date(2011, 3, 15)


def connect(url: str):
    """A DB-API connection and its parameter mark for a sqlite:/// or postgresql:// URL."""
    if url.startswith("sqlite:///"):
        import sqlite3

        return sqlite3.connect(url.removeprefix("sqlite:///")), "?"
    import psycopg

    return psycopg.connect("postgresql://" + url.split("://", 1)[1]), "%s"


def _day(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def list_rows(url: str) -> None:
    connection, _mark = connect(url)
    cursor = connection.cursor()
    cursor.execute(
        "SELECT m.code, m.field_number, m.title, m.state, m.due_date, b.name FROM mandate m "
        "LEFT JOIN mandate_lead l ON l.mandate_id = m.id LEFT JOIN body b ON b.id = l.body_id ORDER BY m.id, b.key"
    )
    mandates: dict[str, list] = {}
    for code, field, title, state, due, lead in cursor.fetchall():
        row = mandates.setdefault(code, [code, str(field), title, state, [], _day(due)])
        if lead:
            row[4].append(lead)
    lines = []
    for code, field, title, state, leads, due in sorted(mandates.values(), key=_code_key):
        deadline = f"{due:%d.%m.%Y}" if due else ""
        if due is None and state in CHASED:
            deadline = "fehlt"
        elif due and state == "on_hold":
            deadline += " ruht"
        elif due and state in CHASED and due < TODAY:
            deadline += " überfällig"
        lines.append([code, field, title, STATES.get(state, state), ", ".join(leads), deadline])
    headers = ["Code", "Feld", "Titel", "Zustand", "Federführung", "Frist"]
    widths = [max(len(cell) for cell in column) for column in zip(headers, *lines)]
    out = sys.stdout
    for index, line in enumerate([headers, *lines]):
        out.write("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() + "\n")
        if index == 0:
            out.write("  ".join("─" * width for width in widths) + "\n")
    connection.close()


def _code_key(row: list) -> tuple:
    field, _, rest = row[0].partition(".")
    number, _, suffix = rest.partition("-")
    return (int(field), int(number) if number.isdigit() else 0, suffix)


def due_set(url: str, horizon: str) -> None:
    start = time.perf_counter()
    connection, mark = connect(url)
    cursor = connection.cursor()
    active = ", ".join(mark for _ in ACTIVE)
    cursor.execute(
        "SELECT m.id, m.code, m.title, m.state, m.stage_seq, m.due_date, c.email, c.name, c.person, b.name "
        "FROM mandate m JOIN mandate_lead l ON l.mandate_id = m.id JOIN body b ON b.id = l.body_id "
        "JOIN contact c ON c.body_id = b.id AND (l.contact_id IS NULL OR l.contact_id = c.id) "
        f"WHERE m.state IN ({active}) AND m.due_date IS NOT NULL AND m.due_date <= {mark}",
        (*ACTIVE, date.fromisoformat(horizon) if mark == "%s" else horizon),
    )
    rows = cursor.fetchall()
    cursor.execute("SELECT mandate_id, stage_seq, kind, recipient FROM reminder")
    claimed = {tuple(row) for row in cursor.fetchall()}
    connection.close()
    print(json.dumps({"seconds": time.perf_counter() - start, "rows": len(rows), "claims": len(claimed)}))


if __name__ == "__main__":
    if sys.argv[1] == "list":
        list_rows(sys.argv[2])
    elif sys.argv[1] == "due":
        due_set(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(__doc__)
