"""The dispatcher against a real SMTP server: exact delivery, retries, failures, nothing lost or doubled."""

import mailbox
import shutil
import ssl
import subprocess
from collections import Counter
from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlmodel import select

from ikz import settings as settings_module
from models import Notice, OutboxMessage
from models.db import transaction
from notifications import threads
from notifications.delivery import DispatchReport, backoff, dispatch
from notifications.outbox import enqueue, retry, unreported
from notifications.transport import FileTransport
from tests.conftest import NOW
from tests.smtp_server import Recorder, SmtpServer, free_port, smtp_settings

TRY_AGAIN = "451 4.3.0 Try again later"
PASSWORD = "Geheim-4711!"


def minutes(n: int):
    return NOW + timedelta(minutes=n)


def queue(engine, config, *recipients: str, kind: str = "reminder") -> list[OutboxMessage]:
    """Queue one message per recipient at NOW, subjects "Frist 1", "Frist 2", …"""
    with transaction(engine) as session:
        return [
            enqueue(
                session,
                config,
                kind=kind,
                recipient=recipient,
                recipient_name=f"Stelle {n}",
                subject=f"Frist {n}",
                text=f"Die Frist {n} läuft ab.",
                html=f"<p>Die Frist {n} läuft ab.</p>",
                now=NOW,
                thread=threads.for_recipient(config, kind, recipient, "Test"),
            )
            for n, recipient in enumerate(recipients, start=1)
        ]


def outbox(session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)))


def tick(engine, config, at=NOW, **more) -> str:
    return dispatch(engine, config, now=at, owner="test", **more).summary()


@pytest.fixture
def config(smtp_server):
    return smtp_settings(smtp_server)


def test_a_queued_message_arrives_with_exact_headers_and_is_marked_sent(engine, session, smtp_server, config):
    [queued] = queue(engine, config, "it@kamen.example")
    assert tick(engine, config) == "1 Nachricht versandt, 0 zurückgestellt, 0 gescheitert."
    [got] = smtp_server.received
    assert (got.mail_from, got.rcpt_tos) == ("ikz@kreis-unna.example", ["it@kamen.example"])
    message = got.message
    assert message["From"] == "ikz – Interkommunale Zusammenarbeit Kreis Unna <ikz@kreis-unna.example>"
    assert message["To"] == "Stelle 1 <it@kamen.example>"
    assert message["Subject"] == "Frist 1"
    assert message["Message-ID"] == queued.message_id
    assert parsedate_to_datetime(message["Date"]) == NOW
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Content-Language"] == "de"
    assert message.get_body(("plain",)).get_content() == "Die Frist 1 läuft ab.\r\n"
    assert message.get_body(("html",)).get_content() == "<p>Die Frist 1 läuft ab.</p>\r\n"
    [row] = outbox(session)
    assert (row.status, row.sent_at, row.attempts, row.last_error, row.lease_owner, row.lease_until) == (
        "sent",
        NOW,
        1,
        None,
        None,
        None,
    )


def test_a_message_accepted_once_is_never_sent_again(engine, smtp_server, config):
    queue(engine, config, "it@kamen.example")
    tick(engine, config)
    assert tick(engine, config) == "Keine Nachricht fällig."
    assert tick(engine, config, minutes(60 * 24)) == "Keine Nachricht fällig."
    assert len(smtp_server.received) == 1


def test_a_batch_shares_one_connection_and_stops_at_the_batch_size(engine, smtp_server):
    config = smtp_settings(smtp_server, mail_batch=3)
    queued = queue(engine, config, *(f"stelle{n}@kreis-unna.example" for n in range(5)))
    assert tick(engine, config) == "3 Nachrichten versandt, 0 zurückgestellt, 0 gescheitert."
    assert smtp_server.handler.connections == 1
    assert tick(engine, config) == "2 Nachrichten versandt, 0 zurückgestellt, 0 gescheitert."
    assert smtp_server.handler.connections == 2
    assert smtp_server.handler.message_ids() == [m.message_id for m in queued]


