"""The `ikz scheduler` commands."""

import click


@click.group()
def scheduler():
    """Den Zeitplaner (Erinnerungen, Postausgang, Monatsbericht) betreiben."""


@scheduler.command()
@click.pass_obj
def run(app):
    """Zeitplaner im Vordergrund starten; Strg-C oder SIGTERM beendet ihn sauber.

    \b
    Beispiel:
      IKZ_CONFIG=/etc/ikz.toml ikz scheduler run
    """
    import scheduler as wiring
    from ikz import settings

    config = settings.load()
    app.check_ready()
    click.echo(f"Zeitplaner läuft ({app.display_url}, Einstellungen: {config.source}). Beenden mit Strg-C.")
    wiring.run(app.engine, config)
    click.echo("Zeitplaner beendet.")


def register(group: click.Group) -> None:
    group.add_command(scheduler)
