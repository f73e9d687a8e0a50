"""The lifecycle machine: every allowed and refused step, each guard, hold/resume and the audit log."""

from datetime import date, timedelta

import pytest
from sqlmodel import Session, func, select

from ikz.errors import ConcurrentChange, InvalidInput, TransitionRefused
from models import Mandate, TransitionLog
from models.db import transaction
from tests import factories
from tests.conftest import NOW, TODAY
from tests.factories import RULES
from workflow import lifecycle
from workflow.rules import Rules
from workflow.steps import advance

MEETING_DAY = date(2011, 4, 12)


def fire(engine, code, trigger, *, today=TODAY, rules=RULES, **inputs):
    with transaction(engine) as session:
        return advance(session, code, trigger, actor="koordination", now=NOW, today=today, **inputs, rules=rules)


def ready_for(session: Session, state: str, **attrs) -> Mandate:
    """A mandate in `state` whose guards for every outgoing step are satisfied."""
    factories.meeting(session, MEETING_DAY)
    values = dict(concept_ref="K-1", plan_ref="WP-1", savings_target=50000)
    if state in ("present", "decide"):
        values["meeting_id"] = session.exec(select(factories.Meeting.id)).first()
    if state == "on_hold":
        values.update(held_state="propose", hold_reason="Personal fehlt", held_since=NOW)
    values.update(attrs)
    mandate = factories.mandate(session, "9.1", state, **values)
    if state == "decide":
        factories.joined(session, mandate, "luenen")
    return mandate


# What each step needs beyond a prepared mandate, and where it leads.
INPUTS = {
    "submit": {"meeting_date": MEETING_DAY},
    "reject": {"note": "Kein Bedarf"},
    "refer_back": {"note": "Wirtschaftsplan überarbeiten"},
    "hold": {"note": "Personal fehlt"},
    "withdraw": {"note": "Erledigt sich durch Landesrecht"},
}
TODAY_FOR = {"open_decision": MEETING_DAY}

ALLOWED = sorted(
    (source, trigger, transition.dest)
    for trigger in lifecycle.TRIGGERS
    for source in lifecycle.STATES
    for transition in lifecycle.MACHINE.get_transitions(trigger, source=source)
    if trigger != "resume" or transition.dest == "propose"
)
ALLOWED_PAIRS = {(source, trigger) for source, trigger, _ in ALLOWED}
REFUSED = [(s, t) for s in lifecycle.STATES for t in lifecycle.TRIGGERS if (s, t) not in ALLOWED_PAIRS]


def test_the_table_offers_the_documented_steps():
    assert {(s, t): d for s, t, d in ALLOWED} == {
        ("examine", "start_concept"): "propose",
        ("propose", "submit"): "present",
        ("present", "open_decision"): "decide",
        ("decide", "approve"): "implement",
        ("decide", "reject"): "rejected",
        ("present", "refer_back"): "propose",
        ("decide", "refer_back"): "propose",
        ("implement", "start_control"): "control",
        ("control", "close"): "closed",
        **{(s, "hold"): "on_hold" for s in lifecycle.ACTIVE},
        ("on_hold", "resume"): "propose",
        **{(s, "withdraw"): "withdrawn" for s in (*lifecycle.ACTIVE, "on_hold")},
    }


def test_every_state_is_reachable_and_every_active_state_can_end():
    edges = {}
    for trigger in lifecycle.TRIGGERS:
        for source in lifecycle.STATES:
            for t in lifecycle.MACHINE.get_transitions(trigger, source=source):
                edges.setdefault(source, set()).add(t.dest)

    def reachable(start):
        seen, todo = {start}, [start]
        while todo:
            for nxt in edges.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    assert reachable("examine") == set(lifecycle.STATES)
    for state in (*lifecycle.ACTIVE, "on_hold"):
        assert reachable(state) & set(lifecycle.FINAL)
    for state in lifecycle.FINAL:
        assert state not in edges


