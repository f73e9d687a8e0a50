"""Commands for the records: issued documents, and checking the audit log's chain."""

from pathlib import Path

import click

from ikz.cli.common import json_option
from ikz.cli.output import echo_json, table
from ikz.cli.params import ID


@click.group()
def documents():
    """Ausgegebene Dokumente (Tagesordnungen mit Beschlussvorlagen, Monatsberichte), wie sie ausgegeben wurden."""


@documents.command(name="list")
@json_option
@click.pass_obj
def list_(app, as_json):
    """Alle ausgegebenen Dokumente mit ihren Fassungen auflisten.

    \b
    Beispiel:
      ikz documents list
    """
    from workflow.documents import all_documents, files_of, kind_label
    from workflow.text import format_moment

    with app.session() as session:
        found = [(d, files_of(session, d)) for d in all_documents(session)]
    rows = [
        {
            "id": d.id,
            "kind": d.kind,
            "kind_label": kind_label(d),
            "subject": d.subject,
            "version": d.version,
            "title": d.title,
            "effective_at": d.effective_at.isoformat(),
            "issued_at": d.issued_at.isoformat(),
            "issued_by": d.issued_by,
            "account": d.account,
            "files": [{"name": f.name, "sha256": f.sha256, "size": len(f.content)} for f in files],
        }
        for d, files in found
    ]
    moments = {d.id: (d.effective_at, d.issued_at) for d, _files in found}
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("Noch keine Dokumente ausgegeben.")
        return
    lines = [
        [
            str(r["id"]),
            r["title"],
            str(r["version"]),
            format_moment(moments[r["id"]][0]),
            f"{format_moment(moments[r['id']][1])} ({r['issued_by']})",
            str(len(r["files"])),
        ]
        for r in rows
    ]
    click.echo(table(["Nr.", "Dokument", "Fassung", "Stand", "Gespeichert (von)", "Dateien"], lines))


@documents.command()
@click.argument("number", metavar="NR", type=ID)
@click.option(
    "--out",
    "out_dir",
    metavar="ORDNER",
    type=click.Path(file_okay=False, path_type=Path),
    help="Die Dateien, geprüft gegen ihre Prüfsummen, in diesen Ordner schreiben.",
)
@click.pass_obj
def show(app, number, out_dir):
    """Ein ausgegebenes Dokument zeigen und seine Dateien byte-genau wiederherstellen.

    \b
    Beispiel:
      ikz documents show 1 --out fassung-1
    """
    from ikz.errors import InvalidInput
    from workflow.documents import damaged, files_of, get_document, kind_label
    from workflow.text import format_moment

    with app.session() as session:
        document = get_document(session, number)
        files = files_of(session, document)
        label = kind_label(document)
    broken = damaged(files)
    if broken:
        raise InvalidInput(
            f"Dokument {number} ist beschädigt: {', '.join(broken)} passt nicht mehr zur gespeicherten Prüfsumme."
        )
    click.echo(f"{document.title} – {label}, Fassung {document.version} (Dokument {document.id})")
    click.echo(
        f"Stand {format_moment(document.effective_at)}; gespeichert am {format_moment(document.issued_at)} "
        f"von {document.issued_by} (Konto {document.account})"
    )
    for file in files:
        click.echo(f"  {file.name}  {len(file.content)} Bytes  SHA-256 {file.sha256}")
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        for file in files:
            (out_dir / file.name).write_bytes(file.content)
        click.echo(f"{len(files)} Dateien nach {out_dir} geschrieben.")


@click.group()
def audit():
    """Das Protokoll prüfen."""


@audit.command()
@click.pass_obj
def verify(app):
    """Die Prüfsummenkette jedes Mandatsverlaufs prüfen und die Daten gegen den letzten Eintrag abgleichen.

    Exit-Code 1 und der erste Bruch je Mandat, wenn etwas verändert wurde.

    \b
    Beispiel:
      ikz audit verify
    """
    from ikz.errors import TamperedLog
    from workflow.history import verify as check

    with app.session() as session:
        count, breaks = check(session)
    if breaks:
        lines = [
            f"Mandat {b.mandate_code}, Eintrag Nr. {b.seq} (ID {b.entry_id}): {b.reason}"
            if b.seq is not None
            else f"Mandat {b.mandate_code}: {b.reason}"
            for b in breaks
        ]
        raise TamperedLog(
            f"Das Protokoll ist nicht unversehrt ({count} Einträge geprüft; erster Bruch je Mandat): "
            + "; ".join(lines)
            + "."
        )
    click.echo(f"Protokoll unversehrt: {count} Einträge geprüft, jede Kette vollständig, alle Daten stimmen.")


def register(group: click.Group) -> None:
    group.add_command(documents)
    group.add_command(audit)
