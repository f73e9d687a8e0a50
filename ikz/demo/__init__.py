"""The demo: the 2010 catalogue driven by the real scheduler jobs on a simulated clock, 21.9.2010–31.5.2011."""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email import message_from_bytes, policy
from pathlib import Path

from sqlmodel import select

import scheduler
from ikz import settings as settings_module
from ikz.catalogue.importer import import_catalogue
from ikz.catalogue.spec import load, resolve
from ikz.clock import BERLIN
from ikz.conference.issuing import agenda_files
from ikz.conference.render import write_files
from ikz.demo import client
from ikz.demo.sink import MailSink
from models import Body, Contact, Inbound, Mandate, MandateLead, Notice, Proposal, Reminder
from models.db import make_engine, transaction
from models.schema import upgrade
from notifications.effects import follow_up
from notifications.monthly import sent_digest
from workflow.board import list_mandates
from workflow.corrections import undo
from workflow.decisions import record_decision
from workflow.duties import mark_done
from workflow.editing import edit_mandate
from workflow.history import verify
from workflow.lifecycle import STATES
from workflow.proposals import accept
from workflow.steps import advance
from workflow.text import format_date, plural

ACTOR = "Koordinierungsstelle IKZ"
# The demo's key for reply tokens; a real installation sets its own in $IKZ_TOKEN_KEY.
DEMO_TOKEN_KEY = "vorfuehrung-kreis-unna-2010"
START = datetime(2010, 9, 21, 9, 0, tzinfo=BERLIN)
END = datetime(2011, 5, 31, 18, 0, tzinfo=BERLIN)


@dataclass
class Action:
    """A coordinator's step in the story, at a Berlin moment."""

    moment: datetime
    code: str
    trigger: str | None = None
    inputs: dict | None = None
    edits: dict | None = None
    decisions: dict[str, str] | None = None
    # Issue the agenda of the conference meeting on this day.
    agenda: date | None = None
    # A lead answers the newest mail it got (sender, text); the coordinator accepts a proposal (its number).
    answer: tuple[str, str] | None = None
    accept: int | None = None
    # A body's decision recorded with its council's reference; a mistaken step undone (the reason).
    reference: str | None = None
    undo: str | None = None
    # A recurring duty closed: its key, the day it was done and the reference.
    duty: tuple[str, date, str] | None = None


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), BERLIN)


