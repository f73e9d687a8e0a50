"""Configuration declared once: ikz.toml (path from $IKZ_CONFIG), secrets from the environment."""

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ikz.errors import ConfigError
from workflow.checks import is_email
from workflow.rules import Rules

CONFIG_VARIABLE = "IKZ_CONFIG"
EMAILS = {("coordinator", "email"), ("mail", "sender"), ("inbox", "address")}
PASSWORD_VARIABLE = "IKZ_SMTP_PASSWORD"
IMAP_PASSWORD_VARIABLE = "IKZ_IMAP_PASSWORD"
TOKEN_KEY_VARIABLE = "IKZ_TOKEN_KEY"
# Secrets: read from the environment over the file, never written to the database, logs or messages.
SECRETS = {
    ("mail", "password"): PASSWORD_VARIABLE,
    ("inbox", "password"): IMAP_PASSWORD_VARIABLE,
    ("inbox", "token_key"): TOKEN_KEY_VARIABLE,
}
# A reply token is only as strong as its key.
MIN_TOKEN_KEY = 16


@dataclass(frozen=True)
class Setting:
    """One configuration key: where it lives, its type, default and meaning."""

    section: str
    name: str
    type: type
    default: object
    description: str
    choices: tuple = ()


SETTINGS = [
    Setting("reminders", "before", list, [10, 3], "Erinnerungen so viele Arbeitstage vor der Frist"),
    Setting("reminders", "on_due", bool, True, "Erinnerung am Tag der Frist"),
    Setting("reminders", "overdue_every_days", int, 7, "Bei Überschreitung alle so viele Kalendertage erinnern"),
    Setting(
        "reminders",
        "escalate_after",
        int,
        10,
        "Nach so vielen Arbeitstagen Überschreitung die Koordination einbeziehen",
    ),
    Setting("coordinator", "name", str, "Koordinierungsstelle IKZ", "Name der Koordination"),
    Setting(
        "coordinator", "email", str, "ikz@kreis-unna.example", "Adresse der Koordination (Eskalationen, Fehlerberichte)"
    ),
    Setting("mail", "transport", str, "file", "Versandweg", ("file", "smtp")),
    Setting("mail", "directory", str, "ikz-mail", "Maildir-Ordner des Datei-Versands"),
    Setting("mail", "sender", str, "ikz@kreis-unna.example", "Absenderadresse"),
    Setting("mail", "sender_name", str, "ikz – Interkommunale Zusammenarbeit Kreis Unna", "Absendername"),
    Setting("mail", "host", str, "localhost", "SMTP-Server"),
    Setting("mail", "port", int, 587, "SMTP-Port"),
    Setting("mail", "security", str, "starttls", "Verschlüsselung", ("starttls", "ssl", "none")),
    Setting("mail", "user", str, "", "SMTP-Benutzer (leer: ohne Anmeldung)"),
    Setting("mail", "password", str, "", f"SMTP-Passwort; besser über ${PASSWORD_VARIABLE}"),
    Setting("mail", "timeout", int, 30, "SMTP-Zeitlimit in Sekunden"),
    Setting("mail", "batch", int, 200, "Höchstens so viele Nachrichten je Versandlauf und Verbindung"),
    Setting(
        "mail",
        "lease_seconds",
        int,
        300,
        "So lange gehört eine beanspruchte Nachricht einem Versandprozess; danach übernimmt ein anderer",
    ),
    Setting("mail", "max_attempts", int, 8, "Vorübergehende Fehler so oft versuchen, dann als gescheitert melden"),
    Setting(
        "conference",
        "submission_days",
        int,
        10,
        "Vorlagefrist: so viele Arbeitstage vor der Sitzung muss die Vorlage stehen",
    ),
    Setting("scheduler", "dispatch_seconds", int, 60, "Der Postausgang wird alle so viele Sekunden abgearbeitet"),
    Setting(
        "digest",
        "recipients",
        list,
        ["coordinator", "leads"],
        "Verteiler des Monatsberichts: coordinator, leads und/oder Adressen",
    ),
    # Answerable mail (issue 13): signature, portal links, the mailbox replies arrive in.
    Setting("coordinator", "organisation", str, "Kreis Unna – Der Landrat", "Behörde der Koordination (Signatur)"),
    Setting(
        "coordinator",
        "address",
        str,
        "Friedrich-Ebert-Straße 17, 59425 Unna",
        "Postanschrift der Koordination (Signatur)",
    ),
    Setting("coordinator", "phone", str, "", "Telefon der Koordination (Signatur; leer: ohne)"),
    Setting("scheduler", "inbox_seconds", int, 300, "Das Antwort-Postfach wird alle so viele Sekunden abgeholt"),
    Setting(
        "portal",
        "base_url",
        str,
        "http://127.0.0.1:8000",
        "Adresse des Portals; E-Mails verlinken die Mandatsseiten darunter",
    ),
    Setting(
        "inbox",
        "address",
        str,
        "ikz@kreis-unna.example",
        "Antwortadresse; jede Nachricht antwortet an eine Unteradresse ikz+KENNZEICHEN@…",
    ),
    Setting(
        "inbox",
        "token_key",
        str,
        "",
        f"Geheimer Schlüssel der Antwortkennzeichen (HMAC); besser über ${TOKEN_KEY_VARIABLE}; leer: Antworten aus",
    ),
    Setting("inbox", "source", str, "maildir", "Woher Antworten kommen", ("maildir", "imap")),
    Setting("inbox", "directory", str, "ikz-eingang", "Maildir-Ordner der Antworten (source = maildir)"),
    Setting("inbox", "host", str, "localhost", "IMAP-Server"),
    Setting("inbox", "port", int, 993, "IMAP-Port"),
    Setting("inbox", "security", str, "ssl", "Verschlüsselung der IMAP-Verbindung", ("ssl", "starttls", "none")),
    Setting("inbox", "user", str, "", "IMAP-Benutzer"),
    Setting("inbox", "password", str, "", f"IMAP-Passwort; besser über ${IMAP_PASSWORD_VARIABLE}"),
    Setting("inbox", "timeout", int, 30, "IMAP-Zeitlimit in Sekunden"),
    Setting("inbox", "folder", str, "INBOX", "Ordner, aus dem Antworten abgeholt werden"),
    Setting(
        "inbox", "done_folder", str, "ikz-erledigt", "Ordner, in den jede Nachricht erst nach dem Speichern wandert"
    ),
    Setting("inbox", "batch", int, 100, "Höchstens so viele Nachrichten je Abruf"),
    Setting("inbox", "max_bytes", int, 10_000_000, "Größere Nachrichten kommen ungelesen in die Quarantäne (Bytes)"),
    Setting("inbox", "keep_attachments", bool, False, "Anhänge von Antworten speichern (sonst nur ihre Namen nennen)"),
    Setting("inbox", "attachment_directory", str, "ikz-anhaenge", "Ordner für gespeicherte Anhänge"),
]


