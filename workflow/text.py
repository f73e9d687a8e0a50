"""German formatting of dates and amounts for everything users read."""

from datetime import date, datetime
from functools import lru_cache

from ikz.clock import BERLIN

LOCALE = "de_DE"


def format_date(day: date | None) -> str:
    """Format a date as 12.04.2011 (empty for None)."""
    return day.strftime("%d.%m.%Y") if day else ""


def format_moment(moment: datetime) -> str:
    """Format an aware moment in Berlin time as 12.04.2011 16:00."""
    return moment.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M")


@lru_cache(maxsize=4096)
def format_long_date(day: date) -> str:
    """Format a date as 12. April 2011."""
    from babel.dates import format_date as babel_date  # here: Babel's import and locale data would slow every command

    return babel_date(day, "long", locale=LOCALE)


def format_eur(amount: int | None) -> str:
    """Format whole euros the German way: 1.234.567 €."""
    if amount is None:
        return ""
    # Whole euros need only the thousands dot; loading Babel's locale data would cost every command ~40 ms.
    return f"{amount:,} €".replace(",", ".")


def plural(count: int, one: str, many: str) -> str:
    """'1 Erinnerung', '3 Erinnerungen'."""
    return f"{count} {one if count == 1 else many}"


def format_percent(value: float) -> str:
    """Format a percentage the German way: 12,5 %."""
    # Adding 0.0 turns a rounded -0.0 (a tiny negative share) into 0,0 %.
    return f"{round(value, 1) + 0.0:.1f} %".replace(".", ",")
