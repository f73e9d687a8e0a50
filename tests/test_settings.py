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
        ('[mail]\nsender = "ikz@"\n', "mail.sender: 'ikz@' ist keine gültige E-Mail-Adresse."),
        (
            '[post]\nhost = "x"\n',
            "unbekannter Abschnitt [post]; erlaubt: conference, coordinator, digest, inbox, mail, portal, reminders, scheduler.",
        ),
        ('[mail]\nhots = "x"\n', "unbekannte Einstellung mail.hots; erlaubt:"),
        (
            "[reminders]\nbefore = [10, -3]\n",
            "reminders.before muss ganze Zahlen von 1 bis 60 enthalten, nicht [10, -3].",
        ),
        (
            "[mail]\nlease_seconds = 60\n",
            "mail.lease_seconds muss mindestens 4 × mail.timeout + 10 = 130 Sekunden sein.",
        ),
        ("[mail\n", "TOML-Syntaxfehler in Zeile 1, Spalte 6."),
        (
            '[inbox]\naddress = "ikz+x@kreis-unna.example"\n',
            "inbox.address 'ikz+x@kreis-unna.example' darf kein + enthalten; ikz hängt selbst +KENNZEICHEN an.",
        ),
        (
            '[inbox]\ntoken_key = "kurz"\n',
            "inbox.token_key muss mindestens 16 Zeichen lang sein (gesetzt über $IKZ_TOKEN_KEY oder die Datei).",
        ),
        ('[portal]\nbase_url = "portal.example"\n', "portal.base_url: 'portal.example' ist keine Adresse der Form"),
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
    environ = {"IKZ_IMAP_PASSWORD": "geheim", "IKZ_TOKEN_KEY": "ein-langer-geheimer-schluessel"}
    loaded = settings.load(path, environ=environ)
    assert (loaded.inbox.password, loaded.inbox.token_key) == ("geheim", "ein-langer-geheimer-schluessel")


def test_a_missing_file_is_named():
    with pytest.raises(ConfigError, match=r"^Konfigurationsdatei /nirgends/ikz\.toml gibt es nicht"):
        settings.load(environ={"IKZ_CONFIG": "/nirgends/ikz.toml"})
