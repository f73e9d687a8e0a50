"""The SMTP password never leaves in a server reply: not as typed, URL-encoded, or base64 alone or in an AUTH blob."""

import base64
import json
from datetime import date
from urllib.parse import quote

from aiosmtpd.controller import Controller
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from ikz import settings as settings_module
from ikz.redaction import redact
from models import OutboxMessage
from models.db import transaction
from notifications import threads
from notifications.digest import digest_data, render_digest
from notifications.outbox import enqueue
from tests.conftest import NOW
from tests.leaks import leaks
from tests.smtp_server import EchoingAuth, free_port

PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
USERS = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz.-_@0123456789"), min_size=1, max_size=20)
PASSWORDS = st.text(PRINTABLE, min_size=8, max_size=40)


def _decoded(sent: list[str]) -> str:
    return " ".join(base64.b64decode(blob).decode("ascii") for blob in sent)


# How a broken server words its reply around what the client sent.
ECHOES = {
    "as sent": lambda mechanism, sent: f"Anmeldung abgelehnt: AUTH {mechanism} {' '.join(sent)}",
    "decoded": lambda mechanism, sent: f"Anmeldung {_decoded(sent)!r} abgelehnt",
    "decoded raw": lambda mechanism, sent: f"Anmeldung {_decoded(sent)} abgelehnt",
    "url-encoded": lambda mechanism, sent: f"siehe https://mail.example/hilfe?auth={quote(_decoded(sent), safe='')}",
    "glued": lambda mechanism, sent: f"Fehler bei x{'y'.join(sent)}z",
    "cut": lambda mechanism, sent: f"Fehler bei {' '.join(blob[1:] for blob in sent)}",
    "hex": lambda mechanism, sent: f"Rohdaten {base64.b64decode(sent[-1]).hex()}",
}


PROPERTY = settings(
    deadline=None, max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@PROPERTY
@given(
    user=USERS,
    password=PASSWORDS,
    echo=st.sampled_from(sorted(ECHOES)),
    mechanism=st.sampled_from(["PLAIN", "LOGIN"]),
    accept=st.booleans(),
)
def test_no_server_reply_carries_the_password_into_the_outbox_the_list_or_the_digest(
    cli, engine, tmp_path, monkeypatch, user, password, echo, mechanism, accept
):
    """Property: a server that echoes the AUTH exchange (PLAIN or LOGIN, refusing the login or the message later)
    in any of these forms gets the password neither into outbox.last_error nor into `outbox list`, its JSON or
    the digest; what is stored still says what happened."""
    # A user name that holds the password is masked with it; the message would then not name the user.
    assume(password.casefold() not in user.casefold())
    handler = EchoingAuth(ECHOES[echo], accept=accept)
    other = {"PLAIN": "LOGIN", "LOGIN": "PLAIN"}[mechanism]
    controller = Controller(
        handler, hostname="127.0.0.1", port=free_port(), auth_require_tls=False, auth_exclude_mechanism=[other]
    )
    controller.start()
    try:
        path = tmp_path / "ikz.toml"
        path.write_text(
            f'[mail]\ntransport = "smtp"\nhost = "127.0.0.1"\nport = {controller.port}\nsecurity = "none"\n'
            f"timeout = 5\nuser = {json.dumps(user)}\n",
            encoding="utf-8",
        )
        monkeypatch.setenv("IKZ_CONFIG", str(path))
        monkeypatch.setenv("IKZ_SMTP_PASSWORD", password)
        config = settings_module.load(path, environ={"IKZ_SMTP_PASSWORD": password})
        with transaction(engine) as session:
            row = enqueue(
                session,
                config,
                kind="reminder",
                recipient="it@kamen.example",
                recipient_name="",
                subject="Frist",
                text="x",
                html="<p>x</p>",
                now=NOW,
                thread=threads.for_recipient(config, "reminder", "it@kamen.example", "Test"),
            )
        with Session(engine) as session:
            _subject, before_text, before_html = render_digest(digest_data(session, date(2010, 12, 1), settings=config))
        # A password that is a word of the digest itself ("REALISIE…") would be found there without any leak.
        assume(not leaks(before_text + before_html, user, password))
        sent = cli("outbox", "send")
        listing = cli("outbox", "list")
        as_json = cli("outbox", "list", "--json")
    finally:
        controller.stop()
    assert handler.sent, "the client did not log in"
    with Session(engine) as session:
        error = session.get(OutboxMessage, row.id).last_error
        _subject, text, html = render_digest(digest_data(session, date(2010, 12, 1), settings=config))
    assert error.startswith(
        "Server antwortet 451 4.7.0 "
        if accept
        else f"Anmeldung als {user} an 127.0.0.1:{controller.port} abgelehnt (535 5.7.8 "
    ), error
    for shown in (error, sent.output, listing.output, as_json.output, text, html):
        assert leaks(shown, user, password) == []


def test_the_forms_an_auth_exchange_takes_are_masked():
    user, password = "ikz", "Geheim-4711!"
    plain = base64.b64encode(b"\0ikz\0Geheim-4711!").decode()
    alone = base64.b64encode(password.encode()).decode()
    assert redact(f"535 AUTH PLAIN {plain}", password, user=user) == "535 AUTH PLAIN ***"
    assert redact(f"535 {base64.b64encode(b'ikz').decode()} {alone}", password, user=user) == "535 aWt6 ***"
    assert redact("Passwort geheim-4711! falsch", password) == "Passwort *** falsch"
    assert redact("?p=Geheim-4711%21", password) == "?p=***"
    assert redact(f"Fehler x{plain}", password) == "Fehler ***"
    assert redact("nichts Geheimes hier", password) == "nichts Geheimes hier"
    assert redact("ohne Passwort", "") == "ohne Passwort"
