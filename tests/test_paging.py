"""Paged output at scale: `list` and `show` print a page and say what they left out; unknown codes suggest few."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import insert
from sqlmodel import select

from models import Mandate, MandateLead
from models.db import transaction
from tests.conftest import NOW
from workflow.codes import code_key, code_order
from workflow.lookup import get_mandate
from workflow.seam import record


@pytest.fixture
def board(cli):
    assert cli("init", "--catalogue", "kreis-unna-2010").exit_code == 0
    return cli


def _add_mandates(engine, codes: list[str]) -> None:
    """Rows straight into the tables: these tests are about reading many mandates, not about making them."""
    with engine.begin() as conn:
        start = conn.exec_driver_sql("SELECT max(id) FROM mandate").scalar() + 1
        lead = conn.exec_driver_sql("SELECT id FROM body WHERE key = 'luenen'").scalar()
        conn.execute(
            insert(Mandate.__table__),
            [
                dict(
                    id=start + i,
                    code=code,
                    field_number=1,
                    title=f"Mandat {code}",
                    description="",
                    state="examine",
                    stage_seq=1,
                    due_date=None,
                    created_at=NOW,
                    updated_at=NOW,
                    version=1,
                )
                for i, code in enumerate(codes)
            ],
        )
        conn.execute(
            insert(MandateLead.__table__), [dict(mandate_id=start + i, body_id=lead) for i in range(len(codes))]
        )


def test_list_prints_fifty_and_says_how_many_more(board, engine):
    _add_mandates(engine, [f"1.{n}" for n in range(100, 160)])
    lines = board("list").stdout.splitlines()
    assert len(lines) == 2 + 50 + 1
    assert lines[2].split()[0] == "1.1"
    assert lines[-1] == "… 26 weitere von 76; --limit N oder --all."


def test_list_limit_and_all(board, engine):
    _add_mandates(engine, [f"1.{n}" for n in range(100, 160)])
    limited = board("list", "--limit", "3").stdout.splitlines()
    assert [line.split()[0] for line in limited[2:5]] == ["1.1", "1.2", "1.3"]
    assert limited[5:] == ["… 73 weitere von 76; --limit N oder --all."]
    everything = board("list", "--all").stdout.splitlines()
    assert len(everything) == 2 + 76
    assert everything[-1].split()[0] == "7.1"
    # A page exactly as long as what matches needs no line about more.
    assert board("list", "--field", "2", "--limit", "2").stdout.splitlines()[-1].split()[0] == "2.1-LS"


def test_list_refuses_a_limit_that_is_no_positive_number(board):
    result = board("list", "--limit", "0")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Fehler: Ungültiger Wert für '--limit': '0' liegt außerhalb des erlaubten Bereichs; "
        "erlaubt: ganze Zahlen von 1 bis 2.147.483.647."
    )


def test_list_json_is_complete_unless_limited(board, engine):
    _add_mandates(engine, [f"1.{n}" for n in range(100, 160)])
    assert len(json.loads(board("list", "--json").stdout)) == 76
    assert [row["code"] for row in json.loads(board("list", "--json", "--limit", "2").stdout)] == ["1.1", "1.2"]


def test_the_database_sorts_codes_as_people_read_them(board, engine, session):
    codes = ["1.10", "1.9", "10.1", "2.1-AB", "2.10", "1.2.10", "1.2.3", "A.1", "3", "3.1-B", "3.1-A", "12.0001"]
    _add_mandates(engine, codes)
    ordered = session.exec(select(Mandate.code).order_by(*code_order(Mandate.code, engine.dialect.name))).all()
    # Up to three numbers (leading digits of each dotted part, 0 where none), then the text.
    assert [code for code in ordered if code in codes] == [
        "A.1",
        "1.2.3",
        "1.2.10",
        "1.9",
        "1.10",
        "2.1-AB",
        "2.10",
        "3",
        "3.1-A",
        "3.1-B",
        "10.1",
        "12.0001",
    ]
    # code_key sorts any codes the same way, of different depth too (3 before 3.1-A).
    assert sorted(codes, key=code_key) == [code for code in ordered if code in codes]
    # The catalogue's codes come out as code_key sorts them.
    catalogue = [code for code in ordered if code not in codes]
    assert catalogue == sorted(catalogue, key=code_key)


def _notes(engine, code: str, count: int) -> None:
    with transaction(engine) as session:
        mandate = get_mandate(session, code)
        for n in range(count):
            record(session, mandate, "note", actor="test", now=NOW + timedelta(minutes=n + 1), note=f"Vermerk {n + 1}")


def test_show_prints_the_last_fifty_entries_and_says_how_many_are_older(board, engine):
    _notes(engine, "1.4", 60)
    lines = board("show", "1.4").stdout.splitlines()
    history = lines[
        lines.index("Verlauf:") + 1 : lines.index(
            "Mögliche Schritte: start_concept (Konzepterstellung beginnen), hold (auf Eis legen), withdraw (zurückziehen)"
        )
        - 1
    ]
    assert history[0] == "  … 11 ältere Einträge nicht gezeigt; alle mit --all."
    assert len(history) == 1 + 50
    assert history[1] == "  02.11.2010 10:11  test: note (Änderung) – Vermerk 11 (nachgetragen am 02.01.2030 09:00)"
    assert history[-1].endswith("– Vermerk 60 (nachgetragen am 02.01.2030 09:00)")
    full = board("show", "1.4", "--all").stdout.splitlines()
    assert "ältere" not in "\n".join(full)
    assert len(full) == len(lines) + 10
    assert len(json.loads(board("show", "1.4", "--json").stdout)["history"]) == 61


def test_show_names_a_single_hidden_entry(board, engine):
    _notes(engine, "1.4", 50)
    assert "  … 1 ältere Eintrag nicht gezeigt; alle mit --all." in board("show", "1.4").stdout.splitlines()


def test_an_unknown_code_among_many_suggests_at_most_five(board, engine):
    _add_mandates(engine, [f"9.{n}" for n in range(1, 2000)])
    result = board("show", "9.99999")
    assert result.exit_code == 1
    assert (
        result.stderr == "Fehler: Mandat '9.99999' gibt es nicht. Meinten Sie 9.999, 9.1999, 9.99, 9.998 oder 9.997?\n"
    )
