"""Synthetic programmes of N mandates for the benchmarks: a migrated SQLite file, filled with bulk Core inserts.

The shipped catalogue supplies the real bodies (county, ten municipalities, conference, working groups,
organisations), their contacts, fields, meetings and recurring duties; the remaining N − 16 mandates are
generated with a realistic mix of states, one or two leads (a named contact for municipal leads), stage
deadlines spread around NOW, savings targets, participants, a few dependencies and an audit trail of
3–8 entries each that is consistent with the current state.

Generated files are cached by N (and generator version and schema revision), so reruns are quick.

Run: uv run python bench/synthetic.py 1000 10000 [--cache DIR] [--fresh]
"""

import argparse
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import closing
from datetime import UTC, date, datetime, timedelta, timezone
from datetime import time as clock_time
from pathlib import Path

# The programme's "now": a Tuesday (working day in NRW) two weeks after the March 2011 digest.
NOW = datetime(2011, 3, 15, 8, 0, tzinfo=timezone(timedelta(hours=1))).astimezone(UTC)
TODAY = date(2011, 3, 15)
NOW_TEXT = "2011-03-15T08:00"  # the same moment for IKZ_NOW (Berlin local time)

# Bump when the generated data changes, so stale cache files are not reused.
GENERATOR_VERSION = 4
SEED = 2010
CACHE_VARIABLE = "IKZ_BENCH_CACHE"
ROOT = Path(__file__).resolve().parent.parent

# Share of generated mandates per state (percent); roughly a programme a few years in.
STATE_WEIGHTS = {
    "examine": 14,
    "propose": 18,
    "present": 5,
    "decide": 4,
    "implement": 26,
    "control": 10,
    "on_hold": 6,
    "closed": 9,
    "rejected": 3,
    "withdrawn": 5,
}
MAIN_LINE = ["examine", "propose", "present", "decide", "implement", "control"]
STEP_TO = {
    "propose": "start_concept",
    "present": "submit",
    "decide": "open_decision",
    "implement": "approve",
    "control": "start_control",
}
ACTIVE = tuple(MAIN_LINE)

# Extra named contacts per municipality and the county (Sachbearbeitung), on top of the catalogue's.
EXTRA_CONTACTS = 3

TOPICS = [
    "Gemeinsame Beschaffung",
    "Interkommunale Vergabestelle",
    "Zentrale Gehaltsabrechnung",
    "Gemeinsamer Bauhof",
    "Fuhrparkmanagement",
    "Gebäudereinigung",
    "Energieeinkauf",
    "Straßenbeleuchtung",
    "Winterdienst",
    "IT-Sicherheit",
    "Datenschutzbeauftragte",
    "Archivverbund",
    "Schulungsverbund",
    "Personalbörse",
    "Rechnungsprüfung",
    "Vollstreckung",
    "Friedhofsverwaltung",
    "Grünflächenpflege",
    "Geodatenportal",
    "E-Government-Plattform",
    "Telefonanlage",
    "Druckerflotte",
    "Versicherungspool",
    "Brandschutzbedarfsplan",
    "Wahlorganisation",
    "Ausbildungsverbund",
    "Arbeitssicherheit",
    "Gleichstellungsstelle",
    "Tourismusmarketing",
    "Breitbandausbau",
    "Kassenverbund",
    "Lohnsteuerstelle",
    "Hausmeisterpool",
    "Schulträgeraufgaben",
]
QUALIFIERS = [
    "Nord",
    "Süd",
    "Ost",
    "West",
    "im Kreis Unna",
    "an der Lippe",
    "an der Ruhr",
    "Stufe 2",
    "Pilotphase",
    "2011/2012",
    "für Schulen",
    "für Kitas",
    "für Verwaltungsgebäude",
    "Bürgerbüros",
    "Rahmenvertrag",
]
ACTORS = ["koordination", "Koordination", "mueller", "schmidt", "ikz-buero"]
HOLD_REASONS = [
    "Haushaltssperre",
    "Personalwechsel in der federführenden Stelle",
    "Anbieter prüfen Angebote",
    "Rechtliche Prüfung durch die Kommunalaufsicht",
    "Warten auf Ratsbeschlüsse",
]
WITHDRAW_REASONS = ["Kein Einsparpotenzial", "Aufgabe entfällt", "Zu wenige Teilnehmer", "Landesregelung geplant"]
REJECT_REASONS = ["Wirtschaftlichkeit nicht nachgewiesen", "Keine Mehrheit in der Konferenz", "Rechtliche Bedenken"]
REFER_REASONS = ["Kostenplan überarbeiten", "Beteiligung der Personalräte nachholen", "Alternativen darstellen"]


