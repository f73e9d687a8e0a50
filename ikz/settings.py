"""Configuration declared once: ikz.toml (path from $IKZ_CONFIG), secrets from the environment."""

import ipaddress
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ikz.errors import ConfigError
from ikz.redaction import redact
from workflow.checks import is_email, text_problem
from workflow.rules import Duration, Rules

CONFIG_VARIABLE = "IKZ_CONFIG"
PASSWORD_VARIABLE = "IKZ_SMTP_PASSWORD"
IMAP_PASSWORD_VARIABLE = "IKZ_IMAP_PASSWORD"
TOKEN_KEY_VARIABLE = "IKZ_TOKEN_KEY"
PORTAL_SECRET_VARIABLE = "IKZ_PORTAL_SECRET"
# Secrets: read from the environment over the file, never written to the database, logs or messages.
SECRETS = {
    ("mail", "password"): PASSWORD_VARIABLE,
    ("inbox", "password"): IMAP_PASSWORD_VARIABLE,
    ("inbox", "token_key"): TOKEN_KEY_VARIABLE,
    ("portal", "secret"): PORTAL_SECRET_VARIABLE,
}
# A reply token is only as strong as its key.
MIN_TOKEN_KEY = 16
# The portal signs its session cookies with this secret: long enough that guessing it is hopeless.
MIN_PORTAL_SECRET = 32


@dataclass(frozen=True)
class Rule:
    """What a text or list entry may be beyond its type: said in German (docs, errors), and the test itself."""

    allowed: str
    test: Callable[[object], bool]


@dataclass(frozen=True)
class Setting:
    """One configuration key: where it lives, its type, default, meaning and what values it allows."""

    section: str
    name: str
    type: type
    default: object
    description: str
    choices: tuple = ()
    # Whole numbers: the smallest and largest allowed value; lists: the most entries (each one checked by `rule`).
    minimum: int | None = None
    maximum: int | None = None
    rule: Rule | None = None
    # Never shown in a message: the value is a secret.
    secret: bool = False

    @property
    def key(self) -> str:
        return f"{self.section}.{self.name}"

    def allowed(self) -> str:
        """What this setting allows, in German, e.g. "1 bis 600" (empty: anything of its type)."""
        if self.choices:
            return ", ".join(self.choices)
        if self.type is int:
            return f"{self.minimum} bis {self.maximum}"
        if self.type is list:
            return f"Liste mit höchstens {self.maximum} Einträgen: {self.rule.allowed}"
        return self.rule.allowed if self.rule else ""


def _line(limit: int) -> Rule:
    """One line of text without control characters: it may end up in a mail header."""
    return Rule(
        f"einzeiliger Text ohne Steuerzeichen, bis {limit} Zeichen",
        lambda value: len(value) <= limit and text_problem(value) is None,
    )


def _ascii(limit: int) -> Rule:
    # smtplib encodes AUTH PLAIN, LOGIN and CRAM-MD5 as ASCII and fails on anything else.
    return Rule(
        f"druckbare ASCII-Zeichen, bis {limit} Zeichen",
        lambda value: len(value) <= limit and all(" " <= char <= "~" for char in value),
    )


def _is_host(value: str) -> bool:
    """A host name (as IDNA, labels of up to 63 characters, 253 in all) or an IPv4 or IPv6 address."""
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        pass
    try:
        name = value.encode("idna").decode("ascii").removesuffix(".")
    except UnicodeError:
        return False
    label = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")
    return 0 < len(name) <= 253 and all(label.fullmatch(part) for part in name.split("."))


def _is_path(value: str, *, empty: bool = False) -> bool:
    return (bool(value) or empty) and len(value) <= 1024 and text_problem(value) is None


