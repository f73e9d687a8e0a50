"""The `agenda` command: a conference meeting's agenda and decision papers as files."""

from pathlib import Path

import click

from ikz.cli.params import DATE


@click.command()
@click.argument("day", metavar="SITZUNGSDATUM", type=DATE)
@click.option(
    "--out",
    "out_dir",
    metavar="ORDNER",
    type=click.Path(file_okay=False, path_type=Path),
    help="Zielordner für die Dateien (Vorgabe: ./tagesordnung-JJJJ-MM-TT).",
)
@click.pass_obj
def agenda(app, day, out_dir):
    """Tagesordnung und Beschlussvorlagen einer Sitzung der Bürgermeisterkonferenz erstellen.

    Schreibt die Tagesordnung und je Mandat der Sitzung eine Beschlussvorlage als
    HTML und Markdown sowie alles zusammen als PDF (A4).

    \b
    Beispiel:
      ikz agenda 2011-04-12
      ikz agenda 12.04.2011 --out sitzung-april
    """
    from ikz.conference.papers import agenda_data
    from ikz.conference.render import render_agenda
    from workflow.text import format_long_date

    with app.session() as session:
        data = agenda_data(session, day)
    notes: list[str] = []
    files = render_agenda(data, out_dir or Path(f"tagesordnung-{day.isoformat()}"), notes=notes)
    count = len(data["papers"])
    click.echo(
        f"Tagesordnung für die Sitzung am {format_long_date(day)}: {len(data['items'])} Tagesordnungspunkte, "
        f"{count} {'Beschlussvorlage' if count == 1 else 'Beschlussvorlagen'}. Geschrieben:"
    )
    for path in files:
        click.echo(f"  {path}")
    for note in notes:
        click.echo(note, err=True)


def register(group: click.Group) -> None:
    group.add_command(agenda)