STORY = [
    # Bergkamen prepared the IT working group's first meeting (due 30.11.2010).
    Action(
        at(date(2010, 11, 26), 9),
        "1.1",
        duty=("it-ak-sitzung", date(2010, 11, 25), "Protokoll der Sitzung in Bergkamen vom 25.11.2010"),
    ),
    Action(
        at(date(2010, 11, 2)),
        "1.4",
        "start_concept",
        {"note": "Verhandlungen mit dem Rechenzentrum Lemgo/Minden-Ravensberg aufgenommen"},
    ),
    Action(at(date(2010, 11, 2), 11), "1.4", edits={"due_date": date(2011, 3, 16)}),
    # Lünen answers the reminder of 02.03.2011 (ten working days before the deadline) from its mail client.
    Action(
        at(date(2011, 3, 2), 14),
        "1.4",
        answer=("loga@luenen.example", "Neue Frist: 31.03.2011 – Verhandlungen mit dem RZ laufen"),
    ),
    # 7.1 withdrawn by mistake (1.7 was meant) and corrected the same morning: the history keeps both.
    Action(at(date(2011, 1, 10), 10), "7.1", "withdraw", {"note": "Vorhaben wird nicht weiterverfolgt"}),
    Action(at(date(2011, 1, 10), 10, 20), "7.1", undo="versehentlich 7.1 statt 1.7 gewählt"),
    # Selm's auditor is available again: the months on hold do not count against the deadline.
    Action(at(date(2011, 2, 1)), "2.1-LS", "resume", {"note": "Prüferin in Selm steht wieder zur Verfügung"}),
    Action(at(date(2011, 3, 3), 9), "1.4", accept=1),
    Action(
        at(date(2011, 3, 16), 15),
        "1.4",
        edits={
            "concept_ref": "Konzept Einkaufsgemeinschaft LOGA (AK der Kämmerer, 16.03.2011)",
            "plan_ref": "Wirtschaftsplan LOGA 2011–2015",
            "savings_target": 40000,
        },
    ),
    Action(at(date(2011, 3, 17)), "1.4", "submit", {"meeting_date": date(2011, 4, 12)}),
    # After the submission deadline (29.03.): the mayors get the agenda and papers, which stay as issued.
    Action(at(date(2011, 3, 30)), "", agenda=date(2011, 4, 12)),
    Action(at(date(2011, 4, 12), 16), "1.4", "open_decision", {}),
    Action(
        at(date(2011, 4, 12), 16),
        "1.4",
        decisions={
            **dict.fromkeys(
                ("kreis-unna", "bergkamen", "boenen", "froendenberg", "kamen", "luenen", "schwerte", "selm", "unna"),
                "joined",
            ),
            "holzwickede": "pending",
            "werne": "declined",
        },
    ),
    Action(
        at(date(2011, 4, 12), 17),
        "1.4",
        "approve",
        {"note": "Die Bürgermeisterkonferenz stimmt der Einkaufsgemeinschaft zu"},
    ),
    # The IT working group's half-yearly report (due 31.03.2011) was given at the conference.
    Action(
        at(date(2011, 4, 13), 9),
        "1.1",
        duty=("it-ak-bericht", date(2011, 4, 12), "Bericht in der Bürgermeisterkonferenz vom 12.04.2011"),
    ),
    # Holzwickede's council decides after the conference: it joins, and becomes a participant at once.
    Action(
        at(date(2011, 5, 17)),
        "1.4",
        decisions={"holzwickede": "joined"},
        reference="Ratsbeschluss Holzwickede vom 12.05.2011",
    ),
]


def run(workdir: Path, say: Callable[[str], None] = print) -> Path:
    """Play the story in workdir; print a German timeline and where the results are; return the database path."""
    path = workdir / "ikz.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with transaction(engine) as session:
        import_catalogue(
            session,
            load(resolve("kreis-unna-2010")),
            actor=ACTOR,
            now=START,
            rules=settings_module.load(environ={}).rules(),
        )
    say(f"{format_date(START.date())}  Klausur der Bürgermeisterkonferenz: 16 Mandate aus kreis-unna-2010 angelegt")

    with MailSink(workdir / "zugestellt") as sink:
        config = settings_module.load(
            environ={},
            mail_transport="smtp",
            mail_host="127.0.0.1",
            mail_port=sink.port,
            mail_security="none",
            mail_timeout=10,
            inbox_token_key=DEMO_TOKEN_KEY,
            inbox_directory=str(workdir / "eingang"),
        )
        jobs = {job.id: job for job in scheduler.jobs(engine, config)}
        events = _timeline(jobs)
        escalated: set[str] = set()
        for moment, kind, payload in events:
            if kind == "action" and payload.answer:
                _answer(engine, sink, workdir / "eingang", payload, jobs["inbox"], say)
            elif kind == "action":
                _act(engine, config, payload, say)
            else:
                jobs[kind].tick(moment)
                if kind == "monthly-digest":
                    _report_digest(engine, moment, say)
                _report_escalations(engine, config.coordinator.email, escalated, say)
            # The dispatcher runs every minute; in the simulation only the minute after a change matters.
            jobs["outbox"].tick(moment + timedelta(minutes=1))
        per_recipient = dict(sink.per_recipient)

    preview = workdir / "monatsbericht-2011-03.html"
    agenda = workdir / "tagesordnung-2011-04-12"
    with transaction(engine) as session:
        # What was sent and issued, as it was: the stored March digest and the issued April agenda.
        _text, html = sent_digest(session, date(2011, 3, 1))
        issued = agenda_files(session, date(2011, 4, 12), actor=ACTOR, now=END)
        rows = list_mandates(session, today=END.date())
        leads = _lead_addresses(session)
        entries, breaks = verify(session)
    preview.write_text(html, encoding="utf-8")
    write_files(issued.files, agenda)
    _summarise(say, rows, leads, per_recipient, preview, sink.folder)
    say(f"Tagesordnung und Beschlussvorlagen vom 12.04.2011 (ausgegebene Fassung {issued.document.version}): {agenda}")
    say(f"Protokoll: {entries} Einträge, Prüfsummenkette {'unversehrt' if not breaks else 'GEBROCHEN'}")
    engine.dispose()
    return path