@pytest.mark.parametrize(("source", "trigger", "dest"), ALLOWED)
def test_allowed_step_moves_and_is_logged(engine, session, source, trigger, dest):
    ready_for(session, source)
    entry = fire(engine, "9.1", trigger, today=TODAY_FOR.get(trigger, TODAY), **INPUTS.get(trigger, {}))
    session.expire_all()
    mandate = session.exec(select(Mandate)).one()
    assert mandate.state == dest
    logged = session.exec(select(TransitionLog)).all()
    assert [(e.from_state, e.to_state, e.trigger, e.actor, e.at) for e in logged] == [
        (source, dest, trigger, "koordination", NOW)
    ]
    assert entry.note == INPUTS.get(trigger, {}).get("note")


@pytest.mark.parametrize(("source", "trigger"), REFUSED)
def test_refused_step_says_what_is_allowed_and_writes_nothing(engine, session, source, trigger):
    ready_for(session, source)
    with pytest.raises(TransitionRefused) as refused:
        fire(engine, "9.1", trigger, **{k: v for k, v in INPUTS.get(trigger, {}).items() if k == "note"})
    allowed = lifecycle.triggers_from(source)
    label = lifecycle.STATES[source]
    tail = (
        f"Erlaubt im Zustand {label}: {', '.join(allowed)}."
        if allowed
        else f"Im Zustand {label} ist kein Schritt mehr möglich."
    )
    assert str(refused.value) == (
        f"Schritt '{trigger}' ({lifecycle.TRIGGERS[trigger]}) für 9.1 ist im Zustand {label} nicht möglich. {tail}"
    )
    session.expire_all()
    assert session.exec(select(Mandate.state, Mandate.version)).one() == (source, 1)
    assert session.exec(select(func.count()).select_from(TransitionLog)).one() == 0


def refusal(engine, code, trigger, **inputs) -> str:
    with pytest.raises(TransitionRefused) as refused:
        fire(engine, code, trigger, **inputs)
    return str(refused.value)


def test_submit_lists_every_missing_input(engine, session):
    factories.mandate(session, "9.1", "propose")
    assert refusal(engine, "9.1", "submit") == (
        "Schritt 'submit' (der Bürgermeisterkonferenz vorlegen) für 9.1 nicht möglich: "
        "es fehlt die Sitzung der Bürgermeisterkonferenz (--meeting DATUM); "
        "es fehlt die Konzept-Referenz (ikz edit 9.1 --concept REF); "
        "es fehlt die Referenz auf den Wirtschaftsplan (ikz edit 9.1 --plan REF); "
        "es fehlt das Effizienzziel in EUR/Jahr (ikz edit 9.1 --target EUR). "
        "Erlaubt im Zustand Konzepterstellung: submit, hold, withdraw."
    )


def test_submit_needs_an_existing_meeting_not_in_the_past(engine, session):
    ready_for(session, "propose")
    assert (
        "am 13.04.2011 ist keine Sitzung der Bürgermeisterkonferenz angelegt (ikz meeting add 2011-04-13)"
        in refusal(engine, "9.1", "submit", meeting_date=date(2011, 4, 13))
    )
    with pytest.raises(TransitionRefused, match=r"die Sitzung am 12\.04\.2011 liegt in der Vergangenheit"):
        fire(engine, "9.1", "submit", meeting_date=MEETING_DAY, today=date(2011, 4, 13))
    fire(engine, "9.1", "submit", meeting_date=MEETING_DAY, today=MEETING_DAY)
    session.expire_all()
    mandate = session.exec(select(Mandate)).one()
    # The present stage is due at the submission deadline, 10 working days before the meeting.
    assert (mandate.state, mandate.due_date, mandate.meeting_id is not None) == ("present", date(2011, 3, 29), True)


