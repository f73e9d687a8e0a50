"""Click parameter types for German input: numbers, dates, moments, euro amounts and months, range-checked here."""

import re
from datetime import date, datetime

import click

from ikz.clock import MOMENT_FORMATS, as_utc, read_moment
from workflow.checks import FIRST_YEAR, INTEGER_MAX, LAST_YEAR, MAX_EUR, german_number


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


DAY_FORMATS = ("%d.%m.%Y", "%Y-%m-%d")


def _day(text: str) -> date | None:
    for pattern in DAY_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


class DateType(click.ParamType):
    """A calendar date as 12.04.2011 or 2011-04-12."""

    name = "DATUM"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        text = str(value).strip()
        day = _day(text)
        if day is None:
            self.fail(
                f"{text!r} ist kein gültiges Datum; erlaubt: TT.MM.JJJJ oder JJJJ-MM-TT, z. B. 12.04.2011.", param, ctx
            )
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            self.fail(f"{text!r} liegt außerhalb von {FIRST_YEAR} bis {LAST_YEAR}.", param, ctx)
        return day


class MomentType(click.ParamType):
    """A moment as 18.03.2011 07:30 or 2011-03-18T07:30 (a date alone is its midnight), Berlin time unless given."""

    name = "ZEITPUNKT"

    def convert(self, value, param, ctx):
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        moment = read_moment(text)
        if moment is None:
            self.fail(f"{text!r} ist kein gültiger Zeitpunkt; erlaubt: {MOMENT_FORMATS}.", param, ctx)
        if not FIRST_YEAR <= moment.year <= LAST_YEAR:
            self.fail(f"{text!r} liegt außerhalb von {FIRST_YEAR} bis {LAST_YEAR}.", param, ctx)
        return as_utc(moment)


class EuroType(click.ParamType):
    """A whole euro amount as 120000, 120.000 or 120.000 €; non-negative unless signed (then -500 or −500 too)."""

    def __init__(self, signed: bool = False, metavar: str = "EUR"):
        self.signed, self.name = signed, metavar

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        text = str(value).strip().removesuffix("€").strip()
        sign, digits = 1, text
        if self.signed and text[:1] in ("-", "\u2212", "+"):
            sign, digits = (1 if text[0] == "+" else -1), text[1:].strip()
        # The length check first: int() refuses numbers over 4300 digits with a ValueError.
        if (
            len(digits) <= 20
            and re.fullmatch(r"\d{1,3}(\.\d{3})+|\d+", digits)
            and int(digits.replace(".", "")) <= MAX_EUR
        ):
            return sign * int(digits.replace(".", ""))
        if self.signed:
            allowed = f"ganze Euro bis {german_number(MAX_EUR)}, negativ für Mehrkosten, z. B. 38000, 38.000 oder -500"
        else:
            allowed = f"ganze Euro ohne Vorzeichen bis {german_number(MAX_EUR)}, z. B. 120000 oder 120.000"
        # Shown as typed: NegativeNumbers turned its minus into U+2212 on the way in.
        self.fail(f"{str(value).replace(chr(0x2212), '-')!r} ist kein Betrag; erlaubt: {allowed}.", param, ctx)


class MonthType(click.ParamType):
    """A calendar month as 03.2011 or 2011-03, or any day of it (18.03.2011, 2011-03-18)."""

    name = "MONAT"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        text = str(value).strip()
        day = _day(text)
        for pattern in ("%m.%Y", "%Y-%m"):
            if day is not None:
                break
            try:
                day = datetime.strptime(text, pattern).date()
            except ValueError:
                continue
        if day is None:
            self.fail(
                f"{value!r} ist kein Monat; erlaubt: MM.JJJJ oder JJJJ-MM, z. B. 03.2011 oder 2011-03.", param, ctx
            )
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            self.fail(f"{value!r} liegt außerhalb von {FIRST_YEAR} bis {LAST_YEAR}.", param, ctx)
        return day.replace(day=1)


# A dash and a digit: a negative number (-500, -1.500), never an option (no option is named by a digit).
NEGATIVE = re.compile(r"-\d.*", re.DOTALL)


class NegativeNumbers(click.Command):
    """A command whose arguments may be negative numbers: click would take `-500` for an option."""

    def parse_args(self, ctx, args):
        valued = {
            name
            for param in self.params
            if isinstance(param, click.Option) and not param.is_flag and not param.count
            for name in param.opts
        }
        rewritten: list[str] = []
        for index, arg in enumerate(args):
            if arg == "--":
                rewritten += args[index:]
                break
            if NEGATIVE.fullmatch(arg) and (not rewritten or rewritten[-1] not in valued):
                # U+2212, the minus sign: not an option to click, a minus to the signed EuroType.
                arg = "\u2212" + arg[1:]
            rewritten.append(arg)
        return super().parse_args(ctx, rewritten)


DATE = DateType()
MOMENT = MomentType()
EUR = EuroType()
# Realised savings: negative in a year the cooperation cost more than it saved.
SIGNED_EUR = EuroType(signed=True, metavar="BETRAG")
MONTH = MonthType()
# An outbox, mandate or other row id.
ID = IntegerType(metavar="ID")
FIELD = IntegerType(1, 999, metavar="N")
YEAR = IntegerType(2000, 2100, metavar="JAHR")
