"""The scheduler's jobs, run once in a fresh process on a benchmark database, as the scheduler runs them.

Each mode builds the engine and settings, takes the job from `scheduler.jobs()` and calls its tick with the
programme's now; it prints one JSON line: seconds and CPU seconds of the tick, the process's peak RSS (VmHWM,
interpreter and imports included) and what the job left in the outbox.

Run (normally through run_all.py):
  python -m bench.jobs digest URL            the monthly digest job on its first working day (1 March 2011)
  python -m bench.jobs sweep URL             the reminder sweep job at NOW (run twice on a copy: first, rerun)
  python -m bench.jobs dispatch URL PORT N   the outbox job, N real-size messages, to an SMTP sink on PORT
  python -m bench.jobs serve PORT            the counting SMTP sink (until stdin closes)
"""

import sys
import time
from datetime import datetime

from bench.harness import cpu_seconds, emit, peak_rss_mb

# At most this much mail is copied into the outbox for the dispatch run (count × size of the sweep's messages).
COPIED_BYTES = 300_000_000


def _job(url: str, job_id: str, **overrides):
    import scheduler
    from ikz import settings as settings_module
    from models.db import make_engine

    settings = settings_module.load(environ={}, **overrides)
    engine = make_engine(url)
    job = next(job for job in scheduler.jobs(engine, settings) if job.id == job_id)
    return engine, settings, job


def _tick(job, now: datetime) -> dict:
    cpu, start = cpu_seconds(), time.perf_counter()
    report = job.tick(now)
    return {
        "seconds": time.perf_counter() - start,
        "cpu": cpu_seconds() - cpu,
        "peak_mb": peak_rss_mb(),
        "summary": report.summary(),
    }


def _outbox(engine, kind: str) -> dict:
    from sqlalchemy import func, select

    from models import OutboxMessage

    size = func.length(OutboxMessage.raw)
    with engine.connect() as conn:
        count, largest, total = conn.execute(
            select(func.count(), func.max(size), func.sum(size)).where(OutboxMessage.kind == kind)
        ).one()
    return {"messages": count, "largest_bytes": largest or 0, "total_bytes": total or 0}


def digest(url: str) -> None:
    from datetime import date

    from ikz.clock import BERLIN

    engine, _settings, job = _job(url, "monthly-digest")
    # The job's slot on the month's first working day (Tuesday, 1 March 2011), 07:00.
    now = datetime.combine(date(2011, 3, 1), datetime.min.time().replace(hour=7), BERLIN)
    result = _tick(job, now)
    emit({**result, **_outbox(engine, "digest")})


def sweep(url: str) -> None:
    from sqlalchemy import func, select

    from bench.synthetic import NOW
    from models import Reminder
    from notifications.policy import Policy
    from workflow.workdays import add_working_days

    engine, settings, job = _job(url, "reminder-sweep")
    result = _tick(job, NOW)
    with engine.connect() as conn:
        claims = conn.execute(select(func.count()).select_from(Reminder)).scalar()
    # The horizon the sweep reads up to, for the raw-SQL baseline of the same due set.
    horizon = add_working_days(NOW.date(), max(Policy.from_settings(settings).before, default=0))
    emit({**result, **_outbox(engine, "reminder"), "claims": claims, "horizon": horizon.isoformat()})


def dispatch(url: str, port: int, count: int) -> None:
    """Fill the outbox to `count` queued copies of the messages the sweep wrote, then run the outbox job once."""
    from sqlalchemy import insert, select, update

    from bench.synthetic import NOW
    from models import OutboxMessage

    engine, _settings, job = _job(
        url,
        "outbox",
        mail_transport="smtp",
        mail_host="127.0.0.1",
        mail_port=port,
        mail_security="none",
        mail_batch=count,
    )
    columns = [c for c in OutboxMessage.__table__.columns if c.name != "id"]
    with engine.begin() as conn:
        written = [dict(row._mapping) for row in conn.execute(select(*columns).where(OutboxMessage.status == "queued"))]
        if not written:
            raise SystemExit("no queued messages: run the sweep on this copy first")
        sizes = [len(row["raw"]) for row in written]
        # Copies up to `count`, but not beyond COPIED_BYTES in all: the sweep's messages may be megabytes each.
        count = max(len(written), min(count, int(COPIED_BYTES / (sum(sizes) / len(sizes)))))
        chunk = []
        for index in range(count - len(written)):
            row = dict(written[index % len(written)])
            old = row["message_id"]
            row["message_id"] = f"{old[:-1]}.{index}>" if old.endswith(">") else f"{old}.{index}"
            row["raw"] = row["raw"].replace(old, row["message_id"], 1)
            chunk.append(row)
            if len(chunk) == 200:
                conn.execute(insert(OutboxMessage.__table__), chunk)
                chunk = []
        if chunk:
            conn.execute(insert(OutboxMessage.__table__), chunk)
        conn.execute(update(OutboxMessage.__table__).values(next_attempt_at=NOW))
    del written, chunk
    result = _tick(job, NOW)
    emit({**result, "sample_messages": len(sizes), "sent": count, "mean_bytes": sum(sizes) / len(sizes)})


class _Counting:
    """aiosmtpd handler that accepts everything and only counts messages and connections."""

    def __init__(self):
        self.messages = 0
        self.connections = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self.connections += 1
        return responses

    async def handle_DATA(self, server, session, envelope):
        self.messages += 1
        return "250 Message accepted for delivery"


def serve(port: int) -> None:
    """The counting sink until stdin closes; then prints 'messages connections'."""
    from aiosmtpd.controller import Controller

    handler = _Counting()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    sys.stdin.read()
    controller.stop()
    print(handler.messages, handler.connections, flush=True)


def main(argv: list[str]) -> None:
    mode, *args = argv
    if mode == "digest":
        digest(args[0])
    elif mode == "sweep":
        sweep(args[0])
    elif mode == "dispatch":
        dispatch(args[0], int(args[1]), int(args[2]))
    elif mode == "serve":
        serve(int(args[0]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
