"""German texts for click's own messages (usage errors, help headings)."""

import click.core
import click.decorators
import click.exceptions
import click.formatting
import click.parser
import click.shell_completion
import click.termui
import click.types
import click.utils

# click marks its texts for gettext but ships no German catalogue; this is ours. It holds every msgid
# click 8.x marks (tests/test_german.py reads click's source and fails on a new one), including those
# a user of ikz never meets (prompts, editors, programming errors), so that none can slip through.
# click._termui_impl (editor, pager) is not patched: importing it costs every command 4 ms, and ikz opens neither.
MESSAGES = {
    # Help pages
    "Usage:": "Aufruf:",
    "Options": "Optionen",
    "Commands": "Befehle",
    "Positional arguments": "Argumente",
    "Show this message and exit.": "Diese Hilfe anzeigen und beenden.",
    "Show the version and exit.": "Version anzeigen und beenden.",
    "%(prog)s, version %(version)s": "%(prog)s, Version %(version)s",
    "default: {default}": "Vorgabe: {default}",
    "env var: {var}": "Umgebungsvariable: {var}",
    "required": "erforderlich",
    "deprecated": "veraltet",
    "(dynamic)": "(wird ermittelt)",
    "Choice({choices})": "Auswahl({choices})",
    # Usage errors
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
    "Argument {name!r} takes {nargs} values.": "Argument {name!r} braucht {nargs} Werte.",
    "Invalid start character for option ({option})": "Ungültiges erstes Zeichen einer Option ({option})",
    "Value must be an iterable.": "Der Wert muss eine Folge von Werten sein.",
    "unknown error": "unbekannter Fehler",
    "Aborted!": "Abgebrochen.",
    # Deprecation notices: click names the kind of parameter in English ("option"), so the German leaves it out.
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}": (
        "Hinweis: Der Befehl {name!r} ist veraltet.{extra_message}"
    ),
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}": (
        "Hinweis: {name!r} ist veraltet.{extra_message}"
    ),
    # Values
    "Choose from:\n\t{choices}": "Zur Auswahl:\n\t{choices}",
    "{value!r} is not a valid {number_type}.": "{value!r} ist keine gültige Zahl.",
    "{value} is not in the range {range}.": "{value} liegt nicht im Bereich {range}.",
    "{value!r} is not a valid boolean. Recognized values: {states}": (
        "{value!r} ist kein Wahrheitswert; erlaubt: {states}"
    ),
    "{value!r} is not a valid UUID.": "{value!r} ist keine gültige UUID.",
    "{name} {filename!r} does not exist.": "{name} {filename!r} gibt es nicht.",
    "{name} {filename!r} is a file.": "{name} {filename!r} ist eine Datei.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} ist ein Verzeichnis.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} ist nicht lesbar.",
    "{name} {filename!r} is not writable.": "{name} {filename!r} ist nicht beschreibbar.",
    "{name} {filename!r} is not executable.": "{name} {filename!r} ist nicht ausführbar.",
    "Could not open file {filename!r}: {message}": "Datei {filename!r} lässt sich nicht öffnen: {message}",
    "file": "Datei",
    "directory": "Verzeichnis",
    "path": "Pfad",
    # Prompts, confirmations, the editor and the pager (ikz uses none today)
    "Do you want to continue?": "Fortfahren?",
    "Confirm the action without prompting.": "Ohne Rückfrage bestätigen.",
    "Repeat for confirmation": "Zur Bestätigung wiederholen",
    "Error: The two entered values do not match.": "Fehler: Die beiden Eingaben stimmen nicht überein.",
    "Error: invalid input": "Fehler: ungültige Eingabe",
    "Press any key to continue...": "Weiter mit einer beliebigen Taste …",
    "{editor}: Editing failed": "{editor}: Bearbeiten fehlgeschlagen",
    "{editor}: Editing failed: {e}": "{editor}: Bearbeiten fehlgeschlagen: {e}",
    "Unknown color {colour!r}": "Unbekannte Farbe {colour!r}",
    "Unknown standard stream '{name}'": "Unbekannter Standarddatenstrom '{name}'",
    "Windows error: {error}": "Windows-Fehler: {error}",
    "Shell completion is not supported for Bash versions older than 4.4.": (
        "Die Vervollständigung in der Shell braucht Bash 4.4 oder neuer."
    ),
    "Couldn't detect Bash version, shell completion is not supported.": (
        "Die Bash-Version ist unbekannt; die Vervollständigung in der Shell ist nicht möglich."
    ),
    # Programming errors in a command's declaration (a test would fail first; translated all the same)
    "Name '{name}' defined twice": "Der Name '{name}' ist doppelt vergeben",
    "Boolean option {decl!r} cannot use the same flag for true/false.": (
        "Die Schalter-Option {decl!r} kann nicht dasselbe Kennzeichen für ja und nein nutzen."
    ),
    "Could not determine name for option with declarations {decls!r}": (
        "Kein Name für die Option mit den Angaben {decls!r}"
    ),
    "No options defined but a name was passed ({name}). Did you mean to declare an argument instead? "
    "Did you mean to pass '--{name}'?": (
        "Keine Optionen angegeben, aber ein Name ({name}). Sollte das ein Argument sein, oder '--{name}'?"
    ),
    "Arguments take exactly one parameter declaration, got {length}: {decls}.": (
        "Ein Argument braucht genau eine Angabe, nicht {length}: {decls}."
    ),
    "d": "d",
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
    "Takes {nargs} values but 1 was given.": (
        "Braucht {nargs} Werte, angegeben ist einer.",
        "Braucht {nargs} Werte, angegeben sind {len}.",
    ),
    "{value!r} does not match the format {format}.": (
        "{value!r} passt nicht zum Format {format}.",
        "{value!r} passt zu keinem der Formate {formats}.",
    ),
    "{len_type} values are required, but {len_value} was given.": (
        "{len_type} Werte sind nötig, angegeben ist {len_value}.",
        "{len_type} Werte sind nötig, angegeben sind {len_value}.",
    ),
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
        click.shell_completion,
        click.termui,
        click.types,
        click.utils,
    ):
        module._ = gettext
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext
