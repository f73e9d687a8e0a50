"""The README's main command runs end to end on the embedded defaults."""

from sqlmodel import Session, select

from ikz.demo import run
from models import Mandate
from models.db import make_engine


def test_demo_walks_1_4_to_its_decision(tmp_path):
    lines = []
    path = run(tmp_path, lines.append)
    assert "12.04.2011  1.4 Entscheidung → Umsetzung" in lines
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        states = dict(session.exec(select(Mandate.code, Mandate.state)).all())
    engine.dispose()
    assert (states["1.4"], states["2.1-LS"], states["1.2"]) == ("implement", "on_hold", "propose")
