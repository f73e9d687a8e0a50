"""The `ikz demo` command."""

import click


@click.command()
@click.option(
    "--keep",
    "keep",
    type=click.Path(file_okay=False),
    help="Ergebnisse in diesem Ordner behalten statt in einem temporären.",
)
def demo(keep):
    """Vorführung: frische Datenbank, Katalog 2010, Mandat 1.4 bis zur Entscheidung.

    \b
    Beispiel:
      ikz demo
    """
    import tempfile
    from pathlib import Path

    from ikz import demo as scenario

    workdir = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="ikz-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    path = scenario.run(workdir, click.echo)
    click.echo(f"\nDatenbank der Vorführung: {path}")
    click.echo("Im Portal zeigen (Adresse, Passwort und Zugangslinks nennt der Befehl): ikz serve --demo")


def register(group: click.Group) -> None:
    group.add_command(demo)
