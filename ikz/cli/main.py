"""The `ikz` command: a thin client over workflow/ and models/."""

import click

from ikz.cli import german
from ikz.errors import IkzError

german.install()

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class UserError(click.ClickException):
    """An IkzError on its way to the terminal: one German line on stderr, exit 1."""

    exit_code = 1


class IkzGroup(click.Group):
    """Converts every IkzError raised by a command into one German line and exit code 1."""

    def parse_args(self, ctx, args):
        # Arguments that were not valid UTF-8 arrive with surrogates that no database or mail can carry.
        for arg in args:
            if any(0xD800 <= ord(char) <= 0xDFFF for char in arg):
                shown = arg.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
                raise click.UsageError(f"Das Argument {shown!r} ist kein gültiges UTF-8.", ctx)
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except IkzError as exc:
            raise UserError(str(exc)) from None


@click.group(cls=IkzGroup, context_settings=CONTEXT)
@click.option(
    "--db",
    "db_url",
    metavar="URL",
    help="Datenbank, z. B. sqlite:///ikz.db oder postgresql://host/ikz (Vorgabe: $IKZ_DATABASE_URL, sonst ./ikz.db).",
)
@click.pass_context
def ikz(ctx, db_url):
    """ikz – Aufträge der interkommunalen Zusammenarbeit im Kreis Unna steuern.

    \b
    Beispiel:
      ikz init --catalogue kreis-unna-2010
      ikz list --overdue
      ikz advance 1.4 start_concept --note "Verhandlungen aufgenommen"
    """
    from ikz.cli.app import App

    ctx.obj = App(db_url)
    ctx.call_on_close(ctx.obj.close)


def main() -> None:
    """Entry point of the `ikz` console script."""
    ikz(prog_name="ikz")


from ikz.cli import (  # noqa: E402  (the commands register on the group defined above)
    agenda,
    conference,
    demo,
    digest,
    duties,
    exchange,
    inbox,
    mandates,
    meetings,
    outbox,
    portal,
    proposals,
    records,
    remind,
    schedule,
    setup,
)

for module in (
    setup,
    mandates,
    proposals,
    meetings,
    duties,
    conference,
    agenda,
    records,
    exchange,
    remind,
    outbox,
    inbox,
    digest,
    schedule,
    demo,
    portal,
):
    module.register(ikz)


def _germanise_usage(command: click.Command) -> None:
    """Use German placeholders in every usage line, and show it with every usage error."""
    command.options_metavar = "[OPTIONEN]"
    command.parse_args = _with_context(command.parse_args)
    if isinstance(command, click.Group):
        command.subcommand_metavar = "BEFEHL [ARGUMENTE]..."
        for sub in command.commands.values():
            _germanise_usage(sub)


def _with_context(parse_args):
    # click raises some parser errors (e.g. an option missing its value) without a context,
    # so they would print no "Aufruf:" line; attach the command's context.
    def parse(ctx, args):
        try:
            return parse_args(ctx, args)
        except click.UsageError as exc:
            if exc.ctx is None:
                exc.ctx = ctx
            raise

    return parse


_germanise_usage(ikz)