def test_451_is_retried_with_backoff_until_delivered_nothing_lost_or_doubled(engine, session, smtp_server, config):
    queued = queue(engine, config, "a@kamen.example", "b@kamen.example", "c@kamen.example")
    smtp_server.handler.replies = [TRY_AGAIN] * 4
    assert tick(engine, config) == "0 Nachrichten versandt, 3 zurückgestellt, 0 gescheitert."
    assert [(r.status, r.attempts, r.next_attempt_at, r.last_error, r.lease_owner) for r in outbox(session)] == [
        ("queued", 1, minutes(1), "Server antwortet 451 4.3.0 Try again later", None),
    ] * 3
    # A 451 leaves the connection usable: all three went over one.
    assert smtp_server.handler.connections == 1
    assert tick(engine, config, minutes(0)) == "Keine Nachricht fällig."
    assert tick(engine, config, minutes(1)) == "2 Nachrichten versandt, 1 zurückgestellt, 0 gescheitert."
    first = outbox(session)[0]
    assert (first.status, first.attempts, first.next_attempt_at) == ("queued", 2, minutes(1 + 5))
    assert tick(engine, config, minutes(5)) == "Keine Nachricht fällig."
    assert tick(engine, config, minutes(6)) == "1 Nachricht versandt, 0 zurückgestellt, 0 gescheitert."
    assert Counter(smtp_server.handler.message_ids()) == Counter(m.message_id for m in queued)
    assert len(smtp_server.received) == 3
    assert [(r.status, r.attempts, r.sent_at) for r in outbox(session)] == [
        ("sent", 3, minutes(6)),
        ("sent", 2, minutes(1)),
        ("sent", 2, minutes(1)),
    ]


def test_a_connection_dropped_during_data_is_retried_and_the_batch_goes_on(engine, session, smtp_server, config):
    queued = queue(engine, config, "a@kamen.example", "b@kamen.example", "c@kamen.example")
    smtp_server.handler.drop = 1
    assert tick(engine, config) == "2 Nachrichten versandt, 1 zurückgestellt, 0 gescheitert."
    assert smtp_server.handler.connections == 2
    assert outbox(session)[0].last_error == "Verbindung vom Server getrennt"
    assert tick(engine, config, minutes(1)) == "1 Nachricht versandt, 0 zurückgestellt, 0 gescheitert."
    assert sorted(smtp_server.handler.message_ids()) == sorted(m.message_id for m in queued)


def test_a_connection_the_server_closed_between_messages_is_reopened_transparently(engine, smtp_server, config):
    queued = queue(engine, config, "a@kamen.example", "b@kamen.example", "c@kamen.example")
    smtp_server.handler.hang_up_at_mail = {2}
    assert tick(engine, config) == "3 Nachrichten versandt, 0 zurückgestellt, 0 gescheitert."
    assert smtp_server.handler.connections == 2
    assert smtp_server.handler.message_ids() == [m.message_id for m in queued]


def test_a_closed_port_postpones_the_whole_batch(engine, session, smtp_server, config):
    port = free_port()
    closed = smtp_settings(smtp_server, mail_port=port)
    queued = queue(engine, config, "a@kamen.example", "b@kamen.example")
    assert tick(engine, closed) == "0 Nachrichten versandt, 2 zurückgestellt, 0 gescheitert."
    error = f"127.0.0.1:{port}: Verbindung abgelehnt (läuft dort ein Mailserver?)"
    assert [(r.status, r.attempts, r.last_error, r.next_attempt_at) for r in outbox(session)] == [
        ("queued", 1, error, minutes(1))
    ] * 2
    assert tick(engine, config, minutes(1)) == "2 Nachrichten versandt, 0 zurückgestellt, 0 gescheitert."
    assert smtp_server.handler.message_ids() == [m.message_id for m in queued]


