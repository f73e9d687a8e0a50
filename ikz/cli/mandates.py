"""Commands for the coordinator's daily work on mandates."""

import click

from ikz.cli.common import actor_option, json_option
from ikz.cli.output import echo_json, table
from ikz.cli.params import DATE, EUR, FIELD, IntegerType
from ikz.cli.vocabulary import Worded

# How many mandates `ikz list` and history entries `ikz show` print unless asked for more.
LIST_PAGE = 50
HISTORY_PAGE = 50


@click.command(name="list", cls=Worded, words="states")
@click.option(
    "--state", metavar="ZUSTAND", help='Nur Mandate in diesem Zustand, z. B. examine, Prüfung oder "Auf Eis" (unten).'
)
@click.option("--lead", metavar="STELLE", help="Nur Mandate dieser federführenden Stelle (Schlüssel oder Name).")
@click.option("--field", type=FIELD, metavar="N", help="Nur dieses Zusammenarbeitsfeld.")
@click.option("--overdue", is_flag=True, help="Nur Mandate mit überschrittener Frist.")
@click.option("--as-of", "as_of", type=DATE, help="So, wie die Mandate am Ende dieses Tages standen (aus dem Verlauf).")
@click.option(
    "--limit",
    type=IntegerType(1, metavar="N"),
    help=f"Höchstens N Mandate zeigen (Vorgabe: {LIST_PAGE}; mit --json: alle).",
)
@click.option("--all", "show_all", is_flag=True, help="Alle passenden Mandate zeigen.")
@json_option
@click.pass_obj
def list_(app, state, lead, field, overdue, as_of, limit, show_all, as_json):
    """Mandate auflisten (die ersten 50; mehr mit --limit N oder --all).

    \b
    Beispiel:
      ikz list --lead luenen
      ikz list --all --overdue
      ikz list --state Prüfung --json
    """
    from ikz import clock
    from workflow.board import count_mandates, end_of, list_mandates
    from workflow.checks import german_number
    from workflow.lookup import body_names

    if show_all:
        limit = None
    elif limit is None and not as_json:
        # A program reading JSON gets every row unless it asks for fewer: a page would silently lose data.
        limit = LIST_PAGE
    filters = dict(today=clock.today(), state=state, lead=lead, field=field, overdue=overdue)
    filters["as_of"] = end_of(as_of) if as_of else None
    with app.session() as session:
        rows = list_mandates(session, limit=limit, **filters)
        total = count_mandates(session, **filters) if limit is not None and len(rows) == limit else len(rows)
        names = body_names(session)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("Keine Mandate gefunden.")
        return
    lines = [
        [
            row["code"],
            str(row["field"]),
            row["title"],
            row["state_label"],
            ", ".join(names.get(key, key) for key in row["leads"]),
            _deadline(row),
        ]
        for row in rows
    ]
    click.echo(table(["Code", "Feld", "Titel", "Zustand", "Federführung", "Frist"], lines))
    if total > len(rows):
        click.echo(f"… {german_number(total - len(rows))} weitere von {german_number(total)}; --limit N oder --all.")


def _deadline(row: dict) -> str:
    if row["deadline_missing"]:
        return "fehlt"
    # The ISO date read as 12.04.2011 without building a date: `list --all` shows 100k of them.
    iso = row["due_date"]
    due = f"{iso[8:10]}.{iso[5:7]}.{iso[:4]}" if iso else ""
    if due and row["state"] == "on_hold":
        return f"{due} ruht"
    return due + (" überfällig" if row["overdue"] else "")


def _moment(text):
    from datetime import datetime

    from ikz.clock import BERLIN

    return datetime.fromisoformat(text).astimezone(BERLIN)


def _date(text):
    from datetime import date

    return date.fromisoformat(text) if text else None


