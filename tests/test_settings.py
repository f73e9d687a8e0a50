"""Configuration: declared once, documented from the declaration, refused in German when wrong."""

import itertools
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from ikz import settings
from ikz.clock import BERLIN
from ikz.errors import ConfigError
from tests.strategies import configurations, nasty_text, toml_document

FUZZ = hypothesis_settings(
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)

DOCS = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


def test_the_documentation_lists_every_setting_as_declared():
    assert DOCS.read_text(encoding="utf-8").endswith(settings.describe())


def test_the_password_comes_from_the_environment(tmp_path):
    path = tmp_path / "ikz.toml"
    path.write_text('[mail]\ntransport = "smtp"\nuser = "ikz"\n', encoding="utf-8")
    loaded = settings.load(path, environ={"IKZ_SMTP_PASSWORD": "geheim-4711"})
    assert (loaded.mail.user, loaded.mail.password) == ("ikz", "geheim-4711")


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[mail]\nport = "587"\n', "mail.port muss eine ganze Zahl sein, nicht '587'."),
        ('[mail]\nsecurity = "tls"\n', "mail.security: 'tls' ist nicht erlaubt; erlaubt: starttls, ssl, none."),
        (
            '[mail]\nsender = "ikz@"\n',
            "mail.sender: 'ikz@' ist nicht erlaubt; erlaubt: eine E-Mail-Adresse wie ikz@kreis-unna.example.",
        ),
        (
            '[post]\nhost = "x"\n',
            "unbekannter Abschnitt [post]; erlaubt: conference, coordinator, deadlines, digest, inbox, mail, oparl, portal, reminders, scheduler.",
        ),
        ('[mail]\nhots = "x"\n', "unbekannte Einstellung mail.hots; erlaubt:"),
        ('[mail]\n"ho\\nst" = "x"\n', "unbekannte Einstellung mail.'ho\\nst'; erlaubt:"),
        (
            "[reminders]\nbefore = [10, -3]\n",
            "reminders.before: -3 ist nicht erlaubt; erlaubt: Liste mit höchstens 10 Einträgen: ganze Zahlen von 1 bis 60.",
        ),
        (
            "[mail]\nlease_seconds = 60\n",
            "mail.lease_seconds: 60 ist nicht erlaubt; erlaubt: mindestens 4 × mail.timeout + 10 = 130 (Sekunden).",
        ),
        ("[mail]\ntimeout = 0\n", "mail.timeout: 0 ist nicht erlaubt; erlaubt: 1 bis 600."),
        ("[mail]\nbatch = 0\n", "mail.batch: 0 ist nicht erlaubt; erlaubt: 1 bis 10000."),
        (
            "[mail]\nlease_seconds = 99999999999999999999\n",
            "mail.lease_seconds: 99999999999999999999 ist nicht erlaubt; erlaubt: 14 bis 86400.",
        ),
        (
            f'[mail]\nhost = "{"h" * 300}"\n',
            f"mail.host: '{'h' * 39}… (300 Zeichen) ist nicht erlaubt; erlaubt: Hostname oder IP-Adresse, bis 253 Zeichen.",
        ),
        (
            '[mail]\nhost = "mail server"\n',
            "mail.host: 'mail server' ist nicht erlaubt; erlaubt: Hostname oder IP-Adresse, bis 253 Zeichen.",
        ),
        (
            "[reminders]\nescalate_after = 10000000\n",
            "reminders.escalate_after: 10000000 ist nicht erlaubt; erlaubt: 0 bis 250.",
        ),
        (
            "[conference]\nsubmission_days = 4000000000\n",
            "conference.submission_days: 4000000000 ist nicht erlaubt; erlaubt: 0 bis 120.",
        ),
        (
            '[coordinator]\nname = "IKZ\\nBcc: x@example.com"\n',
            "coordinator.name: 'IKZ\\nBcc: x@example.com' ist nicht erlaubt; erlaubt: einzeiliger Text ohne Steuerzeichen, bis 200 Zeichen.",
        ),
        (
            '[mail]\npassword = "Gehéim"\n',
            "mail.password: *** ist nicht erlaubt; erlaubt: leer oder 8 bis 254 druckbare ASCII-Zeichen.",
        ),
        ("[mail]\npassword = 4711\n", "mail.password muss Text sein, nicht ***."),
        (
            '[digest]\nrecipients = ["coordinator", "kaemmerer"]\n',
            "digest.recipients: 'kaemmerer' ist nicht erlaubt; erlaubt: Liste mit höchstens 100 Einträgen: coordinator, leads oder E-Mail-Adressen.",
        ),
        (
            '[scheduler]\nlog_level = "laut"\n',
            "scheduler.log_level: 'laut' ist nicht erlaubt; erlaubt: debug, info, warning, error.",
        ),
        ("[mail\n", "TOML-Syntaxfehler in Zeile 1, Spalte 6."),
        (
            '[inbox]\naddress = "ikz+x@kreis-unna.example"\n',
            "inbox.address: 'ikz+x@kreis-unna.example' ist nicht erlaubt; erlaubt: eine Adresse ohne +, denn ikz "
            "hängt selbst +KENNZEICHEN an.",
        ),
        (
            '[inbox]\ntoken_key = "kurz"\n',
            "inbox.token_key: *** ist nicht erlaubt; erlaubt: leer (Antworten aus) oder 16 bis 256 druckbare "
            "ASCII-Zeichen.",
        ),
        (
            '[portal]\nbase_url = "portal.example"\n',
            "portal.base_url: 'portal.example' ist nicht erlaubt; erlaubt: eine Adresse der Form https://portal.example",
        ),
    ],
)
def test_bad_settings_are_named(tmp_path, toml, message):
    path = tmp_path / "ikz.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        settings.load(path, environ={})
    assert message in str(refused.value)
    assert str(refused.value).startswith(str(path))


