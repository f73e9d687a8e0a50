"""Recurring duties: when the n-th occurrence falls due and whose turn it is, which are open, closing one."""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from sqlmodel import Session, select

from ikz import clock
from ikz.clock import local_date
from ikz.errors import InvalidInput, NotFound, TransitionRefused
from models import Body, Duty, DutyDone, Mandate, TransitionLog
from workflow.checks import check_text
from workflow.lookup import get_mandate
from workflow.seam import record, started
from workflow.text import format_date


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


def done_days(session: Session, duty_ids) -> dict[int, set[date]]:
    """The occurrences closed so far, per duty id."""
    found: dict[int, set[date]] = defaultdict(set)
    for duty_id, occurrence in session.exec(
        select(DutyDone.duty_id, DutyDone.occurrence).where(DutyDone.duty_id.in_(duty_ids))
    ).all():
        found[duty_id].add(occurrence)
    return found


def first_open(duty: Duty, done: set[date], until: date | None = None) -> Occurrence | None:
    """The earliest occurrence not yet closed (due before `until`, if given); an old one is overdue, not forgotten."""
    occurrence = nth(duty, 0)
    # Closed occurrences are few (twice a year): step past them, never scanning more than they are plus one.
    while occurrence.day in done:
        occurrence = nth(duty, occurrence.number + 1)
    if until is not None and occurrence.day > until:
        return None
    return occurrence


def open_until(duty: Duty, done: set[date], until: date) -> list[Occurrence]:
    """Every occurrence due on or before `until` that is not closed, oldest first."""
    return [
        occurrence
        for occurrence in between(duty, duty.first_due, until + timedelta(days=1))
        if occurrence.day not in done
    ]


def get_duty(session: Session, mandate: Mandate, key: str) -> Duty:
    """The mandate's duty with this key, or say which it has."""
    duties = session.exec(select(Duty).where(Duty.mandate_id == mandate.id).order_by(Duty.key)).all()
    for duty in duties:
        if duty.key == key.strip():
            return duty
    known = ", ".join(d.key for d in duties) or "keine"
    raise NotFound(f"Mandat {mandate.code} hat keine Pflicht {key!r}. Vorhanden: {known}.")


def mark_done(
    session: Session,
    code: str,
    duty_key: str,
    *,
    day: date,
    reference: str | None,
    actor: str,
    now: datetime,
    occurrence: date | None = None,
    channel: str = "CLI",
) -> TransitionLog:
    """Close an occurrence of a duty (the earliest open one unless `occurrence` names another) as done on `day`."""
    mandate = get_mandate(session, code)
    duty = get_duty(session, mandate, duty_key)
    done = done_days(session, [duty.id])[duty.id]
    if occurrence is None:
        target = first_open(duty, done)
    else:
        found = next_on_or_after(duty, occurrence)
        if found.day != occurrence:
            raise InvalidInput(
                f"Am {format_date(occurrence)} ist {duty.title} nicht fällig; die nächste Fälligkeit danach ist "
                f"am {format_date(found.day)}."
            )
        if occurrence in done:
            raise TransitionRefused(f"{duty.title} zum {format_date(occurrence)} ist bereits erledigt.")
        target = found
    if not started(mandate) <= day <= local_date(now):
        raise InvalidInput(
            f"Das Datum {format_date(day)} liegt außerhalb der Laufzeit von {mandate.code}; erlaubt: "
            f"{format_date(started(mandate))} bis {format_date(local_date(now))}."
        )
    reference = check_text(reference.strip(), "Die Fundstelle")[:200] if reference and reference.strip() else None
    session.add(
        DutyDone(
            duty_id=duty.id,
            occurrence=target.day,
            done_on=day,
            reference=reference,
            actor=actor,
            recorded_at=clock.recording_now(),
        )
    )
    note = f"{duty.title} (fällig am {format_date(target.day)}) erledigt am {format_date(day)}"
    if reference:
        note += f" ({reference})"
    return record(session, mandate, "duty", actor=actor, now=now, note=note, channel=channel)


def duty_views(session: Session, mandate: Mandate, today: date) -> list[dict]:
    """A mandate's duties as `show` lists them: the next open occurrence, whose turn it is, what is overdue."""
    duties = session.exec(select(Duty).where(Duty.mandate_id == mandate.id).order_by(Duty.key)).all()
    # Closed after `today` does not count yet: an as-of view shows a duty as it stood then.
    closings = (
        session.exec(
            select(DutyDone)
            .where(DutyDone.duty_id.in_([duty.id for duty in duties]), DutyDone.done_on <= today)
            .order_by(DutyDone.done_on, DutyDone.id)
        ).all()
        if duties
        else []  # most mandates have no duty: no query for an empty IN
    )
    names = dict(session.exec(select(Body.key, Body.name)).all()) if duties else {}
    rows = []
    for duty in duties:
        mine = [closing for closing in closings if closing.duty_id == duty.id]
        following = first_open(duty, {closing.occurrence for closing in mine})
        overdue = open_until(duty, {closing.occurrence for closing in mine}, today - timedelta(days=1))
        last = mine[-1] if mine else None
        rows.append(
            {
                "key": duty.key,
                "title": duty.title,
                "every_months": duty.every_months,
                "next": following.day.isoformat(),
                "turn": following.body_key,
                "turn_name": names.get(following.body_key, following.body_key),
                "overdue": [occurrence.day.isoformat() for occurrence in overdue],
                "last_done": (
                    {
                        "occurrence": last.occurrence.isoformat(),
                        "on": last.done_on.isoformat(),
                        "reference": last.reference,
                    }
                    if last
                    else None
                ),
            }
        )
    return rows