def test_550_fails_at_once_and_the_coordinator_is_told_exactly_once(engine, session, smtp_server, config):
    smtp_server.handler.reject = {"weg@kamen.example"}
    bad, _good = queue(engine, config, "weg@kamen.example", "it@kamen.example")
    assert tick(engine, config) == "1 Nachricht versandt, 0 zurückgestellt, 1 gescheitert."
    failed, sent, notice = outbox(session)
    assert (failed.status, failed.attempts, failed.last_error, failed.reported_at) == (
        "failed",
        1,
        "Server antwortet 550 5.1.1 Mailbox unavailable",
        NOW,
    )
    assert (sent.status, notice.status, notice.kind, notice.recipient) == (
        "sent",
        "queued",
        "failure",
        "ikz@kreis-unna.example",
    )
    claims = session.exec(select(Notice)).all()
    assert [(c.topic, c.recipient, c.outbox_id) for c in claims] == [
        (f"failure:{bad.id}", "ikz@kreis-unna.example", notice.id)
    ]

    # The notice goes out with the next tick; later ticks neither report again nor resend.
    assert tick(engine, config) == "1 Nachricht versandt, 0 zurückgestellt, 0 gescheitert."
    assert tick(engine, config, minutes(60)) == "Keine Nachricht fällig."
    assert len(session.exec(select(Notice)).all()) == 1
    assert [r.rcpt_tos for r in smtp_server.received] == [["it@kamen.example"], ["ikz@kreis-unna.example"]]
    told = smtp_server.received[1].message
    assert told["Subject"] == "Nicht zugestellt: Frist 1"
    assert told["To"] == "Koordinierungsstelle IKZ <ikz@kreis-unna.example>"
    text = told.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "der Mailserver hat sie endgültig abgelehnt" in text
    assert "  Empfänger:  weg@kamen.example\n" in text
    assert "  Fehler:     Server antwortet 550 5.1.1 Mailbox unavailable\n" in text
    assert f"  ikz outbox retry {bad.id}\n" in text
    assert (
        f"<code>{bad.message_id.replace('<', '&lt;').replace('>', '&gt;')}</code>"
        in told.get_body(("html",)).get_content()
    )


def test_a_failed_failure_notice_is_not_reported_again(engine, session, smtp_server, config):
    smtp_server.handler.reject = {"weg@kamen.example", "ikz@kreis-unna.example"}
    queue(engine, config, "weg@kamen.example")
    assert tick(engine, config) == "0 Nachrichten versandt, 0 zurückgestellt, 1 gescheitert."
    # Nobody will hear of this by mail: the report says so (the scheduler logs it as an error).
    assert tick(engine, config) == (
        "0 Nachrichten versandt, 0 zurückgestellt, 1 gescheitert. Achtung: Fehlerbericht 2 an die Koordination "
        "selbst gescheitert; davon erfährt niemand per E-Mail (siehe ikz outbox list)."
    )
    assert tick(engine, config) == "Keine Nachricht fällig."
    rows = outbox(session)
    assert [(r.kind, r.status, r.reported_at) for r in rows] == [
        ("reminder", "failed", NOW),
        ("failure", "failed", None),
    ]
    assert len(session.exec(select(Notice)).all()) == 1
    assert unreported(session) == {2: 1}


def test_after_max_attempts_a_transient_failure_becomes_failed_and_is_reported(engine, session, smtp_server):
    config = smtp_settings(smtp_server, mail_max_attempts=3)
    queue(engine, config, "it@kamen.example")
    smtp_server.handler.replies = [TRY_AGAIN] * 3
    assert tick(engine, config, minutes(0)) == "0 Nachrichten versandt, 1 zurückgestellt, 0 gescheitert."
    assert tick(engine, config, minutes(1)) == "0 Nachrichten versandt, 1 zurückgestellt, 0 gescheitert."
    assert tick(engine, config, minutes(6)) == "0 Nachrichten versandt, 0 zurückgestellt, 1 gescheitert."
    given_up, notice = outbox(session)
    assert (given_up.status, given_up.attempts, given_up.reported_at) == ("failed", 3, minutes(6))
    assert given_up.last_error == "Server antwortet 451 4.3.0 Try again later (aufgegeben nach 3 Versuchen)"
    assert (notice.kind, notice.status) == ("failure", "queued")

    assert tick(engine, config, minutes(6)) == "1 Nachricht versandt, 0 zurückgestellt, 0 gescheitert."
    text = smtp_server.received[0].message.get_body(("plain",)).get_content()
    assert "ikz konnte eine Nachricht nicht zustellen, auch nach 3 Versuchen nicht." in text