def test_meeting_option_only_applies_to_submit(engine, session):
    ready_for(session, "examine")
    with pytest.raises(InvalidInput, match=r"^--meeting gilt nur für den Schritt submit\.$"):
        fire(engine, "9.1", "start_concept", meeting_date=MEETING_DAY)


def test_open_decision_waits_for_the_meeting_day(engine, session):
    ready_for(session, "present")
    assert "die Sitzung am 12.04.2011 hat noch nicht stattgefunden" in refusal(engine, "9.1", "open_decision")
    fire(engine, "9.1", "open_decision", today=MEETING_DAY)


def test_open_decision_without_a_meeting_is_refused(engine, session):
    factories.mandate(session, "9.1", "present")
    assert "dem Mandat ist keine Sitzung zugeordnet" in refusal(engine, "9.1", "open_decision")


def test_approve_waits_until_every_dependency_is_decided(engine, session):
    waiting = ready_for(session, "decide")
    first = factories.mandate(session, "9.2", "examine")
    second = factories.mandate(session, "9.3", "rejected")
    factories.depends(session, waiting, first)
    factories.depends(session, waiting, second)
    assert refusal(engine, "9.1", "approve") == (
        "Schritt 'approve' (zustimmen) für 9.1 nicht möglich: Mandat 9.2 (Mandat 9.2) ist noch nicht entschieden "
        "(Prüfung). Erlaubt im Zustand Entscheidung: approve, reject, refer_back, hold, withdraw."
    )
    first.state = "implement"
    session.add(first)
    session.commit()
    fire(engine, "9.1", "approve")


def test_approve_needs_at_least_one_joined_body(engine, session):
    factories.mandate(session, "9.1", "decide")
    assert refusal(engine, "9.1", "approve") == (
        "Schritt 'approve' (zustimmen) für 9.1 nicht möglich: keine Stelle ist beigetreten "
        "(ikz decision 9.1 STELLE joined). Erlaubt im Zustand Entscheidung: approve, reject, refer_back, hold, withdraw."
    )


@pytest.mark.parametrize("trigger", ["reject", "refer_back"])
def test_reject_and_refer_back_need_a_note(engine, session, trigger):
    ready_for(session, "decide")
    assert "eine Begründung ist nötig (--note TEXT)" in refusal(engine, "9.1", trigger, note="   ")


@pytest.mark.parametrize("trigger", ["hold", "withdraw"])
def test_hold_and_withdraw_need_a_reason(engine, session, trigger):
    ready_for(session, "examine")
    assert "ein Grund ist nötig (--reason TEXT)" in refusal(engine, "9.1", trigger)


def test_start_control_needs_a_savings_target(engine, session):
    factories.mandate(session, "9.1", "implement")
    assert "es fehlt das Effizienzziel in EUR/Jahr (ikz edit 9.1 --target EUR)" in refusal(
        engine, "9.1", "start_control"
    )


@pytest.mark.parametrize("state", lifecycle.ACTIVE)
def test_hold_and_resume_return_to_the_same_stage(engine, session, state):
    due = date(2011, 3, 1)
    ready_for(session, state, due_date=due, stage_seq=4)
    fire(engine, "9.1", "hold", note="Schlüsselperson fehlt")
    session.expire_all()
    held = session.exec(select(Mandate)).one()
    assert (held.state, held.held_state, held.hold_reason, held.held_since) == (
        "on_hold",
        state,
        "Schlüsselperson fehlt",
        NOW,
    )
    fire(engine, "9.1", "resume")
    session.expire_all()
    back = session.exec(select(Mandate)).one()
    assert (back.state, back.held_state, back.hold_reason, back.held_since) == (state, None, None, None)
    # Same stage: the deadline and the reminder sequence continue.
    assert (back.due_date, back.stage_seq) == (due, 4)


