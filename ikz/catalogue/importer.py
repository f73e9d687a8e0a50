"""Import a checked catalogue into the database: all or nothing, and idempotent."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time

from sqlmodel import Session, select

from ikz.catalogue.spec import ALL, Catalogue, MandateSpec
from ikz.clock import BERLIN
from ikz.errors import CatalogueError
from models import Body, Contact, CooperationField, Dependency, Duty, Mandate, MandateLead, Meeting, Participant
from workflow.dependencies import find_cycle, stored_graph
from workflow.seam import record


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


def import_catalogue(session: Session, catalogue: Catalogue, *, actor: str, now: datetime) -> ImportReport:
    """Bring the database in line with the catalogue; the caller commits or rolls back."""
    report = ImportReport()
    source = catalogue.source

    def fail(where: str, message: str):
        raise CatalogueError(f"{source}: {where}: {message}.")

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

    def body_id(key: str, where: str, role: str) -> int:
        if key not in bodies:
            fail(where, f"unbekannte {role} {key!r}; bekannt: {', '.join(sorted(bodies))}")
        return bodies[key].id

    for spec in catalogue.meetings:
        owner = body_id(spec.body, f"Sitzung am {spec.date.isoformat()}", "Stelle")
        meeting = session.exec(select(Meeting).where(Meeting.body_id == owner, Meeting.date == spec.date)).first()
        if meeting is None:
            session.add(Meeting(body_id=owner, date=spec.date, title=spec.title))
            report.created["meetings"] += 1
        else:
            _sync(meeting, report, "meetings", title=spec.title)

    mandates = {m.code: m for m in session.exec(select(Mandate)).all()}
    known_fields = set(session.exec(select(CooperationField.number)).all()) | set(catalogue.fields)
    everyone = sorted(key for key, body in bodies.items() if body.kind in ("county", "municipality"))
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
            if _contact(session, bodies[key].id, email) is None:
                fail(where, f"Kontakt {email!r} gehört nicht zu {key}")
        for key in everyone if spec.participants == ALL else spec.participants:
            body_id(key, where, "teilnehmende Stelle")
        for code in spec.depends_on:
            if code == spec.code:
                fail(where, "ein Mandat kann nicht von sich selbst abhängen")
            if code not in mandates and code not in {m.code for m in catalogue.mandates}:
                fail(where, f"hängt von unbekanntem Mandat {code!r} ab")
    _refuse_cycles(session, catalogue, fail)

    session.flush()
    names = {body.id: body.name for body in bodies.values()}
    for spec in catalogue.mandates:
        mandate = mandates.get(spec.code)
        created = mandate is None
        if created:
            mandate = mandates[spec.code] = _create(spec, now)
            note = f"Angelegt aus Katalog {catalogue.name}"
            if spec.hold is not None:
                note += f"; auf Eis: {spec.hold.reason}"
            record(session, mandate, "import", actor=actor, now=now, note=note, from_state=None)
            report.created["mandates"] += 1
            participants = everyone if spec.participants == ALL else spec.participants
            for key in participants:
                session.add(Participant(mandate_id=mandate.id, body_id=bodies[key].id))
        changes = [] if created else _changes(mandate, spec)
        current = {
            (link.body_id, link.contact_id): link
            for link in session.exec(select(MandateLead).where(MandateLead.mandate_id == mandate.id)).all()
        }
        wanted = set()
        for key in spec.leads:
            contact = _contact(session, bodies[key].id, spec.lead_contacts[key]) if key in spec.lead_contacts else None
            wanted.add((bodies[key].id, contact.id if contact else None))
        if set(current) != wanted:
            for pair, link in current.items():
                if pair not in wanted:
                    session.delete(link)
            session.flush()
            for body, contact in wanted - set(current):
                session.add(MandateLead(mandate_id=mandate.id, body_id=body, contact_id=contact))
            if current:
                before = ", ".join(sorted(names[body] for body, _ in current)) or "–"
                after = ", ".join(sorted(names[body] for body, _ in wanted))
                changes.append(f"Federführung: {before} → {after}" if before != after else "Ansprechpartner geändert")
        if changes:
            report.updated["mandates"] += 1
            # A re-import that changes a mandate is an edit like any other, and the history says so.
            record(
                session, mandate, "edit", actor=actor, now=now, note=f"Katalog {catalogue.name}: " + "; ".join(changes)
            )
    session.flush()
    existing = set(session.exec(select(Dependency.mandate_id, Dependency.depends_on_id)).all())
    for spec in catalogue.mandates:
        for code in spec.depends_on:
            pair = (mandates[spec.code].id, mandates[code].id)
            if pair not in existing:
                session.add(Dependency(mandate_id=pair[0], depends_on_id=pair[1]))
                existing.add(pair)
    _import_duties(session, catalogue, mandates, bodies, report, fail)
    session.flush()
    return report


def _contact(session: Session, body_id: int, email: str) -> Contact | None:
    return session.exec(select(Contact).where(Contact.body_id == body_id, Contact.email == email)).first()


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


def _create(spec: MandateSpec, now: datetime) -> Mandate:
    mandate = Mandate(
        code=spec.code,
        field_number=spec.field,
        title=spec.title,
        description=spec.description,
        state=spec.state,
        due_date=spec.due,
    )
    if spec.hold is not None:
        mandate.held_state = spec.hold.from_state
        mandate.hold_reason = spec.hold.reason
        mandate.held_since = datetime.combine(spec.hold.since, time(), BERLIN) if spec.hold.since else now
    return mandate


def _refuse_cycles(session: Session, catalogue: Catalogue, fail) -> None:
    """Refuse dependencies that, together with the stored ones, form a cycle."""
    graph = stored_graph(session)
    for spec in catalogue.mandates:
        graph.setdefault(spec.code, set()).update(spec.depends_on)
    cycle = find_cycle(graph)
    if cycle:
        fail(f"Mandat {cycle[0]!r}", f"Abhängigkeitszyklus {' → '.join(cycle)}")
