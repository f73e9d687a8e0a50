"""The demo: a fresh database, the 2010 catalogue and mandate 1.4 walked to its decision."""

from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path

from catalogue.importer import import_catalogue
from catalogue.spec import load, resolve
from clock import BERLIN
from models.db import make_engine, transaction
from models.schema import upgrade
from workflow.board import list_mandates
from workflow.editing import edit_mandate
from workflow.lifecycle import STATES
from workflow.steps import advance
from workflow.text import format_date

ACTOR = "Koordinierungsstelle IKZ"


def at(day: date, hour: int = 9) -> datetime:
    """A Berlin working-day moment on `day`."""
    return datetime.combine(day, time(hour), BERLIN)


def run(workdir: Path, say: Callable[[str], None] = print) -> Path:
    """Build the demo database in workdir, print a German timeline and the board; return the database path."""
    path = workdir / "ikz.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    start = at(date(2010, 9, 21))
    with transaction(engine) as session:
        report = import_catalogue(session, load(resolve("kreis-unna-2010")), actor=ACTOR, now=start)
    say(f"{format_date(start.date())}  {report.summary('kreis-unna-2010')}")

    steps = [
        (date(2010, 11, 2), "step", "start_concept", {"note": "Verhandlungen mit dem Rechenzentrum Lemgo/Minden-Ravensberg aufgenommen"}),
        (date(2011, 3, 16), "edit", None, {"concept_ref": "Konzept Einkaufsgemeinschaft LOGA", "plan_ref": "Wirtschaftsplan LOGA 2011", "savings_target": 40000}),
        (date(2011, 3, 17), "step", "submit", {"meeting_date": date(2011, 4, 12)}),
        (date(2011, 4, 12), "step", "open_decision", {}),
        (date(2011, 4, 12), "step", "approve", {"note": "Die Bürgermeisterkonferenz stimmt der Einkaufsgemeinschaft zu"}),
    ]
    for day, kind, trigger, inputs in steps:
        moment = at(day, 16 if trigger in ("open_decision", "approve") else 9)
        with transaction(engine) as session:
            if kind == "edit":
                entry = edit_mandate(session, "1.4", actor=ACTOR, now=moment, **inputs)
                say(f"{format_date(day)}  1.4 bearbeitet: {entry.note}")
            else:
                entry = advance(session, "1.4", trigger, actor=ACTOR, now=moment, today=day, **inputs)
                say(f"{format_date(day)}  1.4 {STATES[entry.from_state]} → {STATES[entry.to_state]}")

    with transaction(engine) as session:
        rows = list_mandates(session, today=date(2011, 5, 31))
    say("")
    say("Stand am 31.05.2011:")
    for row in rows:
        due = f", Frist {format_date(date.fromisoformat(row['due_date']))}" if row["due_date"] else ""
        late = " (überfällig)" if row["overdue"] else ""
        say(f"  {row['code']:<7} {row['title']:<40} {row['state_label']}{due}{late}")
    engine.dispose()
    return path
