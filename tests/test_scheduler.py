"""The schedule: Berlin local times across DST, nothing in the 02:00–03:00 window, catch-up at start."""

import itertools
import re
from datetime import datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from apscheduler.schedulers.background import BackgroundScheduler
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scheduler
from ikz import settings as settings_module
from ikz.clock import BERLIN
from models.db import make_engine
from tests.leaks import leaks
from tests.smtp_server import EchoingAuth, free_port
from tests.test_secrets import ECHOES, PASSWORDS


@pytest.fixture
def loaded(deadlines_only):
    """These tests count the reminders of mandates: the catalogue without its recurring duties."""
    return deadlines_only


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
    return {job.id: job for job in scheduler.jobs(engine, settings_module.load(environ={}))}


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
    built = scheduler.build(engine, settings_module.load(environ={}), scheduler_class=BackgroundScheduler)
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


LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (DEBUG|INFO|WARNING|ERROR) ikz\.scheduler: ([a-z-]+): (.+)")


def log_lines(stderr: str) -> list[tuple[str, str, str]]:
    """The scheduler's log as (level, job, text); every line must have the format."""
    lines = stderr.splitlines()
    assert all(LINE.fullmatch(line) for line in lines), stderr
    return [LINE.fullmatch(line).groups() for line in lines]


def configure(tmp_path, monkeypatch, text: str) -> None:
    path = tmp_path / "ikz.toml"
    path.write_text(f'[mail]\ndirectory = "{tmp_path / "post"}"\n{text}', encoding="utf-8")
    monkeypatch.setenv("IKZ_CONFIG", str(path))


@pytest.fixture
def february(loaded, frozen):
    frozen("2011-02-14T07:31:00+01:00")  # four reminder mails are due, and the February digest


def test_each_job_run_logs_one_line_saying_what_it_did(cli, february, tmp_path, monkeypatch):
    configure(tmp_path, monkeypatch, "")
    result = cli("scheduler", "run", "--once")
    assert (result.exit_code, result.stdout) == (0, "Jeder Auftrag einmal ausgeführt.\n")
    assert log_lines(result.stderr) == [
        ("INFO", "reminder-sweep", "5 Erinnerungen für 4 Empfänger, 4 Nachrichten in den Postausgang gestellt."),
        ("INFO", "outbox", "4 Nachrichten versandt, 0 zurückgestellt, 0 gescheitert."),
        ("INFO", "monthly-digest", "Monatsbericht Februar 2011: 16 Nachrichten in den Postausgang gestellt."),
    ]
    again = cli("scheduler", "run", "--once")
    assert log_lines(again.stderr) == [
        ("INFO", "reminder-sweep", "Keine Erinnerungen fällig."),
        ("INFO", "outbox", "16 Nachrichten versandt, 0 zurückgestellt, 0 gescheitert."),
        (
            "INFO",
            "monthly-digest",
            "Monatsbericht Februar 2011: bereits für alle Empfänger in den Postausgang gestellt, nichts Neues.",
        ),
    ]
    # A dispatcher run with nothing to do (every minute) shows at level debug only.
    assert [job for _level, job, _text in log_lines(cli("scheduler", "run", "--once").stderr)] == [
        "reminder-sweep",
        "monthly-digest",
    ]
    configure(tmp_path, monkeypatch, '[scheduler]\nlog_level = "debug"\n')
    assert ("DEBUG", "outbox", "Keine Nachricht fällig.") in log_lines(cli("scheduler", "run", "--once").stderr)
    configure(tmp_path, monkeypatch, '[scheduler]\nlog_level = "warning"\n')
    assert cli("scheduler", "run", "--once").stderr == ""


def test_failures_are_warnings_and_an_unreported_one_an_error(cli, february, tmp_path, monkeypatch, smtp_server):
    smtp_server.handler.reject = {"it@bergkamen.example", "ikz@kreis-unna.example"}
    configure(
        tmp_path,
        monkeypatch,
        f'transport = "smtp"\nhost = "127.0.0.1"\nport = {smtp_server.port}\nsecurity = "none"\ntimeout = 5\n',
    )
    first = log_lines(cli("scheduler", "run", "--once").stderr)
    assert first[1] == (
        "WARNING",
        "outbox",
        "2 Nachrichten versandt, 0 zurückgestellt, 2 gescheitert. Grund: Server antwortet 550 5.1.1 Mailbox unavailable",
    )
    second = log_lines(cli("scheduler", "run", "--once").stderr)
    assert second[1] == (
        "ERROR",
        "outbox",
        "14 Nachrichten versandt, 0 zurückgestellt, 4 gescheitert. Achtung: Fehlerberichte 5, 6 an die Koordination "
        "selbst gescheitert; davon erfährt niemand per E-Mail (siehe ikz outbox list). "
        "Grund: Server antwortet 550 5.1.1 Mailbox unavailable",
    )