@click.command()
@click.argument("code")
@click.option("--as-of", "as_of", type=DATE, help="So, wie das Mandat am Ende dieses Tages stand (aus dem Verlauf).")
@click.option(
    "--all", "show_all", is_flag=True, help=f"Den ganzen Verlauf zeigen (sonst die letzten {HISTORY_PAGE} Einträge)."
)
@json_option
@click.pass_obj
def show(app, code, as_of, show_all, as_json):
    """Ein Mandat mit Verlauf und möglichen nächsten Schritten zeigen (die letzten 50 Einträge; alle mit --all).

    \b
    Beispiel:
      ikz show 1.4
      ikz show 1.4 --all
    """
    from ikz import clock
    from workflow.board import end_of, history_length, mandate_detail

    moment = end_of(as_of) if as_of else None
    # JSON carries the whole history: a program reading it would otherwise silently lose entries.
    limit = None if show_all or as_json else HISTORY_PAGE
    with app.session() as session:
        detail = mandate_detail(session, code, today=clock.today(), as_of=moment, history_limit=limit)
        total = history_length(session, code, moment) if len(detail["history"]) == limit else len(detail["history"])
    if as_json:
        echo_json(detail)
    else:
        click.echo(render_detail(detail, hidden=total - len(detail["history"])))


def render_detail(d: dict, hidden: int = 0) -> str:
    """Lay out one mandate for reading in a terminal."""
    from datetime import datetime

    from ikz.clock import BERLIN
    from workflow.checks import german_number
    from workflow.lifecycle import STATES, TRIGGERS
    from workflow.text import format_date, format_eur

    state = d["state_label"] + (f" (aus {STATES[d['held_state']]})" if d["held_state"] else "")
    lines = [
        f"{d['code']} – {d['title']}"
        + (f" (Stand {datetime.fromisoformat(d['as_of']).astimezone(BERLIN):%d.%m.%Y})" if d["as_of"] else ""),
        f"Feld:            {d['field']} {d['field_name']}",
        f"Zustand:         {state}",
        f"Federführung:    {', '.join(b['name'] for b in d['lead_bodies'])}",
        f"Beteiligt:       {', '.join(b['name'] for b in d['participants']) or '–'}",
        f"Frist:           {format_date(_date(d['due_date'])) or '–'}{' (überfällig)' if d['overdue'] else ''}"
        + (" (keine Frist gesetzt: niemand wird erinnert)" if d["deadline_missing"] else ""),
    ]
    if d["hold_until"]:
        lines.append(f"Wiedervorlage:   {format_date(_date(d['hold_until']))}")
    if d["meeting"]:
        lines.append(f"Sitzung:         {format_date(_date(d['meeting']['date']))} {d['meeting']['title']}")
    lines += [
        f"Konzept:         {d['concept_ref'] or '–'}",
        f"Wirtschaftsplan: {d['plan_ref'] or '–'}",
        f"Effizienzziel:   {format_eur(d['savings_target']) + ' pro Jahr' if d['savings_target'] is not None else '–'}",
    ]
    if d["status_text"]:
        lines.append(f"Stand ({format_date(_date(d['status_on']))}): {' '.join(d['status_text'].split())}")
    if d["hold_reason"]:
        lines.append(f"Grund (auf Eis): {d['hold_reason']}")
    if d["depends_on"]:
        waits = ", ".join(f"{m['code']} ({m['state_label']})" for m in d["depends_on"])
        lines.append(f"Wartet auf:      {waits}")
    if d["waited_for_by"]:
        lines.append(f"Blockiert:       {', '.join(m['code'] for m in d['waited_for_by'])}")
    if d["description"]:
        lines += ["", d["description"]]
    if d["duties"]:
        lines += ["", "Pflichten:"]
        for duty in d["duties"]:
            lines.append(f"  {duty['key']}: {duty['title']} (alle {duty['every_months']} Monate)")
            if duty["overdue"]:
                count = len(duty["overdue"])
                state = f"überfällig seit {format_date(_date(duty['next']))}" + (
                    f" ({count} Termine offen)" if count > 1 else ""
                )
            else:
                state = f"nächste Fälligkeit {format_date(_date(duty['next']))}"
            lines.append(f"    {state}, an der Reihe: {duty['turn_name']}")
            if duty["last_done"]:
                last = duty["last_done"]
                ref = f" ({last['reference']})" if last["reference"] else ""
                closed = f"{format_date(_date(last['occurrence']))} am {format_date(_date(last['on']))}"
                lines.append(f"    zuletzt erledigt: {closed}{ref}")
    lines += ["", "Verlauf:"]
    if hidden:
        older = "ältere Eintrag" if hidden == 1 else "ältere Einträge"
        lines.append(f"  … {german_number(hidden)} {older} nicht gezeigt; alle mit --all.")
    for entry in d["history"]:
        at = datetime.fromisoformat(entry["at"]).astimezone(BERLIN).strftime("%d.%m.%Y %H:%M")
        source = STATES[entry["from"]] if entry["from"] else "–"
        step = f"{source} → {STATES[entry['to']]}" if entry["from"] != entry["to"] else "Änderung"
        note = f" – {entry['note']}" if entry["note"] else ""
        via = f" [{entry['channel']}]" if entry["channel"] != "CLI" else ""
        marks = []
        if entry["due_changed"] and entry["trigger"] != "import":
            marks.append(f"Frist → {format_date(_date(entry['due_date'])) or '–'}")
        if entry["undone_at"]:
            marks.append(f"rückgängig gemacht am {_moment(entry['undone_at']):%d.%m.%Y}")
        if entry["backdated"]:
            marks.append(f"nachgetragen am {_moment(entry['recorded_at']):%d.%m.%Y %H:%M}")
        shown = "".join(f" ({mark})" for mark in marks)
        lines.append(f"  {at}  {entry['actor']}{via}: {entry['trigger']} ({step}){note}{shown}")
    allowed = ", ".join(f"{t} ({TRIGGERS[t]})" for t in d["allowed"]) or "keine (Endzustand)"
    if not d["as_of"]:
        lines += ["", f"Mögliche Schritte: {allowed}"]
    return "\n".join(lines)


