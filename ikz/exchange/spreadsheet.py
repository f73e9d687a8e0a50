"""The mandates as one CSV table that German spreadsheets open directly."""

import csv
import io
from collections import defaultdict
from datetime import date

from sqlmodel import Session, select

from ikz.exchange import Export
from models import Body, Dependency, Mandate, Meeting, Participant
from workflow.board import list_mandates
from workflow.text import format_date, plural

HEADERS = [
    "Code",
    "Feld",
    "Titel",
    "Zustand",
    "Federführung",
    "Frist",
    "Effizienzziel (EUR)",
    "Sitzung",
    "Feldname",
    "Beteiligte",
    "Wartet auf",
    "Überfällig",
    "Grund (auf Eis)",
]


def mandate_rows(session: Session, *, today: date) -> list[list]:
    """One row per mandate, sorted by code, with names and German dates instead of keys and ISO dates."""
    names = dict(session.exec(select(Body.key, Body.name)).all())
    mandates = {m.code: m for m in session.exec(select(Mandate)).all()}
    meetings = {m.id: m for m in session.exec(select(Meeting)).all()}
    participants = defaultdict(list)
    for mandate_id, name in session.exec(
        select(Participant.mandate_id, Body.name).join(Body, Body.id == Participant.body_id).order_by(Body.name)
    ).all():
        participants[mandate_id].append(name)
    waiting = defaultdict(list)
    for mandate_id, code in session.exec(
        select(Dependency.mandate_id, Mandate.code)
        .join(Mandate, Mandate.id == Dependency.depends_on_id)
        .order_by(Mandate.code)
    ).all():
        waiting[mandate_id].append(code)
    rows = []
    for summary in list_mandates(session, today=today):
        mandate = mandates[summary["code"]]
        meeting = meetings.get(mandate.meeting_id)
        rows.append(
            [
                mandate.code,
                mandate.field_number,
                mandate.title,
                summary["state_label"],
                ", ".join(names[key] for key in summary["leads"]),
                format_date(mandate.due_date),
                # A plain number, so the spreadsheet can sum it.
                "" if mandate.savings_target is None else mandate.savings_target,
                format_date(meeting.date) if meeting else "",
                summary["field_name"],
                ", ".join(participants[mandate.id]),
                ", ".join(waiting[mandate.id]),
                "ja" if summary["overdue"] else "",
                mandate.hold_reason or "",
            ]
        )
    return rows


def export_csv(session: Session, *, today: date) -> Export:
    """Render the mandate table as CSV: UTF-8 with BOM, ';' separated."""
    rows = mandate_rows(session, today=today)
    return Export(
        csv_text(HEADERS, rows), f"{plural(len(rows), 'Mandat', 'Mandate')} als CSV (UTF-8 mit BOM, Trennzeichen ;)"
    )


def csv_text(headers: list[str], rows: list[list]) -> str:
    """CSV as German spreadsheets open it: UTF-8 with BOM, ';' separated, CRLF line ends, no cell a formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([cell(value) for value in headers])
    writer.writerows([cell(value) for value in row] for row in rows)
    return "\ufeff" + buffer.getvalue()


# OWASP "CSV Injection": a cell beginning with one of these may be run as a formula (=HYPERLINK(…), +cmd|…,
# -2+3, @SUM(…)); tab and carriage return because an import that trims them leaves such a beginning behind.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    """One cell no spreadsheet runs: text that could begin a formula gets a leading ' (OWASP); numbers stay numbers."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        # Numbers are ours, not a user's text (field numbers, euro amounts): written as digits they stay numbers the
        # spreadsheet can sum, and "-5" is a number there, not a formula. Text that only looks like a number gets the
        # quote like any text: whether "-1,5" or "-2+3" is a number or a formula depends on the program and locale.
        return value
    text = str(value)
    # Also after leading spaces or line breaks, which an import dialog may trim as well.
    if text.startswith(FORMULA_STARTS) or text.lstrip().startswith(FORMULA_STARTS):
        return "'" + text
    return text