def test_a_new_stage_starts_with_its_default_deadline(engine, session):
    ready_for(session, "examine", due_date=date(2011, 1, 1))
    fire(engine, "9.1", "start_concept")
    session.expire_all()
    mandate = session.exec(select(Mandate)).one()
    # 02.11.2010 + 3 months (deadlines.propose): Wednesday 02.02.2011.
    assert (mandate.due_date, mandate.stage_seq) == (date(2011, 2, 2), 2)


def test_a_stage_without_a_default_starts_without_deadline(engine, session):
    ready_for(session, "examine", due_date=date(2011, 1, 1))
    fire(engine, "9.1", "start_concept", rules=Rules(submission_days=10))
    session.expire_all()
    assert session.exec(select(Mandate)).one().due_date is None


def test_withdrawing_a_held_mandate_clears_the_hold(engine, session):
    ready_for(session, "on_hold")
    fire(engine, "9.1", "withdraw", note="Kooperation beendet")
    session.expire_all()
    mandate = session.exec(select(Mandate)).one()
    assert (mandate.state, mandate.held_state, mandate.hold_reason) == ("withdrawn", None, None)


def test_the_log_is_append_only(engine, session):
    ready_for(session, "examine")
    fire(engine, "9.1", "start_concept", note="los")
    entry = session.exec(select(TransitionLog)).one()
    entry.note = "geschönt"
    with pytest.raises(RuntimeError, match="append-only"):
        session.commit()
    session.rollback()
    session.delete(session.exec(select(TransitionLog)).one())
    with pytest.raises(RuntimeError, match="append-only"):
        session.commit()


def test_history_keeps_every_step_in_order(engine, session):
    ready_for(session, "examine")
    fire(engine, "9.1", "start_concept", note="Konzept beginnt")
    fire(engine, "9.1", "hold", note="Urlaub")
    fire(engine, "9.1", "resume")
    fire(engine, "9.1", "submit", meeting_date=MEETING_DAY)
    entries = session.exec(select(TransitionLog).order_by(TransitionLog.id)).all()
    assert [(e.from_state, e.to_state, e.trigger, e.note) for e in entries] == [
        ("examine", "propose", "start_concept", "Konzept beginnt"),
        ("propose", "on_hold", "hold", "Urlaub"),
        ("on_hold", "propose", "resume", None),
        ("propose", "present", "submit", None),
    ]


def test_two_coordinators_at_once_exactly_one_wins(engine, session):
    ready_for(session, "examine")
    first = Session(engine, expire_on_commit=False)
    second = Session(engine, expire_on_commit=False)
    # The second coordinator has loaded version 1 before the first one commits.
    seen_by_second = second.exec(select(Mandate)).one()
    assert seen_by_second.version == 1
    advance(first, "9.1", "start_concept", actor="a", now=NOW, today=TODAY, rules=RULES)
    first.commit()
    with pytest.raises(ConcurrentChange) as lost:
        advance(second, "9.1", "start_concept", actor="b", now=NOW + timedelta(minutes=1), today=TODAY, rules=RULES)
    assert str(lost.value) == (
        "Mandat 9.1 wurde inzwischen von jemand anderem geändert; nichts wurde gespeichert. "
        "Bitte den neuen Stand ansehen und erneut versuchen."
    )
    second.close()
    first.close()
    session.expire_all()
    assert session.exec(select(Mandate.state, Mandate.version)).one() == ("propose", 2)
    assert [e.actor for e in session.exec(select(TransitionLog)).all()] == ["a"]


def test_mermaid_diagram_is_the_machine(tmp_path):
    text = lifecycle.mermaid()
    assert text.startswith("stateDiagram-v2\n")
    for name, label in lifecycle.STATES.items():
        assert f'    state "{label}" as {name}\n' in text
    arrows = [line.strip() for line in text.splitlines() if "-->" in line and "[*]" not in line]
    assert len(arrows) == sum(len(ts) for e in lifecycle.MACHINE.events.values() for ts in e.transitions.values())
    assert "decide --> implement: zustimmen" in arrows
    assert "on_hold --> control: wieder aufnehmen" in arrows