@dataclass(frozen=True)
class Section:
    """The values of one configuration section, as attributes."""

    values: dict = field(default_factory=dict)

    def __getattr__(self, name):
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(frozen=True)
class Settings:
    """All configuration values; `settings.mail.host` etc."""

    reminders: Section
    coordinator: Section
    mail: Section
    conference: Section
    scheduler: Section
    digest: Section
    portal: Section
    inbox: Section
    source: str = "Vorgaben"

    def rules(self) -> Rules:
        """The lifecycle rules these settings configure, as the workflow takes them."""
        return Rules(submission_days=self.conference.submission_days)


def load(path: str | Path | None = None, environ: dict | None = None, **overrides) -> Settings:
    """Load settings from the file (default: $IKZ_CONFIG, else built-in defaults) and environment."""
    environ = os.environ if environ is None else environ
    path = path or environ.get(CONFIG_VARIABLE)
    data: dict = {}
    if path:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"Konfigurationsdatei {path} gibt es nicht (gesetzt über ${CONFIG_VARIABLE}).") from None
        except tomllib.TOMLDecodeError as exc:
            where = re.search(r"line (\d+), column (\d+)", str(exc))
            at = f" in Zeile {where[1]}, Spalte {where[2]}" if where else ""
            raise ConfigError(f"{path}: TOML-Syntaxfehler{at}.") from None
    known_sections = {s.section for s in SETTINGS}
    for section, values in data.items():
        if section not in known_sections or not isinstance(values, dict):
            raise ConfigError(
                f"{path}: unbekannter Abschnitt [{section}]; erlaubt: {', '.join(sorted(known_sections))}."
            )
        names = {s.name for s in SETTINGS if s.section == section}
        for name in values:
            if name not in names:
                raise ConfigError(
                    f"{path}: unbekannte Einstellung {section}.{name}; erlaubt: {', '.join(sorted(names))}."
                )
    sections: dict[str, dict] = {section: {} for section in known_sections}
    for setting in SETTINGS:
        value = data.get(setting.section, {}).get(setting.name, setting.default)
        value = overrides.get(f"{setting.section}_{setting.name}", value)
        sections[setting.section][setting.name] = _check(setting, value, path)
    for (section, name), variable in SECRETS.items():
        if environ.get(variable):
            sections[section][name] = environ[variable]
    before = sections["reminders"]["before"]
    if not all(isinstance(n, int) and not isinstance(n, bool) and 0 < n <= 60 for n in before):
        raise ConfigError(
            f"{path or 'Einstellung'}: reminders.before muss ganze Zahlen von 1 bis 60 enthalten, nicht {before!r}."
        )
    mail = sections["mail"]
    if mail["lease_seconds"] < 4 * mail["timeout"] + 10:
        # The dispatcher must be able to finish one message well within its lease.
        raise ConfigError(
            f"{path or 'Einstellung'}: mail.lease_seconds muss mindestens 4 × mail.timeout + 10 "
            f"= {4 * mail['timeout'] + 10} Sekunden sein."
        )
    inbox = sections["inbox"]
    if "+" in inbox["address"].partition("@")[0]:
        raise ConfigError(
            f"{path or 'Einstellung'}: inbox.address {inbox['address']!r} darf kein + enthalten; "
            "ikz hängt selbst +KENNZEICHEN an."
        )
    if inbox["token_key"] and len(inbox["token_key"]) < MIN_TOKEN_KEY:
        raise ConfigError(
            f"{path or 'Einstellung'}: inbox.token_key muss mindestens {MIN_TOKEN_KEY} Zeichen lang sein "
            f"(gesetzt über ${TOKEN_KEY_VARIABLE} oder die Datei)."
        )
    return Settings(**{name: Section(values) for name, values in sections.items()}, source=str(path or "Vorgaben"))


