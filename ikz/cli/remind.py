"""The `ikz remind` command: one reminder sweep, now or at a given moment."""

import click

from ikz.cli.params import MOMENT


@click.command()
@click.option(
    "--at",
    "at",
    type=MOMENT,
    help="Als ob es dieser Zeitpunkt wäre, z. B. 01.03.2011 07:30 oder 2011-03-01T07:30 (Vorgabe: jetzt).",
)
@click.option("--dry-run", is_flag=True, help="Nur zeigen, wer was bekäme; nichts speichern oder versenden.")
@click.pass_obj
def remind(app, at, dry_run):
    """Fällige Erinnerungen ermitteln und in den Postausgang stellen.

    \b
    Beispiel:
      ikz remind --dry-run
      ikz remind --at "01.03.2011 07:30"
    """
    from ikz import clock, settings
    from notifications.sweep import sweep
    from workflow.text import format_date

    now = at or clock.now()
    config = settings.load()
    app.check_ready()
    report = sweep(app.engine, config, now=now, dry_run=dry_run)
    if dry_run:
        for recipient, items in sorted(report.items.items()):
            click.echo(f"{recipient}:")
            for item in items:
                click.echo(f"  {item.code} {item.title} – {item.text} (Frist {format_date(item.due)})")
    click.echo(report.summary())


def register(group: click.Group) -> None:
    group.add_command(remind)