def test_retry_puts_failed_messages_back_and_a_second_failure_is_not_reported_twice(
    engine, session, smtp_server, config
):
    smtp_server.handler.reject = {"weg@kamen.example"}
    [bad] = queue(engine, config, "weg@kamen.example")
    tick(engine, config)
    with transaction(engine) as tx:
        assert retry(tx, [], now=minutes(10)) == [bad.id]
    row = outbox(session)[0]
    assert (row.status, row.attempts, row.next_attempt_at, row.last_error, row.reported_at) == (
        "queued",
        0,
        minutes(10),
        None,
        None,
    )
    assert tick(engine, config, minutes(10)) == "1 Nachricht versandt, 0 zurückgestellt, 1 gescheitert."
    assert [(r.kind, r.status) for r in outbox(session)] == [("reminder", "failed"), ("failure", "sent")]
    assert len(session.exec(select(Notice)).all()) == 1


def test_a_lease_held_by_another_dispatcher_is_respected_until_it_expires(engine, session, smtp_server, config):
    [queued] = queue(engine, config, "it@kamen.example")
    with transaction(engine) as tx:
        row = tx.get(OutboxMessage, queued.id)
        row.lease_owner, row.lease_until = "anderer@host:1", minutes(10)
    assert tick(engine, config, minutes(9)) == "Keine Nachricht fällig."
    assert tick(engine, config, minutes(10)) == "1 Nachricht versandt, 0 zurückgestellt, 0 gescheitert."
    assert smtp_server.handler.message_ids() == [queued.message_id]


class Crashing:
    """A transport that accepts one message and then fails with a bug, not a delivery error."""

    def __init__(self):
        self.sent = []

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        pass

    def send(self, raw, recipient, sender):
        if self.sent:
            raise RuntimeError("Programmfehler")
        self.sent.append(recipient)


def test_a_crash_mid_batch_keeps_the_claim_in_flight_and_frees_the_rest(engine, session, config):
    queue(engine, config, "a@kamen.example", "b@kamen.example", "c@kamen.example")
    with pytest.raises(RuntimeError):
        dispatch(engine, config, now=NOW, owner="test", transport=Crashing())
    first, second, third = outbox(session)
    assert (first.status, first.lease_owner) == ("sent", None)
    # The second may have reached the server: only the lease's expiry lets another tick send it again.
    assert (second.status, second.lease_owner, second.attempts) == ("queued", "test", 0)
    assert (third.status, third.lease_owner, third.lease_until, third.attempts) == ("queued", None, None, 0)


@pytest.fixture
def auth_server():
    """An SMTP server that offers AUTH without TLS and accepts only the password PASSWORD."""
    handler = Recorder()
    tried = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        tried.append(auth_data.password.decode())
        # handled=False: aiosmtpd itself answers 235 or 535.
        return AuthResult(success=auth_data.password.decode() == PASSWORD, handled=False)

    controller = Controller(
        handler, hostname="127.0.0.1", port=free_port(), authenticator=authenticator, auth_require_tls=False
    )
    controller.start()
    try:
        yield SmtpServer(controller.hostname, controller.port, handler), tried
    finally:
        controller.stop()


def test_login_uses_the_password_from_the_environment(engine, auth_server):
    server, tried = auth_server
    config = settings_module.load(
        environ={"IKZ_SMTP_PASSWORD": PASSWORD},
        mail_transport="smtp",
        mail_host=server.host,
        mail_port=server.port,
        mail_security="none",
        mail_timeout=5,
        mail_user="ikz",
    )
    queue(engine, config, "it@kamen.example")
    assert tick(engine, config) == "1 Nachricht versandt, 0 zurückgestellt, 0 gescheitert."
    assert tried == [PASSWORD]


