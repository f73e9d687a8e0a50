"""The `ikz digest` command: print, preview or queue the monthly status report."""

from pathlib import Path

import click

from ikz.cli.common import actor_option
from ikz.cli.params import MONTH


@click.command()
@click.option("--month", type=MONTH, help="Berichtsmonat, z. B. 03.2011 oder 2011-03 (Vorgabe: der laufende Monat).")
@click.option(
    "--preview", metavar="DATEI", type=click.Path(path_type=Path), help="HTML-Fassung in diese Datei schreiben."
)
@click.option(
    "--send", is_flag=True, help="An den Verteiler in den Postausgang stellen (jede Adresse nur einmal je Monat)."
)
@click.option(
    "--rebuild", is_flag=True, help="Aus dem Verlauf neu aufbauen, auch wenn der Bericht schon versandt wurde."
)
@actor_option
@click.pass_obj
def digest(app, month, preview, send, rebuild, actor):
    """Den Monatsbericht (Stand: erster Arbeitstag des Monats, 7 Uhr) zeigen, als HTML speichern oder versenden.

    Ein versandter Bericht wird so gezeigt, wie er versandt wurde; sonst wird er aus dem
    Verlauf so aufgebaut, wie die Mandate zu seinem Stichtag standen.

    \b
    Beispiel:
      ikz digest --month 2011-03
      ikz digest --month 2011-03 --preview bericht.html
      ikz digest --send
    """
    from ikz import clock, settings
    from ikz.errors import ConfigError
    from notifications.digest import digest_data, month_label, render_digest
    from notifications.monthly import DigestReport, queue_digest, recipients, sent_digest

    config = settings.load()
    month = (month or clock.today()).replace(day=1)
    with app.session() as session:
        if preview or not send:
            stored = None if rebuild else sent_digest(session, month)
            # As the coordinator gets it, every list capped at digest.max_items; the portal linked plainly (as kept).
            text, html = (
                stored or render_digest(digest_data(session, month, settings=config), limit=config.digest.max_items)[1:]
            )
        if preview:
            _write(preview, html)
        if send:
            if not recipients(session, config):
                raise ConfigError(
                    f"Der Monatsbericht hat keine Empfänger: digest.recipients ({config.source}) ergibt keine Adresse."
                )
            queued = queue_digest(session, config, month, now=clock.now(), actor=actor)
    label = month_label(month)
    if preview:
        click.echo(f"Vorschau des Monatsberichts {label} gespeichert: {preview}")
    elif not send:
        click.echo(text, nl=False)
    if send:
        click.echo(DigestReport(month, queued).summary())


def _write(path: Path, html: str) -> None:
    from ikz.errors import InvalidInput

    if not path.parent.is_dir():
        raise InvalidInput(
            f"Das Verzeichnis {path.parent} gibt es nicht; die Vorschau kann nicht nach {path} geschrieben werden."
        )
    try:
        path.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"Die Vorschau lässt sich nicht nach {path} schreiben ({exc.strerror}).") from None


@click.group()
def optout():
    """Abbestellungen des Monatsberichts (Erinnerungen lassen sich nicht abbestellen).

    \b
    Beispiel:
      ikz optout list
      ikz optout remove loga@luenen.example
    """


@optout.command(name="list")
@click.pass_obj
def list_(app):
    """Adressen auflisten, die den Monatsbericht abbestellt haben.

    \b
    Beispiel:
      ikz optout list
    """
    from ikz.cli.output import table
    from ikz.clock import BERLIN
    from notifications.optout import opted_out

    with app.session() as session:
        rows = opted_out(session)
    if not rows:
        click.echo("Niemand hat den Monatsbericht abbestellt.")
        return
    lines = [[r.email, r.created_at.astimezone(BERLIN).strftime("%d.%m.%Y"), r.channel] for r in rows]
    click.echo(table(["Adresse", "seit", "über"], lines))


@optout.command()
@click.argument("email", metavar="ADRESSE")
@click.pass_obj
def add(app, email):
    """Eine Abbestellung eintragen (etwa nach einem Anruf).

    \b
    Beispiel:
      ikz optout add kaemmerei@unna.example
    """
    from ikz import clock
    from notifications.optout import opt_out

    with app.session() as session:
        fresh = opt_out(session, email, now=clock.now(), channel="CLI")
    click.echo(f"{email}: Monatsbericht abbestellt." if fresh else f"{email} hatte den Monatsbericht schon abbestellt.")


@optout.command()
@click.argument("email", metavar="ADRESSE")
@click.pass_obj
def remove(app, email):
    """Eine Abbestellung zurücknehmen: die Adresse bekommt den Monatsbericht wieder.

    \b
    Beispiel:
      ikz optout remove loga@luenen.example
    """
    from notifications.optout import opt_in

    with app.session() as session:
        opt_in(session, email)
    click.echo(f"{email} bekommt den Monatsbericht wieder.")


def register(group: click.Group) -> None:
    """Add this module's commands to the ikz group."""
    group.add_command(digest)
    group.add_command(optout)
