"""Working days in North Rhine-Westphalia: Monday to Friday without NW public holidays."""

from datetime import date, timedelta
from functools import lru_cache


@lru_cache(maxsize=64)
def _holidays(year: int) -> dict[date, str]:
    import holidays  # here, not at the top: it costs every CLI command ~60 ms, and most never need a holiday

    return dict(holidays.country_holidays("DE", subdiv="NW", years=year, language="de"))


def holiday_name(day: date) -> str | None:
    """Return the NW public holiday on this day (German name), or None."""
    return _holidays(day.year).get(day)


# Cached: a sweep asks about the same few hundred days tens of thousands of times.
@lru_cache(maxsize=16_384)
def is_working_day(day: date) -> bool:
    """True on Monday–Friday unless it is a public holiday in NW."""
    return day.weekday() < 5 and holiday_name(day) is None


def next_working_day(day: date) -> date:
    """Return the day itself if it is a working day, else the next one."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def add_working_days(day: date, count: int) -> date:
    """Move `count` working days forward (negative: back) from `day`."""
    step = timedelta(days=1 if count >= 0 else -1)
    remaining = abs(count)
    while remaining:
        day += step
        if is_working_day(day):
            remaining -= 1
    return day


def first_working_day(year: int, month: int) -> date:
    """Return the first working day of a month."""
    return next_working_day(date(year, month, 1))


@lru_cache(maxsize=65_536)
def working_days_between(start: date, end: date) -> int:
    """Count the working days after `start` up to and including `end` (0 if end is not after start)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


WEEKDAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")


def day_off_note(day: date) -> str | None:
    """A German warning when a day is a weekend day or an NW public holiday (e.g. for a meeting), else None."""
    holiday, weekday = holiday_name(day), WEEKDAYS[day.weekday()]
    shown = day.strftime("%d.%m.%Y")
    if holiday and day.weekday() >= 5:
        return f"Hinweis: Der {shown} ist ein {weekday} und {holiday}, ein Feiertag in NRW."
    if holiday:
        return f"Hinweis: Der {shown} ist {holiday}, ein Feiertag in NRW."
    if day.weekday() >= 5:
        return f"Hinweis: Der {shown} ist ein {weekday}."
    return None
