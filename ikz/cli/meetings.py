"""Commands for meetings of the mayors' conference and the working groups."""

import click

from ikz.cli.common import actor_option, json_option
from ikz.cli.output import echo_json, table
from ikz.cli.params import DATE

body_option = click.option(
    "--body", metavar="STELLE", default="bmk", show_default=True, help="Gremium, z. B. ak-kaemmerer oder it-ak."
)


@click.group()
def meeting():
    """Sitzungen der Bürgermeisterkonferenz und der Arbeitskreise verwalten."""


@meeting.command()
@click.argument("day", metavar="DATUM", type=DATE)
@click.option("--title", metavar="TEXT", help="Titel der Sitzung.")
@body_option
@click.option("--time", "time_", metavar="SS:MM", help="Beginn, z. B. 10:00.")
@click.option("--place", metavar="TEXT", help="Ort, z. B. Kreishaus Unna, Raum 231.")
@click.option("--chair", metavar="NAME", help="Vorsitz, z. B. Landrat.")
@click.pass_obj
def add(app, day, title, body, time_, place, chair):
    """Eine Sitzung der Bürgermeisterkonferenz oder eines Arbeitskreises anlegen (heute oder später).

    An einem Wochenende oder einem Feiertag in NRW wird sie angelegt, mit einem Hinweis.

    \b
    Beispiel:
      ikz meeting add 2011-04-12 --time 10:00 --place "Kreishaus Unna" --chair Landrat
      ikz meeting add 2011-03-16 --body ak-kaemmerer
    """
    from ikz import clock
    from workflow.meetings import add_meeting
    from workflow.text import format_date
    from workflow.workdays import day_off_note

    with app.session() as session:
        created = add_meeting(
            session,
            day,
            now=clock.now(),
            today=clock.today(),
            title=title,
            body=body,
            time=time_,
            place=place,
            chair=chair,
        )
    click.echo(f"Sitzung am {format_date(created.date)} angelegt: {created.title}.")
    note = day_off_note(created.date)
    if note:
        click.echo(note, err=True)


@meeting.command()
@click.argument("day", metavar="DATUM", type=DATE)
@click.argument("new_day", metavar="NEUES_DATUM", type=DATE)
@body_option
@actor_option
@click.pass_obj
def move(app, day, new_day, body, actor):
    """Eine künftige Sitzung verlegen; die Vorlagefristen der eingereichten Mandate ziehen mit, ihre Federführenden
    erfahren es.

    \b
    Beispiel:
      ikz meeting move 2011-04-12 2011-04-19
    """
    from ikz import clock, settings
    from notifications.effects import follow_up
    from workflow.meetings import move_meeting
    from workflow.text import format_date
    from workflow.workdays import day_off_note

    config, now = settings.load(), clock.now()
    with app.session() as session:
        moved, entries = move_meeting(
            session, day, new_day, actor=actor, now=now, today=clock.today(), rules=config.rules(), body=body
        )
        for entry in entries:
            follow_up(session, config, entry, now=now)
    click.echo(
        f"{moved.title} vom {format_date(day)} auf den {format_date(new_day)} verlegt; "
        f"{_mandates(len(entries))} mit neuer Vorlagefrist."
    )
    note = day_off_note(new_day)
    if note:
        click.echo(note, err=True)


@meeting.command()
@click.argument("day", metavar="DATUM", type=DATE)
@click.option("--reason", required=True, metavar="TEXT", help="Warum die Sitzung ausfällt.")
@body_option
@actor_option
@click.pass_obj
def cancel(app, day, reason, body, actor):
    """Eine künftige Sitzung absagen; eingereichte Mandate gehen in die Konzepterstellung zurück, ihre
    Federführenden erfahren es.

    \b
    Beispiel:
      ikz meeting cancel 2011-04-12 --reason "Terminkollision mit dem Kreistag"
    """
    from ikz import clock, settings
    from notifications.effects import follow_up
    from workflow.meetings import cancel_meeting
    from workflow.text import format_date

    config, now = settings.load(), clock.now()
    with app.session() as session:
        cancelled, entries = cancel_meeting(
            session, day, reason=reason, actor=actor, now=now, today=clock.today(), rules=config.rules(), body=body
        )
        for entry in entries:
            follow_up(session, config, entry, now=now)
    click.echo(
        f"{cancelled.title} am {format_date(day)} abgesagt; {_mandates(len(entries))} zurück in der Konzepterstellung."
    )


def _mandates(count: int) -> str:
    return "kein Mandat" if not count else f"{count} {'Mandat' if count == 1 else 'Mandate'}"


@meeting.group()
def item():
    """Freie Tagesordnungspunkte einer Sitzung."""


@item.command(name="add")
@click.argument("day", metavar="DATUM", type=DATE)
@click.argument("title", metavar="TITEL")
@body_option
@click.option("--non-public", "non_public", is_flag=True, help="Im nichtöffentlichen Teil der Sitzung.")
@click.option("--note", metavar="TEXT", help="Erläuterung zum Punkt.")
@click.option("--mandate", metavar="CODE", help="Ein Mandat, das unter diesem Punkt besprochen wird.")
@click.pass_obj
def item_add(app, day, title, body, non_public, note, mandate):
    """Einen Tagesordnungspunkt hinzufügen (öffentlich, oder mit --non-public im nichtöffentlichen Teil).

    \b
    Beispiel:
      ikz meeting item add 2011-04-12 "Bericht des Landrats zur Haushaltslage"
      ikz meeting item add 2011-03-16 "Ergebnisse LOGA" --body ak-kaemmerer --mandate 1.4
    """
    from ikz import clock
    from workflow.meetings import add_item
    from workflow.text import format_date

    with app.session() as session:
        added = add_item(
            session, day, title, now=clock.now(), body=body, public=not non_public, note=note, mandate=mandate
        )
    part = "nichtöffentlichen" if not added.public else "öffentlichen"
    click.echo(f"Tagesordnungspunkt „{added.title}“ im {part} Teil der Sitzung am {format_date(day)} hinzugefügt.")


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
            {
                "date": m.date.isoformat(),
                "body": body.key,
                "body_name": body.name,
                "title": m.title,
                "time": m.time,
                "place": m.place,
                "chair": m.chair,
                "moved_from": m.moved_from.isoformat() if m.moved_from else None,
                "cancelled": m.cancelled_at is not None,
                "cancel_reason": m.cancel_reason,
            }
            for m, body in list_meetings(session)
        ]
    if as_json:
        echo_json(rows)
    elif not rows:
        click.echo("Keine Sitzungen angelegt.")
    else:
        lines = [
            [
                format_date(_d(r["date"])) + (f" {r['time']}" if r["time"] else ""),
                r["body_name"],
                r["title"],
                r["place"] or "",
                _status(r),
            ]
            for r in rows
        ]
        click.echo(table(["Datum", "Gremium", "Titel", "Ort", "Hinweis"], lines))


def _status(row: dict) -> str:
    from workflow.text import format_date

    if row["cancelled"]:
        return f"abgesagt: {row['cancel_reason']}"
    if row["moved_from"]:
        return f"verlegt vom {format_date(_d(row['moved_from']))}"
    return ""


def _d(text):
    from datetime import date

    return date.fromisoformat(text)


def register(group: click.Group) -> None:
    group.add_command(meeting)
