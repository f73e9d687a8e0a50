"""Options and helpers shared by several commands."""

import getpass

import click


def default_actor() -> str:
    """Return the OS user, the default actor in the audit log."""
    try:
        return getpass.getuser()
    except Exception:  # getpass raises OSError or KeyError when no user name can be found
        return "unbekannt"


actor_option = click.option(
    "--actor", metavar="NAME", default=default_actor, show_default="Benutzerkonto", help="Wer handelt (für das Protokoll)."
)
json_option = click.option("--json", "as_json", is_flag=True, help="Als JSON ausgeben (Aufbau: docs/json.md).")
