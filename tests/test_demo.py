"""The README's main command runs end to end on the embedded defaults."""

from sqlmodel import Session, select

from ikz.demo import run
from models import Mandate, TransitionLog
from models.db import make_engine


def test_demo_walks_1_4_to_its_decision(tmp_path):
    lines = []
    path = run(tmp_path, lines.append)
    assert "12.04.2011  1.4 Entscheidung → Umsetzung" in lines
    # Lünen answers its reminder by mail; the coordinator accepts the new deadline.
    start = lines.index(
        "02.03.2011  Erinnerung an Petra Schulte (Lünen): ikz 1.4 Einkaufsgemeinschaft LOGA – Konzepterstellung"
    )
    assert lines[start + 1 : start + 3] == [
        "02.03.2011  Antwort von Petra Schulte (Lünen) zu 1.4: „Neue Frist: 31.03.2011 – Verhandlungen mit dem RZ "
        "laufen“ → Vorschlag 1",
        "03.03.2011  1.4 Vorschlag 1 angenommen: Frist: 16.03.2011 → 31.03.2011",
    ]
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        states = dict(session.exec(select(Mandate.code, Mandate.state)).all())
        loga = session.exec(select(Mandate).where(Mandate.code == "1.4")).one()
        entries = session.exec(select(TransitionLog).where(TransitionLog.mandate_id == loga.id)).all()
    engine.dispose()
    assert (states["1.4"], states["2.1-LS"], states["1.2"]) == ("implement", "on_hold", "propose")
    by_mail = [(e.trigger, e.actor) for e in entries if e.channel == "E-Mail"]
    assert by_mail == [("propose", "Petra Schulte (Lünen)")]