def cache_dir() -> Path:
    """Where generated databases are kept: $IKZ_BENCH_CACHE, else <tmp>/ikz-bench-cache."""
    return Path(os.environ.get(CACHE_VARIABLE) or Path(tempfile.gettempdir()) / "ikz-bench-cache")


def cached_database(n: int, *, folder: Path | None = None, fresh: bool = False) -> tuple[Path, float | None]:
    """Return (path, seconds spent generating or None if cached) of a pristine database with n mandates."""
    from models.schema import EXPECTED_REVISION

    folder = folder or cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"ikz-{n}-g{GENERATOR_VERSION}-r{EXPECTED_REVISION}.db"
    if path.exists() and not fresh:
        return path, None
    partial = path.with_suffix(f".{os.getpid()}.partial")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    start = time.perf_counter()
    try:
        # In a child process: generating 100k mandates holds ~700 MB, which the caller should not keep.
        subprocess.run(
            [sys.executable, "-m", "bench.synthetic", "--generate", str(partial), str(n)], cwd=ROOT, check=True
        )
    except BaseException:
        for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
            leftover.unlink(missing_ok=True)
        raise
    elapsed = time.perf_counter() - start
    os.replace(partial, path)
    return path, elapsed


def working_copy(n: int, folder: Path) -> Path:
    """Copy the cached database with n mandates into folder (benchmarks that write work on a copy)."""
    source, _ = cached_database(n)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"ikz-{n}.db"
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)
    return target


def url(path: Path) -> str:
    return f"sqlite:///{path}"


