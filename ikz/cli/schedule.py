"""The `ikz scheduler` commands."""

import click


@click.group()
def scheduler():
    """Den Zeitplaner (Erinnerungen, Postausgang, Monatsbericht) betreiben."""


@scheduler.command()
@click.option(
    "--once",
    is_flag=True,
    help="Jeden Auftrag einmal ausführen (wie beim Start) und beenden, z. B. um neue Einstellungen zu prüfen.",
)
@click.pass_obj
def run(app, once):
    """Zeitplaner im Vordergrund starten; Strg-C oder SIGTERM beendet ihn sauber.

    Jeder Lauf eines Auftrags schreibt eine Zeile ins Protokoll (Standardfehlerausgabe oder
    scheduler.log_file, ab scheduler.log_level).

    \b
    Beispiel:
      IKZ_CONFIG=/etc/ikz.toml ikz scheduler run
      ikz scheduler run --once
    """
    import scheduler as wiring
    from ikz import settings
    from ikz.errors import JobsFailed

    config = settings.load()
    app.check_ready()
    with wiring.logging_to(config):
        if once:
            failed = wiring.run_once(app.engine, config)
            if failed:
                raise JobsFailed(f"Gescheitert: {', '.join(failed)} (Grund im Protokoll).")
            click.echo("Jeder Auftrag einmal ausgeführt.")
            return
        click.echo(f"Zeitplaner läuft ({app.display_url}, Einstellungen: {config.source}). Beenden mit Strg-C.")
        wiring.run(app.engine, config)
    click.echo("Zeitplaner beendet.")


def register(group: click.Group) -> None:
    group.add_command(scheduler)
