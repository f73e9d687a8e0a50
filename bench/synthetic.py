"""Synthetic programmes of 16 to 100k mandates for the benchmarks, on SQLite or PostgreSQL, filled with bulk inserts.

The shipped catalogue supplies the real bodies (county, ten municipalities, conference, working groups,
organisations), their contacts, fields, meetings and recurring duties, imported as `ikz import` does; the
remaining N − 16 mandates are generated with a realistic mix of states, one or two leads (a named contact
for municipal leads), stage deadlines spread around NOW, savings targets, participants, a few dependencies
and a history of 3–8 entries each whose seq/snapshot/hash chain holds (`ikz audit verify` passes).
Mandate LONG_HISTORY_CODE carries 10,000 more entries (notes) for `show` at any history length; the first
100 generated mandates are submitted to the conference meeting AGENDA_DAY (the agenda benchmark).

Databases are cached in /work/bench-cache/<backend>-<size> ($IKZ_BENCH_CACHE overrides the folder) and
reused while generator version and schema revision match; on PostgreSQL each size is its own database
(ikz_bench_<size>) on the server of $IKZ_BENCH_PG (default postgresql://127.0.0.1/test, the admin database).

Run: uv run python bench/synthetic.py 16 1k 10k [--backend sqlite|postgresql|both] [--fresh]
     uv run python bench/synthetic.py --url postgresql://127.0.0.1/mydb 1k    (into a given, empty database)
     uv run python bench/synthetic.py --catalogue 10k                           (the import benchmark's YAML)
"""

import argparse
import json
import os
import random
import shutil
import sqlite3
import sys
import time
from collections import Counter
from contextlib import closing
from datetime import UTC, date, datetime, timedelta, timezone
from datetime import time as clock_time
from pathlib import Path
from types import SimpleNamespace

# The programme's "now": a Tuesday (working day in NRW) two weeks after the March 2011 digest.
NOW = datetime(2011, 3, 15, 8, 0, tzinfo=timezone(timedelta(hours=1))).astimezone(UTC)
TODAY = date(2011, 3, 15)
NOW_TEXT = "2011-03-15T08:00"  # the same moment for IKZ_NOW (Berlin local time)
# When the shipped catalogue is imported (the date `ikz import` would be run).
IMPORTED = datetime(2010, 11, 2, 9, 0, tzinfo=UTC)

# Bump when the generated data changes, so stale cached databases are not reused.
GENERATOR_VERSION = 5
SEED = 2010
CACHE_VARIABLE = "IKZ_BENCH_CACHE"
DEFAULT_CACHE = Path("/work/bench-cache")
PG_VARIABLE = "IKZ_BENCH_PG"
DEFAULT_PG = "postgresql://127.0.0.1/test"
BACKENDS = ("sqlite", "postgresql")
ROOT = Path(__file__).resolve().parent.parent

# A shipped mandate (so it exists at every size) for `show`, and one with a long history.
SHOW_CODE = "1.4"
LONG_HISTORY_CODE = "6.1"
LONG_HISTORY = 10_000
# The conference meeting whose agenda the benchmark renders, and how many papers it gets.
AGENDA_DAY = date(2011, 5, 24)
AGENDA_PAPERS = 100
# Rows per bulk INSERT (and mandates per chunk whose history is built at once).
CHUNK = 5_000

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


FIRST_NAMES = ["Anna", "Bernd", "Claudia", "Dirk", "Eva", "Frank", "Gabi", "Heike", "Jens", "Katrin", "Lars", "Maria"]
LAST_NAMES = ["Becker", "Fischer", "Hoffmann", "Koch", "Meyer", "Richter", "Schäfer", "Wagner", "Weber", "Wolf"]


def parse_size(text: str) -> int:
    """'16', '1000', '1k', '100k' → number of mandates."""
    text = text.strip().lower()
    return int(float(text[:-1]) * 1000) if text.endswith("k") else int(text)


def size_label(n: int) -> str:
    """1000 → '1k', 16 → '16'."""
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def cache_dir() -> Path:
    """Where generated databases are kept: $IKZ_BENCH_CACHE, else /work/bench-cache."""
    return Path(os.environ.get(CACHE_VARIABLE) or DEFAULT_CACHE)


def pg_admin_url() -> str:
    return os.environ.get(PG_VARIABLE) or DEFAULT_PG