def generate(path: Path, n: int, *, seed: int = SEED) -> Counter:
    """Create and fill a migrated SQLite database at path with n mandates; return the row counts."""
    from sqlalchemy import insert, text

    from ikz import settings
    from ikz.catalogue.importer import import_catalogue
    from ikz.catalogue.spec import load, resolve
    from models import (
        BodyDecision,
        Contact,
        Dependency,
        Mandate,
        MandateLead,
        Meeting,
        Participant,
        Saving,
        TransitionLog,
    )
    from models.db import make_engine, transaction
    from models.schema import upgrade

    rng = random.Random(seed)
    engine = make_engine(url(path))
    upgrade(engine)
    imported = datetime(2010, 11, 2, 9, 0, tzinfo=UTC)
    with transaction(engine) as session:
        import_catalogue(
            session,
            load(resolve("kreis-unna-2010")),
            actor="koordination",
            now=imported,
            rules=settings.load(environ={}).rules(),
        )

    with engine.begin() as conn:
        bodies = {key: (id_, kind) for id_, key, kind in conn.execute(text("SELECT id, key, kind FROM body"))}
        conference = bodies["bmk"][0]
        municipal = [key for key, (_, kind) in bodies.items() if kind in ("county", "municipality")]
        groups = [key for key, (_, kind) in bodies.items() if kind in ("working_group", "organisation")]

        contacts = [
            {
                "body_id": bodies[key][0],
                "name": f"Sachbearbeitung IKZ {i} ({key})",
                "role": "Sachbearbeitung",
                "email": f"ikz{i}@{key}.example",
            }
            for key in municipal
            for i in range(1, EXTRA_CONTACTS + 1)
        ]
        conn.execute(insert(Contact.__table__), contacts)
        # The coordinator is not named as a lead contact, nor reached through an unnamed county lead: when the
        # coordinator's address is both a lead contact and the escalation address of one mandate, the sweep builds
        # two reminders with the same claim key and drops that recipient's whole message (see bench/README.md).
        coordinator = "ikz@kreis-unna.example"
        by_body: dict[int, list[int]] = {}
        for contact_id, body_id, email in conn.execute(text("SELECT id, body_id, email FROM contact")):
            if email != coordinator:
                by_body.setdefault(body_id, []).append(contact_id)

        # Conference meetings every 6–8 weeks, a past one (decide stage) and upcoming ones (present stage).
        meeting_days = [date(2011, 3, 8), date(2011, 5, 24), date(2011, 7, 5), date(2011, 9, 20), date(2011, 11, 15)]
        conn.execute(
            insert(Meeting.__table__),
            [
                {"body_id": conference, "date": day, "title": "Sitzung der Bürgermeisterkonferenz"}
                for day in meeting_days
            ],
        )
        meetings = dict(conn.execute(text("SELECT date, id FROM meeting WHERE body_id = :b"), {"b": conference}).all())
        meetings = {date.fromisoformat(str(day)): id_ for day, id_ in meetings.items()}
        past_meeting = meetings[date(2011, 3, 8)]
        upcoming = [meetings[day] for day in sorted(meetings) if day > TODAY]
        meeting_dates = {id_: day for day, id_ in meetings.items()}

        first_id = conn.execute(text("SELECT max(id) FROM mandate")).scalar() + 1
        existing = conn.execute(text("SELECT count(*) FROM mandate")).scalar()
        per_field = Counter()
        states, weights = zip(*STATE_WEIGHTS.items())
        mandates, leads, participants, logs, savings, decisions, dependencies = [], [], [], [], [], [], []
        for offset in range(n - existing):
            mandate_id = first_id + offset
            field = rng.choices(range(1, 8), weights=(30, 10, 12, 12, 16, 8, 12))[0]
            per_field[field] += 1
            state = rng.choices(states, weights)[0]
            row, history = _mandate(
                rng, mandate_id, field, 100 + per_field[field], state, past_meeting, upcoming, meeting_dates
            )
            mandates.append(row)
            logs += history

            lead_keys = rng.sample(municipal, 2) if rng.random() < 0.3 else []
            if not lead_keys:
                lead_keys = [rng.choice(municipal) if rng.random() < 0.85 else rng.choice(groups)]
            for key in lead_keys:
                body_id, kind = bodies[key]
                # Municipal leads name the person who answers; working groups reach all (one) of their contacts.
                named = kind == "county" or (kind == "municipality" and rng.random() < 0.9)
                leads.append(
                    {
                        "mandate_id": mandate_id,
                        "body_id": body_id,
                        "contact_id": rng.choice(by_body[body_id]) if named else None,
                    }
                )
            joined = set(municipal) if rng.random() < 0.3 else set(rng.sample(municipal, rng.randint(2, 6)))
            joined |= {key for key in lead_keys if key in municipal}
            participants += [{"mandate_id": mandate_id, "body_id": bodies[key][0]} for key in sorted(joined)]

            if state in ("implement", "control", "closed"):
                decided_on = meeting_dates[past_meeting] if state == "implement" else date(2010, 12, 7)
                decisions += [
                    {
                        "mandate_id": mandate_id,
                        "body_id": bodies[key][0],
                        "decision": "joined",
                        "decided_on": decided_on,
                        "reference": f"Ratsbeschluss 2011/{rng.randint(1, 80)}",
                        "recorded_at": row["updated_at"],
                        "actor": "koordination",
                    }
                    for key in sorted(joined)
                ]
                if row["savings_target"] and rng.random() < 0.6:
                    share = rng.uniform(0.4, 1.3)
                    savings.append(
                        {
                            "mandate_id": mandate_id,
                            "year": 2010,
                            "amount": int(row["savings_target"] * share),
                            "recorded_at": row["updated_at"],
                            "actor": "koordination",
                        }
                    )
            # A few mandates wait for an older one (always a lower id, so no cycles).
            if offset > 10 and rng.random() < 0.03:
                dependencies.append({"mandate_id": mandate_id, "depends_on_id": first_id + rng.randrange(offset)})

        for table, rows in (
            (Mandate.__table__, mandates),
            (MandateLead.__table__, leads),
            (Participant.__table__, participants),
            (TransitionLog.__table__, logs),
            (Saving.__table__, savings),
            (BodyDecision.__table__, decisions),
            (Dependency.__table__, dependencies),
        ):
            for start in range(0, len(rows), 20_000):
                conn.execute(insert(table), rows[start : start + 20_000])
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    with engine.connect() as conn:
        counts = Counter(
            {
                table: conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()
                for table in (
                    "mandate",
                    "mandate_lead",
                    "participant",
                    "transition_log",
                    "contact",
                    "dependency",
                    "saving",
                )
            }
        )
    engine.dispose()
    # Fold the WAL into the file, so the cached database is one self-contained file to copy.
    with closing(sqlite3.connect(path)) as raw:
        raw.execute("PRAGMA journal_mode=DELETE")
    return counts


