"""Import a checked catalogue into the database: all or nothing, and idempotent."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time

from sqlmodel import Session, select

from ikz.catalogue.spec import ALL, Catalogue, MandateSpec
from ikz.clock import BERLIN, local_date
from ikz.errors import CatalogueError
from models import Body, Contact, CooperationField, Dependency, Duty, Mandate, MandateLead, Meeting, Participant
from models.db import insert_rows
from workflow.dependencies import find_cycle, stored_graph
from workflow.rules import Rules
from workflow.seam import BATCH, Change, record, record_all
from workflow.text import format_date


@dataclass
class ImportReport:
    """How many entries of each kind were created or changed."""

    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)

    def summary(self, name: str) -> str:
        """Say in German what the import did."""
        kinds = (
            ("mandates", "Mandate"),
            ("bodies", "Stellen"),
            ("contacts", "Kontakte"),
            ("meetings", "Sitzungen"),
            ("fields", "Felder"),
            ("duties", "wiederkehrende Pflichten"),
        )
        parts = []
        for key, label in kinds:
            if self.created[key] or self.updated[key]:
                parts.append(f"{label}: {self.created[key]} neu, {self.updated[key]} geändert")
        if not parts:
            return f"Katalog {name}: bereits vollständig importiert, nichts geändert."
        return f"Katalog {name} importiert. " + "; ".join(parts) + "."


def _sync(row, report: ImportReport, counter: str, **values) -> None:
    """Set attributes that differ and count the row as updated if any did."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    if changed:
        report.updated[counter] += 1


