"""Click parameter types for German input: whole numbers, dates, euro amounts and months, each range-checked here."""

import re
from datetime import date, datetime

import click

from workflow.checks import FIRST_YEAR, INTEGER_MAX, LAST_YEAR, MAX_EUR


def german_number(number: int) -> str:
    """A whole number as a German reads it: 2.147.483.647, but years as 2011."""
    return f"{number:,}".replace(",", ".") if abs(number) >= 10_000 else str(number)


class IntegerType(click.ParamType):
    """A whole number within a range; the default range is what an id column holds (PostgreSQL INTEGER)."""

    name = "ZAHL"

    def __init__(self, minimum: int = 1, maximum: int = INTEGER_MAX, metavar: str = "ZAHL"):
        # Every integer column is an INTEGER: a wider range here would let a number through that the database refuses.
        assert 0 <= minimum <= maximum <= INTEGER_MAX
        self.minimum, self.maximum, self.name = minimum, maximum, metavar

    @property
    def allowed(self) -> str:
        return f"ganze Zahlen von {german_number(self.minimum)} bis {german_number(self.maximum)}"

    def convert(self, value, param, ctx):
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            text = str(value).strip()
            if not re.fullmatch(r"[+-]?[0-9]+", text):
                self.fail(f"{value!r} ist keine ganze Zahl; erlaubt: {self.allowed}.", param, ctx)
            # Far out of range by its length alone: int() refuses numbers over 4300 digits with a ValueError.
            number = int(text) if len(text) <= 20 else None
        if number is None or not self.minimum <= number <= self.maximum:
            self.fail(f"{value!r} liegt außerhalb des erlaubten Bereichs; erlaubt: {self.allowed}.", param, ctx)
        return number


class DateType(click.ParamType):
    """A calendar date as 2011-04-12 or 12.04.2011."""

    name = "DATUM"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        text = str(value).strip()
        for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
            try:
                day = datetime.strptime(text, pattern).date()
            except ValueError:
                continue
            if FIRST_YEAR <= day.year <= LAST_YEAR:
                return day
            self.fail(f"{text!r} liegt außerhalb von {FIRST_YEAR} bis {LAST_YEAR}.", param, ctx)
        self.fail(
            f"{text!r} ist kein gültiges Datum; erlaubt: JJJJ-MM-TT oder TT.MM.JJJJ, z. B. 2011-04-12.", param, ctx
        )


class EuroType(click.ParamType):
    """A whole, non-negative euro amount as 120000 or 120.000."""

    name = "EUR"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        text = str(value).strip().removesuffix("€").strip()
        # The length check first: int() refuses numbers over 4300 digits with a ValueError.
        if len(text) <= 20 and re.fullmatch(r"\d{1,3}(\.\d{3})+|\d+", text) and int(text.replace(".", "")) <= MAX_EUR:
            return int(text.replace(".", ""))
        self.fail(
            f"{value!r} ist kein Betrag; erlaubt: ganze Euro ohne Vorzeichen bis {german_number(MAX_EUR)}, "
            "z. B. 120000 oder 120.000.",
            param,
            ctx,
        )


class MonthType(click.ParamType):
    """A calendar month as 2011-03."""

    name = "JJJJ-MM"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        try:
            month = datetime.strptime(str(value).strip(), "%Y-%m").date()
        except ValueError:
            self.fail(f"{value!r} ist kein Monat; erlaubt: JJJJ-MM, z. B. 2011-03.", param, ctx)
        if not FIRST_YEAR <= month.year <= LAST_YEAR:
            self.fail(f"{value!r} liegt außerhalb von {FIRST_YEAR} bis {LAST_YEAR}.", param, ctx)
        return month


DATE = DateType()
EUR = EuroType()
MONTH = MonthType()
# An outbox, mandate or other row id.
ID = IntegerType(metavar="ID")
FIELD = IntegerType(1, 999, metavar="N")
YEAR = IntegerType(2000, 2100, metavar="JAHR")
