"""A large programme for tests of mail at scale: the shipped catalogue plus generated mandates of one lead."""

from dataclasses import replace
from datetime import date, timedelta

from ikz.catalogue.importer import import_catalogue
from ikz.catalogue.spec import MandateSpec, load, resolve
from models.db import transaction
from tests.conftest import NOW, RULES

# Long titles (the most a title may be) make each listed mandate as large as it can get.
TITLE = "Gemeinsame Wahrnehmung " + "der Aufgaben der Verwaltung " * 7


def grow(engine, extra: int, *, overdue: int, first_due: date = date(2010, 10, 1)) -> None:
    """Import the shipped catalogue plus `extra` mandates in concept led by Lünen's LOGA contact.

    The first `overdue` of them are due one day apart from `first_due` (before NOW, so overdue); the others
    one day apart from 60 days after NOW.
    """
    catalogue = load(resolve("kreis-unna-2010"))
    later = NOW.date() + timedelta(days=60)
    generated = [
        MandateSpec(
            code=f"8.{100 + i}",
            field=1,
            title=f"{TITLE[: 200 - 6]} {i:05d}",
            description="Erzeugt für einen Test mit vielen Mandaten.",
            leads=["luenen"],
            lead_contacts={"luenen": "loga@luenen.example"},
            participants=["luenen", "selm"],
            state="propose",
            due=first_due + timedelta(days=i) if i < overdue else later + timedelta(days=i - overdue),
            depends_on=[],
            hold=None,
        )
        for i in range(extra)
    ]
    catalogue = replace(catalogue, mandates=[*catalogue.mandates, *generated])
    with transaction(engine) as session:
        import_catalogue(session, catalogue, actor="test", now=NOW, rules=RULES)
