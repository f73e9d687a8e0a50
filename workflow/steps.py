"""Advancing a mandate: fire the lifecycle, record the step, commit both or neither."""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session
from transitions import MachineError

from ikz.clock import local_date
from ikz.errors import InvalidInput, TransitionRefused
from models import Mandate, Meeting, TransitionLog
from workflow import lifecycle, words
from workflow.checks import check_text
from workflow.decisions import adopt_participants, joined_bodies
from workflow.dependencies import waiting_for
from workflow.lookup import find_meeting, get_mandate
from workflow.rules import Rules
from workflow.seam import record
from workflow.text import format_date, plural
from workflow.workdays import add_working_days, working_days_between


@dataclass
class Step:
    """What one lifecycle step sees: the mandate, the user's inputs and today's date."""

    session: Session
    mandate: Mandate
    today: date
    note: str | None = None
    meeting_date: date | None = None
    meeting: Meeting | None = None
    # hold: the day to look at the mandate again (Wiedervorlage).
    until: date | None = None
    refusals: list[str] = field(default_factory=list)

    # The machine reads and writes the state through these attributes.
    @property
    def state(self) -> str:
        return self.mandate.state

    @state.setter
    def state(self, value: str) -> None:
        self.mandate.state = value

    @property
    def held_state(self) -> str | None:
        return self.mandate.held_state

    def _check(self, ok: bool, reason: str) -> bool:
        if not ok:
            self.refusals.append(reason)
        return ok

    # Guards, named in lifecycle.TRANSITIONS.
    def meeting_upcoming(self, event=None) -> bool:
        if self.meeting_date is None:
            return self._check(False, "es fehlt die Sitzung der Bürgermeisterkonferenz (--meeting DATUM)")
        day = format_date(self.meeting_date)
        if self.meeting is None:
            return self._check(
                False,
                f"am {day} ist keine Sitzung der Bürgermeisterkonferenz angelegt "
                f"(ikz meeting add {self.meeting_date.isoformat()})",
            )
        if self.meeting.cancelled_at is not None:
            return self._check(False, f"die Sitzung am {day} ist abgesagt ({self.meeting.cancel_reason})")
        return self._check(self.meeting.date >= self.today, f"die Sitzung am {day} liegt in der Vergangenheit")

    def concept_set(self, event=None) -> bool:
        return self._check(
            bool(self.mandate.concept_ref),
            f"es fehlt die Konzept-Referenz (ikz edit {self.mandate.code} --concept REF)",
        )

    def plan_set(self, event=None) -> bool:
        return self._check(
            bool(self.mandate.plan_ref),
            f"es fehlt die Referenz auf den Wirtschaftsplan (ikz edit {self.mandate.code} --plan REF)",
        )

    def target_set(self, event=None) -> bool:
        return self._check(
            self.mandate.savings_target is not None,
            f"es fehlt das Effizienzziel in EUR/Jahr (ikz edit {self.mandate.code} --target EUR)",
        )

    def meeting_reached(self, event=None) -> bool:
        meeting = self.session.get(Meeting, self.mandate.meeting_id) if self.mandate.meeting_id else None
        if meeting is None:
            return self._check(False, "dem Mandat ist keine Sitzung zugeordnet")
        return self._check(
            meeting.date <= self.today, f"die Sitzung am {format_date(meeting.date)} hat noch nicht stattgefunden"
        )

    def dependencies_decided(self, event=None) -> bool:
        ok = True
        for other in waiting_for(self.session, self.mandate):
            if other.state not in lifecycle.DECIDED:
                ok = self._check(
                    False,
                    f"Mandat {other.code} ({other.title}) ist noch nicht entschieden ({lifecycle.STATES[other.state]})",
                )
        return ok

    def body_joined(self, event=None) -> bool:
        return self._check(
            bool(joined_bodies(self.session, self.mandate)),
            f"keine Stelle ist beigetreten (ikz decision {self.mandate.code} STELLE joined)",
        )

    def note_given(self, event=None) -> bool:
        return self._check(bool(self.note and self.note.strip()), "eine Begründung ist nötig (--note TEXT)")

    def reason_given(self, event=None) -> bool:
        return self._check(bool(self.note and self.note.strip()), "ein Grund ist nötig (--reason TEXT)")


def allowed_triggers(mandate: Mandate) -> list[str]:
    """Return the steps the lifecycle offers from the mandate's state."""
    return lifecycle.triggers_from(mandate.state)


def describe_allowed(mandate: Mandate) -> str:
    """Say in German which steps are possible from the mandate's state."""
    allowed = allowed_triggers(mandate)
    state = lifecycle.STATES[mandate.state]
    if not allowed:
        return f"Im Zustand {state} ist kein Schritt mehr möglich."
    return f"Erlaubt im Zustand {state}: {', '.join(allowed)}."


