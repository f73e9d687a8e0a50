"""Every value of a backup checked the way the importer and the CLI check it, before a single row goes in."""

import base64
import binascii
import json
from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Integer, LargeBinary, String, Table, TypeDecorator

from models import BODY_DECISIONS, BODY_KINDS, DOCUMENT_KINDS, PROPOSAL_KINDS, PROPOSAL_STATES
from models.history import CHANNELS
from models.notification import OUTBOX_STATES
from workflow import lifecycle
from workflow.checks import FIRST_YEAR, INTEGER_MAX, INTEGER_MIN, LAST_YEAR, MAX_EUR, is_email, text_problem
from workflow.history import ENTRY_KINDS
from workflow.text import format_eur

# PostgreSQL's INTEGER: what every id and count column holds on both databases.
INT_MIN, INT_MAX = INTEGER_MIN, INTEGER_MAX
# Columns that hold several lines of text; every other text column is one line.
MULTILINE = {
    ("mandate", "description"),
    ("mandate", "hold_reason"),
    ("mandate", "status_text"),
    ("transition_log", "note"),
    ("transition_log", "snapshot"),
    ("outbox", "raw"),
    ("outbox", "last_error"),
    ("proposal", "text"),
    ("proposal", "decision_note"),
    ("meeting", "cancel_reason"),
    ("meeting_item", "note"),
}
# Deeper than any snapshot ikz writes; a deeper one is hostile, and would exhaust the parser's stack.
MAX_DEPTH = 20


class Invalid(ValueError):
    """One value that cannot be restored; the message says why and what is allowed, in German."""


def _one_of(allowed, what: str) -> Callable:
    def check(value):
        if value is not None and value not in allowed:
            raise Invalid(f"{value!r} ist {what}; erlaubt: {', '.join(allowed)}")

    return check


def _email(value):
    if value is not None and not is_email(value):
        raise Invalid(f"{value!r} ist keine gültige E-Mail-Adresse")


def _amount(value):
    if value is not None and not 0 <= value <= MAX_EUR:
        raise Invalid(f"{format_eur(value)} liegt außerhalb von 0 € bis {format_eur(MAX_EUR)}")


def _saving(value):
    # Realised savings may be negative: a year in which the cooperation cost more than it saved.
    if value is not None and not -MAX_EUR <= value <= MAX_EUR:
        raise Invalid(f"{format_eur(value)} liegt außerhalb von {format_eur(-MAX_EUR)} bis {format_eur(MAX_EUR)}")


def _year(value):
    if not 2000 <= value <= LAST_YEAR:
        raise Invalid(f"das Jahr {value} liegt außerhalb von 2000 bis {LAST_YEAR}")


def _positive(value):
    if value is not None and value < 1:
        raise Invalid(f"{value} muss mindestens 1 sein")


def _json(value):
    try:
        data = json.loads(value)
    except (ValueError, RecursionError):
        raise Invalid("ist kein gültiges JSON") from None
    if _depth(data) > MAX_DEPTH:
        raise Invalid(f"ist tiefer als {MAX_DEPTH} Ebenen verschachtelt")


def _depth(data, level: int = 1) -> int:
    if isinstance(data, dict):
        return max((_depth(value, level + 1) for value in data.values()), default=level)
    if isinstance(data, list):
        return max((_depth(value, level + 1) for value in data), default=level)
    return level


