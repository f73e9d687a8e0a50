"""The `ikz` command: a thin client over workflow/ and models/."""

import os
import sys

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

    # Each command's module is imported when the command is asked for: `ikz list` need not build the
    # digest's, the inbox's or the agenda's commands (~50 ms); --help asks for all of them.
    def list_commands(self, ctx):
        return sorted({*self.commands, *COMMANDS})

    resolved: str | None = None  # the command this process runs, for main()'s quick exit

    def resolve_command(self, ctx, args):
        name, command, rest = super().resolve_command(ctx, args)
        self.resolved = name
        return name, command, rest

    def get_command(self, ctx, name):
        if name not in self.commands and name in COMMANDS:
            _load(COMMANDS[name])
        return self.commands.get(name)


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


# Read-only commands people type many times a day. Once one has printed and closed the database, the process
# ends without tearing the interpreter down: freeing SQLAlchemy's and the tables' objects one by one costs
# about 100 ms, as long as the command itself. Other commands keep the normal exit (atexit, finalizers).
QUICK_EXIT = frozenset({"list", "show"})


def main() -> None:
    """Entry point of the `ikz` console script."""
    try:
        ikz(prog_name="ikz")
    except SystemExit as done:
        if ikz.resolved in QUICK_EXIT and isinstance(done.code, int | None):
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except OSError:
                raise done from None  # a closed pipe: the normal exit reports it
            os._exit(done.code or 0)
        raise


# Every command of the top level and the module (in ikz.cli) that registers it; tests/test_cli.py checks the table.
COMMANDS = {
    **dict.fromkeys(("init", "import", "db"), "setup"),
    **dict.fromkeys(("list", "show", "advance", "hold", "resume", "edit", "undo", "lifecycle"), "mandates"),
    **dict.fromkeys(("note", "proposal", "proposals"), "proposals"),
    "meeting": "meetings",
    "duty": "duties",
    **dict.fromkeys(("decision", "depend", "participation", "report", "savings"), "conference"),
    "agenda": "agenda",
    **dict.fromkeys(("audit", "documents"), "records"),
    "export": "exchange",
    "remind": "remind",
    "outbox": "outbox",
    "inbox": "inbox",
    **dict.fromkeys(("digest", "optout"), "digest"),
    "scheduler": "schedule",
    "demo": "demo",
    **dict.fromkeys(("serve", "user", "access"), "portal"),
}


def _load(module_name: str) -> None:
    """Import one command module and register its commands, in German like the rest."""
    import importlib

    before = set(ikz.commands)
    importlib.import_module(f"ikz.cli.{module_name}").register(ikz)
    for name in set(ikz.commands) - before:
        _germanise_usage(ikz.commands[name])


def load_all() -> click.Group:
    """The `ikz` group with every command registered (for walking all of them, as the tests do)."""
    for module_name in dict.fromkeys(COMMANDS.values()):
        _load(module_name)
    return ikz


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


_germanise_usage(ikz)  # the group; each command as its module is loaded