def advance(
    session: Session,
    code: str,
    trigger: str,
    *,
    actor: str,
    now: datetime,
    today: date,
    note: str | None = None,
    meeting_date: date | None = None,
    until: date | None = None,
    rules: Rules,
    channel: str = "CLI",
) -> TransitionLog:
    """Fire one lifecycle trigger on a mandate and append it to the log (caller commits and composes effects)."""
    mandate = get_mandate(session, code)
    trigger = words.trigger(trigger, state=mandate.state)
    if meeting_date is not None and trigger != "submit":
        raise InvalidInput("--meeting gilt nur für den Schritt submit.")
    if until is not None and trigger != "hold":
        raise InvalidInput("--until gilt nur für den Schritt hold.")
    if until is not None and until <= today:
        raise InvalidInput(
            f"Die Wiedervorlage am {format_date(until)} liegt nicht in der Zukunft; erlaubt ist ein Tag nach heute "
            f"({format_date(today)})."
        )
    if note is not None:
        check_text(note, "Der Vermerk", multiline=True)
    step = Step(session, mandate, today, note=note, meeting_date=meeting_date, until=until)
    if meeting_date is not None:
        step.meeting = find_meeting(session, meeting_date)
    source = mandate.state
    label = f"Schritt {trigger!r} ({lifecycle.TRIGGERS[trigger]}) für {mandate.code}"
    try:
        moved = lifecycle.MACHINE.events[trigger].trigger(step)
    except MachineError:
        raise TransitionRefused(
            f"{label} ist im Zustand {lifecycle.STATES[source]} nicht möglich. {describe_allowed(mandate)}"
        ) from None
    if not moved:
        # The machine stops at the first failing guard; evaluate them all to say everything that is missing.
        step.refusals.clear()
        for name in lifecycle.guard_names(trigger, source):
            getattr(step, name)()
        reasons = "; ".join(step.refusals) or "Bedingung nicht erfüllt"
        raise TransitionRefused(f"{label} nicht möglich: {reasons}. {describe_allowed(mandate)}")
    extra = _apply_stage(mandate, source, trigger, step, rules, now)
    if trigger == "approve":
        # Before the entry: its snapshot shows the participants the approval made.
        adopt_participants(session, mandate)
    note = "; ".join(part for part in (note.strip() if note else None, extra) if part) or None
    return record(session, mandate, trigger, actor=actor, now=now, note=note, from_state=source, channel=channel)


def _apply_stage(mandate: Mandate, source: str, trigger: str, step: Step, rules: Rules, now: datetime) -> str | None:
    """Keep the columns that follow from a step in line with the new state; return what the log should add."""
    if trigger == "hold":
        mandate.held_state, mandate.hold_reason, mandate.held_since = source, step.note.strip(), now
        mandate.hold_until = step.until
        return f"Wiedervorlage am {format_date(step.until)}" if step.until else None
    if trigger == "resume":
        extra = _pause_clock(mandate, step.today, rules)
        mandate.held_state = mandate.hold_reason = mandate.held_since = mandate.hold_until = None
        return extra
    # A new stage: its deadline starts from the stage's default and its reminders start afresh.
    mandate.held_state = mandate.hold_reason = mandate.held_since = mandate.hold_until = None
    mandate.stage_seq += 1
    mandate.due_date = rules.stage_deadline(mandate.state, step.today)
    if trigger == "submit":
        # The present stage is due at the submission deadline (Vorlagefrist): the coordinator's, once submitted.
        mandate.meeting_id = step.meeting.id
        mandate.due_date = add_working_days(step.meeting.date, -rules.submission_days)
        return submission_warning(mandate, step.today)
    if trigger == "refer_back":
        mandate.meeting_id = None
    return None


def _pause_clock(mandate: Mandate, today: date, rules: Rules) -> str | None:
    """On resume, move the deadline by the working days spent on hold (the clock paused), if the rules say so."""
    if not (rules.pause_on_hold and mandate.due_date and mandate.held_since):
        return None
    paused = working_days_between(local_date(mandate.held_since), today)
    if not paused:
        return None
    before, mandate.due_date = mandate.due_date, add_working_days(mandate.due_date, paused)
    on_hold = plural(paused, "Arbeitstag", "Arbeitstage")
    return f"Frist: {format_date(before)} → {format_date(mandate.due_date)} ({on_hold} auf Eis)"


def submission_warning(mandate: Mandate, today: date) -> str | None:
    """Say so when a mandate is submitted after its submission deadline (Vorlagefrist): allowed, but late."""
    if mandate.state == "present" and mandate.due_date is not None and mandate.due_date < today:
        return f"nach der Vorlagefrist ({format_date(mandate.due_date)}) eingereicht"
    return None
