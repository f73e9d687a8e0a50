"""The mandates as one CSV table that German spreadsheets open directly."""

import csv
import io
from collections import defaultdict
from collections.abc import Iterator
from datetime import date

from sqlalchemy import and_
from sqlmodel import Session, select

from ikz.exchange.streaming import BATCH, Write
from models import Body, CooperationField, Dependency, Mandate, Meeting, Participant
from workflow import lifecycle
from workflow.codes import code_order
from workflow.people import lead_bodies
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


def mandate_rows(session: Session, *, today: date) -> Iterator[list]:
    """One row per mandate, sorted by code, with names and German dates instead of keys and ISO dates.

    Read in batches as the rows are used: the table of 100k mandates is never in memory at once.
    """
    fields = dict(session.exec(select(CooperationField.number, CooperationField.name)).all())
    meetings = dict(session.exec(select(Meeting.id, Meeting.date)).all())
    chased = Mandate.state.in_(lifecycle.CHASED)
    query = select(
        Mandate.id,
        Mandate.code,
        Mandate.field_number,
        Mandate.title,
        Mandate.state,
        Mandate.due_date,
        Mandate.savings_target,
        Mandate.meeting_id,
        Mandate.hold_reason,
        and_(chased, Mandate.due_date < today),
    ).order_by(*code_order(Mandate.code, session.get_bind().dialect.name))
    for batch in session.execute(query.execution_options(yield_per=BATCH)).partitions():
        ids = [row[0] for row in batch]
        participants, waiting = defaultdict(list), defaultdict(list)
        # Leads in the order of their keys (as `ikz list`), participants by name: the database sorts both.
        leads = {mandate_id: [b.name for b in found] for mandate_id, found in lead_bodies(session, ids).items()}
        for mandate_id, name in session.execute(
            select(Participant.mandate_id, Body.name)
            .join(Body, Body.id == Participant.body_id)
            .where(Participant.mandate_id.in_(ids))
            .order_by(Body.name)
        ).all():
            participants[mandate_id].append(name)
        for mandate_id, code in session.execute(
            select(Dependency.mandate_id, Mandate.code)
            .join(Mandate, Mandate.id == Dependency.depends_on_id)
            .where(Dependency.mandate_id.in_(ids))
            .order_by(Mandate.code)
        ).all():
            waiting[mandate_id].append(code)
        for id_, code, number, title, state, due, target, meeting, reason, late in batch:
            yield [
                code,
                number,
                title,
                lifecycle.STATES[state],
                ", ".join(leads.get(id_, [])),
                format_date(due),
                # A plain number, so the spreadsheet can sum it.
                "" if target is None else target,
                format_date(meetings[meeting]) if meeting else "",
                fields.get(number, ""),
                ", ".join(participants[id_]),
                ", ".join(waiting[id_]),
                "ja" if late else "",
                reason or "",
            ]


def write_csv(session: Session, write: Write, *, today: date) -> str:
    """Write the mandate table as CSV (UTF-8 with BOM, ';' separated) row by row; return a German summary."""
    write("\ufeff")
    writer = csv.writer(_Lines(write), delimiter=";", lineterminator="\r\n")
    writer.writerow([cell(value) for value in HEADERS])
    count = 0
    for row in mandate_rows(session, today=today):
        writer.writerow([cell(value) for value in row])
        count += 1
    return f"{plural(count, 'Mandat', 'Mandate')} als CSV (UTF-8 mit BOM, Trennzeichen ;)"


class _Lines:
    """What csv.writer needs of a file: write."""

    def __init__(self, write: Write):
        self.write = write


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
