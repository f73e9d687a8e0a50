"""Mandates waiting for other mandates' decisions, and the cycles that must never form."""

from graphlib import CycleError, TopologicalSorter

from sqlalchemy import case, or_
from sqlmodel import Session, select

from ikz.errors import InvalidInput
from models import Dependency, Mandate
from workflow.lookup import get_mandate
from workflow.seam import record


def waiting_for(session: Session, mandate: Mandate) -> list[Mandate]:
    """Return the mandates this mandate depends on, by code."""
    return list(
        session.exec(
            select(Mandate)
            .join(Dependency, Dependency.depends_on_id == Mandate.id)
            .where(Dependency.mandate_id == mandate.id)
            .order_by(Mandate.code)
        ).all()
    )


def neighbours(session: Session, mandate_id: int) -> tuple[list, list]:
    """The mandates this one waits for, and those waiting for it: (code, title, state) rows by code, one query."""
    other = case((Dependency.mandate_id == mandate_id, Dependency.depends_on_id), else_=Dependency.mandate_id)
    rows = session.exec(
        select(Mandate.code, Mandate.title, Mandate.state, (Dependency.mandate_id == mandate_id).label("waits"))
        .join(Dependency, Mandate.id == other)
        .where(or_(Dependency.mandate_id == mandate_id, Dependency.depends_on_id == mandate_id))
        .order_by(Mandate.code)
    ).all()
    return [row for row in rows if row.waits], [row for row in rows if not row.waits]


def stored_graph(session: Session) -> dict[str, set[str]]:
    """Return every stored dependency as code → codes it waits for."""
    codes = dict(session.exec(select(Mandate.id, Mandate.code)).all())
    graph: dict[str, set[str]] = {}
    for mandate_id, depends_on_id in session.exec(select(Dependency.mandate_id, Dependency.depends_on_id)).all():
        graph.setdefault(codes[mandate_id], set()).add(codes[depends_on_id])
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """Return a dependency cycle as codes (first == last), or None."""
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        ring = list(reversed(exc.args[1]))[:-1]
        # Start at the smallest code so the same cycle is always named the same way.
        start = ring.index(min(ring))
        ring = ring[start:] + ring[:start]
        return ring + ring[:1]
    return None


def add_dependency(session: Session, code: str, on: str, *, actor: str, now, channel: str = "CLI") -> None:
    """Let a mandate wait for another's decision; refuse self-references and cycles (naming the cycle)."""
    mandate, other = get_mandate(session, code), get_mandate(session, on)
    if mandate.id == other.id:
        raise InvalidInput(f"Mandat {code} kann nicht auf sich selbst warten.")
    exists = session.exec(
        select(Dependency).where(Dependency.mandate_id == mandate.id, Dependency.depends_on_id == other.id)
    ).first()
    if exists:
        raise InvalidInput(f"Mandat {mandate.code} wartet bereits auf {other.code}.")
    graph = stored_graph(session)
    graph.setdefault(mandate.code, set()).add(other.code)
    cycle = find_cycle(graph)
    if cycle:
        raise InvalidInput(
            f"Abhängigkeit {mandate.code} → {other.code} abgelehnt: sie ergäbe den Zyklus {' → '.join(cycle)}."
        )
    session.add(Dependency(mandate_id=mandate.id, depends_on_id=other.id))
    record(
        session,
        mandate,
        "depend",
        actor=actor,
        now=now,
        note=f"wartet auf {other.code} ({other.title})",
        channel=channel,
    )


def remove_dependency(session: Session, code: str, on: str, *, actor: str, now, channel: str = "CLI") -> None:
    """Stop a mandate waiting for another."""
    mandate, other = get_mandate(session, code), get_mandate(session, on)
    row = session.exec(
        select(Dependency).where(Dependency.mandate_id == mandate.id, Dependency.depends_on_id == other.id)
    ).first()
    if row is None:
        raise InvalidInput(f"Mandat {mandate.code} wartet nicht auf {other.code}.")
    session.delete(row)
    record(
        session, mandate, "depend", actor=actor, now=now, note=f"wartet nicht mehr auf {other.code}", channel=channel
    )
