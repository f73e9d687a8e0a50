"""The portal's commands: `ikz serve`, coordination accounts (`ikz user`) and personal links (`ikz access`)."""

import click

from ikz.cli.common import actor_option
from ikz.cli.output import table
from ikz.cli.params import IntegerType


@click.command()
@click.option("--host", metavar="ADRESSE", help="Lauschen an dieser Adresse (Vorgabe: portal.host, 127.0.0.1).")
@click.option("--port", type=IntegerType(1, 65535, metavar="PORT"), help="Port (Vorgabe: portal.port, 8000).")
@click.option(
    "--workers",
    type=IntegerType(1, 64, metavar="N"),
    default=1,
    show_default=True,
    metavar="N",
    help="So viele Prozesse (mehr als einer nur mit PostgreSQL).",
)
@click.option("--demo", is_flag=True, help="Die Vorführung (ikz demo) in einem frischen Ordner spielen und zeigen.")
@click.pass_obj
def serve(app, host, port, workers, demo):
    """Das Portal starten: Übersicht, Mandatsseiten, Sitzungen, Monatsberichte, Controlling.

    Der Schlüssel der Sitzungs-Cookies kommt aus $IKZ_PORTAL_SECRET oder portal.secret.

    \b
    Beispiel:
      IKZ_PORTAL_SECRET=… ikz serve --port 8000
      ikz --db postgresql://host/ikz serve --workers 4
      ikz serve --demo
    """
    import os

    import uvicorn

    from ikz import settings
    from ikz.errors import ConfigError, InvalidInput
    from ikz.portal.app import NO_SECRET

    config = settings.load()
    host = host or config.portal.host
    port = port or config.portal.port
    if demo:
        _serve_demo(host, port)
        return
    app.check_ready()
    if workers > 1 and app.engine.url.get_backend_name() != "postgresql":
        raise InvalidInput(
            f"--workers {workers} geht nur mit PostgreSQL: SQLite erlaubt nur einen schreibenden Prozess. "
            "Erlaubt: --workers 1 oder eine Datenbank postgresql://…"
        )
    if not config.portal.secret:
        raise ConfigError(NO_SECRET)
    click.echo(f"Portal: http://{host}:{port}/ (Datenbank {app.display_url})")
    if workers > 1:
        # Each worker process builds its own app from the environment.
        os.environ["IKZ_DATABASE_URL"] = app.engine.url.render_as_string(hide_password=False)
        app.close()
        from ikz.portal import workers as processes

        processes.run(host, port, workers)
        return
    from ikz.portal.app import create_app

    uvicorn.run(create_app(config, app.engine), host=host, port=port, log_level="warning")


def _serve_demo(host: str, port: int) -> None:
    import secrets
    import tempfile
    from pathlib import Path

    import uvicorn

    from ikz import demo as scenario
    from ikz import settings
    from ikz.portal.app import create_app
    from models.db import make_engine, transaction
    from workflow import access, accounts

    workdir = Path(tempfile.mkdtemp(prefix="ikz-portal-demo-"))
    path = scenario.run(workdir, click.echo)
    base = f"http://{host}:{port}"
    config = settings.load(environ={}, portal_base_url=base)
    engine = make_engine(f"sqlite:///{path}")
    password = secrets.token_urlsafe(12)
    with transaction(engine) as session:
        accounts.add_user(session, "koordination", password, role="koordination", now=scenario.END)
        _grant, lead = access.grant_for_address(
            session, "loga@luenen.example", now=scenario.END, days=60, actor=scenario.ACTOR
        )
        _grant, office = access.grant_for_body(session, "bmk", now=scenario.END, days=60, actor=scenario.ACTOR)
    click.echo(f"\nPortal der Vorführung (Stand {scenario.END:%d.%m.%Y %H:%M}): {base}/")
    click.echo(f"  Koordination: Benutzer koordination, Passwort {password}")
    click.echo(f"  Federführung Lünen (Petra Schulte): {base}/meine-aufgaben?zugang={lead}")
    click.echo(f"  Konferenzbüro (nur lesen): {base}/?zugang={office}")
    click.echo("Beenden mit Strg+C.")
    portal = create_app(config, engine, clock=lambda: scenario.END, secret=secrets.token_urlsafe(32))
    uvicorn.run(portal, host=host, port=port, log_level="warning")