def pg_url(database: str) -> str:
    """The URL of another database on the benchmark's PostgreSQL server."""
    from sqlalchemy.engine import make_url

    from models.db import database_url

    return make_url(database_url(pg_admin_url())).set(database=database).render_as_string(hide_password=False)


def pg_admin(sql: str) -> None:
    """Run CREATE/DROP DATABASE on the benchmark's PostgreSQL server."""
    from sqlalchemy import text

    from models.db import make_engine

    engine = make_engine(pg_admin_url()).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(sql))
    finally:
        engine.dispose()


def _stamp() -> dict:
    from models.revision import EXPECTED_REVISION

    return {"generator": GENERATOR_VERSION, "revision": EXPECTED_REVISION}


def database(backend: str, n: int, *, fresh: bool = False, quiet: bool = False) -> str:
    """The URL of the cached pristine programme with n mandates on backend, generated first if missing or stale."""
    folder = cache_dir() / f"{backend}-{size_label(n)}"
    meta_file = folder / "meta.json"
    url = f"sqlite:///{folder / 'ikz.db'}" if backend == "sqlite" else pg_url(f"ikz_bench_{size_label(n)}")
    if not fresh and meta_file.exists():
        meta = json.loads(meta_file.read_text())
        if {key: meta.get(key) for key in _stamp()} == _stamp() and _revision_matches(url):
            return url
    folder.mkdir(parents=True, exist_ok=True)
    meta_file.unlink(missing_ok=True)
    if backend == "sqlite":
        for leftover in folder.glob("ikz.db*"):
            leftover.unlink()
    else:
        pg_admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        pg_admin(f'CREATE DATABASE "{url.rsplit("/", 1)[1]}"')
    start = time.perf_counter()
    # In a child process: the generator's memory is not the caller's, and the caller measures afterwards.
    subprocess_run([sys.executable, "-m", "bench.synthetic", "--generate", url, str(n)])
    seconds = time.perf_counter() - start
    meta_file.write_text(json.dumps({**_stamp(), "url": url, "mandates": n, "seconds": round(seconds, 1)}))
    if not quiet:
        print(f"generated {backend} {size_label(n)} in {seconds:.0f} s: {url}", file=sys.stderr)
    return url


def subprocess_run(command: list[str]) -> None:
    import subprocess

    subprocess.run(command, cwd=ROOT, check=True)


def _revision_matches(url: str) -> bool:
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from ikz.errors import IkzError
    from models.db import make_engine
    from models.revision import EXPECTED_REVISION

    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return False
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == EXPECTED_REVISION
    except (SQLAlchemyError, IkzError):  # a dropped database or an empty file is simply not there
        return False
    finally:
        engine.dispose()


def working_copy(backend: str, n: int, label: str) -> str:
    """A scratch copy of the cached programme (for benchmarks that write); drop it with drop_copy."""
    source = database(backend, n)
    name = f"ikz_bench_{size_label(n)}_{label}_{os.getpid()}"
    if backend == "sqlite":
        target = cache_dir() / "copies" / f"{name}.db"
        target.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(source.removeprefix("sqlite:///"), target)
        return f"sqlite:///{target}"
    from sqlalchemy.exc import OperationalError

    pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    for attempt in range(60):
        try:
            pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{source.rsplit("/", 1)[1]}"')
            break
        except OperationalError:
            # PostgreSQL copies a template only while nobody else is connected to it (another session reading).
            if attempt == 59:
                raise
            time.sleep(2)
    return pg_url(name)


def drop_copy(url: str) -> None:
    """Remove a working copy made by working_copy."""
    if url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{url.removeprefix('sqlite:///')}{suffix}").unlink(missing_ok=True)
    else:
        pg_admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def generate(url: str, n: int, *, seed: int = SEED) -> Counter:
    """Migrate the (empty) database at url and fill it with a programme of n mandates; return the row counts."""
    from ikz import settings
    from ikz.catalogue.importer import import_catalogue
    from ikz.catalogue.spec import load, resolve
    from models.db import make_engine, transaction
    from models.schema import upgrade

    rng = random.Random(seed)
    engine = make_engine(url)
    upgrade(engine)
    with transaction(engine) as session:
        catalogue = load(resolve("kreis-unna-2010"))
        import_catalogue(
            session, catalogue, actor="koordination", now=IMPORTED, rules=settings.load(environ={}).rules()
        )
    if n > 16:
        _fill(engine, n, rng)
    _long_history(engine, rng)
    counts = _finish(engine)
    engine.dispose()
    if url.startswith("sqlite:///"):
        # Fold the WAL into the file, so the cached database is one self-contained file to copy.
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as raw:
            raw.execute("PRAGMA journal_mode=DELETE")
    return counts


