"""When reminders fall due: working days before a deadline, on it, weekly after it, escalation."""

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from workflow.workdays import add_working_days, next_working_day, working_days_between


@dataclass(frozen=True)
class Policy:
    """The reminder offsets from the [reminders] settings."""

    before: tuple[int, ...] = (10, 3)
    on_due: bool = True
    overdue_every_days: int = 7
    escalate_after: int = 10

    @classmethod
    def from_settings(cls, settings) -> "Policy":
        r = settings.reminders
        return cls(tuple(sorted(set(r.before), reverse=True)), r.on_due, r.overdue_every_days, r.escalate_after)


@dataclass(frozen=True)
class Slot:
    """One reminder occasion for a deadline: its kind, the working day it goes out, whether it escalates."""

    kind: str
    day: date
    escalated: bool = False

    @property
    def overdue(self) -> bool:
        return self.kind.startswith("overdue-")


@lru_cache(maxsize=4096)
def _before_and_due(policy: Policy, due: date) -> tuple[Slot, ...]:
    slots = [Slot(f"before-{n}", add_working_days(due, -n)) for n in policy.before if n > 0]
    if policy.on_due:
        slots.append(Slot("due", next_working_day(due)))
    return tuple(slots)


@lru_cache(maxsize=4096)
def escalation_day(policy: Policy, due: date) -> date:
    """The working day from which an overdue deadline is reminded to the coordinator too."""
    return add_working_days(due, policy.escalate_after)


def latest_slot(policy: Policy, due: date, today: date, *, overdue: bool = True) -> Slot | None:
    """Return the most recent slot on or before today; after downtime only this one is sent (catch-up once)."""
    latest = None
    for slot in _before_and_due(policy, due):
        if slot.day <= today:
            latest = slot
    if overdue and policy.overdue_every_days and today > due:
        weeks = (today - due).days // policy.overdue_every_days
        # The weekly slot is shifted to a working day, so the last one may still lie ahead of today.
        while weeks > 0:
            day = next_working_day(due + timedelta(days=weeks * policy.overdue_every_days))
            if day <= today:
                escalated = policy.escalate_after > 0 and day >= escalation_day(policy, due)
                candidate = Slot(f"overdue-{weeks}", day, escalated)
                if latest is None or candidate.day >= latest.day:
                    latest = candidate
                break
            weeks -= 1
    return latest


def describe(slot: Slot, due: date, today: date) -> str:
    """Say in German what a reminder is about, e.g. 'Frist in 3 Arbeitstagen'."""
    if slot.kind.startswith("before-"):
        return f"Frist in {slot.kind.removeprefix('before-')} Arbeitstagen"
    if slot.kind == "due":
        return "Frist heute" if today <= due else "Frist abgelaufen"
    # Working days, as everywhere else deadlines are counted (a holiday week does not make it look worse).
    days = working_days_between(due, today)
    text = f"Frist seit {days} {'Arbeitstag' if days == 1 else 'Arbeitstagen'} überschritten"
    return text + " – Eskalation an die Koordination" if slot.escalated else text