@click.command(cls=Worded, words="steps")
@click.argument("code")
@click.argument("trigger", metavar="SCHRITT")
@click.option(
    "--note",
    "--reason",
    "note",
    metavar="TEXT",
    help="Vermerk; Begründung bei reject/refer_back, Grund bei hold/withdraw.",
)
@click.option("--meeting", type=DATE, help="Sitzung der Bürgermeisterkonferenz (bei submit).")
@actor_option
@click.pass_obj
def advance(app, code, trigger, note, meeting, actor):
    """Ein Mandat einen Schritt weiterbewegen (ikz lifecycle zeigt alle Schritte).

    SCHRITT ist der Bezeichner, die deutsche Bezeichnung oder eine Kurzform (unten).

    \b
    Beispiel:
      ikz advance 1.4 start_concept --note "Verhandlungen mit dem RZ aufgenommen"
      ikz advance 1.4 vorlegen --meeting 12.04.2011
      ikz advance 1.4 zustimmen
    """
    _step(app, code, trigger, note=note, meeting=meeting, actor=actor)


def _step(app, code, trigger, **inputs):
    from ikz import clock, settings
    from notifications.effects import follow_up
    from workflow.lifecycle import STATES
    from workflow.lookup import get_mandate
    from workflow.steps import advance, describe_allowed, submission_warning
    from workflow.text import format_date

    config, now = settings.load(), clock.now()
    with app.session() as session:
        due_before = get_mandate(session, code).due_date
        entry = advance(
            session,
            code,
            trigger,
            actor=inputs.pop("actor"),
            now=now,
            today=clock.today(),
            note=inputs.get("note"),
            meeting_date=inputs.get("meeting"),
            until=inputs.get("until"),
            rules=config.rules(),
        )
        follow_up(session, config, entry, now=now)
        mandate = get_mandate(session, code)
        late = submission_warning(mandate, clock.today()) if entry.trigger == "submit" else None
    click.echo(f"{mandate.code}: {STATES[entry.from_state]} → {STATES[entry.to_state]} ({entry.trigger}).")
    if mandate.due_date != due_before:
        click.echo(f"Frist: {format_date(mandate.due_date) or '–'}.")
    if entry.trigger == "hold" and mandate.hold_until:
        click.echo(f"Wiedervorlage: {format_date(mandate.hold_until)}.")
    if late:
        click.echo(f"Hinweis: {late[0].upper()}{late[1:]}; die Vorlage wird nachgereicht.")
    click.echo(describe_allowed(mandate))