def _timeline(jobs) -> list[tuple[datetime, str, object]]:
    """Every fire time of the sweep and digest jobs in the demo period, merged with the story."""
    events = [(action.moment, "action", action) for action in STORY]
    for job_id in ("reminder-sweep", "monthly-digest"):
        trigger, previous, moment = jobs[job_id].trigger, None, START
        while (moment := trigger.get_next_fire_time(previous, moment)) and moment <= END:
            events.append((moment, job_id, None))
            previous, moment = moment, moment + timedelta(seconds=1)
    return sorted(events, key=lambda event: (event[0], event[1]))


def _answer(engine, sink: MailSink, inbox: Path, action: Action, job, say) -> None:
    """A lead replies to its newest mail; the scheduler's inbox job takes the reply in."""
    sender, text = action.answer
    with transaction(engine) as session:
        contact = session.exec(select(Contact).where(Contact.email == sender)).one()
        body = session.get(Body, contact.body_id)
    received = message_from_bytes(sink.latest(sender), policy=policy.default)
    day = format_date(received["Date"].datetime.astimezone(BERLIN).date())
    say(f"{day}  Erinnerung an {contact.person} ({body.name}): {received['Subject']}")
    client.deliver(
        inbox,
        client.answer(
            sink.latest(sender),
            text,
            sender=sender,
            name=contact.person,
            signature=f"{contact.person}\n{contact.function}\nStadt {body.name}",
            moment=action.moment,
        ),
    )
    job.tick(action.moment)
    with transaction(engine) as session:
        taken = session.exec(select(Inbound).order_by(Inbound.id.desc())).first()
        proposal = session.exec(select(Proposal).where(Proposal.source == taken.message_id)).first()
    what = f"Vorschlag {proposal.id}" if proposal else "Vermerk"
    who = f"{contact.person} ({body.name})"
    say(f"{format_date(action.moment.date())}  Antwort von {who} zu {action.code}: „{text}“ → {what}")


