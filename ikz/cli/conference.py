"""Commands for the conference's decisions, participation, controlling and dependencies."""

import click

from ikz.cli.common import actor_option, json_option
from ikz.cli.output import echo_json, table
from ikz.cli.params import DATE, SIGNED_EUR, YEAR, NegativeNumbers
from ikz.cli.vocabulary import Worded


@click.command(cls=Worded, words="decisions")
@click.argument("code")
@click.argument("bodies", metavar="STELLE[,STELLE…]")
@click.argument("decision", metavar="ENTSCHEIDUNG")
@click.option("--ref", metavar="TEXT", help="Fundstelle, z. B. Ratsbeschluss 2011/123.")
@click.option("--date", "decided_on", type=DATE, help="Datum der Entscheidung (Vorgabe: heute).")
@actor_option
@click.pass_obj
def decision(app, code, bodies, decision, ref, decided_on, actor):
    """Entscheidung einer oder mehrerer Stellen zu einem Mandat erfassen: während der Entscheidung oder später
    (ein späterer Beitritt macht die Stelle gleich zur Beteiligten, ein Austritt beendet die Beteiligung).

    ENTSCHEIDUNG ist joined, declined oder pending oder eines der deutschen Wörter (unten).

    \b
    Beispiel:
      ikz decision 1.4 luenen joined --ref "Ratsbeschluss 2011/123"
      ikz decision 1.4 bergkamen,kamen,unna joined --ref "Ratsbeschlüsse Juni 2011"
      ikz decision 1.4 Lünen beigetreten
    """
    from ikz import clock
    from ikz.errors import InvalidInput
    from models import BODY_DECISIONS
    from workflow.decisions import record_decision
    from workflow.lookup import get_body

    keys = [key.strip() for key in bodies.split(",") if key.strip()]
    if not keys:
        raise InvalidInput("Keine Stelle genannt; erlaubt ist eine Stelle oder mehrere, mit Komma getrennt.")
    now, names = clock.now(), []
    with app.session() as session:
        # One transaction: all bodies' decisions are recorded, or none.
        for key in dict.fromkeys(keys):
            row = record_decision(
                session,
                code,
                key,
                decision,
                decided_on=decided_on or clock.today(),
                reference=ref,
                actor=actor,
                now=now,
            )
            names.append(get_body(session, key).name)
    click.echo(f"{code}: {', '.join(names)} – {BODY_DECISIONS[row.decision]}.")


MARKS = {"participant": "●", "joined_later": "◐", "joined": "✓", "declined": "✗", "pending": "?", None: "·"}


@click.command()
@click.option(
    "--csv", "as_csv", is_flag=True, help="Als CSV (UTF-8 mit BOM, Trennzeichen ;) für Tabellenkalkulationen."
)
@json_option
@click.pass_obj
def participation(app, as_csv, as_json):
    """Beteiligungsmatrix: Mandate × Kreis und Kommunen.

    \b
    Zeichen: ● beteiligt, ◐ später beigetreten, ✓ beigetreten, ✗ abgelehnt, ? offen, · nichts erfasst.
    Beispiel:
      ikz participation --csv > beteiligung.csv
    """
    from datetime import date

    from workflow.participation import participation as matrix
    from workflow.text import format_date

    with app.session() as session:
        bodies, rows = matrix(session)
    if as_json:
        echo_json({"bodies": [{"key": b.key, "name": b.name} for b in bodies], "mandates": rows})
    elif as_csv:
        from ikz.exchange.spreadsheet import csv_text

        labels = {
            "participant": "beteiligt",
            "joined_later": "später beigetreten",
            "joined": "beigetreten",
            "declined": "abgelehnt",
            "pending": "offen",
            None: "",
        }

        def cell(row: dict, key: str) -> str:
            later = row["joined_later"].get(key)
            label = labels[row["bodies"][key]]
            return f"{label} am {format_date(date.fromisoformat(later['date']))}" if later else label

        records = [[r["code"], r["title"], *(cell(r, b.key) for b in bodies)] for r in rows]
        click.echo(csv_text(["Code", "Titel", *(b.name for b in bodies)], records), nl=False)
    else:
        code_width = max([len("Code"), *(len(r["code"]) for r in rows)])
        names, legend = column_names([b.name for b in bodies], code_width)
        click.echo(table(["Code", *names], [[r["code"], *(MARKS[r["bodies"][b.key]] for b in bodies)] for r in rows]))
        click.echo("● beteiligt  ◐ später beigetreten  ✓ beigetreten  ✗ abgelehnt  ? offen  · nichts erfasst")
        if legend:
            click.echo(f"Abkürzungen: {', '.join(legend)}")


