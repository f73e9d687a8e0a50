"""Commands for notes and for the proposals leads send (by mail or in the portal)."""

import click

from ikz.cli.common import actor_option, json_option
from ikz.cli.output import echo_json, table
from ikz.cli.params import ID


@click.command()
@click.argument("code")
@click.argument("text", metavar="TEXT")
@actor_option
@click.pass_obj
def note(app, code, text, actor):
    """Einen Vermerk ohne Schritt in den Verlauf eines Mandats schreiben.

    \b
    Beispiel:
      ikz note 1.4 "AK der Kämmerer am 16.03.2011: Ergebnisse vorgestellt"
    """
    from ikz import clock
    from workflow.notes import add_note

    with app.session() as session:
        add_note(session, code, text, actor=actor, now=clock.now())
    click.echo(f"{code}: Vermerk gespeichert.")


@click.command()
@click.option("--all", "everything", is_flag=True, help="Auch angenommene und abgelehnte Vorschläge.")
@json_option
@click.pass_obj
def proposals(app, everything, as_json):
    """Vorschläge der Federführenden (neue Frist, erledigt, Stand) auflisten; ohne --all nur offene.

    \b
    Beispiel:
      ikz proposals
      ikz proposal accept 3
    """
    from ikz.clock import BERLIN
    from models import PROPOSAL_KINDS, PROPOSAL_STATES
    from workflow.proposals import open_proposals
    from workflow.text import format_date

    with app.session() as session:
        found = open_proposals(session, everything=everything)
    rows = [
        {
            "id": p.id,
            "code": m.code,
            "title": m.title,
            "kind": p.kind,
            "kind_label": PROPOSAL_KINDS[p.kind],
            "due_date": p.due_date.isoformat() if p.due_date else None,
            "text": p.text,
            "proposed_by": p.proposed_by,
            "channel": p.channel,
            "created_at": p.created_at.isoformat(),
            "status": p.status,
            "status_label": PROPOSAL_STATES[p.status],
            "decided_by": p.decided_by,
            "decision_note": p.decision_note,
        }
        for p, m in found
    ]
    moments = {p.id: p.created_at for p, _m in found}
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("Keine offenen Vorschläge." if not everything else "Keine Vorschläge.")
        return
    lines = [
        [
            str(r["id"]),
            r["code"],
            r["kind_label"] + (f" {format_date(_date(r['due_date']))}" if r["due_date"] else ""),
            r["proposed_by"],
            f"{moments[r['id']].astimezone(BERLIN):%d.%m.%Y} ({r['channel']})",
            r["status_label"],
            " ".join(r["text"].split())[:60],
        ]
        for r in rows
    ]
    click.echo(table(["Nr.", "Code", "Vorschlag", "Von", "Eingang", "Status", "Text"], lines))


def _date(text):
    from datetime import date

    return date.fromisoformat(text)


@click.group()
def proposal():
    """Einen Vorschlag annehmen oder ablehnen."""


@proposal.command()
@click.argument("number", metavar="NR", type=ID)
@actor_option
@click.pass_obj
def accept(app, number, actor):
    """Einen Vorschlag annehmen: eine neue Frist gilt, ein Stand wird übernommen; der Verlauf vermerkt es.

    \b
    Beispiel:
      ikz proposal accept 3
    """
    from ikz import clock, settings
    from notifications.effects import follow_up
    from workflow.proposals import accept as accept_proposal

    config, now = settings.load(), clock.now()
    with app.session() as session:
        entry = accept_proposal(session, number, actor=actor, now=now, today=clock.today())
        follow_up(session, config, entry, now=now)
    click.echo(f"Vorschlag {number} angenommen: {entry.note}.")


@proposal.command()
@click.argument("number", metavar="NR", type=ID)
@click.option("--reason", required=True, metavar="TEXT", help="Warum der Vorschlag abgelehnt wird.")
@actor_option
@click.pass_obj
def decline(app, number, reason, actor):
    """Einen Vorschlag mit Begründung ablehnen.

    \b
    Beispiel:
      ikz proposal decline 3 --reason "Frist bleibt: die Sitzung ist am 12.04.2011"
    """
    from ikz import clock, settings
    from notifications.effects import follow_up
    from workflow.proposals import decline as decline_proposal

    config, now = settings.load(), clock.now()
    with app.session() as session:
        entry = decline_proposal(session, number, reason=reason, actor=actor, now=now)
        follow_up(session, config, entry, now=now)
    click.echo(f"Vorschlag {number} abgelehnt.")


def register(group: click.Group) -> None:
    for command in (note, proposals, proposal):
        group.add_command(command)
