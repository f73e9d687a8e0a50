"""Options and helpers shared by several commands."""

import getpass

import click


def default_actor() -> str:
    """Return the OS user, the default actor in the audit log."""
    try:
        return getpass.getuser()
    except Exception:  # getpass raises OSError or KeyError when no user name can be found
        return "unbekannt"


def _check_actor(ctx, param, value: str) -> str:
    from workflow.checks import text_problem

    value = (value or "").strip()
    problem = (
        "ist leer" if not value else text_problem(value) or ("ist länger als 120 Zeichen" if len(value) > 120 else None)
    )
    if problem:
        raise click.BadParameter(f"der Name {problem}; erlaubt ist einzeiliger Text bis 120 Zeichen.", ctx, param)
    return value


actor_option = click.option(
    "--actor",
    metavar="NAME",
    default=default_actor,
    show_default="Benutzerkonto",
    callback=_check_actor,
    help="Wer handelt (für das Protokoll).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Als JSON ausgeben (Aufbau: docs/json.md).")
