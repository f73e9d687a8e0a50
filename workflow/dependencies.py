"""Mandates waiting for other mandates' decisions, and the cycles that must never form."""

from graphlib import CycleError, TopologicalSorter

from sqlmodel import Session, select

from models import Dependency, Mandate


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