def test_a_job_that_meets_an_unusable_database_logs_one_line_and_once_exits_1(engine, tmp_path, monkeypatch, capsys):
    config = settings_module.load(environ={}, mail_directory=str(tmp_path / "post"))
    down = make_engine(f"sqlite:///{tmp_path}/fehlt/ikz.db")
    with scheduler.logging_to(config):
        assert scheduler.run_once(down, config) == ["reminder-sweep", "outbox", "monthly-digest"]
    lines = log_lines(capsys.readouterr().err)
    assert [(level, job) for level, job, _text in lines] == [
        ("ERROR", "reminder-sweep"),
        ("ERROR", "outbox"),
        ("ERROR", "monthly-digest"),
    ]
    assert (
        lines[0][2]
        == f"Die Datenbank sqlite:///{tmp_path}/fehlt/ikz.db lässt sich nicht öffnen (unable to open database file)."
    )


def test_the_log_file_and_a_file_that_cannot_be_opened(cli, february, tmp_path, monkeypatch):
    configure(tmp_path, monkeypatch, f'[scheduler]\nlog_file = "{tmp_path / "ikz.log"}"\n')
    result = cli("scheduler", "run", "--once")
    assert (result.exit_code, result.stderr) == (0, "")
    assert len(log_lines((tmp_path / "ikz.log").read_text(encoding="utf-8"))) == 3
    configure(tmp_path, monkeypatch, f'[scheduler]\nlog_file = "{tmp_path}"\n')
    refused = cli("scheduler", "run", "--once")
    assert (refused.exit_code, refused.stderr) == (
        1,
        f"Fehler: {tmp_path / 'ikz.toml'}: scheduler.log_file: '{tmp_path}' lässt sich nicht öffnen (Is a directory).\n",
    )


ORDER = ["debug", "info", "warning", "error"]
DAYS = itertools.count()


@settings(
    deadline=None, max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    log_level=st.sampled_from(ORDER),
    password=PASSWORDS,
    echo=st.sampled_from(sorted(ECHOES)),
    accept=st.booleans(),
    refused=st.sets(st.sampled_from(["it@bergkamen.example", "it@kamen.example", "ikz@kreis-unna.example"])),
)
def test_every_job_run_logs_one_line_at_its_level_and_never_the_password(
    cli, loaded, frozen, tmp_path, monkeypatch, log_level, password, echo, accept, refused
):
    """Property: whatever the level, and whatever a server that echoes the AUTH exchange or refuses recipients says,
    `scheduler run --once` logs at most one well-formed line per job, exactly those at or above the level (the
    sweep and the digest at INFO, the troubled dispatcher at WARNING), and none holds the password in any form."""
    # A day later with each example: what earlier ones postponed is due again.
    frozen((datetime(2011, 2, 14, 7, 31, tzinfo=BERLIN) + timedelta(days=next(DAYS))).isoformat())
    handler = EchoingAuth(ECHOES[echo], accept=accept)
    handler.reject = refused
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), auth_require_tls=False)
    controller.start()
    try:
        configure(
            tmp_path,
            monkeypatch,
            f'transport = "smtp"\nhost = "127.0.0.1"\nport = {controller.port}\nsecurity = "none"\ntimeout = 5\n'
            f'user = "ikz"\n[scheduler]\nlog_level = "{log_level}"\n',
        )
        monkeypatch.setenv("IKZ_SMTP_PASSWORD", password)
        result = cli("scheduler", "run", "--once")
    finally:
        controller.stop()
    assert (result.exit_code, result.stdout) == (0, "Jeder Auftrag einmal ausgeführt.\n")
    lines = log_lines(result.stderr)
    jobs = [job for _level, job, _text in lines]
    assert len(jobs) == len(set(jobs)), "a job run logged more than one line"
    threshold = ORDER.index(log_level)
    assert all(ORDER.index(level.lower()) >= threshold for level, _job, _text in lines)
    expected = {"reminder-sweep": "info", "monthly-digest": "info"}
    for job, level in expected.items():
        assert (job in jobs) == (threshold <= ORDER.index(level))
    # The server takes nothing, so the dispatcher always has work that fails: WARNING, or ERROR once a failure
    # notice fails too (the coordinator refused).
    outbox = [level for level, job, _text in lines if job == "outbox"]
    assert outbox in ((["ERROR"], []) if log_level == "error" else (["WARNING"], ["ERROR"]))
    assert leaks(result.stderr + result.stdout, "ikz", password) == []