@click.command()
@click.argument("code")
@click.option("--reason", required=True, metavar="TEXT", help="Warum das Mandat ruht.")
@click.option("--until", type=DATE, help="An diesem Tag erinnert ikz die Koordination, das Mandat wieder anzusehen.")
@actor_option
@click.pass_obj
def hold(app, code, reason, until, actor):
    """Ein Mandat auf Eis legen; die Frist ruht, bis es wieder aufgenommen wird.

    \b
    Beispiel:
      ikz hold 2.1-LS --reason "Mitarbeiter steht nicht mehr zur Verfügung" --until 2011-06-01
    """
    _step(app, code, "hold", note=reason, until=until, actor=actor)


@click.command()
@click.argument("code")
@click.option("--note", metavar="TEXT", help="Vermerk zur Wiederaufnahme.")
@actor_option
@click.pass_obj
def resume(app, code, note, actor):
    """Ein ruhendes Mandat im Zustand wieder aufnehmen, in dem es auf Eis gelegt wurde.

    \b
    Beispiel:
      ikz resume 2.1-LS
    """
    _step(app, code, "resume", note=note, actor=actor)


@click.command()
@click.argument("code")
@click.option("--due", type=DATE, help="Frist der aktuellen Stufe.")
@click.option("--target", type=EUR, help="Effizienzziel in EUR pro Jahr.")
@click.option("--plan", metavar="REF", help="Referenz auf den Wirtschaftsplan.")
@click.option("--concept", metavar="REF", help="Referenz auf das Konzept.")
@click.option("--title", metavar="TEXT", help="Neuer Titel.")
@actor_option
@click.pass_obj
def edit(app, code, due, target, plan, concept, title, actor):
    """Frist, Effizienzziel, Referenzen oder Titel eines Mandats ändern.

    \b
    Beispiel:
      ikz edit 1.4 --due 2011-03-16 --target 40000 --plan "WP-LOGA-2011"
    """
    from ikz import clock
    from workflow.editing import edit_mandate

    with app.session() as session:
        entry = edit_mandate(
            session,
            code,
            actor=actor,
            now=clock.now(),
            due_date=due,
            savings_target=target,
            plan_ref=plan,
            concept_ref=concept,
            title=title,
        )
    click.echo(f"{code} geändert: {entry.note}." if entry else f"{code}: nichts geändert.")


@click.command()
@click.argument("code")
@click.option("--reason", required=True, metavar="TEXT", help="Warum der Schritt nicht gilt.")
@actor_option
@click.pass_obj
def undo(app, code, reason, actor):
    """Den letzten Schritt eines Mandats rückgängig machen (der Verlauf behält ihn, als rückgängig markiert).

    Zustand, Frist, Sitzung und Beteiligte werden wie vor dem Schritt; wer durch den Schritt
    Post bekam, erfährt von der Korrektur.

    \b
    Beispiel:
      ikz undo 7.1 --reason "versehentlich zurückgezogen, gemeint war 1.7"
    """
    from ikz import clock, settings
    from notifications.effects import follow_up
    from workflow.corrections import undo as undo_step
    from workflow.lifecycle import STATES
    from workflow.lookup import get_mandate
    from workflow.steps import describe_allowed
    from workflow.text import format_date

    config, now = settings.load(), clock.now()
    with app.session() as session:
        due_before = get_mandate(session, code).due_date
        entry = undo_step(session, code, reason=reason, actor=actor, now=now)
        follow_up(session, config, entry, now=now)
        mandate = get_mandate(session, code)
    click.echo(f"{mandate.code}: {STATES[entry.from_state]} → {STATES[entry.to_state]} (rückgängig gemacht).")
    if mandate.due_date != due_before:
        click.echo(f"Frist: {format_date(mandate.due_date) or '–'}.")
    click.echo(describe_allowed(mandate))


@click.command()
def lifecycle():
    """Den Lebenszyklus als Mermaid-Zustandsdiagramm ausgeben (aus der Maschine erzeugt).

    \b
    Beispiel:
      ikz lifecycle > docs/lifecycle.mmd
    """
    from workflow.lifecycle import mermaid

    click.echo(mermaid(), nl=False)


def register(group: click.Group) -> None:
    for command in (list_, show, advance, hold, resume, edit, undo, lifecycle):
        group.add_command(command)
