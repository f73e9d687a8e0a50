"""Render the April 2011 conference agenda from a fresh database, time each part and screenshot it in Chromium.

Run: uv run python bench/render_agenda.py [--out DIR]
"""

import argparse
import tempfile
import time
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

from ikz import settings
from ikz.catalogue.importer import import_catalogue
from ikz.catalogue.spec import load, resolve
from ikz.clock import BERLIN
from ikz.conference.papers import agenda_data
from ikz.conference.render import PDF_NAME, texts, write_pdf
from models.db import make_engine, transaction
from models.schema import upgrade
from tests.preview import CHROMIUM, screenshot
from workflow.decisions import record_decision
from workflow.dependencies import add_dependency
from workflow.editing import edit_mandate
from workflow.steps import advance

RULES = settings.load(environ={}).rules()

MEETING = date(2011, 4, 12)
SUBMITTED = date(2011, 3, 17)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=BERLIN)


def prepare(url: str) -> None:
    """The catalogue with 1.4 (in the decision, four bodies decided) and 1.2 (waiting for 1.3) on the April meeting."""
    engine = make_engine(url)
    upgrade(engine)
    with transaction(engine) as s:
        import_catalogue(s, load(resolve("kreis-unna-2010")), actor="bench", now=at(date(2010, 11, 2)), rules=RULES)
        step = dict(actor="Koordination", now=at(SUBMITTED), today=SUBMITTED)
        advance(s, "1.4", "start_concept", **step, rules=RULES)
        edit_mandate(
            s,
            "1.4",
            actor="Koordination",
            now=at(SUBMITTED),
            concept_ref="Konzept Einkaufsgemeinschaft LOGA",
            plan_ref="Wirtschaftsplan LOGA 2011",
            savings_target=40_000,
        )
        advance(s, "1.4", "submit", meeting_date=MEETING, **step, rules=RULES)
        edit_mandate(
            s,
            "1.2",
            actor="Koordination",
            now=at(SUBMITTED),
            concept_ref="Breitbandkonzept Kreis Unna",
            plan_ref="Wirtschaftsplan Breitband",
            savings_target=25_000,
        )
        add_dependency(s, "1.2", "1.3", actor="Koordination", now=at(SUBMITTED))
        add_dependency(s, "1.8", "1.2", actor="Koordination", now=at(SUBMITTED))
        advance(s, "1.2", "submit", meeting_date=MEETING, **step, rules=RULES)
        advance(s, "1.4", "open_decision", actor="Koordination", now=at(MEETING), today=MEETING, rules=RULES)
        for body, decision, reference in [
            ("luenen", "joined", "Ratsbeschluss 2011/12"),
            ("kreis-unna", "joined", None),
            ("selm", "declined", "Ratsbeschluss 2011/7"),
            ("kamen", "pending", None),
        ]:
            record_decision(
                s, "1.4", body, decision, decided_on=MEETING, reference=reference, actor="Koordination", now=at(MEETING)
            )
    engine.dispose()


@contextmanager
def timed(label: str, timings: list):
    start = time.perf_counter()
    yield
    timings.append((label, time.perf_counter() - start))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="Ordner für Dateien und Screenshots (Vorgabe: neuer Temp-Ordner)")
    parser.add_argument("--repeat", type=int, default=5, help="Wiederholungen für die HTML/Markdown-Zeitmessung")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="ikz-agenda-"))
    out.mkdir(parents=True, exist_ok=True)
    for leftover in out.glob("ikz.db*"):
        leftover.unlink()  # a fresh database each run, also when --out is reused
    timings: list[tuple[str, float]] = []
    with timed("Datenbank anlegen + Katalog + Vorlagen", timings):
        prepare(f"sqlite:///{out / 'ikz.db'}")
    engine = make_engine(f"sqlite:///{out / 'ikz.db'}")
    with timed("agenda_data", timings), transaction(engine) as s:
        data = agenda_data(s, MEETING)
    with timed(f"HTML + Markdown rendern (×{args.repeat}, je Durchlauf)", timings):
        for _ in range(args.repeat):
            documents = texts(data)
    timings[-1] = (timings[-1][0], timings[-1][1] / args.repeat)
    for name, text in documents.items():
        (out / name).write_text(text, encoding="utf-8")
    with timed("PDF (WeasyPrint)", timings):
        skipped = write_pdf(data, out / PDF_NAME)
    shots = []
    if CHROMIUM.exists():
        for name in ("tagesordnung", data["papers"][-1]["file"]):
            with timed(f"Screenshot {name}.html (Chromium)", timings):
                shots.append(screenshot(out / f"{name}.html", out / f"{name}.png"))
    for label, seconds in timings:
        print(f"{label:<52} {seconds * 1000:8.1f} ms")
    print(skipped or f"PDF: {out / PDF_NAME}")
    for shot in shots:
        print(f"Screenshot: {shot}")
    if not shots:
        print(f"Kein Screenshot: {CHROMIUM} fehlt.")


if __name__ == "__main__":
    main()