# Masked wherever it could appear: a password of a few common characters would be masked in every word, and the
# pattern of the masks would give it away; smtplib sends it as ASCII.
PASSWORD = Rule(
    "leer oder 8 bis 254 druckbare ASCII-Zeichen",
    lambda value: value == "" or (8 <= len(value) <= 254 and all(" " <= char <= "~" for char in value)),
)
EMAIL = Rule("eine E-Mail-Adresse wie ikz@kreis-unna.example", lambda value: is_email(value))
HOST = Rule("Hostname oder IP-Adresse, bis 253 Zeichen", lambda value: len(value) <= 253 and _is_host(value))
DIRECTORY = Rule("Pfad ohne Steuerzeichen, bis 1024 Zeichen", _is_path)
LOG_FILE = Rule(
    "leer (Standardfehlerausgabe) oder Pfad ohne Steuerzeichen, bis 1024 Zeichen",
    lambda value: _is_path(value, empty=True),
)
WORKING_DAYS_BEFORE = Rule(
    "ganze Zahlen von 1 bis 60",
    lambda value: isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 60,
)
DISTRIBUTION = Rule(
    "coordinator, leads oder E-Mail-Adressen",
    lambda value: isinstance(value, str) and (value in ("coordinator", "leads") or is_email(value.strip())),
)
LOG_LEVELS = ("debug", "info", "warning", "error")
# A stage configured without a default deadline: ikz flags it wherever the mandate is shown.
NO_DEADLINE = "keine"
STAGE_DURATION = Rule(
    'z. B. "20 Arbeitstage" oder "3 Monate" (bis 500 Arbeitstage oder 36 Monate), oder "keine"',
    lambda value: value == NO_DEADLINE or Duration.parse(value) is not None,
)

# The stages that get a default deadline when they begin (present's is the submission deadline, set by submit).
DEADLINE_STAGES = ("examine", "propose", "decide", "implement", "control")
URL = Rule(
    "eine Adresse der Form https://portal.example, bis 200 Zeichen",
    lambda value: len(value) <= 200 and re.fullmatch(r"https?://[^\s/]+(/\S*)?", value) is not None,
)
TOKEN_KEY = Rule(
    f"leer (Antworten aus) oder {MIN_TOKEN_KEY} bis 256 druckbare ASCII-Zeichen",
    lambda value: value == "" or (MIN_TOKEN_KEY <= len(value) <= 256 and all(" " <= c <= "~" for c in value)),
)

PORTAL_SECRET = Rule(
    f"leer (das Portal startet nicht) oder {MIN_PORTAL_SECRET} bis 256 druckbare ASCII-Zeichen",
    lambda value: value == "" or (MIN_PORTAL_SECRET <= len(value) <= 256 and all(" " <= c <= "~" for c in value)),
)


