"""Click parameter types for German input: dates and euro amounts."""

import re
from datetime import date, datetime

import click

from workflow.checks import FIRST_YEAR, LAST_YEAR, MAX_EUR


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
            f"{value!r} ist kein Betrag; erlaubt: ganze Euro ohne Vorzeichen bis 1.000.000.000.000, "
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

# Row ids are INTEGER columns: PostgreSQL's 32-bit range, so a typo can never reach the database as an overflow.
ID = click.IntRange(1, 2**31 - 1)
