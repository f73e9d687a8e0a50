"""The whole way over real servers: a reminder through SMTP (aiosmtpd), answered into Dovecot, fetched by IMAP."""

from datetime import datetime

import pytest

from ikz.clock import BERLIN
from tests.mailroom import KEY, reply
from tests.test_intake_faults import write_config
from tests.test_processes import run

DAY = datetime(2010, 12, 1, 7, 31, tzinfo=BERLIN)


@pytest.fixture
def loaded(deadlines_only):
    """These tests count the reminders of mandates: the catalogue without its recurring duties."""
    return deadlines_only


def test_a_reminder_answered_from_the_mailbox_shows_in_ikz_show(
    loaded,
    db_url,
    smtp_server,
    imap_server,
    tmp_path,
    monkeypatch,
):
    user, password = imap_server.add_user()
    monkeypatch.setenv("IKZ_TOKEN_KEY", KEY)
    monkeypatch.setenv("IKZ_IMAP_PASSWORD", password)
    config = write_config(
        tmp_path, smtp_server, source="imap", host=imap_server.host, port=imap_server.port, security="none", user=user
    )
    assert run(db_url, config, "remind", now=DAY).returncode == 0
    assert run(db_url, config, "outbox", "send", now=DAY).stdout == (
        "1 Nachricht versandt, 0 zurückgestellt, 0 gescheitert.\n"
    )
    [reminder] = smtp_server.received
    assert reminder.rcpt_tos == ["loga@luenen.example"]
    assert reminder.message["Reply-To"].startswith("ikz+r1.")
    answer = reply(
        reminder.data, "Neue Frist: 31.03.2011 – Verhandlungen mit dem RZ laufen", sender="loga@luenen.example"
    )
    imap_server.deliver(user, password, answer)
    fetched = run(db_url, config, "inbox", "fetch", now=DAY.replace(hour=11))
    assert (fetched.returncode, fetched.stdout, fetched.stderr) == (
        0,
        "1 Antwort übernommen, 0 in Quarantäne, 0 automatische Nachrichten übergangen.\n",
        "",
    )
    shown = run(db_url, config, "show", "1.4", now=DAY.replace(hour=12)).stdout
    assert (
        "  01.12.2010 11:31  Petra Schulte (Lünen) [E-Mail]: propose (Änderung) – "
        "Vorschlag 1: neue Frist 31.03.2011 – Verhandlungen mit dem RZ laufen (nachgetragen am "
    ) in shown  # the simulated day lies before the real one the process records by
    assert imap_server.count(user, password, "INBOX") == 0
    assert imap_server.count(user, password, "ikz-erledigt") == 1
    proposals = run(db_url, config, "proposals", now=DAY.replace(hour=12)).stdout
    assert "1    1.4   neue Frist 31.03.2011  Petra Schulte (Lünen)" in proposals


def test_a_wrong_imap_password_is_one_german_line(loaded, db_url, smtp_server, imap_server, tmp_path, monkeypatch):
    user, _password = imap_server.add_user()
    monkeypatch.setenv("IKZ_TOKEN_KEY", KEY)
    monkeypatch.setenv("IKZ_IMAP_PASSWORD", "falsch-und-geheim")
    config = write_config(
        tmp_path, smtp_server, source="imap", host=imap_server.host, port=imap_server.port, security="none", user=user
    )
    result = run(db_url, config, "inbox", "fetch", now=DAY)
    assert result.returncode == 1
    assert result.stderr.startswith(f"Fehler: Postfach {user}@127.0.0.1:{imap_server.port}: ")
    assert result.stderr.count("\n") == 1 and "falsch-und-geheim" not in result.stderr