SETTINGS = [
    Setting(
        "reminders",
        "before",
        list,
        [10, 3],
        "Erinnerungen so viele Arbeitstage vor der Frist",
        maximum=10,
        rule=WORKING_DAYS_BEFORE,
    ),
    Setting("reminders", "on_due", bool, True, "Erinnerung am Tag der Frist"),
    Setting(
        "reminders",
        "overdue_every_days",
        int,
        7,
        "Bei Überschreitung alle so viele Kalendertage erinnern (0: nicht)",
        minimum=0,
        maximum=365,
    ),
    Setting(
        "reminders",
        "escalate_after",
        int,
        10,
        "Nach so vielen Arbeitstagen Überschreitung die Koordination einbeziehen (0: nie)",
        minimum=0,
        maximum=250,
    ),
    Setting("coordinator", "name", str, "Koordinierungsstelle IKZ", "Name der Koordination", rule=_line(200)),
    Setting(
        "coordinator",
        "email",
        str,
        "ikz@kreis-unna.example",
        "Adresse der Koordination (Eskalationen, Fehlerberichte)",
        rule=EMAIL,
    ),
    Setting("mail", "transport", str, "file", "Versandweg", ("file", "smtp")),
    Setting("mail", "directory", str, "ikz-mail", "Maildir-Ordner des Datei-Versands", rule=DIRECTORY),
    Setting("mail", "sender", str, "ikz@kreis-unna.example", "Absenderadresse", rule=EMAIL),
    Setting(
        "mail",
        "sender_name",
        str,
        "ikz – Interkommunale Zusammenarbeit Kreis Unna",
        "Absendername",
        rule=_line(200),
    ),
    Setting("mail", "host", str, "localhost", "SMTP-Server", rule=HOST),
    Setting("mail", "port", int, 587, "SMTP-Port", minimum=1, maximum=65535),
    Setting("mail", "security", str, "starttls", "Verschlüsselung", ("starttls", "ssl", "none")),
    Setting("mail", "user", str, "", "SMTP-Benutzer (leer: ohne Anmeldung)", rule=_ascii(254)),
    Setting(
        "mail",
        "password",
        str,
        "",
        f"SMTP-Passwort; besser über ${PASSWORD_VARIABLE}",
        rule=PASSWORD,
        secret=True,
    ),
    Setting("mail", "timeout", int, 30, "SMTP-Zeitlimit in Sekunden", minimum=1, maximum=600),
    Setting(
        "mail",
        "batch",
        int,
        200,
        "Höchstens so viele Nachrichten je Versandlauf und Verbindung",
        minimum=1,
        maximum=10_000,
    ),
    Setting(
        "mail",
        "lease_seconds",
        int,
        300,
        "So lange (Sekunden) gehört eine beanspruchte Nachricht einem Versandprozess; danach übernimmt ein anderer. "
        "Mindestens 4 × mail.timeout + 10",
        minimum=14,
        maximum=86_400,
    ),
    Setting(
        "mail",
        "max_attempts",
        int,
        8,
        "Vorübergehende Fehler so oft versuchen, dann als gescheitert melden",
        minimum=1,
        maximum=100,
    ),
    Setting(
        "conference",
        "submission_days",
        int,
        10,
        "Vorlagefrist: so viele Arbeitstage vor der Sitzung muss die Vorlage stehen",
        minimum=0,
        maximum=120,
    ),
    # Default deadlines, from the sources: mandates agreed in September 2010 were to be examined and worked
    # into concepts for the treasurers in March and the conference in April (press report): about three months
    # each; the bodies' councils decide on joining within two months of the conference; implementation and
    # controlling run by the year, as savings are counted per calendar year.
    Setting("deadlines", "examine", str, "3 Monate", "Frist der Prüfung ab ihrem Beginn", rule=STAGE_DURATION),
    Setting(
        "deadlines", "propose", str, "3 Monate", "Frist der Konzepterstellung ab ihrem Beginn", rule=STAGE_DURATION
    ),
    Setting(
        "deadlines",
        "decide",
        str,
        "2 Monate",
        "Frist der Entscheidung ab der Sitzung (Beschlüsse der Stellen)",
        rule=STAGE_DURATION,
    ),
    Setting("deadlines", "implement", str, "12 Monate", "Frist der Umsetzung ab der Zustimmung", rule=STAGE_DURATION),
    Setting("deadlines", "control", str, "12 Monate", "Frist des Controllings ab seinem Beginn", rule=STAGE_DURATION),
    Setting(
        "deadlines",
        "on_hold",
        str,
        "pause",
        "Auf Eis: die Frist ruht und verschiebt sich beim Wiederaufnehmen um die Arbeitstage auf Eis (pause) "
        "oder bleibt (keep)",
        ("pause", "keep"),
    ),
    Setting(
        "scheduler",
        "dispatch_seconds",
        int,
        60,
        "Der Postausgang wird alle so viele Sekunden abgearbeitet",
        minimum=1,
        maximum=3600,
    ),
    Setting(
        "scheduler",
        "log_level",
        str,
        "info",
        "Protokoll des Zeitplaners ab dieser Stufe (debug zeigt auch Läufe, die nichts zu tun hatten)",
        LOG_LEVELS,
    ),
    Setting("scheduler", "log_file", str, "", "Protokolldatei des Zeitplaners", rule=LOG_FILE),
    Setting(
        "digest",
        "recipients",
        list,
        ["coordinator", "leads"],
        "Verteiler des Monatsberichts",
        maximum=100,
        rule=DISTRIBUTION,
    ),
    # Mail for people, sized for servers (issue 14): long lists end in "und N weitere" and a portal link.
    Setting(
        "digest",
        "max_items",
        int,
        20,
        "Höchstens so viele Einträge je Abschnitt des Monatsberichts (der Rest: Anzahl und Link ins Portal)",
        minimum=1,
        maximum=1000,
    ),
    Setting(
        "digest",
        "max_own_items",
        int,
        500,
        "Höchstens so viele eigene Mandate im Monatsbericht einer federführenden Stelle",
        minimum=1,
        maximum=5000,
    ),
    Setting(
        "mail",
        "sent_commit",
        str,
        "full",
        "Versandvermerk je Nachricht: full (übersteht auch Stromausfall) oder fast (übersteht Programmabstürze; "
        "SQLite synchronous=NORMAL, PostgreSQL synchronous_commit=off)",
        ("full", "fast"),
    ),
    Setting(
        "reminders",
        "max_items",
        int,
        20,
        "Höchstens so viele Fristen je Erinnerung (der Rest: Anzahl und Link ins Portal)",
        minimum=1,
        maximum=1000,
    ),
    # Answerable mail (issue 13): signature, portal links, the mailbox replies arrive in.
    Setting(
        "coordinator",
        "organisation",
        str,
        "Kreis Unna – Der Landrat",
        "Behörde der Koordination (Signatur)",
        rule=_line(200),
    ),
    Setting(
        "coordinator",
        "address",
        str,
        "Friedrich-Ebert-Straße 17, 59425 Unna",
        "Postanschrift der Koordination (Signatur)",
        rule=_line(200),
    ),
    Setting("coordinator", "phone", str, "", "Telefon der Koordination (Signatur; leer: ohne)", rule=_line(60)),
    Setting(
        "scheduler",
        "inbox_seconds",
        int,
        300,
        "Das Antwort-Postfach wird alle so viele Sekunden abgeholt",
        minimum=10,
        maximum=86_400,
    ),
    Setting(
        "portal",
        "base_url",
        str,
        "http://127.0.0.1:8000",
        "Adresse des Portals; E-Mails verlinken die Mandatsseiten darunter",
        rule=URL,
    ),
    # The portal (issue 12): where `ikz serve` listens, the cookie secret, how long a personal link works.
    Setting("portal", "host", str, "127.0.0.1", "Adresse, an der ikz serve lauscht", rule=HOST),
    Setting("portal", "port", int, 8000, "Port, an dem ikz serve lauscht", minimum=1, maximum=65535),
    Setting(
        "portal",
        "secret",
        str,
        "",
        f"Geheimer Schlüssel der Sitzungs-Cookies des Portals; besser über ${PORTAL_SECRET_VARIABLE}",
        rule=PORTAL_SECRET,
        secret=True,
    ),
    Setting(
        "portal",
        "access_days",
        int,
        60,
        "So viele Tage gilt ein persönlicher Zugangslink aus einer E-Mail",
        minimum=1,
        maximum=730,
    ),
    # OParl over HTTP (issue 12): council papers are public records; false keeps the API to access-token holders.
    Setting("oparl", "public", bool, True, "Die OParl-Schnittstelle ohne Zugangsschlüssel lesbar (false: nur mit)"),
    Setting(
        "oparl",
        "page_size",
        int,
        100,
        "Objekte je Listenseite der OParl-Schnittstelle (ein Aufruf kann mit limit weniger verlangen)",
        minimum=1,
        maximum=1000,
    ),
    Setting(
        "inbox",
        "address",
        str,
        "ikz@kreis-unna.example",
        "Antwortadresse; jede Nachricht antwortet an eine Unteradresse ikz+KENNZEICHEN@…",
        rule=EMAIL,
    ),
    Setting(
        "inbox",
        "token_key",
        str,
        "",
        f"Geheimer Schlüssel der Antwortkennzeichen (HMAC); besser über ${TOKEN_KEY_VARIABLE}; leer: Antworten aus",
        rule=TOKEN_KEY,
        secret=True,
    ),
    Setting("inbox", "source", str, "maildir", "Woher Antworten kommen", ("maildir", "imap")),
    Setting(
        "inbox", "directory", str, "ikz-eingang", "Maildir-Ordner der Antworten (source = maildir)", rule=DIRECTORY
    ),
    Setting("inbox", "host", str, "localhost", "IMAP-Server", rule=HOST),
    Setting("inbox", "port", int, 993, "IMAP-Port", minimum=1, maximum=65535),
    Setting("inbox", "security", str, "ssl", "Verschlüsselung der IMAP-Verbindung", ("ssl", "starttls", "none")),
    Setting("inbox", "user", str, "", "IMAP-Benutzer", rule=_ascii(254)),
    Setting(
        "inbox",
        "password",
        str,
        "",
        f"IMAP-Passwort; besser über ${IMAP_PASSWORD_VARIABLE}",
        rule=PASSWORD,
        secret=True,
    ),
    Setting("inbox", "timeout", int, 30, "IMAP-Zeitlimit in Sekunden", minimum=1, maximum=600),
    Setting("inbox", "folder", str, "INBOX", "Ordner, aus dem Antworten abgeholt werden", rule=_line(200)),
    Setting(
        "inbox",
        "done_folder",
        str,
        "ikz-erledigt",
        "Ordner, in den jede Nachricht erst nach dem Speichern wandert",
        rule=_line(200),
    ),
    Setting("inbox", "batch", int, 100, "Höchstens so viele Nachrichten je Abruf", minimum=1, maximum=10_000),
    Setting(
        "inbox",
        "max_bytes",
        int,
        10_000_000,
        "Größere Nachrichten kommen ungelesen in die Quarantäne (Bytes)",
        minimum=1_000,
        maximum=1_000_000_000,
    ),
    Setting("inbox", "keep_attachments", bool, False, "Anhänge von Antworten speichern (sonst nur ihre Namen nennen)"),
    Setting("inbox", "attachment_directory", str, "ikz-anhaenge", "Ordner für gespeicherte Anhänge", rule=DIRECTORY),
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
    deadlines: Section
    portal: Section
    inbox: Section
    oparl: Section
    source: str = "Vorgaben"

    def rules(self) -> Rules:
        """The lifecycle rules these settings configure, as the workflow takes them."""
        return Rules(
            submission_days=self.conference.submission_days,
            durations={
                stage: Duration.parse(getattr(self.deadlines, stage))
                for stage in DEADLINE_STAGES
                if getattr(self.deadlines, stage) != NO_DEADLINE
            },
            pause_on_hold=self.deadlines.on_hold == "pause",
        )

    def redact(self, text: str) -> str:
        """The text without any secret in any form: SMTP and IMAP passwords, token key, portal secret."""
        text = redact(text, self.mail.password, user=self.mail.user)
        text = redact(text, self.inbox.password, user=self.inbox.user)
        text = redact(text, self.portal.secret)
        return redact(text, self.inbox.token_key)


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
        except UnicodeDecodeError:
            raise ConfigError(f"Konfigurationsdatei {path} ist kein gültiges UTF-8 (TOML verlangt UTF-8).") from None
        except (OSError, ValueError) as exc:
            # A folder, no permission, a NUL character in the path.
            reason = getattr(exc, "strerror", None) or "ungültiger Pfad"
            raise ConfigError(f"Konfigurationsdatei {path} lässt sich nicht lesen ({reason}).") from None
    known_sections = {s.section for s in SETTINGS}
    for section, values in data.items():
        if section not in known_sections or not isinstance(values, dict):
            raise ConfigError(
                f"{path}: unbekannter Abschnitt [{_key(section)}]; erlaubt: {', '.join(sorted(known_sections))}."
            )
        names = {s.name for s in SETTINGS if s.section == section}
        for name in values:
            if name not in names:
                raise ConfigError(
                    f"{path}: unbekannte Einstellung {section}.{_key(name)}; erlaubt: {', '.join(sorted(names))}."
                )
    sections: dict[str, dict] = {section: {} for section in known_sections}
    where = path or "Einstellung"
    for setting in SETTINGS:
        value = data.get(setting.section, {}).get(setting.name, setting.default)
        value = overrides.get(f"{setting.section}_{setting.name}", value)
        sections[setting.section][setting.name] = check(setting, value, f"{where}: {setting.key}")
    for (section, name), variable in SECRETS.items():
        if environ.get(variable):
            secret = next(s for s in SETTINGS if (s.section, s.name) == (section, name))
            sections[section][name] = check(secret, environ[variable], f"${variable}")
    mail = sections["mail"]
    if mail["lease_seconds"] < 4 * mail["timeout"] + 10:
        # The dispatcher must be able to finish one message well within its lease.
        raise ConfigError(
            f"{where}: mail.lease_seconds: {mail['lease_seconds']} ist nicht erlaubt; erlaubt: mindestens "
            f"4 × mail.timeout + 10 = {4 * mail['timeout'] + 10} (Sekunden)."
        )
    inbox = sections["inbox"]
    if "+" in inbox["address"].partition("@")[0]:
        raise ConfigError(
            f"{where}: inbox.address: {inbox['address']!r} ist nicht erlaubt; erlaubt: eine Adresse ohne +, "
            "denn ikz hängt selbst +KENNZEICHEN an."
        )
    return Settings(**{name: Section(values) for name, values in sections.items()}, source=str(path or "Vorgaben"))


def check(setting: Setting, value, where: str) -> object:
    """Return the value if the setting allows it; else raise ConfigError naming where, the key, value and rule."""
    shown = "***" if setting.secret else _shown(value)
    expected = {int: "eine ganze Zahl", bool: "true oder false", str: "Text", list: "eine Liste"}[setting.type]
    if (setting.type is int and isinstance(value, bool)) or not isinstance(value, setting.type):
        raise ConfigError(f"{where} muss {expected} sein, nicht {shown}.")
    if setting.type is int:
        fits = setting.minimum <= value <= setting.maximum
    elif setting.type is list:
        bad = [item for item in value if not setting.rule.test(item)]
        if bad:
            shown = "***" if setting.secret else _shown(bad[0])
        fits = not bad and len(value) <= setting.maximum
    elif setting.choices:
        fits = value in setting.choices
    else:
        fits = setting.rule is None or setting.rule.test(value)
    if not fits:
        raise ConfigError(f"{where}: {shown} ist nicht erlaubt; erlaubt: {setting.allowed()}.")
    return value


def _key(name: str) -> str:
    # A quoted TOML key may hold anything, a line break too; the message must stay one line.
    return name if re.fullmatch(r"[A-Za-z0-9_-]{1,40}", name) else _shown(name)


def _shown(value) -> str:
    """The value as the file spells it, shortened: it goes into a one-line message."""
    text = repr(value)
    if len(text) <= 60:
        return text
    size = f"{len(value)} Einträge" if isinstance(value, (list, dict)) else f"{len(str(value))} Zeichen"
    return f"{text[:40]}… ({size})"


def describe() -> str:
    """Return the settings reference as a Markdown table (docs/configuration.md is generated from it)."""
    lines = ["| Einstellung | Vorgabe | Erlaubt | Bedeutung |", "|---|---|---|---|"]
    for s in SETTINGS:
        default = "leer" if s.default == "" else repr(s.default).replace("'", '"').replace("True", "true")
        allowed = s.allowed() or "–"
        lines.append(f"| `{s.key}` | `{default}` | {allowed} | {s.description} |")
    return "\n".join(lines) + "\n"
