"""Configuration: declared once, documented from the declaration, refused in German when wrong."""

from pathlib import Path

import pytest

from ikz import settings
from ikz.errors import ConfigError

DOCS = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


def test_the_documentation_lists_every_setting_as_declared():
    assert DOCS.read_text(encoding="utf-8").endswith(settings.describe())


def test_the_password_comes_from_the_environment(tmp_path):
    path = tmp_path / "ikz.toml"
    path.write_text('[mail]\ntransport = "smtp"\nuser = "ikz"\n', encoding="utf-8")
    loaded = settings.load(path, environ={"IKZ_SMTP_PASSWORD": "geheim"})
    assert (loaded.mail.user, loaded.mail.password) == ("ikz", "geheim")


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
            "unbekannter Abschnitt [post]; erlaubt: conference, coordinator, digest, mail, reminders, scheduler.",
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
            "mail.password: *** ist nicht erlaubt; erlaubt: druckbare ASCII-Zeichen, bis 254 Zeichen.",
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
    ],
)
def test_bad_settings_are_named(tmp_path, toml, message):
    path = tmp_path / "ikz.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        settings.load(path, environ={})
    assert message in str(refused.value)
    assert str(refused.value).startswith(str(path))


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
        "$IKZ_SMTP_PASSWORD: *** ist nicht erlaubt; erlaubt: druckbare ASCII-Zeichen, bis 254 Zeichen."
    )