def import_catalogue(
    session: Session, catalogue: Catalogue, *, actor: str, now: datetime, rules: Rules
) -> ImportReport:
    """Bring the database in line with the catalogue (new stages without a deadline get the default); no commit."""
    report = ImportReport()
    source = catalogue.source

    def fail(where: str, message: str):
        raise CatalogueError(f"{source}: {where}: {message}.")

    # The mandates' history starts on the day they were agreed (booked afterwards when imported later).
    start = datetime.combine(catalogue.agreed, time(), BERLIN) if catalogue.agreed else now
    if start > now:
        fail("Katalog", f"'agreed' {format_date(catalogue.agreed)} liegt in der Zukunft; erlaubt ist heute oder früher")

    for number, name in catalogue.fields.items():
        row = session.get(CooperationField, number)
        if row is None:
            session.add(CooperationField(number=number, name=name))
            report.created["fields"] += 1
        else:
            _sync(row, report, "fields", name=name)

    bodies = {body.key: body for body in session.exec(select(Body)).all()}
    for spec in catalogue.bodies:
        body = bodies.get(spec.key)
        if body is None:
            body = bodies[spec.key] = Body(key=spec.key, name=spec.name, kind=spec.kind)
            session.add(body)
            session.flush()
            report.created["bodies"] += 1
        else:
            _sync(body, report, "bodies", name=spec.name, kind=spec.kind)
        contacts = {c.email: c for c in session.exec(select(Contact).where(Contact.body_id == body.id)).all()}
        for contact in spec.contacts:
            if contact.email in contacts:
                _sync(
                    contacts[contact.email],
                    report,
                    "contacts",
                    name=contact.name,
                    role=contact.role,
                    person=contact.person,
                    function=contact.function,
                )
            else:
                session.add(
                    Contact(
                        body_id=body.id,
                        name=contact.name,
                        role=contact.role,
                        email=contact.email,
                        person=contact.person,
                        function=contact.function,
                    )
                )
                report.created["contacts"] += 1

    session.flush()
    # Every contact once, by body and address: a catalogue of 10k mandates names them 10k times.
    known_contacts = {(c.body_id, c.email): c for c in session.exec(select(Contact)).all()}

    def contact_of(body_id: int, email: str) -> Contact | None:
        return known_contacts.get((body_id, email))

    def body_id(key: str, where: str, role: str) -> int:
        if key not in bodies:
            fail(where, f"unbekannte {role} {key!r}; bekannt: {', '.join(sorted(bodies))}")
        return bodies[key].id

    for spec in catalogue.meetings:
        owner = body_id(spec.body, f"Sitzung am {spec.date.isoformat()}", "Stelle")
        meeting = session.exec(select(Meeting).where(Meeting.body_id == owner, Meeting.date == spec.date)).first()
        if meeting is None:
            session.add(Meeting(body_id=owner, date=spec.date, title=spec.title, created_at=start))
            report.created["meetings"] += 1
        else:
            _sync(meeting, report, "meetings", title=spec.title)

    mandates = {m.code: m for m in session.exec(select(Mandate)).all()}
    known_fields = set(session.exec(select(CooperationField.number)).all()) | set(catalogue.fields)
    everyone = sorted(key for key, body in bodies.items() if body.kind in ("county", "municipality"))
    listed = {m.code for m in catalogue.mandates}
    for spec in catalogue.mandates:
        where = f"Mandat {spec.code!r}"
        if spec.field not in known_fields:
            fail(
                where,
                f"unbekanntes Zusammenarbeitsfeld {spec.field}; bekannt: {', '.join(map(str, sorted(known_fields)))}",
            )
        for key in spec.leads:
            body_id(key, where, "federführende Stelle")
        for key, email in spec.lead_contacts.items():
            if contact_of(bodies[key].id, email) is None:
                fail(where, f"Kontakt {email!r} gehört nicht zu {key}")
        for key in everyone if spec.participants == ALL else spec.participants:
            body_id(key, where, "teilnehmende Stelle")
        if spec.due is not None and spec.due < local_date(start):
            fail(
                where,
                f"die Frist {format_date(spec.due)} liegt vor dem Beginn des Programms "
                f"({format_date(local_date(start))})",
            )
        since = spec.hold.since if spec.hold else None
        if since is not None and not local_date(start) <= since <= local_date(now):
            fail(
                where,
                f"'hold.since' {format_date(since)} liegt außerhalb der Laufzeit; erlaubt: "
                f"{format_date(local_date(start))} bis heute ({format_date(local_date(now))})",
            )
        for code in spec.depends_on:
            if code == spec.code:
                fail(where, "ein Mandat kann nicht von sich selbst abhängen")
            if code not in mandates and code not in listed:
                fail(where, f"hängt von unbekanntem Mandat {code!r} ab")
    _refuse_cycles(session, catalogue, fail)

    session.flush()
    names = {body.id: body.name for body in bodies.values()}
    created = [spec for spec in catalogue.mandates if spec.code not in mandates]
    changes = {spec.code: _changes(mandates[spec.code], spec) for spec in catalogue.mandates if spec.code in mandates}
    # New mandates in one flush and their links in one statement per table: a statement or seven per
    # mandate took 59 s for a catalogue of 10k.
    rows = [_create(spec, start, rules) for spec in created]
    insert_rows(session, Mandate, rows)
    codes = [spec.code for spec in created]
    for first in range(0, len(codes), BATCH):
        # Loaded, not constructed: building 10k table objects costs more than reading them back.
        query = select(Mandate).where(Mandate.code.in_(codes[first : first + BATCH]))
        mandates.update((mandate.code, mandate) for mandate in session.exec(query).all())
    report.created["mandates"] += len(created)
    participants = [
        {"mandate_id": mandates[spec.code].id, "body_id": bodies[key].id}
        for spec in created
        for key in (everyone if spec.participants == ALL else spec.participants)
    ]
    links: dict[int, dict] = {}
    for link in session.exec(select(MandateLead)).all():
        links.setdefault(link.mandate_id, {})[(link.body_id, link.contact_id)] = link
    new_leads = []
    for spec in catalogue.mandates:
        mandate = mandates[spec.code]
        current = links.get(mandate.id, {})
        wanted = set()
        for key in spec.leads:
            contact = contact_of(bodies[key].id, spec.lead_contacts[key]) if key in spec.lead_contacts else None
            wanted.add((bodies[key].id, contact.id if contact else None))
        if set(current) == wanted:
            continue
        if not current:
            new_leads += [{"mandate_id": mandate.id, "body_id": b, "contact_id": c} for b, c in sorted(wanted, key=str)]
            continue
        for pair, link in current.items():
            if pair not in wanted:
                session.delete(link)
        session.flush()
        for body, contact in wanted - set(current):
            session.add(MandateLead(mandate_id=mandate.id, body_id=body, contact_id=contact))
        before = ", ".join(sorted(names[body] for body, _ in current)) or "–"
        after = ", ".join(sorted(names[body] for body, _ in wanted))
        changes[spec.code].append(
            f"Federführung: {before} → {after}" if before != after else "Ansprechpartner geändert"
        )
    insert_rows(session, Participant, participants)
    insert_rows(session, MandateLead, new_leads)
    session.flush()
    existing = set(session.exec(select(Dependency.mandate_id, Dependency.depends_on_id)).all())
    for spec in catalogue.mandates:
        for code in spec.depends_on:
            pair = (mandates[spec.code].id, mandates[code].id)
            if pair not in existing:
                session.add(Dependency(mandate_id=pair[0], depends_on_id=pair[1]))
                existing.add(pair)
                if spec.code in changes:
                    changes[spec.code].append(f"wartet auf {code}")
    # The history last, so that each entry's snapshot shows the mandate complete: leads, participants, waits.
    _record_creation(session, [(mandates[spec.code], spec) for spec in created], catalogue, actor, start)
    for code, notes in changes.items():
        if notes:
            report.updated["mandates"] += 1
            # A re-import that changes a mandate is an edit like any other, and the history says so.
            note = f"Katalog {catalogue.name}: " + "; ".join(notes)
            record(session, mandates[code], "edit", actor=actor, now=now, note=note)
    _import_duties(session, catalogue, mandates, bodies, report, fail)
    session.flush()
    return report


