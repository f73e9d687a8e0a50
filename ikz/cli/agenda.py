"""The `agenda` command: a conference meeting's agenda and decision papers, as issued or as a new draft."""

from pathlib import Path

import click

from ikz.cli.common import actor_option
from ikz.cli.params import DATE


@click.command()
@click.argument("day", metavar="SITZUNGSDATUM", type=DATE)
@click.option(
    "--out",
    "out_dir",
    metavar="ORDNER",
    type=click.Path(file_okay=False, path_type=Path),
    help="Zielordner für die Dateien (Vorgabe: ./tagesordnung-JJJJ-MM-TT).",
)
@click.option(
    "--body", metavar="STELLE", default="bmk", show_default=True, help="Gremium, z. B. ak-kaemmerer für dessen Sitzung."
)
@click.option("--issue", is_flag=True, help="Als neue Fassung ausgeben und unveränderlich speichern.")
@click.option("--draft", is_flag=True, help="Einen neuen Entwurf aus dem heutigen Stand erzeugen statt der Fassung.")
@click.option(
    "--papers-pdf/--no-papers-pdf",
    default=None,
    help="Die Beschlussvorlagen ins PDF aufnehmen oder nicht (Vorgabe: bis 20 Vorlagen ja; je Vorlage etwa 0,2 s).",
)
@actor_option
@click.pass_obj
def agenda(app, day, out_dir, body, issue, draft, papers_pdf, actor):
    """Tagesordnung und Beschlussvorlagen einer Sitzung der Bürgermeisterkonferenz (oder eines Arbeitskreises)
    erstellen oder ausgeben.

    Schreibt die Tagesordnung und je Mandat der Sitzung eine Beschlussvorlage als
    HTML und Markdown sowie alles zusammen als PDF (A4; bei mehr als 20 Vorlagen nur die
    Tagesordnung, außer mit --papers-pdf). Ist eine Fassung ausgegeben,
    werden deren Dateien geschrieben, wie sie ausgegeben wurden; --draft erzeugt einen
    Entwurf aus dem heutigen Stand, --issue gibt eine neue Fassung aus.

    \b
    Beispiel:
      ikz agenda 2011-04-12 --issue
      ikz agenda 12.04.2011 --out sitzung-april
      ikz agenda 2011-03-16 --body ak-kaemmerer
      ikz agenda 2011-04-12 --issue --papers-pdf
    """
    from ikz import clock
    from ikz.conference.issuing import agenda_files
    from ikz.conference.render import write_files
    from workflow.lookup import get_body
    from workflow.text import format_long_date, format_moment

    with app.session() as session:
        result = agenda_files(
            session,
            day,
            actor=actor,
            now=clock.now(),
            issue_now=issue,
            draft=draft,
            body_key=get_body(session, body).key,
            papers_pdf=papers_pdf,
        )
    document = result.document
    what = (
        f"Tagesordnung für die Sitzung am {format_long_date(day)}: {result.items} Tagesordnungspunkte, "
        f"{result.papers} {'Beschlussvorlage' if result.papers == 1 else 'Beschlussvorlagen'}"
    )
    if result.issued_now:
        click.echo(f"{what}, ausgegeben als Fassung {document.version} (Dokument {document.id}). Geschrieben:")
    elif document is not None:
        click.echo(
            f"Ausgegebene Fassung {document.version} vom {format_moment(document.effective_at)} "
            f"(Dokument {document.id}, Prüfsummen stimmen). Geschrieben:"
        )
    else:
        click.echo(f"{what}; Entwurf, nicht ausgegeben (ausgeben mit --issue). Geschrieben:")
    default = f"tagesordnung-{day.isoformat()}" if body == "bmk" else f"tagesordnung-{body}-{day.isoformat()}"
    for path in write_files(result.files, out_dir or Path(default)):
        click.echo(f"  {path}")
    for note in result.notes:
        click.echo(note, err=True)


def register(group: click.Group) -> None:
    group.add_command(agenda)
