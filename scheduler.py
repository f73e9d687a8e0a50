"""Wires the periodic ticks (reminder sweep, outbox dispatcher, monthly digest, mail intake) to APScheduler 3."""

import signal
from collections.abc import Callable
from dataclasses import dataclass

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from ikz import clock
from ikz.clock import BERLIN
from ikz.intake.fetching import poll
from notifications import tokens
from notifications.delivery import dispatch, owner_name
from notifications.monthly import monthly_tick
from notifications.sweep import sweep


@dataclass(frozen=True)
class Job:
    """One periodic tick: an id, when it fires, and the plain function it calls with `now`."""

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
                lambda now: poll(engine, settings, now=now),
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
        scheduler.add_job(_run, job.trigger, args=[job.tick], id=job.id, name=job.id)
        scheduler.add_job(_run, "date", run_date=start, args=[job.tick], id=f"{job.id}-start", name=f"{job.id} (Start)")
    return scheduler


def _run(tick: Callable) -> None:
    tick(clock.now())


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