STATE = _one_of(list(lifecycle.STATES), "kein Zustand")
ACTIVE_STATE = _one_of(list(lifecycle.ACTIVE), "kein aktiver Zustand")
RULES: dict[tuple[str, str], Callable] = {
    ("mandate", "state"): STATE,
    ("mandate", "held_state"): ACTIVE_STATE,
    ("mandate", "savings_target"): _amount,
    ("mandate", "stage_seq"): _positive,
    ("mandate", "version"): _positive,
    ("body", "kind"): _one_of(list(BODY_KINDS), "keine Art von Stelle"),
    ("contact", "email"): _email,
    ("body_decision", "decision"): _one_of(list(BODY_DECISIONS), "keine Entscheidung"),
    ("saving", "amount"): _saving,
    ("saving", "year"): _year,
    ("transition_log", "from_state"): STATE,
    ("transition_log", "to_state"): STATE,
    ("transition_log", "trigger"): _one_of(list(ENTRY_KINDS), "keine Art von Eintrag"),
    ("transition_log", "channel"): _one_of(list(CHANNELS), "kein Eingangsweg"),
    ("transition_log", "seq"): _positive,
    ("transition_log", "snapshot"): _json,
    ("outbox", "status"): _one_of(list(OUTBOX_STATES), "kein Versandstatus"),
    ("outbox", "recipient"): _email,
    ("reminder", "recipient"): _email,
    ("notice", "recipient"): _email,
    ("duty", "every_months"): _positive,
    ("proposal", "kind"): _one_of(list(PROPOSAL_KINDS), "keine Art von Vorschlag"),
    ("proposal", "status"): _one_of(list(PROPOSAL_STATES), "kein Status eines Vorschlags"),
    ("proposal", "channel"): _one_of(list(CHANNELS), "kein Eingangsweg"),
    ("document", "kind"): _one_of(list(DOCUMENT_KINDS), "keine Art von Dokument"),
    ("document", "version"): _positive,
}


def column_value(table: Table, column, value):
    """The column's Python value for a JSON value, checked by type, range, length, text and the column's rule."""
    if value is None:
        if not column.nullable and not column.primary_key:
            raise Invalid("fehlt (der Wert ist Pflicht)")
        return None
    kind = column.type.impl_instance if isinstance(column.type, TypeDecorator) else column.type
    if isinstance(kind, Boolean):
        if not isinstance(value, bool):
            raise Invalid(f"{value!r} ist kein Wahrheitswert (true oder false)")
    elif isinstance(kind, Integer):
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(f"{value!r} ist keine ganze Zahl")
        if not INT_MIN <= value <= INT_MAX:
            raise Invalid(f"{value} liegt außerhalb des Zahlenbereichs der Datenbank ({INT_MIN} bis {INT_MAX})")
        if column.primary_key or column.foreign_keys:
            _positive(value)
    elif isinstance(kind, DateTime):
        value = _moment(value)
    elif isinstance(kind, Date):
        value = _day(value)
    elif isinstance(kind, LargeBinary):
        value = _bytes(value)
    elif isinstance(kind, String):
        if not isinstance(value, str):
            raise Invalid(f"{value!r} ist kein Text")
        if kind.length is not None and len(value) > kind.length:
            raise Invalid(f"ist {len(value)} Zeichen lang; erlaubt sind höchstens {kind.length}")
        problem = text_problem(value, multiline=(table.name, column.name) in MULTILINE)
        if problem:
            raise Invalid(problem)
    rule = RULES.get((table.name, column.name))
    if rule is not None:
        rule(value)
    return value


def _moment(value) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise Invalid(f"{value!r} ist kein Zeitpunkt (JJJJ-MM-TTTHH:MM:SS+00:00)") from None
    if moment.tzinfo is None:
        raise Invalid(f"dem Zeitpunkt {value!r} fehlt die Zeitzone")
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise Invalid(f"{value!r} liegt außerhalb von {FIRST_YEAR} bis {LAST_YEAR}")
    return moment


def _day(value) -> date:
    try:
        day = date.fromisoformat(value)
    except (TypeError, ValueError):
        raise Invalid(f"{value!r} ist kein Datum (JJJJ-MM-TT)") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise Invalid(f"{value!r} liegt außerhalb von {FIRST_YEAR} bis {LAST_YEAR}")
    return day


def _bytes(value) -> bytes:
    if not isinstance(value, str):
        raise Invalid("ist kein Base64-Text")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid("ist kein gültiger Base64-Text") from None


def row_problem(table: Table, row: dict) -> tuple[str, str] | None:
    """A problem that spans columns of one row, as (column, message), or None."""
    if table.name == "mandate":
        held = row["held_state"] is not None
        if held != (row["state"] == "on_hold"):
            return "held_state", (
                "ein ruhendes Mandat braucht den Zustand, aus dem es ruht, und nur ein ruhendes hat einen"
            )
        if row["updated_at"] < row["created_at"]:
            return "updated_at", "liegt vor created_at"
    if table.name == "transition_log" and row["recorded_at"] < row["at"]:
        return "at", "liegt nach recorded_at: ein Eintrag kann nicht vor seiner Wirkung erfasst sein"
    return None
