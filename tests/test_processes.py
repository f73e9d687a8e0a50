"""Real processes against one database: several schedulers send everything once; crashes lose nothing.

These tests start `ikz` processes and wait for them (bounded by deadlines): that is what they test.
"""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from ikz.clock import BERLIN
from models import OutboxMessage
from models.db import transaction
from tests.conftest import PG_URL

DAY = datetime(2011, 2, 14, 7, 31, tzinfo=BERLIN)


@pytest.fixture
def loaded(deadlines_only):
    """These tests count the reminders of mandates: the catalogue without its recurring duties."""
    return deadlines_only


def write_config(tmp_path, server, **more) -> str:
    mail = {"transport": "smtp", "host": server.host, "port": server.port, "security": "none", "timeout": 5, **more}
    lines = (
        ["[mail]"]
        + [f"{k} = {v!r}".replace("'", '"') for k, v in mail.items()]
        + ["[scheduler]", "dispatch_seconds = 1"]
    )
    path = tmp_path / "ikz.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def ikz(db_url, config, *args, now=DAY, failpoint=None, **popen):
    env = {**os.environ, "IKZ_CONFIG": config, "IKZ_NOW": now.isoformat()}
    env.pop("IKZ_FAILPOINT", None)
    if failpoint:
        env["IKZ_FAILPOINT"] = failpoint
    return subprocess.Popen(
        [sys.executable, "-m", "ikz.cli", "--db", db_url, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def run(db_url, config, *args, **kwargs) -> subprocess.CompletedProcess:
    process = ikz(db_url, config, *args, **kwargs)
    out, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def outbox_state(engine) -> Counter:
    with transaction(engine) as session:
        return Counter(session.exec(select(OutboxMessage.status)).all())


def wait_until(condition, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the processes")
        time.sleep(0.2)


@pytest.mark.skipif(
    not PG_URL, reason="several scheduler processes share a PostgreSQL database (set IKZ_TEST_DATABASE_URL)"
)
def test_three_scheduler_processes_send_every_reminder_and_digest_once(loaded, db_url, smtp_server, tmp_path):
    config = write_config(tmp_path, smtp_server)
    processes = [ikz(db_url, config, "scheduler", "run") for _ in range(3)]
    try:
        # 4 reminder messages for 14.2.2011 and the February digest for 16 recipients.
        wait_until(lambda: outbox_state(loaded) == Counter(sent=20) and len(smtp_server.received) >= 20)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        results = [(p.wait(timeout=30), p.stdout.read(), p.stderr.read()) for p in processes]
    ids = smtp_server.handler.message_ids()
    assert len(ids) == len(set(ids)) == 20
    with transaction(loaded) as session:
        assert sorted(ids) == sorted(session.exec(select(OutboxMessage.message_id)).all())
        kinds = Counter(session.exec(select(OutboxMessage.kind)).all())
    assert kinds == Counter(digest=16, reminder=4)
    for code, out, err in results:
        assert code == 0, err
        assert out.endswith("Zeitplaner beendet.\n")
        assert "Traceback" not in err


def test_a_crashed_dispatchers_claims_are_taken_over_after_the_lease(loaded, db_url, smtp_server, tmp_path):
    config = write_config(tmp_path, smtp_server, lease_seconds=120)
    assert run(db_url, config, "remind").returncode == 0
    crashed = run(db_url, config, "outbox", "send", failpoint="dispatch:after-claim")
    assert crashed.returncode == -signal.SIGKILL
    with transaction(loaded) as session:
        assert session.exec(select(func.count()).where(OutboxMessage.lease_owner.is_not(None))).one() == 4
    # Within the lease nobody else may touch them; afterwards another dispatcher sends them.
    assert run(db_url, config, "outbox", "send", now=DAY + timedelta(seconds=60)).stdout == "Keine Nachricht fällig.\n"
    later = run(db_url, config, "outbox", "send", now=DAY + timedelta(seconds=121))
    assert later.stdout == "4 Nachrichten versandt, 0 zurückgestellt, 0 gescheitert.\n"
    assert len(smtp_server.received) == 4
    assert outbox_state(loaded) == Counter(sent=4)