# A terminal of 120 columns shows the matrix without wrapping.
MATRIX_WIDTH = 120


def column_names(names: list[str], code_width: int) -> tuple[list[str], list[str]]:
    """The bodies' names as column headers: in full when the matrix fits in 120 columns, else abbreviated."""
    if code_width + sum(2 + len(name) for name in names) <= MATRIX_WIDTH:
        return names, []
    short = [abbreviation(name) for name in names]
    return short, [f"{brief} = {name}" for brief, name in zip(short, names) if brief != name]


def abbreviation(name: str, width: int = 9) -> str:
    """A name cut to `width` characters with a full stop, as German abbreviates: Fröndenberg/Ruhr → Fröndenb."""
    return name if len(name) <= width else name[: width - 1].rstrip(" /-") + "."


@click.command(cls=NegativeNumbers)
@click.argument("code")
@click.argument("year", metavar="JAHR", type=YEAR)
@click.argument("amount", metavar="BETRAG", type=SIGNED_EUR)
@actor_option
@click.pass_obj
def savings(app, code, year, amount, actor):
    """Realisierte Einsparung eines Jahres erfassen oder berichtigen (ganze Euro).

    Ein negativer BETRAG heißt: die Zusammenarbeit hat in dem Jahr mehr gekostet als eingespart.
    Ein zweiter Aufruf für dasselbe Jahr ersetzt den Betrag. Effizienzziele (ikz edit --target)
    sind nie negativ.

    \b
    Beispiel:
      ikz savings 1.4 2012 38000
      ikz savings 1.4 2011 -500
    """
    from ikz import clock
    from workflow.controlling import record_saving
    from workflow.text import format_eur

    with app.session() as session:
        record_saving(session, code, year, amount, actor=actor, now=clock.now(), today=clock.today())
    click.echo(f"{code}: Einsparung {year} = {format_eur(amount)}.")


@click.command()
@json_option
@click.pass_obj
def report(app, as_json):
    """Controlling: Effizienzziele, realisierte Einsparungen, Ampel, Programmziel 2 Mio. €.

    \b
    Beispiel:
      ikz report --json
    """
    from workflow.controlling import controlling_report
    from workflow.text import format_eur, format_percent

    with app.session() as session:
        data = controlling_report(session)
    if as_json:
        echo_json(data)
        return
    lines = [
        [
            r["code"],
            r["title"],
            r["state_label"],
            format_eur(r["savings_target"]) or "–",
            f"{format_eur(r['realised'])} ({r['latest_year']})" if r["realised"] is not None else "–",
            r["light_label"],
        ]
        for r in data["mandates"]
    ]
    if lines:
        click.echo(table(["Code", "Titel", "Zustand", "Ziel/Jahr", "Realisiert", "Ampel"], lines))
    else:
        click.echo("Noch keine Effizienzziele oder Einsparungen erfasst.")
    click.echo(
        f"Programm: Ziele {format_eur(data['target_total'])} pro Jahr "
        f"({format_percent(data['target_share'])} des Ziels von {format_eur(data['goal'])}), "
        f"realisiert {format_eur(data['realised_total'])} ({format_percent(data['realised_share'])})."
    )


@click.command()
@click.argument("code")
@click.option("--on", "on", required=True, metavar="CODE", help="Das Mandat, auf dessen Entscheidung gewartet wird.")
@click.option("--remove", is_flag=True, help="Abhängigkeit entfernen statt anlegen.")
@actor_option
@click.pass_obj
def depend(app, code, on, remove, actor):
    """Festlegen, dass ein Mandat auf die Entscheidung eines anderen wartet (oder das aufheben).

    \b
    Beispiel:
      ikz depend 2.1-LS --on 2.1
      ikz depend 2.1-LS --on 2.1 --remove
    """
    from ikz import clock
    from workflow.dependencies import add_dependency, remove_dependency

    with app.session() as session:
        (remove_dependency if remove else add_dependency)(session, code, on, actor=actor, now=clock.now())
    click.echo(
        f"{code} wartet nicht mehr auf {on}." if remove else f"{code} wartet jetzt auf die Entscheidung zu {on}."
    )


def register(group: click.Group) -> None:
    for command in (decision, participation, savings, report, depend):
        group.add_command(command)
