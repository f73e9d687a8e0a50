"""Commands for replies by mail: fetch the mailbox, and the coordinator's quarantine."""

import click

from ikz.cli.common import actor_option, json_option
from ikz.cli.output import echo_json, table
from ikz.cli.params import ID


@click.group()
def inbox():
    """Antworten per E-Mail: Postfach abholen, Quarantäne prüfen.

    \b
    Beispiel:
      ikz inbox fetch
      ikz inbox quarantine
    """


@inbox.command()
@click.pass_obj
def fetch(app):
    """Antworten aus dem Postfach holen: als Vermerke und Vorschläge übernehmen oder in Quarantäne legen.

    Sonst erledigt das der Zeitplaner (ikz scheduler run) alle fünf Minuten.

    \b
    Beispiel:
      IKZ_TOKEN_KEY=… ikz inbox fetch
    """
    from ikz import clock, settings
    from ikz.intake.fetching import fetch as fetch_mail

    config = settings.load()
    app.check_ready()
    click.echo(fetch_mail(app.engine, config, now=clock.now()).summary())


@inbox.command()
@click.option("--all", "everything", is_flag=True, help="Alle eingegangenen Nachrichten, nicht nur die Quarantäne.")
@json_option
@click.pass_obj
def quarantine(app, everything, as_json):
    """Nachrichten in Quarantäne auflisten (nicht zuzuordnen, unbekannter Absender, Mandat abgeschlossen, …).

    \b
    Beispiel:
      ikz inbox quarantine
      ikz inbox release 3 --mandate 1.4
    """
    from ikz.clock import BERLIN
    from ikz.intake.taking import quarantined
    from models import INBOUND_STATES
    from notifications.message import one_line

    with app.session() as session:
        rows = quarantined(session, everything=everything)
    if as_json:
        echo_json(
            [
                {
                    "id": r.id,
                    "status": r.status,
                    "status_label": INBOUND_STATES[r.status],
                    "message_id": r.message_id,
                    "sender": r.sender,
                    "subject": r.subject,
                    "reason": r.reason,
                    "codes": r.codes,
                    "received_at": r.received_at.isoformat(),
                }
                for r in rows
            ]
        )
        return
    if not rows:
        click.echo("Keine Nachricht in Quarantäne." if not everything else "Keine eingegangenen Nachrichten.")
        return
    lines = [
        [
            str(r.id),
            r.received_at.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M"),
            INBOUND_STATES[r.status],
            r.sender or "–",
            one_line(r.subject, 40) or "–",
            one_line(r.reason or r.codes or "", 70),
        ]
        for r in rows
    ]
    click.echo(table(["Nr.", "Eingang", "Status", "Absender", "Betreff", "Grund/Mandate"], lines))


@inbox.command()
@click.argument("number", metavar="NR", type=ID)
@click.option("--mandate", "code", metavar="CODE", help="Das Mandat, wenn die Nachricht keinem zugeordnet ist.")
@actor_option
@click.pass_obj
def release(app, number, code, actor):
    """Eine Nachricht aus der Quarantäne doch übernehmen (als Vermerk und Vorschläge des Absenders).

    \b
    Beispiel:
      ikz inbox release 3 --mandate 1.4
    """
    from ikz import clock, settings
    from ikz.intake.taking import release as release_message

    config = settings.load()
    with app.session() as session:
        outcome = release_message(session, config, number, code=code, actor=actor, now=clock.now())
    what = [f"Vermerk zu {', '.join(outcome.notes)}"] if outcome.notes else []
    what += [f"Vorschlag {p.id}" for p in outcome.proposals]
    click.echo(f"Nachricht {number} übernommen: {'; '.join(what)}.")


@inbox.command()
@click.argument("number", metavar="NR", type=ID)
@actor_option
@click.pass_obj
def drop(app, number, actor):
    """Eine Nachricht aus der Quarantäne verwerfen (ihr Inhalt wird gelöscht).

    \b
    Beispiel:
      ikz inbox drop 3
    """
    from ikz import clock
    from ikz.intake.taking import drop as drop_message

    with app.session() as session:
        drop_message(session, number, actor=actor, now=clock.now())
    click.echo(f"Nachricht {number} verworfen.")


def register(group: click.Group) -> None:
    group.add_command(inbox)
