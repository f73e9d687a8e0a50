"""The schedule: Berlin local times across DST, nothing in the 02:00–03:00 window, catch-up at start."""

from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

import scheduler
from ikz import settings
from ikz.clock import BERLIN


def fire_times(trigger, start: datetime, end: datetime) -> list[datetime]:
    times, previous, moment = [], None, start
    while True:
        moment = trigger.get_next_fire_time(previous, moment)
        if moment is None or moment > end:
            return times
        times.append(moment)
        previous = moment
        moment = moment + timedelta(seconds=1)


def schedule(engine):
    return {job.id: job for job in scheduler.jobs(engine, settings.load(environ={}))}


def test_sweep_runs_at_0730_local_on_both_sides_of_the_dst_changes(engine):
    sweep = schedule(engine)["reminder-sweep"].trigger
    times = fire_times(sweep, datetime(2011, 3, 24, tzinfo=BERLIN), datetime(2011, 3, 30, tzinfo=BERLIN))
    assert [t.isoformat() for t in times] == [
        "2011-03-24T07:30:00+01:00",
        "2011-03-25T07:30:00+01:00",
        "2011-03-28T07:30:00+02:00",  # after the switch to summer time on Sunday 27.3.
        "2011-03-29T07:30:00+02:00",
    ]
    autumn = fire_times(sweep, datetime(2011, 10, 28, tzinfo=BERLIN), datetime(2011, 11, 1, tzinfo=BERLIN))
    assert [t.astimezone(BERLIN).isoformat() for t in autumn] == [
        "2011-10-28T07:30:00+02:00",
        "2011-10-31T07:30:00+01:00",
    ]


def test_no_job_fires_in_the_dst_window_or_twice_a_day(engine):
    start, end = datetime(2011, 1, 1, tzinfo=BERLIN), datetime(2012, 1, 1, tzinfo=BERLIN)
    for job_id in ("reminder-sweep", "monthly-digest"):
        times = [t.astimezone(BERLIN) for t in fire_times(schedule(engine)[job_id].trigger, start, end)]
        assert not [t for t in times if t.hour == 2]
        days = [t.date() for t in times]
        assert len(days) == len(set(days))


def test_the_digest_slot_is_in_the_first_week_at_0700(engine):
    times = fire_times(
        schedule(engine)["monthly-digest"].trigger,
        datetime(2011, 3, 1, tzinfo=BERLIN),
        datetime(2011, 3, 31, tzinfo=BERLIN),
    )
    assert [t.day for t in times] == [1, 2, 3, 4, 5, 6, 7]
    assert {t.astimezone(BERLIN).strftime("%H:%M") for t in times} == {"07:00"}


def test_the_scheduler_catches_up_once_at_start_and_keeps_no_job_store(engine):
    built = scheduler.build(engine, settings.load(environ={}), scheduler_class=BackgroundScheduler)
    built.start(paused=True)
    ids = sorted(job.id for job in built.get_jobs())
    built.shutdown(wait=False)
    assert ids == sorted(
        ["reminder-sweep", "outbox", "monthly-digest", "reminder-sweep-start", "outbox-start", "monthly-digest-start"]
    )
    assert list(built._jobstores) == ["default"]
    assert type(built._jobstores["default"]).__name__ == "MemoryJobStore"
    assert built._job_defaults["misfire_grace_time"] is None
    assert built._job_defaults["coalesce"] is True