def _mandate(rng, mandate_id, field, number, state, past_meeting, upcoming, meeting_dates) -> tuple[dict, list[dict]]:
    """One mandate row and its audit trail, consistent with its state."""
    held_state = None
    if state == "on_hold":
        held_state = rng.choices(ACTIVE, weights=(3, 4, 1, 1, 4, 2))[0]
        stage = held_state
    elif state in ("closed",):
        stage = "control"
    elif state == "rejected":
        stage = "decide"
    elif state == "withdrawn":
        stage = rng.choice(ACTIVE[:4])
    else:
        stage = state
    path = MAIN_LINE[: MAIN_LINE.index(stage) + 1]

    # (trigger, from, to, note) in order; the first is the creation.
    steps = [(None, None, None, None)]
    for previous, following in zip(path, path[1:]):
        steps.append((STEP_TO[following], previous, following, None))
        if following == "present" and rng.random() < 0.1 and stage != "present":
            steps.append(("refer_back", "present", "propose", rng.choice(REFER_REASONS)))
            steps.append(("submit", "propose", "present", None))
    if state == "on_hold":
        steps.append(("hold", stage, "on_hold", rng.choice(HOLD_REASONS)))
    elif state == "closed":
        steps.append(("close", "control", "closed", None))
    elif state == "rejected":
        steps.append(("reject", "decide", "rejected", rng.choice(REJECT_REASONS)))
    elif state == "withdrawn":
        steps.append(("withdraw", stage, "withdrawn", rng.choice(WITHDRAW_REASONS)))

    target = rng.randint(3, 8)
    # Long paths start later: the mandate was imported in a later stage (as the 2010 catalogue does).
    # Each step starts where the one before ended, so dropping the first keeps the chain consistent.
    while len(steps) > max(target, 2):
        steps.pop(1)
    first_state = steps[1][1] if len(steps) > 1 else (state if state in ACTIVE else stage)
    steps[0] = ("import", None, first_state, "Angelegt (synthetisches Programm)")
    # Pad with edits (deadline, references) and, now and then, a hold/resume pair.
    while len(steps) < target:
        at = rng.randrange(1, len(steps) + 1)
        current = steps[at - 1][2]
        if current in ACTIVE and rng.random() < 0.2 and target - len(steps) >= 2:
            steps[at:at] = [
                ("hold", current, "on_hold", rng.choice(HOLD_REASONS)),
                ("resume", "on_hold", current, None),
            ]
        elif current not in ("closed", "rejected", "withdrawn"):
            steps.insert(
                at,
                (
                    "edit",
                    current,
                    current,
                    rng.choice(("Frist: – → neu gesetzt", "Konzept: – → Entwurf", "Effizienzziel: – → festgelegt")),
                ),
            )
        else:
            steps.insert(1, ("edit", first_state, first_state, "Titel angepasst"))

    # Spread the trail over the time before NOW; recent activity is more likely (the digest's previous month).
    start = TODAY - timedelta(days=rng.randint(60, 700))
    span = (TODAY - start).days
    days = sorted(start + timedelta(days=rng.randint(0, span - 1)) for _ in steps)
    days[0] = start
    history = []
    for index, ((trigger, source, dest, note), day) in enumerate(zip(steps, days)):
        # Same-day steps an hour apart, in order.
        hour = 8 + sum(1 for earlier in days[:index] if earlier == day)
        history.append(
            {
                "mandate_id": mandate_id,
                "from_state": source,
                "to_state": dest,
                "trigger": trigger,
                "actor": "koordination" if trigger == "import" else rng.choice(ACTORS),
                "at": datetime.combine(day, clock_time(hour, rng.choice((0, 15, 30, 45))), UTC),
                "note": note,
            }
        )

    stage_seq = 1 + sum(1 for trigger, *_ in steps[1:] if trigger not in ("hold", "resume", "edit", None))
    due = None
    meeting_id = None
    if state in ACTIVE or (state == "on_hold" and rng.random() < 0.5):
        if stage == "present":
            meeting_id = rng.choice(upcoming)
            due = meeting_dates[meeting_id] - timedelta(days=14)
        elif rng.random() < 0.92:
            # Deadlines around today: about a third already passed, most within the coming half year.
            due = TODAY + timedelta(days=int(rng.triangular(-120, 240, 20)))
        if stage == "decide":
            meeting_id = past_meeting
    later = MAIN_LINE.index(stage) >= MAIN_LINE.index("present")
    has_target = later or (stage == "propose" and rng.random() < 0.3)
    topic = rng.choice(TOPICS)
    row = {
        "id": mandate_id,
        "code": f"{field}.{number}",
        "field_number": field,
        "title": f"{topic} {rng.choice(QUALIFIERS)}",
        "description": f"{topic}: gemeinsame Lösung der beteiligten Kommunen prüfen und der Bürgermeisterkonferenz "
        f"einen Vorschlag mit Kosten- und Zeitplan vorlegen.",
        "state": state,
        "held_state": held_state,
        "hold_reason": next((note for trigger, _, _, note in reversed(steps) if trigger == "hold"), None)
        if held_state
        else None,
        "held_since": history[-1]["at"] if held_state else None,
        "stage_seq": stage_seq,
        "due_date": due,
        "meeting_id": meeting_id,
        "concept_ref": f"Konzept {topic} v{rng.randint(1, 4)}" if later else None,
        "plan_ref": f"Wirtschaftsplan {topic} 2011" if later else None,
        "savings_target": rng.randrange(5_000, 150_000, 1_000) if has_target else None,
        "created_at": history[0]["at"],
        "updated_at": history[-1]["at"],
        "version": len(history),
    }
    return row, history


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--generate":
        generate(Path(argv[1]), int(argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10_000, 100_000])
    parser.add_argument("--cache", type=Path, help=f"cache folder (default: ${CACHE_VARIABLE} or {cache_dir()})")
    parser.add_argument("--fresh", action="store_true", help="regenerate even if a cached file exists")
    args = parser.parse_args(argv)
    for n in args.sizes:
        path, seconds = cached_database(n, folder=args.cache, fresh=args.fresh)
        how = f"generated in {seconds:.1f} s" if seconds is not None else "cached"
        size = path.stat().st_size / 1e6
        print(f"{n:>7} mandates: {path} ({size:.0f} MB, {how})")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
