"""Commands that set up a database and load catalogues."""

import click

from ikz.cli.common import actor_option, default_actor


@click.command()
@click.option("--catalogue", metavar="NAME|DATEI", help="Katalog gleich mit laden, z. B. kreis-unna-2010.")
@click.pass_obj
def init(app, catalogue):
    """Datenbank einrichten oder auf den aktuellen Schemastand bringen.

    \b
    Beispiel:
      ikz init --catalogue kreis-unna-2010
    """
    _upgrade(app)
    if catalogue:
        _import(app, catalogue, default_actor())


def _upgrade(app) -> None:
    """Create or upgrade the schema and say what happened."""
    from models.schema import current_revision, upgrade

    before = current_revision(app.engine)
    upgrade(app.engine)
    after = current_revision(app.engine)
    if before is None:
        click.echo(f"Datenbank {app.display_url} eingerichtet (Schemastand {after}).")
    elif before != after:
        click.echo(f"Datenbank {app.display_url} aktualisiert: Schemastand {before} → {after}.")
    else:
        click.echo(f"Datenbank {app.display_url} ist aktuell (Schemastand {after}).")


@click.group()
def db():
    """Schema der Datenbank verwalten."""


@db.command()
@click.pass_obj
def upgrade(app):
    """Datenbank auf den Schemastand dieser Version bringen (Daten bleiben erhalten).

    \b
    Beispiel:
      ikz --db postgresql://db.kreis-unna.example/ikz db upgrade
    """
    _upgrade(app)


@db.command()
@click.pass_obj
def current(app):
    """Schemastand der Datenbank und dieser Version anzeigen.

    \b
    Beispiel:
      ikz db current
    """
    from models.schema import EXPECTED_REVISION, current_revision

    found = current_revision(app.engine)
    click.echo(f"Datenbank: {found or 'leer'}; diese Version: {EXPECTED_REVISION}.")


@click.command(name="import")
@click.argument("file", metavar="DATEI")
@actor_option
@click.pass_obj
def import_(app, file, actor):
    """Katalog (YAML) importieren oder eine Sicherung (JSON) in eine leere Datenbank zurückspielen.

    Alles oder nichts; denselben Katalog zweimal zu importieren ändert nichts.

    \b
    Beispiel:
      ikz import katalog-2012.yaml
      ikz init && ikz import sicherung.json
    """
    _import(app, file, actor)


def _import(app, name_or_path: str, actor: str) -> None:
    if name_or_path.lower().endswith(".json"):
        from ikz.exchange.backup import read_backup, restore, restore_summary

        # A backup is restored as it was: no audit entry for the actor, the log must come back unchanged.
        data = read_backup(name_or_path)
        with app.session() as session:
            counts = restore(session, data, source=name_or_path)
        click.echo(restore_summary(name_or_path, counts))
        return
    from ikz import clock, settings
    from ikz.catalogue.importer import import_catalogue
    from ikz.catalogue.spec import load, resolve

    catalogue = load(resolve(name_or_path))
    with app.session() as session:
        report = import_catalogue(session, catalogue, actor=actor, now=clock.now(), rules=settings.load().rules())
    click.echo(report.summary(catalogue.name))


def register(group: click.Group) -> None:
    group.add_command(init)
    group.add_command(import_)
    group.add_command(db)