@click.group()
def user():
    """Konten der Koordination für das Portal."""


@user.command(name="add")
@click.argument("name")
@click.option(
    "--role", default="koordination", show_default=True, type=click.Choice(["koordination"]), help="Rolle des Kontos."
)
@click.option("--password-stdin", "from_stdin", is_flag=True, help="Das Passwort aus der Standardeingabe lesen.")
@click.pass_obj
def user_add(app, name, role, from_stdin):
    """Ein Konto anlegen; das Passwort wird abgefragt (gespeichert wird nur sein argon2-Hash).

    \b
    Beispiel:
      ikz user add schulze --role koordination
      printf '%s' "$PASSWORT" | ikz user add schulze --password-stdin
    """
    import sys

    from ikz import clock
    from workflow.accounts import add_user

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Passwort", hide_input=True, confirmation_prompt="Passwort wiederholen")
    with app.session() as session:
        add_user(session, name, password, role=role, now=clock.now())
    click.echo(f"Konto {name.strip()} ({role}) angelegt.")


@click.group()
def access():
    """Persönliche Zugangslinks für Federführende und Konferenzbüros."""


@access.command(name="grant")
@click.argument("target", metavar="STELLE|ADRESSE")
@actor_option
@click.pass_obj
def access_grant(app, target, actor):
    """Einen Zugangslink vergeben: für eine Adresse (Kontakt einer Stelle: Federführung) oder eine Stelle
    (ihr Konferenzbüro, nur lesen). Der Link wird nur jetzt gezeigt.

    \b
    Beispiel:
      ikz access grant rpa@luenen.example
      ikz access grant luenen
    """
    from ikz import clock, settings
    from models import ACCESS_ROLES
    from notifications.links import board_page
    from workflow import access as grants
    from workflow.text import format_moment

    config, now = settings.load(), clock.now()
    with app.session() as session:
        if "@" in target:
            grant, token = grants.grant_for_address(
                session, target, now=now, days=config.portal.access_days, actor=actor
            )
        else:
            grant, token = grants.grant_for_body(session, target, now=now, days=config.portal.access_days, actor=actor)
        label, role, until = grant.label, ACCESS_ROLES[grant.role], grant.expires_at
    click.echo(f"Zugang {grant.id} für {label} ({role}), gültig bis {format_moment(until)}:")
    click.echo(board_page(config) + f"?zugang={token}")


@access.command(name="list")
@click.pass_obj
def access_list(app):
    """Die gültigen Zugangslinks auflisten (ohne die Links selbst: gespeichert ist nur ihr Hash).

    \b
    Beispiel:
      ikz access list
    """
    from ikz import clock
    from models import ACCESS_ROLES
    from workflow import access as grants
    from workflow.text import format_moment

    with app.session() as session:
        rows = [
            [
                str(grant.id),
                grant.label,
                ACCESS_ROLES[grant.role],
                format_moment(grant.created_at),
                format_moment(grant.expires_at),
                format_moment(grant.last_used_at) if grant.last_used_at else "–",
            ]
            for grant, _body in grants.working(session, now=clock.now())
        ]
    if not rows:
        click.echo("Keine gültigen Zugänge.")
        return
    click.echo(table(["Nr.", "Für", "Rolle", "Vergeben", "Gültig bis", "Zuletzt benutzt"], rows))


@access.command(name="revoke")
@click.argument("target", metavar="NR|ADRESSE")
@actor_option
@click.pass_obj
def access_revoke(app, target, actor):
    """Einen Zugang (Nummer) oder alle Zugänge einer Adresse widerrufen; er gilt sofort nicht mehr.

    \b
    Beispiel:
      ikz access revoke 3
      ikz access revoke rpa@luenen.example
    """
    from ikz import clock
    from workflow import access as grants

    with app.session() as session:
        revoked = [grant.id for grant in grants.revoke(session, target, now=clock.now(), actor=actor)]
    numbers = ", ".join(map(str, revoked))
    click.echo(f"Widerrufen: {'Zugang' if len(revoked) == 1 else 'Zugänge'} {numbers}.")


def register(group: click.Group) -> None:
    for command in (serve, user, access):
        group.add_command(command)
