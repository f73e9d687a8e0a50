"""The `ikz duty` commands: close an occurrence of a recurring duty."""

import click

from ikz.cli.common import actor_option
from ikz.cli.params import DATE


@click.group()
def duty():
    """Wiederkehrende Pflichten eines Mandats (ikz show zeigt sie)."""


@duty.command()
@click.argument("code")
@click.argument("duty_key", metavar="PFLICHT")
@click.option("--date", "day", type=DATE, help="Erledigt an diesem Tag (Vorgabe: heute).")
@click.option("--ref", metavar="TEXT", help="Fundstelle, z. B. das Protokoll.")
@click.option("--for", "occurrence", type=DATE, help="Diese Fälligkeit schließen (Vorgabe: die älteste offene).")
@actor_option
@click.pass_obj
def done(app, code, duty_key, day, ref, occurrence, actor):
    """Eine Fälligkeit einer Pflicht als erledigt eintragen.

    \b
    Beispiel:
      ikz duty done 1.1 it-ak-bericht --ref "Bericht in der BMK vom 12.04.2011"
      ikz duty done 1.1 it-ak-sitzung --date 25.11.2010 --for 30.11.2010
    """
    from ikz import clock
    from workflow.duties import mark_done

    with app.session() as session:
        entry = mark_done(
            session,
            code,
            duty_key,
            day=day or clock.today(),
            reference=ref,
            actor=actor,
            now=clock.now(),
            occurrence=occurrence,
        )
    click.echo(f"{code}: {entry.note}.")


def register(group: click.Group) -> None:
    group.add_command(duty)
