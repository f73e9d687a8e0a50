"""Fault injection: SIGKILL the sweep and the dispatcher at every step, flap the server, lock the database.

Checked against what the SMTP server received: every due message arrives; a message arrives twice
only when the kill fell between the server's acceptance and the mark, and then with the same
Message-ID. The counts are printed for the CI log.
"""

import signal
import sqlite3
import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlmodel import select

from models import OutboxMessage, Reminder
from models.db import transaction
from tests.conftest import PG_URL
from tests.test_processes import DAY, ikz, outbox_state, run, write_config

LEASE = 120


@pytest.fixture
def loaded(deadlines_only):
    """These tests count the reminders of mandates: the catalogue without its recurring duties."""
    return deadlines_only


def later(steps: int) -> dict:
    """A moment past `steps` leases, so a killed process's claims have expired."""
    return {"now": DAY + timedelta(seconds=(LEASE + 1) * steps)}


def queued_ids(engine) -> list[str]:
    with transaction(engine) as session:
        return sorted(session.exec(select(OutboxMessage.message_id)).all())


def report(capsys, title: str, counts: dict) -> None:
    with capsys.disabled():
        print(f"\n[Fehlerinjektion] {title}: " + ", ".join(f"{k}={v}" for k, v in counts.items()))


def test_kills_at_every_step_lose_nothing_and_double_only_after_acceptance(
    loaded, db_url, smtp_server, tmp_path, capsys
):
    config = write_config(tmp_path, smtp_server, lease_seconds=LEASE)
    # The sweep dies while rendering the 3rd of 4 recipients' messages: two are committed, two are not.
    assert run(db_url, config, "remind", failpoint="sweep:render@3").returncode == -signal.SIGKILL
    assert outbox_state(loaded) == Counter(queued=2)
    assert run(db_url, config, "remind").stdout.startswith("2 Erinnerungen für 2 Empfänger")
    assert outbox_state(loaded) == Counter(queued=4)

    kills = Counter()
    # The dispatcher dies right after claiming: nothing was sent, the lease keeps others off until it expires.
    assert run(db_url, config, "outbox", "send", failpoint="dispatch:after-claim").returncode == -signal.SIGKILL
    kills["nach dem Beanspruchen"] += 1
    # The dispatcher dies during the 2nd message's SMTP DATA: the server never accepted it.
    process_count = len(smtp_server.received)
    victim = ikz(db_url, config, "outbox", "send", **later(1))
    smtp_server.handler.kill_during_data = (victim.pid, smtp_server.handler.datas + 2)
    victim.communicate(timeout=60)
    assert victim.returncode == -signal.SIGKILL
    kills["während SMTP-DATA"] += 1
    assert len(smtp_server.received) == process_count + 1
    smtp_server.handler.kill_during_data = None
    # The dispatcher dies after the server accepted the next message, before marking it sent.
    assert (
        run(db_url, config, "outbox", "send", failpoint="dispatch:after-send", **later(2)).returncode == -signal.SIGKILL
    )
    kills["nach Annahme, vor dem Vermerk"] += 1
    final = run(db_url, config, "outbox", "send", **later(3))
    assert final.returncode == 0, final.stderr
    assert outbox_state(loaded) == Counter(sent=4)

    received = Counter(smtp_server.handler.message_ids())
    assert sorted(received) == queued_ids(loaded)  # every due message arrived
    doubled = {mid: n for mid, n in received.items() if n > 1}
    assert list(doubled.values()) == [2]  # only the one accepted before the kill, same Message-ID
    with transaction(loaded) as session:
        assert len(session.exec(select(Reminder)).all()) == 5  # the coordinator's message lists two
    report(
        capsys,
        "Abbrüche",
        {**kills, "fällig": 4, "angekommen": len(received), "doppelt (gleiche Message-ID)": len(doubled)},
    )


def test_a_flapping_server_delivers_everything_once(loaded, db_url, smtp_server, tmp_path, capsys):
    config = write_config(tmp_path, smtp_server, lease_seconds=LEASE)
    assert run(db_url, config, "remind").returncode == 0
    handler = smtp_server.handler
    handler.replies = ["451 4.3.0 Try again later", "421 4.3.2 Service not available"]
    handler.drop = 1
    handler.hang_up_at_mail = {handler.mails + 5}
    minutes, runs = 0, 0
    while outbox_state(loaded) != Counter(sent=4):
        runs += 1
        assert runs < 20
        result = run(db_url, config, "outbox", "send", now=DAY + timedelta(minutes=minutes))
        assert result.returncode == 0 and "Traceback" not in result.stderr
        minutes += 60
    ids = handler.message_ids()
    assert sorted(ids) == queued_ids(loaded) and len(set(ids)) == 4
    report(
        capsys,
        "Flatternder Server",
        {"Versandläufe": runs, "angekommen": len(ids), "doppelt": len(ids) - len(set(ids))},
    )


@pytest.mark.skipif(bool(PG_URL), reason="a file lock is SQLite's; PostgreSQL is checked as unreachable below")
def test_a_briefly_locked_database_delays_but_loses_nothing(loaded, db_url, smtp_server, tmp_path):
    config = write_config(tmp_path, smtp_server)
    assert run(db_url, config, "remind").returncode == 0
    blocker = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN EXCLUSIVE")
    process = ikz(db_url, config, "outbox", "send")
    # The command waits on the lock (busy timeout) instead of failing; release it a moment later.
    release = threading.Timer(1.0, lambda: (blocker.execute("COMMIT"), blocker.close()))
    release.start()
    out, err = process.communicate(timeout=60)
    release.join()
    assert (process.returncode, out, err) == (0, "4 Nachrichten versandt, 0 zurückgestellt, 0 gescheitert.\n", "")
    assert len(smtp_server.received) == 4


def test_an_unreachable_database_is_one_german_line_and_the_next_run_catches_up(loaded, db_url, smtp_server, tmp_path):
    config = write_config(tmp_path, smtp_server)
    down = "postgresql://127.0.0.1:9/ikz" if PG_URL else f"sqlite:///{tmp_path}/fehlt/ikz.db"
    result = run(down, config, "outbox", "send")
    assert result.returncode == 1
    assert result.stderr.startswith("Fehler: Die Datenbank ") and result.stderr.count("\n") == 1
    reminded = run(db_url, config, "remind")
    assert (reminded.returncode, reminded.stderr) == (0, "")
    assert run(db_url, config, "outbox", "send").stdout == "4 Nachrichten versandt, 0 zurückgestellt, 0 gescheitert.\n"
