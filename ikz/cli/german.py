"""German texts for click's own messages (usage errors, help headings)."""

import click.core
import click.decorators
import click.exceptions
import click.formatting
import click.parser
import click.types
import click.utils

# click marks its texts for gettext but ships no German catalogue; this is ours.
MESSAGES = {
    "Usage:": "Aufruf:",
    "Options": "Optionen",
    "Commands": "Befehle",
    "Positional arguments": "Argumente",
    "Show this message and exit.": "Diese Hilfe anzeigen und beenden.",
    "Show the version and exit.": "Version anzeigen und beenden.",
    "Error: {message}": "Fehler: {message}",
    "Try '{command} {option}' for help.": "Hilfe: '{command} {option}'.",
    "No such command {name!r}.": "Unbekannter Befehl {name!r}.",
    "No such option {name!r}.": "Unbekannte Option {name!r}.",
    "Missing argument": "Fehlendes Argument",
    "Missing option": "Fehlende Option",
    "Missing parameter": "Fehlende Angabe",
    "Missing command.": "Befehl fehlt.",
    "Missing {param_type}": "Fehlt: {param_type}",
    "Missing parameter: {param_name}": "Fehlende Angabe: {param_name}",
    "Invalid value for {param_hint}: {message}": "Ungültiger Wert für {param_hint}: {message}",
    "Invalid value: {message}": "Ungültiger Wert: {message}",
    "Option {name!r} does not take a value.": "Option {name!r} nimmt keinen Wert.",
    "Aborted!": "Abgebrochen.",
    "default: {default}": "Vorgabe: {default}",
    "env var: {var}": "Umgebungsvariable: {var}",
    "{value!r} is not a valid {number_type}.": "{value!r} ist keine gültige Zahl.",
    "{value} is not in the range {range}.": "{value} liegt nicht im Bereich {range}.",
    "{name} {filename!r} does not exist.": "{name} {filename!r} gibt es nicht.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} ist ein Verzeichnis.",
    "Could not open file {filename!r}: {message}": "Datei {filename!r} lässt sich nicht öffnen: {message}",
    "file": "Datei",
    "directory": "Verzeichnis",
    "path": "Pfad",
}

PLURALS = {
    "Got unexpected extra argument ({args})": (
        "Unerwartetes zusätzliches Argument ({args})",
        "Unerwartete zusätzliche Argumente ({args})",
    ),
    "Option {name!r} requires an argument.": (
        "Option {name!r} braucht einen Wert.",
        "Option {name!r} braucht {nargs} Werte.",
    ),
    "{value!r} is not {choice}.": (
        "{value!r} ist nicht erlaubt; erlaubt: {choice}.",
        "{value!r} ist nicht erlaubt; erlaubt: {choices}.",
    ),
    "Did you mean {possibility}?": ("Meinten Sie {possibility}?", "(Meinten Sie eines von: {possibilities}?)"),
}


def gettext(message: str) -> str:
    """Translate one of click's messages, or keep it."""
    return MESSAGES.get(message, message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """Translate one of click's plural messages, or keep it."""
    if singular in PLURALS:
        one, many = PLURALS[singular]
        return one if count == 1 else many
    return singular if count == 1 else plural


def install() -> None:
    """Make click speak German."""
    for module in (
        click.core,
        click.decorators,
        click.exceptions,
        click.formatting,
        click.parser,
        click.types,
        click.utils,
    ):
        module._ = gettext
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext
