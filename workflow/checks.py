"""Checks for values users type: text that storage, mail headers and pages can carry, sane ranges."""

import re
import unicodedata

from ikz.errors import InvalidInput

# Dates outside this range are typing mistakes here, and would overflow working-day arithmetic.
FIRST_YEAR, LAST_YEAR = 1990, 2100
# Every integer column, ids included, is an INTEGER: 32 bits signed on PostgreSQL (SQLite's hold 64). A number
# a user gives must fit it, or PostgreSQL refuses it deep in a statement while SQLite silently stores it.
INTEGER_MIN, INTEGER_MAX = -(2**31), 2**31 - 1
# Whole euros; far above any municipal budget, and within an INTEGER column (amounts and targets are INTEGER).
MAX_EUR = 10**9


def german_number(number: int) -> str:
    """A whole number as a German reads it in a range: 2.147.483.647, but years as 2011."""
    return f"{number:,}".replace(",", ".") if abs(number) >= 10_000 else str(number)


# An address as mail servers accept it: ASCII, one @, a dotted domain, no separators or spaces.
EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Say in German why text cannot be stored and mailed (control characters, broken UTF-8), or None."""
    for char in value:
        if 0xD800 <= ord(char) <= 0xDFFF:
            return "enthält Bytes, die kein gültiges UTF-8 sind"
        if unicodedata.category(char) == "Cc" and not (multiline and char in "\n\r\t"):
            name = {"\n": "einen Zeilenumbruch", "\r": "einen Zeilenumbruch", "\x00": "ein NUL-Zeichen"}.get(char)
            return f"enthält {name or f'ein Steuerzeichen (U+{ord(char):04X})'}"
    return None


def check_text(value: str, label: str, *, multiline: bool = False) -> str:
    """Return the text or raise InvalidInput naming the field and what is wrong."""
    problem = text_problem(value, multiline=multiline)
    if problem:
        raise InvalidInput(
            f"{label} {problem}; erlaubt ist {'Text' if multiline else 'einzeiliger Text'} ohne Steuerzeichen."
        )
    return value


def is_email(value: str) -> bool:
    """True for one plain ASCII address such as it@luenen.example."""
    # "=?" could be decoded as an RFC 2047 encoded word and smuggle in another recipient.
    return len(value) <= 254 and "=?" not in value and EMAIL.fullmatch(value) is not None
