"""A real SMTP server (aiosmtpd) on 127.0.0.1 for tests, with injectable failures."""

import base64
import os
import signal
import socket
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Received:
    """One message as the server accepted it."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)


@dataclass
class Recorder:
    """aiosmtpd handler that records accepted messages and can refuse or drop on request."""

    received: list[Received] = field(default_factory=list)
    # Replies to give instead of accepting, used up one per DATA command: e.g. "451 4.3.0 Try again later".
    replies: list[str] = field(default_factory=list)
    # Recipients always refused permanently.
    reject: set[str] = field(default_factory=set)
    # Close the connection without answering for the next n DATA commands.
    drop: int = 0
    # Close the connection without answering these MAIL commands (1 = the first the server sees), as a
    # server does with a connection left idle too long.
    hang_up_at_mail: set[int] = field(default_factory=set)
    mails: int = 0
    # (pid, n): SIGKILL that client process during its n-th DATA, before anything is accepted.
    kill_during_data: tuple[int, int] | None = None
    datas: int = 0
    # Client connections so far: one EHLO each (two with STARTTLS, which this fixture does not offer).
    connections: int = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self.connections += 1
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.mails += 1
        if self.mails in self.hang_up_at_mail:
            server.transport.close()
            return "421 4.4.2 Idle timeout"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.datas += 1
        if self.kill_during_data and self.kill_during_data[1] == self.datas:
            os.kill(self.kill_during_data[0], signal.SIGKILL)
            server.transport.close()
            return "421 4.3.0 Closing"
        if self.drop:
            self.drop -= 1
            server.transport.close()
            return "421 4.3.0 Closing"
        if self.replies:
            return self.replies.pop(0)
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content)
        )
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        return [r.message["Message-ID"] for r in self.received]


def free_port() -> int:
    """A port nobody listens on right now (aiosmtpd cannot bind port 0, aiosmtpd#388)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: Recorder

    @property
    def received(self) -> list[Received]:
        return self.handler.received


@pytest.fixture
def smtp_server():
    """A running SMTP server on 127.0.0.1; `.received` lists what it accepted."""
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer(controller.hostname, controller.port, handler)
    finally:
        controller.stop()


def smtp_settings(server: SmtpServer, **more):
    """Settings that deliver to the test server (without TLS unless `more` says otherwise)."""
    from ikz import settings

    values = {
        "mail_transport": "smtp",
        "mail_host": server.host,
        "mail_port": server.port,
        "mail_security": "none",
        "mail_timeout": 5,
    }
    return settings.load(environ={}, **{**values, **more})


class EchoingAuth(Recorder):
    """A server that echoes the client's AUTH exchange in a reply, as some broken ones do: when refusing the login,
    or (with `accept`) later, when refusing the message; `echo(mechanism, sent)` words that reply."""

    def __init__(self, echo, *, accept: bool = False):
        super().__init__()
        self.echo, self.accept, self.sent = echo, accept, []

    async def handle_AUTH(self, server, session, envelope, args):
        mechanism, *sent = args
        # What the client sent, as it sent it: aiosmtpd hands challenged answers over decoded.
        if mechanism == "LOGIN":
            if not sent:
                sent.append(_encoded(await server.challenge_auth("Username:")))
            sent.append(_encoded(await server.challenge_auth("Password:")))
        elif not sent:
            sent.append(_encoded(await server.challenge_auth("")))
        self.sent = [mechanism, *sent]
        if self.accept:
            session.authenticated = True
            return "235 2.7.0 Authentication successful"
        return f"535 5.7.8 {self.echo(mechanism, sent)}"

    async def handle_DATA(self, server, session, envelope):
        return f"451 4.7.0 {self.echo(self.sent[0], self.sent[1:])}"


def _encoded(answer) -> str:
    return base64.b64encode(answer).decode() if isinstance(answer, bytes) else ""
