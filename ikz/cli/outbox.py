"""Commands for the outbox: what is queued, sent or failed, one dispatch by hand, retrying failures."""

import click

from ikz.cli.common import json_option
from ikz.cli.output import echo_json, table
from ikz.cli.params import ID

OUTBOX_STATES = [
    "queued",
    "sent",
    "failed",
]  # mirrors models.notification.OUTBOX_STATES; kept here so --help needs no import


@click.group()
def outbox():
    """Postausgang: wartende, versandte und gescheiterte E-Mails.

    \b
    Beispiel:
      ikz outbox list --status failed
    """


@outbox.command(name="list")
@click.option(
    "--status",
    type=click.Choice(OUTBOX_STATES),
    help="Nur Nachrichten mit diesem Status (wartend, versandt, gescheitert).",
)
@json_option
@click.pass_obj
def list_(app, status, as_json):
    """Nachrichten im Postausgang auflisten (älteste zuerst).

    \b
    Beispiel:
      ikz outbox list --status failed
      ikz outbox list --json
    """
    from ikz import settings
    from notifications.outbox import list_messages, unreported, unreported_warning

    # Needed for the password: errors stored before it was masked in every form are masked when shown, too.
    config = settings.load()
    with app.session() as session:
        rows = list_messages(session, status)
        failures = unreported(session)
    if as_json:
        echo_json([_as_dict(row, config.redact) for row in rows])
        return
    if not rows:
        click.echo("Keine Nachrichten gefunden.")
    else:
        headers = ["ID", "Status", "Empfänger", "Betreff", "Versuche", "Nächster Versuch/versandt", "Fehler"]
        click.echo(table(headers, [_line(row, config.redact) for row in rows]))
    if failures:
        # Nobody else tells: a failed failure notice is not reported by mail (that could go on forever).
        click.echo(unreported_warning(failures))


def _as_dict(row, redact) -> dict:
    from notifications.outbox import STATUS_LABELS, is_unreported

    def moment(value):
        return value.isoformat() if value else None

    return {
        "id": row.id,
        "status": row.status,
        "status_label": STATUS_LABELS[row.status],
        "kind": row.kind,
        "recipient": row.recipient,
        "subject": row.subject,
        "message_id": row.message_id,
        "attempts": row.attempts,
        "next_attempt_at": moment(row.next_attempt_at),
        "sent_at": moment(row.sent_at),
        "last_error": redact(row.last_error) if row.last_error else None,
        "created_at": moment(row.created_at),
        "reported_at": moment(row.reported_at),
        "unreported": is_unreported(row),
    }


def _line(row, redact) -> list[str]:
    from ikz.clock import BERLIN
    from notifications.message import one_line
    from notifications.outbox import STATUS_LABELS

    moment = {"queued": row.next_attempt_at, "sent": row.sent_at}.get(row.status)
    return [
        str(row.id),
        STATUS_LABELS[row.status],
        row.recipient,
        one_line(row.subject, 40),
        str(row.attempts),
        moment.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M") if moment else "–",
        one_line(redact(row.last_error or ""), 60),
    ]


@outbox.command()
@click.pass_obj
def send(app):
    """Fällige Nachrichten jetzt versenden.

    Sonst erledigt das der Zeitplaner (ikz scheduler run) jede Minute.

    \b
    Beispiel:
      ikz outbox send
    """
    from ikz import clock, settings
    from notifications.delivery import dispatch, owner_name

    config = settings.load()
    app.check_ready()
    report = dispatch(app.engine, config, now=clock.now(), owner=owner_name("cli"))
    click.echo(report.summary())


@outbox.command()
@click.argument("ids", metavar="[ID]...", nargs=-1, type=ID)
@click.pass_obj
def retry(app, ids):
    """Gescheiterte Nachrichten erneut versenden.

    Ohne ID alle gescheiterten; die Zählung der Versuche beginnt neu.

    \b
    Beispiel:
      ikz outbox retry
      ikz outbox retry 12 15
    """
    from ikz import clock
    from notifications.outbox import retry as retry_messages

    with app.session() as session:
        done = retry_messages(session, list(ids), now=clock.now())
    if not done:
        click.echo("Keine gescheiterten Nachrichten.")
    else:
        noun = "Nachricht" if len(done) == 1 else "Nachrichten"
        click.echo(f"{len(done)} {noun} wieder in den Versand gegeben (ID {', '.join(map(str, done))}).")


def register(group: click.Group) -> None:
    """Add this module's commands to the ikz group."""
    group.add_command(outbox)