def _fill(engine, n: int, rng: random.Random) -> None:
    from sqlalchemy import text

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

    with engine.begin() as conn:
        bodies = {key: (id_, kind) for id_, key, kind in conn.execute(text("SELECT id, key, kind FROM body"))}
        conference = bodies["bmk"][0]
        municipal = [key for key, (_, kind) in bodies.items() if kind in ("county", "municipality")]
        groups = [key for key, (_, kind) in bodies.items() if kind in ("working_group", "organisation")]
        # Three more named contacts per municipality and the county: with the catalogue's, 56 addresses answer
        # for some lead, so the digest goes to 57 recipients (coordinator + leads), as in issue 14.
        _bulk(
            conn,
            Contact,
            [
                {
                    "body_id": bodies[key][0],
                    "name": f"Sachbearbeitung IKZ {i} ({key})",
                    "role": "Sachbearbeitung",
                    "email": f"ikz{i}@{key}.example",
                    "person": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                    "function": "Sachbearbeitung Interkommunale Zusammenarbeit",
                }
                for key in municipal
                for i in range(1, EXTRA_CONTACTS + 1)
            ],
        )
        # The coordinator is not named as a lead contact (its reminders would clash with its escalations).
        coordinator = "ikz@kreis-unna.example"
        by_body: dict[int, list[int]] = {}
        for contact_id, body_id, email in conn.execute(text("SELECT id, body_id, email FROM contact")):
            if email != coordinator:
                by_body.setdefault(body_id, []).append(contact_id)

        # Conference meetings every 6–8 weeks: a past one (decide stage) and upcoming ones (present stage).
        meeting_days = [date(2011, 3, 8), AGENDA_DAY, date(2011, 7, 5), date(2011, 9, 20), date(2011, 11, 15)]
        _bulk(
            conn,
            Meeting,
            [
                {
                    "body_id": conference,
                    "date": day,
                    "title": "Sitzung der Bürgermeisterkonferenz",
                    "time": "14:00",
                    "place": "Kreishaus Unna, Großer Sitzungssaal",
                    "chair": "Landrat Michael Makiolla",
                    "created_at": IMPORTED,
                }
                for day in meeting_days
            ],
        )
        rows = conn.execute(text("SELECT date, id FROM meeting WHERE body_id = :b"), {"b": conference}).all()
        meetings = {date.fromisoformat(str(day)): id_ for day, id_ in rows}
        past_meeting = meetings[date(2011, 3, 8)]
        upcoming = [meetings[day] for day in sorted(meetings) if day > AGENDA_DAY]
        meeting_dates = {id_: day for day, id_ in meetings.items()}

        first_id = conn.execute(text("SELECT max(id) FROM mandate")).scalar() + 1
        existing = conn.execute(text("SELECT count(*) FROM mandate")).scalar()
        per_field = Counter()
        states, weights = zip(*STATE_WEIGHTS.items())
        histories: dict[int, list[dict]] = {}
        mandates, leads, participants, savings, decisions, dependencies = [], [], [], [], [], []
        for offset in range(n - existing):
            mandate_id = first_id + offset
            field = rng.choices(range(1, 8), weights=(30, 10, 12, 12, 16, 8, 12))[0]
            per_field[field] += 1
            on_agenda = offset < AGENDA_PAPERS
            state = "present" if on_agenda else rng.choices(states, weights)[0]
            row, history = _mandate(
                rng,
                mandate_id,
                field,
                100 + per_field[field],
                state,
                past_meeting,
                upcoming,
                meeting_dates,
                agenda=meetings[AGENDA_DAY] if on_agenda else None,
            )
            mandates.append(row)
            histories[mandate_id] = history

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

        for model, rows in (
            (Mandate, mandates),
            (MandateLead, leads),
            (Participant, participants),
            (Saving, savings),
            (BodyDecision, decisions),
            (Dependency, dependencies),
        ):
            _bulk(conn, model, rows)
        del mandates, leads, participants, savings, decisions, dependencies

    # The history last: each chain ends in a snapshot of the mandate as views() sees it, so verify holds.
    ids = sorted(histories)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        live = _views(engine, chunk)
        entries = []
        for mandate_id in chunk:
            entries += _chain(mandate_id, histories.pop(mandate_id), live[mandate_id])
        with engine.begin() as conn:
            _bulk(conn, TransitionLog, entries)


