"""Wires the periodic ticks (reminders, outbox, monthly digest, mail intake) to APScheduler 3, and logs each run."""

import logging
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from ikz import clock
from ikz.clock import BERLIN
from ikz.errors import ConfigError, IkzError
from ikz.intake.fetching import fetch
from ikz.settings import Settings
from notifications import tokens
from notifications.delivery import DispatchReport, dispatch, owner_name
from notifications.monthly import monthly_tick
from notifications.sweep import sweep

log = logging.getLogger("ikz.scheduler")
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


@dataclass(frozen=True)
class Job:
    """One periodic tick: an id, when it fires, and the plain function it calls with `now` (returns a report)."""

    id: str
    trigger: object
    tick: Callable


def jobs(engine, settings) -> list[Job]:
    """The schedule; every tick recomputes what is due, so a missed or repeated run does no harm."""
    owner = owner_name("scheduler")
    schedule = [
        # Working days at 07:30; the sweep itself skips NRW holidays. Nothing runs 02:00–03:00 (DST).
        Job(
            "reminder-sweep",
            CronTrigger(day_of_week="mon-fri", hour=7, minute=30, timezone=BERLIN),
            lambda now: sweep(engine, settings, now=now),
        ),
        Job(
            "outbox",
            IntervalTrigger(seconds=settings.scheduler.dispatch_seconds, timezone=BERLIN),
            lambda now: dispatch(engine, settings, now=now, owner=owner),
        ),
        # Days 1–7 at 07:00: the tick sends only once, on or after the first working day.
        Job(
            "monthly-digest",
            CronTrigger(day="1-7", hour=7, minute=0, timezone=BERLIN),
            lambda now: monthly_tick(engine, settings, now=now),
        ),
    ]
    if tokens.enabled(settings):
        # Replies by mail: only with a token key (without one, mail carries no reply address to read).
        schedule.append(
            Job(
                "inbox",
                IntervalTrigger(seconds=settings.scheduler.inbox_seconds, timezone=BERLIN),
                # An unreachable mailbox is an IkzError: one line in the log, and the next run tries again.
                lambda now: fetch(engine, settings, now=now),
            )
        )
    return schedule


def build(engine, settings, scheduler_class=BlockingScheduler):
    """Create a scheduler with the ikz jobs; each also runs once at start to catch up after downtime."""
    scheduler = scheduler_class(
        timezone=BERLIN,
        # In-memory job store only: all state is in the application database (LIBRARIES.md).
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    start = clock.now()
    for job in jobs(engine, settings):
        scheduler.add_job(run_job, job.trigger, args=[job], id=job.id, name=job.id)
        scheduler.add_job(run_job, "date", run_date=start, args=[job], id=f"{job.id}-start", name=f"{job.id} (Start)")
    return scheduler


def run_job(job: Job):
    """Run one tick and log one line saying what it did; returns its report (None: it ended in an IkzError)."""
    try:
        report = job.tick(clock.now())
    except IkzError as exc:
        # What an operator can act on (database gone, locked) is one German line. Anything else is a bug: it
        # propagates, and APScheduler logs it with its traceback (its logger writes to the same place as ours).
        log.error("%s: %s", job.id, exc)
        return None
    line = report.summary()
    if isinstance(report, DispatchReport) and report.reasons:
        # What the server said, so that the operator need not look it up in the outbox first.
        line += f" Grund: {'; '.join(report.reasons[:3])}{' …' if len(report.reasons) > 3 else ''}"
    log.log(level(report), "%s: %s", job.id, line)
    return report


def level(report) -> int:
    """How loud a run's line is."""
    if isinstance(report, DispatchReport):
        if report.unreported:
            # A failure notice failed: it is not mailed again (no loops), so this line may be all anyone sees.
            return logging.ERROR
        if report.failed or report.retried:
            # The mail server refuses or is away: worth a look, though postponed messages go out later by themselves.
            return logging.WARNING
        if report.idle:
            # Every minute with nothing due: shown with log_level = "debug" only.
            return logging.DEBUG
    return logging.INFO


def run_once(engine, settings) -> list[str]:
    """Run every job once, as at start, one after the other; returns the ids of those that ended in an error."""
    return [job.id for job in jobs(engine, settings) if run_job(job) is None]


def run(engine, settings) -> None:
    """Run the scheduler in the foreground until SIGTERM or Ctrl-C."""
    scheduler = build(engine, settings)

    def stop(signum, frame):
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        if scheduler.running:
            scheduler.shutdown(wait=True)


class _Redacting(logging.Formatter):
    """Formats a line, traceback included, without the SMTP password in any encoding."""

    def __init__(self, redact: Callable[[str], str]):
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%Y-%m-%d %H:%M:%S")
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))


@contextmanager
def logging_to(settings: Settings, stream=None) -> Iterator[logging.Handler]:
    """Send the scheduler's lines, and APScheduler's warnings and errors, to stderr (or scheduler.log_file)."""
    path = settings.scheduler.log_file
    try:
        handler = logging.FileHandler(path, encoding="utf-8") if path else logging.StreamHandler(stream or sys.stderr)
    except OSError as exc:
        raise ConfigError(
            f"{settings.source}: scheduler.log_file: {path!r} lässt sich nicht öffnen ({exc.strerror})."
        ) from None
    handler.setFormatter(_Redacting(settings.redact))
    ours = LEVELS[settings.scheduler.log_level]
    # APScheduler's own INFO lines ("Running job …") would double ours, in English.
    loggers = {log: ours, logging.getLogger("apscheduler"): max(ours, logging.WARNING)}
    before = {logger: (logger.level, logger.propagate) for logger in loggers}
    for logger, threshold in loggers.items():
        logger.setLevel(threshold)
        logger.addHandler(handler)
        logger.propagate = False
    try:
        yield handler
    finally:
        for logger, (threshold, propagate) in before.items():
            logger.removeHandler(handler)
            logger.setLevel(threshold)
            logger.propagate = propagate
        handler.close()
