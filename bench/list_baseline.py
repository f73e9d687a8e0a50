"""The stdlib baseline of `ikz list --all`: sqlite3 alone, the same rows in the same order and layout.

Run: python bench/list_baseline.py DB.sqlite [TODAY]
"""

import sqlite3
import sys
from datetime import date

CHASED = ("examine", "propose", "decide", "implement", "control")
LABELS = {
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
QUERY = """
SELECT m.code, m.field_number, m.title, m.state, m.due_date,
       (SELECT group_concat(name, ', ') FROM (SELECT b.name FROM mandate_lead l JOIN body b ON b.id = l.body_id
         WHERE l.mandate_id = m.id ORDER BY b.key))
FROM mandate m
ORDER BY CAST(m.code AS INTEGER),
         CAST(CASE WHEN instr(m.code, '.') > 0 THEN substr(m.code, instr(m.code, '.') + 1) ELSE '' END AS INTEGER),
         m.code
"""


def main() -> None:
    today = sys.argv[2] if len(sys.argv) > 2 else date.today().isoformat()
    rows = []
    for code, field, title, state, due, leads in sqlite3.connect(sys.argv[1]).execute(QUERY):
        shown = f"{due[8:10]}.{due[5:7]}.{due[:4]}" if due else ""
        if state in CHASED and due is None:
            shown = "fehlt"
        elif state == "on_hold" and due:
            shown += " ruht"
        elif state in CHASED and due < today:
            shown += " überfällig"
        rows.append([code, str(field), title, LABELS[state], leads or "", shown])
    headers = ["Code", "Feld", "Titel", "Zustand", "Federführung", "Frist"]
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in [headers, *rows]]
    lines.insert(1, "  ".join("─" * width for width in widths))
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