def _import_duties(session, catalogue: Catalogue, mandates: dict, bodies: dict, report: ImportReport, fail) -> None:
    """Create or update recurring duties by key."""
    for spec in catalogue.duties:
        where = f"Pflicht {spec.key!r}"
        if spec.mandate not in mandates:
            fail(where, f"unbekanntes Mandat {spec.mandate!r}")
        for key in spec.rotation:
            if key not in bodies:
                fail(where, f"unbekannte Stelle {key!r} in 'rotation'; bekannt: {', '.join(sorted(bodies))}")
        values = dict(
            mandate_id=mandates[spec.mandate].id,
            title=spec.title,
            first_due=spec.first_due,
            every_months=spec.every_months,
            rotation=",".join(spec.rotation),
        )
        duty = session.exec(select(Duty).where(Duty.key == spec.key)).first()
        if duty is None:
            session.add(Duty(key=spec.key, **values))
            report.created["duties"] += 1
        else:
            _sync(duty, report, "duties", **values)


def _changes(mandate: Mandate, spec: MandateSpec) -> list[str]:
    """Apply the catalogue's master data to an existing mandate; return what changed, in German."""
    changes = []
    for name, label, value in (
        ("title", "Titel", spec.title),
        ("field_number", "Feld", spec.field),
        ("description", "Beschreibung", spec.description),
    ):
        old = getattr(mandate, name)
        if old != value:
            changes.append(
                f"{label}: {old or '–'} → {value or '–'}" if name != "description" else "Beschreibung geändert"
            )
            setattr(mandate, name, value)
    return changes


def _create(spec: MandateSpec, start: datetime, rules: Rules) -> dict:
    """The columns of a new mandate as the catalogue describes it (a hold begun later starts in its earlier state)."""
    hold = spec.hold
    stage = hold.from_state if hold is not None else spec.state
    mandate = dict(
        code=spec.code,
        field_number=spec.field,
        title=spec.title,
        description=spec.description,
        state=hold.from_state if _held_later(spec, start) else spec.state,
        # The stage's default deadline from the day it was agreed; a hold pauses it like any other.
        due_date=spec.due or rules.stage_deadline(stage, local_date(start)),
        created_at=start,
        updated_at=start,
        held_state=None,
        hold_reason=None,
        held_since=None,
        stage_seq=1,
        version=1,
    )
    if hold is not None and not _held_later(spec, start):
        mandate.update(
            held_state=hold.from_state,
            hold_reason=hold.reason,
            held_since=datetime.combine(hold.since, time(), BERLIN) if hold.since else start,
        )
    return mandate


def _held_later(spec: MandateSpec, start: datetime) -> bool:
    return spec.hold is not None and spec.hold.since is not None and _midnight(spec.hold.since) > start


def _midnight(day) -> datetime:
    return datetime.combine(day, time(), BERLIN)


def _record_creation(session: Session, created: list, catalogue, actor: str, start) -> None:
    """The new mandates' history: each one's import, and the hold where the catalogue dates it after the start."""
    imports, holds = [], []
    for mandate, spec in created:
        note = f"Angelegt aus Katalog {catalogue.name}"
        if spec.hold is not None and not _held_later(spec, start):
            note += f"; auf Eis: {spec.hold.reason}"
        imports.append(Change(mandate, "import", start, note, from_state=None))
    record_all(session, imports, actor=actor)
    for mandate, spec in created:
        if _held_later(spec, start):
            since = _midnight(spec.hold.since)
            mandate.state, mandate.held_state, mandate.hold_reason, mandate.held_since = (
                "on_hold",
                spec.hold.from_state,
                spec.hold.reason,
                since,
            )
            holds.append(Change(mandate, "hold", since, spec.hold.reason, from_state=spec.hold.from_state))
    record_all(session, holds, actor=actor)


def _refuse_cycles(session: Session, catalogue: Catalogue, fail) -> None:
    """Refuse dependencies that, together with the stored ones, form a cycle."""
    graph = stored_graph(session)
    for spec in catalogue.mandates:
        graph.setdefault(spec.code, set()).update(spec.depends_on)
    cycle = find_cycle(graph)
    if cycle:
        fail(f"Mandat {cycle[0]!r}", f"Abhängigkeitszyklus {' → '.join(cycle)}")