def _act(engine, config, action: Action, say) -> None:
    day = action.moment.date()
    with transaction(engine) as session:
        if action.agenda:
            issued = agenda_files(session, action.agenda, actor=ACTOR, now=action.moment, issue_now=True)
            say(
                f"{format_date(day)}  Tagesordnung für den {format_date(action.agenda)} ausgegeben: "
                f"Fassung {issued.document.version}, {plural(issued.papers, 'Beschlussvorlage', 'Beschlussvorlagen')}"
            )
        elif action.accept:
            entry = accept(session, action.accept, actor=ACTOR, now=action.moment, today=day)
            follow_up(session, config, entry, now=action.moment)
            change = entry.note.rpartition("; ")[2]
            say(f"{format_date(day)}  {action.code} Vorschlag {action.accept} angenommen: {change}")
        elif action.decisions and action.reference:
            for body, decision in action.decisions.items():
                row = record_decision(
                    session,
                    action.code,
                    body,
                    decision,
                    decided_on=day,
                    reference=action.reference,
                    actor=ACTOR,
                    now=action.moment,
                )
                say(
                    f"{format_date(day)}  {action.code}: {session.get(Body, row.body_id).name} später beigetreten "
                    f"({action.reference}), jetzt beteiligt"
                )
        elif action.decisions:
            for body, decision in action.decisions.items():
                record_decision(
                    session, action.code, body, decision, decided_on=day, reference=None, actor=ACTOR, now=action.moment
                )
            counts = Counter(action.decisions.values())
            say(
                f"{format_date(day)}  {action.code}: {counts['joined']} Stellen beigetreten, "
                f"{counts['declined']} abgelehnt, {counts['pending']} offen"
            )
        elif action.undo:
            entry = undo(session, action.code, reason=action.undo, actor=ACTOR, now=action.moment)
            follow_up(session, config, entry, now=action.moment)
            say(f"{format_date(day)}  {action.code} Korrektur: {entry.note}")
        elif action.duty:
            key, done_on, reference = action.duty
            entry = mark_done(
                session, action.code, key, day=done_on, reference=reference, actor=ACTOR, now=action.moment
            )
            say(f"{format_date(day)}  {action.code}: {entry.note}")
        elif action.edits:
            entry = edit_mandate(session, action.code, actor=ACTOR, now=action.moment, **action.edits)
            say(f"{format_date(day)}  {action.code} bearbeitet: {entry.note}")
        else:
            entry = advance(
                session,
                action.code,
                action.trigger,
                actor=ACTOR,
                now=action.moment,
                today=day,
                rules=config.rules(),
                **action.inputs,
            )
            follow_up(session, config, entry, now=action.moment)
            moved = f"; {entry.note.rpartition('; ')[2]}" if entry.trigger == "resume" else ""
            say(f"{format_date(day)}  {action.code} {STATES[entry.from_state]} → {STATES[entry.to_state]}{moved}")


def _report_digest(engine, moment: datetime, say) -> None:
    topic = f"digest:{moment:%Y-%m}"
    with transaction(engine) as session:
        fresh = session.exec(select(Notice).where(Notice.topic == topic, Notice.created_at == moment)).all()
    if fresh:
        say(f"{format_date(moment.date())}  Monatsbericht {moment:%m/%Y} an {len(fresh)} Empfänger")


def _report_escalations(engine, coordinator: str, seen: set[str], say) -> None:
    with transaction(engine) as session:
        rows = session.exec(
            select(Mandate.code, Mandate.title, Reminder.created_at)
            .join(Reminder, Reminder.mandate_id == Mandate.id)
            .where(Reminder.recipient == coordinator, Reminder.kind.like("overdue-%"))
            .order_by(Reminder.created_at)
        ).all()
    for code, title, created in rows:
        if code not in seen:
            seen.add(code)
            day = format_date(created.astimezone(BERLIN).date())
            say(f"{day}  Eskalation: {code} {title} ist seit über 10 Arbeitstagen überfällig")


def _lead_addresses(session) -> dict[str, str]:
    """Body name for every lead contact address."""
    rows = session.exec(
        select(Contact.email, Body.name)
        .join(Body, Body.id == Contact.body_id)
        .join(MandateLead, MandateLead.body_id == Body.id)
    ).all()
    return dict(rows)


def _summarise(say, rows, leads, per_recipient, preview: Path, folder: Path) -> None:
    say("")
    say("Stand am 31.05.2011:")
    for row in rows:
        if row["code"] in ("1.2", "1.4", "2.1-LS"):
            say(f"  {row['code']:<7} {row['title']:<40} {row['state_label']}")
    say("")
    say("Zugestellte Nachrichten je Empfänger:")
    for email, count in sorted(per_recipient.items(), key=lambda item: (-item[1], item[0])):
        say(f"  {count:>3}  {email}" + (f" ({leads[email]})" if email in leads else ""))
    say("")
    say(f"Monatsbericht März 2011: {preview}")
    say(f"Zugestellte Nachrichten (.eml): {folder}")