def test_the_imap_password_and_the_token_key_come_from_the_environment(tmp_path):
    path = tmp_path / "ikz.toml"
    path.write_text('[inbox]\nsource = "imap"\nuser = "ikz"\n', encoding="utf-8")
    environ = {"IKZ_IMAP_PASSWORD": "geheim-4711", "IKZ_TOKEN_KEY": "ein-langer-geheimer-schluessel"}
    loaded = settings.load(path, environ=environ)
    assert (loaded.inbox.password, loaded.inbox.token_key) == ("geheim-4711", "ein-langer-geheimer-schluessel")


def test_a_missing_file_is_named():
    with pytest.raises(ConfigError, match=r"^Konfigurationsdatei /nirgends/ikz\.toml gibt es nicht"):
        settings.load(environ={"IKZ_CONFIG": "/nirgends/ikz.toml"})


def test_an_unreadable_file_is_named(tmp_path):
    broken = tmp_path / "ikz.toml"
    broken.write_bytes(b'[mail]\nhost = "\xff"\n')
    with pytest.raises(
        ConfigError, match=r"^Konfigurationsdatei .*ikz\.toml ist kein gültiges UTF-8 \(TOML verlangt UTF-8\)\.$"
    ):
        settings.load(broken, environ={})
    with pytest.raises(ConfigError, match=r"^Konfigurationsdatei .* lässt sich nicht lesen \(Is a directory\)\.$"):
        settings.load(tmp_path, environ={})


def test_the_password_from_the_environment_is_checked_and_never_shown():
    with pytest.raises(ConfigError) as refused:
        settings.load(environ={"IKZ_SMTP_PASSWORD": "Gehéim-4711"})
    assert str(refused.value) == (
        "$IKZ_SMTP_PASSWORD: *** ist nicht erlaubt; erlaubt: leer oder 8 bis 254 druckbare ASCII-Zeichen."
    )


LOG_LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (DEBUG|INFO|WARNING|ERROR) ikz\.scheduler: [a-z-]+: [^\n]+")
DAYS = itertools.count()
COMMANDS = [["remind"], ["outbox", "send"], ["outbox", "list"], ["scheduler", "run", "--once"]]
# Hosts that need no name service: this machine, and what the settings must refuse.
HOSTS = st.one_of(
    st.sampled_from(["127.0.0.1", "localhost", "h" * 300, "a..b", "mail server", "-x", "xn--", "ü" * 70]),
    nasty_text(30).filter(lambda host: not settings.HOST.test(host)),
)


