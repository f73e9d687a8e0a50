"""The rules of the lifecycle that an operator configures; callers build them from the settings."""

import re
from dataclasses import dataclass, field
from datetime import date

from dateutil.relativedelta import relativedelta

from workflow.workdays import add_working_days, next_working_day

# "20 Arbeitstage", "3 Monate" (singular too): how long a stage may take by default.
DURATION = re.compile(r"\s*(\d{1,3})\s+(Arbeitstage?|Monate?)\s*")
MAX_WORKING_DAYS, MAX_MONTHS = 500, 36


@dataclass(frozen=True)
class Duration:
    """How long a stage may take: a number of working days or of calendar months."""

    amount: int
    months: bool

    @classmethod
    def parse(cls, text: str) -> "Duration | None":
        """Read "20 Arbeitstage" or "3 Monate"; None if the text is not such a duration (or out of range)."""
        match = DURATION.fullmatch(text) if isinstance(text, str) else None
        if not match:
            return None
        amount, months = int(match[1]), match[2].startswith("Monat")
        if not 1 <= amount <= (MAX_MONTHS if months else MAX_WORKING_DAYS):
            return None
        return cls(amount, months)

    def due_from(self, day: date) -> date:
        """The deadline of a stage that begins on `day`: a working day, never a weekend or holiday."""
        if self.months:
            return next_working_day(day + relativedelta(months=self.amount))
        return add_working_days(day, self.amount)

    def __str__(self) -> str:
        unit = ("Monat" if self.amount == 1 else "Monate") if self.months else "Arbeitstage"
        return f"{self.amount} {'Arbeitstag' if unit == 'Arbeitstage' and self.amount == 1 else unit}"


@dataclass(frozen=True)
class Rules:
    """What a step needs to know beyond the mandate: deadlines, the submission deadline, the clock on hold."""

    # Vorlagefrist: the paper must be in this many working days before the conference meets.
    submission_days: int
    # The default deadline of each stage (state → duration) from the day it begins; a stage without one has none.
    durations: dict[str, Duration] = field(default_factory=dict)
    # On resume, move the deadline by the working days spent on hold (the clock pauses), or keep it.
    pause_on_hold: bool = True

    def stage_deadline(self, state: str, day: date) -> date | None:
        """The default deadline of a stage entered on `day`, or None if the stage has no default."""
        duration = self.durations.get(state)
        return duration.due_from(day) if duration else None