def _views(engine, mandate_ids: list[int]) -> dict[int, dict]:
    from sqlmodel import Session

    from workflow.history import views

    with Session(engine) as session:
        return views(session, mandate_ids)


def _chain(mandate_id: int, history: list[dict], final: dict, *, previous: str | None = None, seq: int = 0):
    """The entries of one mandate with seq, snapshot, prev_hash and hash; the last snapshot is the live view."""
    from workflow.history import GENESIS, canonical, entry_hash

    previous = previous or GENESIS
    last = len(history) - 1
    entries = []
    final_text = canonical(final)
    for index, step in enumerate(history):
        if index == last:
            snapshot = final_text
        else:
            # Earlier snapshots: the mandate as it was then, as far as the state goes (as-of views rebuild from these).
            state = step["to_state"]
            held = state == "on_hold"
            snapshot = canonical(
                {
                    **final,
                    "state": state,
                    "held_state": (step["from_state"] if held else None),
                    "hold_reason": (step["note"] if held else None),
                    "held_since": None,
                    "hold_until": None,
                }
            )
        entry = SimpleNamespace(
            mandate_id=mandate_id,
            seq=seq + index + 1,
            from_state=step["from_state"],
            to_state=step["to_state"] or final["state"],
            trigger=step["trigger"],
            actor=step["actor"],
            account="bench",
            channel="CLI",
            at=step["at"],
            recorded_at=step["at"],
            note=step["note"],
            snapshot=snapshot,
            corrects=None,
            prev_hash=previous,
        )
        entry.hash = previous = entry_hash(entry)
        entries.append(vars(entry))
    return entries


def _long_history(engine, rng: random.Random) -> None:
    """Append LONG_HISTORY notes to mandate LONG_HISTORY_CODE, continuing its chain."""
    from sqlalchemy import text

    from models import TransitionLog

    with engine.connect() as conn:
        mandate_id = conn.execute(text("SELECT id FROM mandate WHERE code = :c"), {"c": LONG_HISTORY_CODE}).scalar()
        seq, prev, at = conn.execute(
            text("SELECT seq, hash, at FROM transition_log WHERE mandate_id = :m ORDER BY seq DESC LIMIT 1"),
            {"m": mandate_id},
        ).one()
        state = conn.execute(text("SELECT state FROM mandate WHERE id = :m"), {"m": mandate_id}).scalar()
    at = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
    at = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)
    start = max(at, IMPORTED) + timedelta(hours=1)
    step = (NOW - timedelta(days=1) - start) / LONG_HISTORY
    history = [
        {
            "from_state": state,
            "to_state": state,
            "trigger": "note",
            "actor": rng.choice(ACTORS),
            "at": (start + step * i).replace(microsecond=0),
            "note": f"Stellenmeldung {i + 1}: {rng.choice(TOPICS)} ({rng.choice(QUALIFIERS)}) an alle verteilt",
        }
        for i in range(LONG_HISTORY)
    ]
    final = _views(engine, [mandate_id])[mandate_id]
    entries = _chain(mandate_id, history, final, previous=prev, seq=seq)
    with engine.begin() as conn:
        _bulk(conn, TransitionLog, entries)
        conn.execute(
            text("UPDATE mandate SET updated_at = :at, version = version + :k WHERE id = :m"),
            {"at": history[-1]["at"], "k": LONG_HISTORY, "m": mandate_id},
        )


def _bulk(conn, model, rows: list[dict]) -> None:
    from sqlalchemy import insert

    for start in range(0, len(rows), CHUNK):
        conn.execute(insert(model.__table__), rows[start : start + CHUNK])


def _finish(engine) -> Counter:
    """Fix PostgreSQL's id sequences (ids were given explicitly), refresh the planner's statistics, count rows."""

    tables = ("mandate", "mandate_lead", "participant", "transition_log", "contact", "dependency", "saving", "meeting")
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for table in ("mandate", "contact", "meeting", "transition_log", "dependency", "saving", "body_decision"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false) "
                    f"FROM {table}"
                )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE")
        counts = Counter({table: conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar() for table in tables})
    return counts


