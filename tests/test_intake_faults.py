"""SIGKILL at every step of the intake, on a Maildir and on a real IMAP server: nothing lost, nothing doubled."""

import signal
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from ikz import settings as settings_module
from ikz.clock import BERLIN
from models import Inbound, Notice, TransitionLog
from models.db import transaction
from notifications.delivery import dispatch
from notifications.sweep import sweep
from tests.mailroom import KEY, deliver, done, reply, waiting
from tests.test_processes import run

DAY = datetime(2011, 2, 14, 7, 31, tzinfo=BERLIN)
POINTS = ["intake:read", "intake:before-commit", "intake:after-commit", "intake:after-move"]
ANSWERS = {
    "loga@luenen.example": "Stand: Vertragsentwurf beim RZ",
    "it@kamen.example": "Angebot der GSW ist da.",
    "it@bergkamen.example": "Neue Frist: 31.03.2011 – Abstimmung mit HeliNet",
}


@pytest.fixture
def loaded(deadlines_only):
    """These tests count the reminders of mandates: the catalogue without its recurring duties."""
    return deadlines_only


def write_config(tmp_path, smtp_server, **inbox) -> str:
    lines = [
        "[mail]",
        'transport = "smtp"',
        f'host = "{smtp_server.host}"',
        f"port = {smtp_server.port}",
        'security = "none"',
        "timeout = 5",
        "[inbox]",
        *(f"{key} = {value!r}".replace("'", '"') for key, value in inbox.items()),
    ]
    path = tmp_path / "ikz.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def reminders_answered(engine, config, smtp_server) -> list[bytes]:
    """The reminders of 14.2.2011, sent over SMTP (in this process: only the intake is killed), and each
    lead's reply to its own."""
    loaded = settings_module.load(config, environ={})
    sweep(engine, loaded, now=DAY)
    dispatch(engine, loaded, now=DAY, owner="test")
    by_recipient = {m.rcpt_tos[0]: m.data for m in smtp_server.received}
    return [reply(by_recipient[sender], text, sender=sender) for sender, text in ANSWERS.items()]


def recorded(engine) -> Counter:
    """How often each reply's text reached a history, and the intake's and notices' row counts."""
    with transaction(engine) as session:
        notes = [e.note for e in session.exec(select(TransitionLog).where(TransitionLog.channel == "E-Mail")).all()]
        counts = Counter()
        for text in ANSWERS.values():
            counts[text] = sum(1 for note in notes if text.split(":")[-1].strip().split(" – ")[0] in note)
        counts["inbound"] = len(session.exec(select(Inbound)).all())
        counts["notices"] = len(session.exec(select(Notice).where(Notice.topic.like("inbound:%"))).all())
    return counts


EXPECTED = Counter({**dict.fromkeys(ANSWERS.values(), 1), "inbound": 3, "notices": 3})


@pytest.mark.parametrize("point", POINTS)
def test_a_kill_at_each_step_of_the_maildir_intake(point, loaded, db_url, smtp_server, tmp_path, monkeypatch):
    monkeypatch.setenv("IKZ_TOKEN_KEY", KEY)
    inbox = tmp_path / "eingang"
    config = write_config(tmp_path, smtp_server, directory=str(inbox))
    for raw in reminders_answered(loaded, config, smtp_server):
        deliver(inbox, raw)
    later = DAY + timedelta(hours=2)
    killed = run(db_url, config, "inbox", "fetch", now=later, failpoint=f"{point}@2")
    assert killed.returncode == -signal.SIGKILL
    again = run(db_url, config, "inbox", "fetch", now=later)
    assert again.returncode == 0 and "Traceback" not in again.stderr, again.stderr
    assert recorded(loaded) == EXPECTED
    assert (waiting(inbox), done(inbox)) == (0, 3)
    assert run(db_url, config, "inbox", "fetch", now=later).stdout == "Keine neuen Nachrichten.\n"


@pytest.mark.parametrize("point", ["intake:before-commit", "intake:after-commit"])
def test_a_kill_during_the_imap_intake(point, loaded, db_url, smtp_server, imap_server, tmp_path, monkeypatch):
    user, password = imap_server.add_user()
    monkeypatch.setenv("IKZ_TOKEN_KEY", KEY)
    monkeypatch.setenv("IKZ_IMAP_PASSWORD", password)
    config = write_config(
        tmp_path, smtp_server, source="imap", host=imap_server.host, port=imap_server.port, security="none", user=user
    )
    for raw in reminders_answered(loaded, config, smtp_server):
        imap_server.deliver(user, password, raw)
    later = DAY + timedelta(hours=2)
    assert run(db_url, config, "inbox", "fetch", now=later, failpoint=f"{point}@2").returncode == -signal.SIGKILL
    again = run(db_url, config, "inbox", "fetch", now=later)
    assert again.returncode == 0, again.stderr
    assert recorded(loaded) == EXPECTED
    assert (imap_server.count(user, password, "INBOX"), imap_server.count(user, password, "ikz-erledigt")) == (0, 3)


def test_two_fetchers_at_once_take_each_reply_once(loaded, db_url, smtp_server, tmp_path, monkeypatch):
    from tests.test_processes import ikz

    monkeypatch.setenv("IKZ_TOKEN_KEY", KEY)
    inbox = tmp_path / "eingang"
    config = write_config(tmp_path, smtp_server, directory=str(inbox))
    for raw in reminders_answered(loaded, config, smtp_server):
        deliver(inbox, raw)
    later = DAY + timedelta(hours=2)
    processes = [ikz(db_url, config, "inbox", "fetch", now=later) for _ in range(2)]
    results = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], results
    assert recorded(loaded) == EXPECTED
    assert (waiting(inbox), done(inbox)) == (0, 3)
