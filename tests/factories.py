"""Build rows directly for tests that need a mandate in a given situation."""

from datetime import date

from sqlmodel import Session, select

from models import Body, BodyDecision, CooperationField, Dependency, Mandate, MandateLead, Meeting
from tests.conftest import NOW, RULES

__all__ = ["RULES"]  # tests import the rules from here, with the factories


def body(session: Session, key: str = "luenen", kind: str = "municipality") -> Body:
    found = session.exec(select(Body).where(Body.key == key)).first()
    if found:
        return found
    row = Body(key=key, name=key.capitalize(), kind=kind)
    session.add(row)
    session.flush()
    return row


def mandate(session: Session, code: str = "9.1", state: str = "examine", lead: str = "luenen", **attrs) -> Mandate:
    """Create a mandate in any state with one lead; attrs override columns."""
    if session.get(CooperationField, 9) is None:
        session.add(CooperationField(number=9, name="Testfeld"))
    row = Mandate(
        code=code, field_number=9, title=f"Mandat {code}", state=state, created_at=NOW, updated_at=NOW, **attrs
    )
    session.add(row)
    session.flush()
    session.add(MandateLead(mandate_id=row.id, body_id=body(session, lead).id))
    session.commit()
    return row


def meeting(session: Session, day: date, key: str = "bmk") -> Meeting:
    row = Meeting(
        body_id=body(session, key, "conference").id,
        date=day,
        title="Sitzung der Bürgermeisterkonferenz",
        created_at=NOW,
    )
    session.add(row)
    session.commit()
    return row


def depends(session: Session, waiting: Mandate, on: Mandate) -> None:
    session.add(Dependency(mandate_id=waiting.id, depends_on_id=on.id))
    session.commit()


def joined(session: Session, mandate: Mandate, key: str) -> BodyDecision:
    row = BodyDecision(
        mandate_id=mandate.id,
        body_id=body(session, key).id,
        decision="joined",
        decided_on=date(2011, 4, 12),
        recorded_at=NOW,
        actor="test",
    )
    session.add(row)
    session.commit()
    return row
