"""Who leads a mandate and who answers for it: the one home of both reads."""

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import or_
from sqlmodel import Session, select

from models import Body, Contact, MandateLead


@dataclass(frozen=True)
class Answering:
    """A person who answers for a mandate on behalf of a lead body."""

    email: str
    name: str
    body: str
    # The person behind the address ("" for a shared mailbox), their function, and the contact row.
    person: str = ""
    function: str = ""
    contact_id: int | None = None
    body_key: str = ""

    @property
    def greeting(self) -> str:
        """The salutation line of a mail: the person's name where one is known, never a department."""
        return f"Guten Tag {self.person}," if self.person else "Guten Tag,"

    @property
    def signed(self) -> str:
        """Who wrote, for the audit log: "Petra Schulte (Lünen)", else "Personalabrechnung Lünen (Lünen)"."""
        return f"{self.person or self.name} ({self.body})"[:120]


def lead_bodies(session: Session, mandates) -> dict[int, list[Body]]:
    """Return, per mandate id, the bodies leading it, by key.

    `mandates` is a list of ids or a SELECT of ids (then the filter runs in the database).
    """
    rows = session.exec(
        select(MandateLead.mandate_id, Body)
        .join(Body, Body.id == MandateLead.body_id)
        .where(MandateLead.mandate_id.in_(mandates))
        .order_by(Body.key)
    ).all()
    result: dict[int, list[Body]] = defaultdict(list)
    for mandate_id, body in rows:
        result[mandate_id].append(body)
    return result


def answering(session: Session, mandates) -> dict[int, list[Answering]]:
    """Return, per mandate id, the lead contacts answering for it (the named one, or every contact of the body).

    `mandates` is a list of ids or a SELECT of ids (then the filter runs in the database).
    """
    rows = session.exec(
        select(
            MandateLead.mandate_id,
            Contact.email,
            Contact.name,
            Body.name,
            Contact.person,
            Contact.function,
            Contact.id,
            Body.key,
        )
        .join(Body, Body.id == MandateLead.body_id)
        .join(Contact, Contact.body_id == Body.id)
        .where(
            MandateLead.mandate_id.in_(mandates),
            or_(MandateLead.contact_id.is_(None), MandateLead.contact_id == Contact.id),
        )
        .order_by(Contact.email)
    ).all()
    result: dict[int, list[Answering]] = defaultdict(list)
    # One object per contact: at 100k mandates the same few hundred contacts answer for most of them.
    people: dict[tuple, Answering] = {}
    for mandate_id, *contact in rows:
        key = tuple(contact)
        person = people.get(key)
        if person is None:
            email, name, body, person_name, function, contact_id, body_key = contact
            person = people[key] = Answering(email, name, body, person_name, function, contact_id, body_key)
        result[mandate_id].append(person)
    return result


def contacts_of(session: Session, body_ids) -> list[tuple[Contact, Body]]:
    """Every contact of the given bodies with its body (who may answer for the mandates those bodies lead)."""
    return list(
        session.exec(
            select(Contact, Body).join(Body, Body.id == Contact.body_id).where(Contact.body_id.in_(body_ids))
        ).all()
    )


def as_answering(contact: Contact, body: Body) -> Answering:
    """The contact as a person answering for its body."""
    return Answering(contact.email, contact.name, body.name, contact.person, contact.function, contact.id, body.key)