def test_the_password_never_appears_in_errors_or_output(engine, session, auth_server):
    server, tried = auth_server
    wrong = "Falsch-0815?"
    queue(engine, smtp_settings(server), "it@kamen.example")
    summary = tick(engine, smtp_settings(server, mail_user="ikz", mail_password=wrong))
    assert tried == [wrong] * len(tried) and tried
    error = outbox(session)[0].last_error
    assert (
        error
        == f"Anmeldung als ikz an 127.0.0.1:{server.port} abgelehnt (535 5.7.8 Authentication credentials invalid)"
    )
    # Even a server that echoes the password in its reply does not get it into the database.
    server.handler.replies = [f"451 4.7.0 Passwort {PASSWORD} abgelehnt"]
    summary += tick(engine, smtp_settings(server, mail_user="ikz", mail_password=PASSWORD), minutes(1))
    assert outbox(session)[0].last_error == "Server antwortet 451 4.7.0 Passwort *** abgelehnt"
    assert wrong not in summary and PASSWORD not in summary


def test_the_file_transport_writes_one_maildir_file_per_message(engine, tmp_path):
    folder = tmp_path / "post"
    config = settings_module.load(environ={}, mail_directory=str(folder))
    queued = queue(engine, config, "a@kamen.example", "b@kamen.example")
    assert tick(engine, config) == "2 Nachrichten versandt, 0 zurückgestellt, 0 gescheitert."
    assert len(list((folder / "new").iterdir())) == 2
    stored = sorted(message["Message-ID"] for message in mailbox.Maildir(folder, create=False))
    assert stored == sorted(m.message_id for m in queued)


def test_a_transport_can_be_passed_in(engine, tmp_path):
    config = settings_module.load(environ={}, mail_directory=str(tmp_path / "post"))
    queue(engine, config, "a@kamen.example")
    assert (
        tick(engine, config, transport=FileTransport(config))
        == "1 Nachricht versandt, 0 zurückgestellt, 0 gescheitert."
    )


def test_backoff_grows_and_is_capped():
    assert [backoff(n) for n in (1, 2, 3, 4, 5, 6, 7, 20)] == [
        timedelta(minutes=m) for m in (1, 5, 15, 60, 240, 720, 720, 720)
    ]


@pytest.mark.parametrize(
    ("report", "text"),
    [
        (DispatchReport(), "Keine Nachricht fällig."),
        (DispatchReport(sent=1), "1 Nachricht versandt, 0 zurückgestellt, 0 gescheitert."),
        (DispatchReport(sent=2, retried=1, failed=3), "2 Nachrichten versandt, 1 zurückgestellt, 3 gescheitert."),
    ],
)
def test_summary_is_german(report, text):
    assert report.summary() == text


@pytest.fixture
def certificate(tmp_path, monkeypatch):
    """A self-signed certificate for 127.0.0.1 that ssl.create_default_context() trusts (via $SSL_CERT_FILE)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl fehlt")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_is_used_and_the_certificate_checked(engine, certificate, security):
    handler = Recorder()
    tls = (
        {"tls_context": certificate, "require_starttls": True}
        if security == "starttls"
        else {"ssl_context": certificate}
    )
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **tls)
    controller.start()
    try:
        config = smtp_settings(SmtpServer("127.0.0.1", controller.port, handler), mail_security=security)
        [queued] = queue(engine, config, "it@kamen.example")
        assert tick(engine, config) == "1 Nachricht versandt, 0 zurückgestellt, 0 gescheitert."
        assert handler.message_ids() == [queued.message_id]
    finally:
        controller.stop()


def test_an_untrusted_certificate_postpones_delivery(engine, session, certificate, monkeypatch, tmp_path):
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), ssl_context=certificate)
    controller.start()
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "leer.pem"))
        config = smtp_settings(SmtpServer("127.0.0.1", controller.port, handler), mail_security="ssl")
        queue(engine, config, "it@kamen.example")
        assert tick(engine, config) == "0 Nachrichten versandt, 1 zurückgestellt, 0 gescheitert."
        assert outbox(session)[0].last_error == f"127.0.0.1:{controller.port}: TLS-Fehler (CERTIFICATE_VERIFY_FAILED)"
    finally:
        controller.stop()
