"""Mandate codes as people read them: 1.2 before 1.10, 2.1 before 2.1-LS."""

import re

from sqlalchemy import Integer, case, cast, func

_LEADING_DIGITS = re.compile(r"\d{1,9}")


def code_key(code: str) -> tuple:
    """Sort key for codes like 1.2, 1.10, 2.1-LS, as code_order sorts in the database (any codes compare)."""
    parts = (code.split(".") + ["", ""])[:3]
    numbers = (int(found.group()) if (found := _LEADING_DIGITS.match(part)) else 0 for part in parts)
    return (*numbers, code)


def code_order(column, dialect: str) -> list:
    """ORDER BY terms that sort a code column as code_key does for codes like 1.2, 1.10, 2.1-LS: in the database."""
    if dialect == "postgresql":
        # The leading digits of each dotted part (at most nine: an int4 holds them), 0 where there are none.
        numbers = [
            func.coalesce(cast(func.substring(func.split_part(column, ".", n), r"^\d{1,9}"), Integer), 0)
            for n in (1, 2, 3)
        ]
    else:
        # SQLite's CAST reads the leading digits of a text ('1-LS' → 1) and gives 0 where there are none.
        numbers, rest = [], column
        for _ in range(3):
            numbers.append(cast(rest, Integer))
            dot = func.instr(rest, ".")
            rest = case((dot > 0, func.substr(rest, dot + 1)), else_="")
    # Equal numbers: the text decides, so 2.1 comes before 2.1-LS.
    return [*numbers, column]