@FUZZ
@given(
    data=st.data(),
    password=st.one_of(
        st.none(),
        st.none(),
        st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20),
        nasty_text(20),
    ),
)
def test_any_configuration_is_refused_at_load_naming_it_or_every_command_works(
    cli, loaded, frozen, smtp_server, tmp_path, monkeypatch, data, password
):
    """Property: any ikz.toml (values at and beyond each declared range, hostile texts, other types, unknown keys)
    and any $IKZ_SMTP_PASSWORD is either refused when loaded, in one line naming the file (or variable), key, value
    and what is allowed, which `remind`, `outbox send`, `outbox list` and `scheduler run` then print as their one
    "Fehler:" line; or all four of them work: never a traceback, never a silent nothing."""
    monkeypatch.chdir(tmp_path)
    # A day later with each example, from a Monday when reminders and the digest are due.
    frozen((datetime(2011, 2, 14, 7, 31, tzinfo=BERLIN) + timedelta(days=next(DAYS))).isoformat())
    document = data.draw(configurations(settings.SETTINGS, port=smtp_server.port, hosts=HOSTS))
    path = tmp_path / "ikz.toml"
    path.write_bytes(toml_document(document))
    monkeypatch.setenv("IKZ_CONFIG", str(path))
    environ = {"IKZ_CONFIG": str(path)}
    if password and "\x00" not in password and not re.search("[\ud800-\udfff]", password):
        monkeypatch.setenv("IKZ_SMTP_PASSWORD", password)
        environ["IKZ_SMTP_PASSWORD"] = password
    else:
        monkeypatch.delenv("IKZ_SMTP_PASSWORD", raising=False)
    try:
        config = settings.load(environ=environ)
    except ConfigError as refused:
        message = str(refused)
        assert re.fullmatch(r"[^\n\r]+", message), message
        assert message.startswith((str(path), "$IKZ_SMTP_PASSWORD", f"Konfigurationsdatei {path}")), message
        assert any(word in message for word in ("erlaubt", "muss", "TOML-Syntaxfehler", "UTF-8")), message
        event(message.split(": ")[1].split(" ")[0] if ": " in message else message[:30])
        for command in COMMANDS:
            result = cli(*command)
            assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"Fehler: {message}\n"), command
        return
    event("accepted")
    assert config.mail.batch >= 1 and 4 * config.mail.timeout + 10 <= config.mail.lease_seconds
    for command in COMMANDS:
        result = cli(*command)
        assert result.exit_code in (0, 1), (command, result.output)
        lines = result.stderr.splitlines()
        if command[0] == "scheduler":
            # The log, then (exit 1) which job ended in an error, or that the log file cannot be opened.
            assert all(LOG_LINE.fullmatch(line) for line in lines[: len(lines) - result.exit_code]), result.stderr
            if result.exit_code:
                assert re.fullmatch(
                    rf"Fehler: (Gescheitert: [a-z, -]+ \(Grund im Protokoll\)|{re.escape(str(path))}: "
                    r"scheduler\.log_file: '[^']+' lässt sich nicht öffnen \([^)]+\))\.",
                    lines[-1],
                ), lines[-1]
            else:
                assert result.stdout == "Jeder Auftrag einmal ausgeführt.\n"
        elif result.exit_code:
            assert re.fullmatch(r"Fehler: [^\n\r]+\n", result.stderr), (command, result.stderr)
        else:
            assert result.stdout and result.stderr == "", (command, result.output)


@pytest.mark.parametrize(
    "armed", ["sweep:render@x", "sweep:render@0", "sweep:render@99999999999999999999", "sweep:rendr"]
)
def test_a_failpoint_that_could_never_fire_is_refused(monkeypatch, armed):
    from ikz import failpoints

    monkeypatch.setenv("IKZ_FAILPOINT", armed)
    with pytest.raises(ConfigError) as refused:
        failpoints.hit("sweep:render")
    assert str(refused.value) == (
        f"$IKZ_FAILPOINT: {armed!r} ist nicht erlaubt; erlaubt: NAME oder NAME@N mit NAME aus sweep:render, "
        "dispatch:after-claim, dispatch:after-send, intake:read, intake:before-commit, intake:after-commit, "
        "intake:after-move und N von 1 bis 999999999."
    )