def _check(setting: Setting, value, path) -> object:
    where = f"{path or 'Einstellung'}: {setting.section}.{setting.name}"
    expected = {int: "eine ganze Zahl", bool: "true oder false", str: "Text", list: "eine Liste"}[setting.type]
    if (setting.type is int and (isinstance(value, bool) or not isinstance(value, int))) or not isinstance(
        value, setting.type
    ):
        raise ConfigError(f"{where} muss {expected} sein, nicht {value!r}.")
    if setting.type is int and value < 0:
        raise ConfigError(f"{where} darf nicht negativ sein.")
    if (setting.section, setting.name) in EMAILS and not is_email(value):
        raise ConfigError(f"{where}: {value!r} ist keine gültige E-Mail-Adresse.")
    if setting.choices and value not in setting.choices:
        raise ConfigError(f"{where}: {value!r} ist nicht erlaubt; erlaubt: {', '.join(setting.choices)}.")
    if (setting.section, setting.name) == ("portal", "base_url") and not re.fullmatch(
        r"https?://[^\s/]+(/\S*)?", value
    ):
        raise ConfigError(f"{where}: {value!r} ist keine Adresse der Form https://portal.example.")
    return value


def describe() -> str:
    """Return the settings reference as a Markdown table (docs/configuration.md is generated from it)."""
    lines = ["| Einstellung | Vorgabe | Bedeutung |", "|---|---|---|"]
    for s in SETTINGS:
        default = "leer" if s.default == "" else repr(s.default).replace("'", '"').replace("True", "true")
        allowed = f" (erlaubt: {', '.join(s.choices)})" if s.choices else ""
        lines.append(f"| `{s.section}.{s.name}` | `{default}` | {s.description}{allowed} |")
    return "\n".join(lines) + "\n"
