"""The export command: backup, spreadsheet, calendar and OParl, to stdout or a file."""

import errno

import click

from ikz.exchange import FORMATS

# The usual reasons in German; others keep the operating system's wording.
REASONS = {
    errno.ENOENT: "das Verzeichnis gibt es nicht",
    errno.EACCES: "keine Schreibberechtigung",
    errno.ENOSPC: "kein Platz mehr auf dem Datenträger",
}


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    required=True,
    help="json: vollständige Sicherung (mit ikz import wieder einspielbar); csv: Tabelle der Mandate; "
    "ics: Kalender mit Fristen und Sitzungen; oparl: OParl-1.1-Dokument für Ratsinformationssysteme.",
)
@click.option(
    "--out",
    metavar="DATEI",
    type=click.Path(dir_okay=False),
    help="In diese Datei schreiben (Vorgabe: Standardausgabe).",
)
@click.option(
    "--lead", metavar="STELLE", help="Nur die Fristen der Mandate dieser federführenden Stelle (nur mit --format ics)."
)
@click.option(
    "--base-url",
    metavar="URL",
    help="Basis der OParl-URLs (nur mit --format oparl; Vorgabe: https://ikz.kreis-unna.example/oparl/v1).",
)
@click.pass_obj
def export(app, fmt, out, lead, base_url):
    """Daten exportieren: Sicherung (JSON), Tabelle (CSV), Kalender (iCalendar) oder OParl 1.1.

    \b
    Beispiel:
      ikz export --format json --out sicherung.json
      ikz export --format csv --out mandate.csv
      ikz export --format ics --lead luenen --out fristen-luenen.ics
      ikz export --format oparl --out oparl.json
    """
    from ikz import clock
    from ikz.errors import InvalidInput
    from ikz.exchange import export as render

    if lead is not None and fmt != "ics":
        raise InvalidInput("--lead gilt nur für --format ics.")
    if base_url is not None and fmt != "oparl":
        raise InvalidInput("--base-url gilt nur für --format oparl.")
    # Written while read, inside the one transaction: an export of 100k mandates is never held in memory whole.
    with app.session() as session:
        if out is None:
            import sys

            render(session, fmt, sys.stdout.write, now=clock.now(), lead=lead, base_url=base_url)
            sys.stdout.flush()
            return
        summary = _write(out, lambda write: render(session, fmt, write, now=clock.now(), lead=lead, base_url=base_url))
    click.echo(f"{out} geschrieben: {summary}.")


def _write(path: str, produce) -> str:
    """Write via a temporary file, so an interrupted export never leaves half a backup under the real name."""
    import os

    from ikz.errors import InvalidInput

    temporary = f"{path}.tmp"
    try:
        # newline="": CSV and iCalendar carry their own CRLF line ends; a large buffer: many small writes.
        with open(temporary, "w", encoding="utf-8", newline="", buffering=1 << 20) as file:
            summary = produce(file.write)
        os.replace(temporary, path)
    except BaseException as exc:
        if os.path.exists(temporary):
            os.remove(temporary)
        if not isinstance(exc, OSError):
            raise
        reason = REASONS.get(exc.errno, exc.strerror or str(exc))
        raise InvalidInput(f"{path} lässt sich nicht schreiben: {reason}.") from None
    return summary


def register(group: click.Group) -> None:
    group.add_command(export)
