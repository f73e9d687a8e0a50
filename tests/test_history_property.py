"""Property: for random sequences of changes, the view rebuilt as of each change's moment is what was live then."""

import itertools
from datetime import date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from ikz.clock import BERLIN, local_date
from ikz.errors import IkzError
from models import Mandate, MandateLead
from models.db import transaction
from tests.factories import RULES, body, meeting
from workflow.board import list_mandates
from workflow.controlling import record_saving
from workflow.decisions import record_decision
from workflow.dependencies import add_dependency, remove_dependency
from workflow.editing import edit_mandate
from workflow.history import rebuild, views
from workflow.lookup import find_meeting
from workflow.notes import add_note
from workflow.seam import record
from workflow.steps import advance

START = datetime(2011, 1, 3, 9, 0, tzinfo=BERLIN)
# A conference meeting soon after the start, so that random walks reach its decision.
MEETING = date(2011, 1, 17)
_examples = itertools.count(1)


def _step(trigger, **inputs):
    def run(session, code, other, now):
        meeting = {"meeting_date": MEETING} if trigger == "submit" else {}
        advance(session, code, trigger, actor="p", now=now, today=local_date(now), rules=RULES, **inputs, **meeting)

    return run


def _edit(**changes):
    def run(session, code, other, now):
        edit_mandate(session, code, actor="p", now=now, **changes)

    return run


def _decision(body_key, decision):
    def run(session, code, other, now):
        record_decision(
            session, code, body_key, decision, decided_on=local_date(now), reference="R", actor="p", now=now
        )

    return run


def _saving(amount):
    def run(session, code, other, now):
        record_saving(session, code, 2011, amount, actor="p", now=now, today=local_date(now))

    return run


def _depend(remove=False):
    def run(session, code, other, now):
        (remove_dependency if remove else add_dependency)(session, code, other, actor="p", now=now)

    return run


def _note(session, code, other, now):
    add_note(session, code, "Vermerk", actor="p", now=now)


def _forward(session, code, other, now):
    """Take the main line's next step with what it needs, so that random walks reach decisions and control."""
    state = session.exec(select(Mandate.state).where(Mandate.code == code)).one()
    if state == "propose":
        _edit(concept_ref="Konzept", plan_ref="Plan", savings_target=12_000)(session, code, other, now)
    if state == "decide":
        _decision("luenen", "joined")(session, code, other, now)
    trigger = {"examine": "start_concept", "propose": "submit", "present": "open_decision", "decide": "approve",
               "implement": "start_control", "control": "close"}.get(state)  # fmt: skip
    if trigger:
        _step(trigger)(session, code, other, now)


OPERATIONS = {
    "start_concept": _step("start_concept"),
    "submit": _step("submit"),
    "open_decision": _step("open_decision"),
    "approve": _step("approve"),
    "reject": _step("reject", note="nein"),
    "refer_back": _step("refer_back", note="nachbessern"),
    "start_control": _step("start_control"),
    "hold": _step("hold", note="Pause"),
    "resume": _step("resume"),
    "withdraw": _step("withdraw", note="erledigt sich"),
    "refs": _edit(concept_ref="Konzept", plan_ref="Plan", savings_target=12_000),
    "due": _edit(due_date=date(2011, 6, 30)),
    "due later": _edit(due_date=date(2011, 9, 30)),
    "title": _edit(title="Neuer Titel"),
    "joined": _decision("luenen", "joined"),
    "declined": _decision("selm", "declined"),
    "saving": _saving(5_000),
    "saving corrected": _saving(7_500),
    "depend": _depend(),
    "undepend": _depend(remove=True),
    "note": _note,
}
# The main line's next step is drawn as often as all other changes together.
NAMES = sorted(OPERATIONS) + ["forward"] * len(OPERATIONS)
OPERATIONS["forward"] = _forward

# Gaps between changes: minutes or days, so that changes fall before, on and after the meeting day.
gaps = st.one_of(
    st.integers(min_value=1, max_value=600), st.integers(min_value=1, max_value=12).map(lambda d: d * 1440)
)
steps = st.lists(st.tuples(st.sampled_from(NAMES), gaps), min_size=1, max_size=20)


def _create(session, code: str, now: datetime) -> int:
    mandate = Mandate(
        code=code, field_number=1, title=f"Mandat {code}", state="examine", created_at=now, updated_at=now
    )
    session.add(mandate)
    session.flush()
    session.add(MandateLead(mandate_id=mandate.id, body_id=body(session, "luenen").id))
    record(session, mandate, "import", actor="p", now=now, from_state=None)
    return mandate.id


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=steps)
def test_the_rebuilt_view_at_each_moment_is_the_view_that_was_live(loaded, changes):
    number = next(_examples)
    code, other = f"P.{number}", f"Q.{number}"
    with transaction(loaded) as session:
        body(session, "selm")
        if find_meeting(session, MEETING) is None:
            meeting(session, MEETING)
        ids = [_create(session, code, START), _create(session, other, START)]
    seen: list[tuple[datetime, dict]] = []
    with transaction(loaded) as session:
        seen.append((START, views(session, ids)))
    moment = START
    for name, minutes in changes:
        moment += timedelta(minutes=minutes)
        try:
            with transaction(loaded) as session:
                OPERATIONS[name](session, code, other, moment)
        except IkzError:
            continue  # refused (a guard, a state that does not allow it): nothing was written
        with transaction(loaded) as session:
            seen.append((moment, views(session, ids)))
    with transaction(loaded) as session:
        for when, expected in seen:
            assert rebuild(session, when, ids) == expected
            # Between two changes the view stays as the earlier one left it.
            assert rebuild(session, when + timedelta(seconds=30), ids) == expected
        assert rebuild(session, START - timedelta(seconds=1), ids) == {}
        # The list a user reads as of the last change is built from the same views.
        when, expected = seen[-1]
        listed = {row["code"]: row for row in list_mandates(session, today=local_date(when), as_of=when)}
        assert (listed[code]["state"], listed[code]["due_date"]) == (expected[ids[0]]["state"], expected[ids[0]]["due"])
