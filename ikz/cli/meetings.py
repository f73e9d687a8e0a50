"""Commands for meetings of the mayors' conference."""

import click

from ikz.cli.common import json_option
from ikz.cli.output import echo_json, table
from ikz.cli.params import DATE


@click.group()
def meeting():
    """Sitzungen der Bürgermeisterkonferenz und der Arbeitskreise verwalten."""


@meeting.command()
@click.argument("day", metavar="DATUM", type=DATE)
@click.option("--title", metavar="TEXT", help="Titel der Sitzung.")
@click.option(
    "--body", metavar="STELLE", default="bmk", show_default=True, help="Gremium, z. B. ak-kaemmerer oder it-ak."
)
@click.pass_obj
def add(app, day, title, body):
    """Eine Sitzung der Bürgermeisterkonferenz oder eines Arbeitskreises anlegen (heute oder später).

    An einem Wochenende oder einem Feiertag in NRW wird sie angelegt, mit einem Hinweis.

    \b
    Beispiel:
      ikz meeting add 2011-04-12 --title "Bürgermeisterkonferenz April"
      ikz meeting add 2011-03-16 --body ak-kaemmerer
    """
    from ikz import clock
    from workflow.meetings import add_meeting
    from workflow.text import format_date
    from workflow.workdays import day_off_note

    with app.session() as session:
        created = add_meeting(session, day, now=clock.now(), today=clock.today(), title=title, body=body)
    click.echo(f"Sitzung am {format_date(created.date)} angelegt: {created.title}.")
    note = day_off_note(created.date)
    if note:
        click.echo(note, err=True)


@meeting.command(name="list")
@json_option
@click.pass_obj
def list_(app, as_json):
    """Alle Sitzungen nach Datum auflisten.

    \b
    Beispiel:
      ikz meeting list
    """
    from workflow.meetings import list_meetings
    from workflow.text import format_date

    with app.session() as session:
        rows = [
            {"date": m.date.isoformat(), "body": body.key, "body_name": body.name, "title": m.title}
            for m, body in list_meetings(session)
        ]
    if as_json:
        echo_json(rows)
    elif not rows:
        click.echo("Keine Sitzungen angelegt.")
    else:
        click.echo(
            table(
                ["Datum", "Gremium", "Titel"], [[format_date(_d(r["date"])), r["body_name"], r["title"]] for r in rows]
            )
        )


def _d(text):
    from datetime import date

    return date.fromisoformat(text)


def register(group: click.Group) -> None:
    group.add_command(meeting)