def catalogue_file(n: int = 10_000, *, fresh: bool = False) -> Path:
    """A catalogue YAML with the shipped bodies, fields, meetings and duties and n generated mandates (cached)."""
    import yaml

    from ikz.catalogue.spec import resolve

    path = cache_dir() / f"catalogue-{size_label(n)}-g{GENERATOR_VERSION}.yaml"
    if path.exists() and not fresh:
        return path
    rng = random.Random(SEED)
    shipped = yaml.safe_load(resolve("kreis-unna-2010").read_text(encoding="utf-8"))
    municipal = [b["key"] for b in shipped["bodies"] if b["kind"] in ("county", "municipality")]
    groups = [b["key"] for b in shipped["bodies"] if b["kind"] in ("working_group", "organisation")]
    named = {b["key"]: [c["email"] for c in b["contacts"]] for b in shipped["bodies"]}
    per_field = Counter()
    mandates = []
    for index in range(n):
        field = rng.choices(range(1, 8), weights=(30, 10, 12, 12, 16, 8, 12))[0]
        per_field[field] += 1
        topic = rng.choice(TOPICS)
        state = rng.choices(("examine", "propose", "implement", "control", "on_hold"), (30, 35, 20, 8, 7))[0]
        keys = rng.sample(municipal, 2) if rng.random() < 0.3 else [rng.choice(municipal + groups)]
        leads = [
            {"body": key, "contact": rng.choice(named[key])} if key in municipal and rng.random() < 0.8 else key
            for key in keys
        ]
        entry = {
            "code": f"{field}.{per_field[field]}",
            "field": field,
            "title": f"{topic} {rng.choice(QUALIFIERS)}",
            "description": f"{topic}: gemeinsame Lösung der beteiligten Kommunen prüfen und der "
            "Bürgermeisterkonferenz einen Vorschlag mit Kosten- und Zeitplan vorlegen.",
            "leads": leads,
            "participants": "all" if rng.random() < 0.3 else sorted(set(rng.sample(municipal, rng.randint(2, 6)))),
            "state": state,
        }
        if state == "on_hold":
            entry["hold"] = {"from": rng.choice(("examine", "propose")), "reason": rng.choice(HOLD_REASONS)}
        elif state in ("examine", "propose") and rng.random() < 0.8:
            entry["due"] = TODAY + timedelta(days=int(rng.triangular(-60, 300, 60)))
        if index > 10 and rng.random() < 0.02:
            entry["depends_on"] = [mandates[rng.randrange(index)]["code"]]
        mandates.append(entry)
    shipped["catalogue"] = f"bench-{size_label(n)}"
    shipped["title"] = f"Synthetischer Katalog mit {n} Mandaten (Benchmark)"
    shipped["mandates"] = mandates
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.partial")
    partial.write_text(yaml.safe_dump(shipped, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8")
    os.replace(partial, path)
    return path


def _mandate(rng, mandate_id, field, number, state, past_meeting, upcoming, meeting_dates, agenda=None):
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
            meeting_id = agenda or rng.choice(upcoming)
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
        counts = generate(argv[1], parse_size(argv[2]))
        print(" ".join(f"{table}={count}" for table, count in counts.items()), file=sys.stderr)
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", default=["16", "1k", "10k", "100k"], help="16, 1k, 10k, 100k, …")
    parser.add_argument("--backend", choices=(*BACKENDS, "both"), default="both")
    parser.add_argument("--fresh", action="store_true", help="regenerate even if a cached database matches")
    parser.add_argument("--url", help="generate into this (empty) database instead of the cache (one size)")
    parser.add_argument("--catalogue", action="store_true", help="write the import benchmark's catalogue YAML")
    args = parser.parse_args(argv)
    sizes = [parse_size(size) for size in args.sizes]
    if args.catalogue:
        for n in sizes:
            print(catalogue_file(n, fresh=args.fresh))
        return
    if args.url:
        for n in sizes:
            counts = generate(args.url, n)
            print(f"{args.url}: " + " ".join(f"{table}={count}" for table, count in counts.items()))
        return
    backends = BACKENDS if args.backend == "both" else (args.backend,)
    for n in sizes:
        for backend in backends:
            print(f"{backend:>10} {size_label(n):>5}: {database(backend, n, fresh=args.fresh)}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
