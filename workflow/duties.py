"""Occurrences of recurring duties: the one place that says when the n-th falls due and whose turn it is."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta

from models import Duty


@dataclass(frozen=True)
class Occurrence:
    """The n-th occurrence (from 0) of a duty: its day and the body whose turn it is."""

    number: int
    day: date
    body_key: str


def nth(duty: Duty, number: int) -> Occurrence:
    """The occurrence `number`: that many intervals after the first (counted from it, so month ends stay put)."""
    rotation = duty.rotation.split(",")
    day = duty.first_due + relativedelta(months=duty.every_months * number)
    return Occurrence(number, day, rotation[number % len(rotation)])


def _estimate(duty: Duty, day: date) -> int:
    months = (day.year - duty.first_due.year) * 12 + day.month - duty.first_due.month
    return max(months // duty.every_months, 0)


def next_on_or_after(duty: Duty, day: date) -> Occurrence:
    """The first occurrence on or after `day`."""
    number = _estimate(duty, day)
    while number > 0 and nth(duty, number - 1).day >= day:
        number -= 1
    while nth(duty, number).day < day:
        number += 1
    return nth(duty, number)


def last_on_or_before(duty: Duty, day: date) -> Occurrence | None:
    """The latest occurrence on or before `day`, or None before the first."""
    if duty.first_due > day:
        return None
    following = next_on_or_after(duty, day)
    return following if following.day == day else nth(duty, following.number - 1)


def between(duty: Duty, start: date, end: date) -> Iterator[Occurrence]:
    """The occurrences from `start` (inclusive) to `end` (exclusive)."""
    occurrence = next_on_or_after(duty, start)
    while occurrence.day < end:
        yield occurrence
        occurrence = nth(duty, occurrence.number + 1)
