"""Recurring duties: occurrences and turns, closing one, `show`, the reminder sweep and the conference's reports."""

import json
from datetime import UTC, date, datetime, timedelta
from email import message_from_string, policy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import select

from ikz import settings as settings_module
from ikz.clock import BERLIN
from ikz.conference.papers import agenda_data
from models import Duty, DutyDone, Mandate, OutboxMandate, OutboxMessage, Reminder, TransitionLog
from models.db import transaction
from notifications.sweep import sweep
from tests.conftest import RECORDED
from tests.factories import RULES
from tests.snapshot import snapshot
from workflow.duties import between, first_open, last_on_or_before, next_on_or_after, nth, open_until
from workflow.steps import advance

MEETINGS = "Vorbereitung der Sitzung des IT-Arbeitskreises"
REPORT = "Bericht des IT-Arbeitskreises an die Bürgermeisterkonferenz (2x pro Jahr)"
TOWNS = ["bergkamen", "boenen", "froendenberg", "holzwickede", "kamen", "luenen", "schwerte", "selm", "unna", "werne"]
CONFIG = settings_module.load(environ={})


@pytest.fixture
def board(cli):
    assert cli("init", "--catalogue", "kreis-unna-2010").exit_code == 0
    return cli


def duties_section(output: str) -> list[str]:
    """The lines of `show` between 'Pflichten:' and 'Verlauf:'."""
    lines = output.splitlines()
    return lines[lines.index("Pflichten:") + 1 : lines.index("Verlauf:") - 1]


def duties_of(board, *args: str) -> dict[str, dict]:
    return {d["key"]: d for d in json.loads(board("show", "1.1", "--json", *args).stdout)["duties"]}


def refused(board, engine, *args: str, message: str) -> None:
    before = snapshot(engine)
    result = board(*args)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"Fehler: {message}\n")
    assert snapshot(engine) == before


def at(day: str, time: str = "07:30") -> datetime:
    return datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=BERLIN)


# --- show -------------------------------------------------------------------------------------------------------


def test_show_lists_both_duties_with_the_next_occurrence_and_whose_turn_it_is(board):
    result = board("show", "1.1")
    assert result.exit_code == 0
    assert duties_section(result.stdout) == [
        f"  it-ak-bericht: {REPORT} (alle 6 Monate)",
        "    nächste Fälligkeit 31.03.2011, an der Reihe: IT-Arbeitskreis",
        f"  it-ak-sitzung: {MEETINGS} (alle 2 Monate)",
        "    nächste Fälligkeit 30.11.2010, an der Reihe: Bergkamen",
    ]


def test_show_says_what_is_overdue(board, frozen):
    frozen("2011-03-01T10:00")
    assert duties_section(board("show", "1.1").stdout) == [
        f"  it-ak-bericht: {REPORT} (alle 6 Monate)",
        "    nächste Fälligkeit 31.03.2011, an der Reihe: IT-Arbeitskreis",
        f"  it-ak-sitzung: {MEETINGS} (alle 2 Monate)",
        "    überfällig seit 30.11.2010 (2 Termine offen), an der Reihe: Bergkamen",
    ]
    assert json.loads(board("show", "1.1", "--json").stdout)["duties"] == [
        {
            "key": "it-ak-bericht",
            "title": REPORT,
            "every_months": 6,
            "next": "2011-03-31",
            "turn": "it-ak",
            "turn_name": "IT-Arbeitskreis",
            "overdue": [],
            "last_done": None,
        },
        {
            "key": "it-ak-sitzung",
            "title": MEETINGS,
            "every_months": 2,
            "next": "2010-11-30",
            "turn": "bergkamen",
            "turn_name": "Bergkamen",
            "overdue": ["2010-11-30", "2011-01-30"],
            "last_done": None,
        },
    ]


def test_on_the_day_itself_an_occurrence_is_due_not_overdue(board, frozen):
    frozen("2010-11-30T18:00")
    assert duties_of(board)["it-ak-sitzung"]["overdue"] == []
    frozen("2010-12-01T08:00")
    assert duties_of(board)["it-ak-sitzung"]["overdue"] == ["2010-11-30"]


def test_a_mandate_without_duties_shows_no_section(board):
    output = board("show", "1.4").stdout
    assert "Pflichten:" not in output
    assert json.loads(board("show", "1.4", "--json").stdout)["duties"] == []


# --- closing an occurrence ----------------------------------------------------------------------------------------


def test_closing_an_occurrence_records_it_and_the_turn_passes_on(board, frozen, session):
    frozen("2010-12-01T10:00")
    result = board(
        "duty", "done", "1.1", "it-ak-sitzung", "--date", "25.11.2010", "--ref", "Protokoll", "--actor", "Koordination"
    )
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        f"1.1: {MEETINGS} (fällig am 30.11.2010) erledigt am 25.11.2010 (Protokoll).\n",
        "",
    )
    duty = session.exec(select(Duty).where(Duty.key == "it-ak-sitzung")).one()
    [row] = session.exec(select(DutyDone)).all()
    assert (row.duty_id, row.occurrence, row.done_on, row.reference, row.actor, row.recorded_at) == (
        duty.id,
        date(2010, 11, 30),
        date(2010, 11, 25),
        "Protokoll",
        "Koordination",
        RECORDED,
    )
    mandate = session.exec(select(Mandate).where(Mandate.code == "1.1")).one()
    entry = session.exec(
        select(TransitionLog).where(TransitionLog.mandate_id == mandate.id).order_by(TransitionLog.seq.desc())
    ).first()
    assert (entry.trigger, entry.from_state, entry.to_state, entry.actor, entry.at, entry.note) == (
        "duty",
        "implement",
        "implement",
        "Koordination",
        datetime(2010, 12, 1, 9, 0, tzinfo=UTC),
        f"{MEETINGS} (fällig am 30.11.2010) erledigt am 25.11.2010 (Protokoll)",
    )
    assert mandate.state == "implement"  # a duty is no step

    shown = board("show", "1.1").stdout
    assert duties_section(shown)[2:] == [
        f"  it-ak-sitzung: {MEETINGS} (alle 2 Monate)",
        "    nächste Fälligkeit 30.01.2011, an der Reihe: Bönen",
        "    zuletzt erledigt: 30.11.2010 am 25.11.2010 (Protokoll)",
    ]
    assert (
        f"  01.12.2010 10:00  Koordination: duty (Änderung) – {MEETINGS} (fällig am 30.11.2010) erledigt am "
        "25.11.2010 (Protokoll) (nachgetragen am 02.01.2030 09:00)"
    ) in shown.splitlines()
    assert duties_of(board)["it-ak-sitzung"] == {
        "key": "it-ak-sitzung",
        "title": MEETINGS,
        "every_months": 2,
        "next": "2011-01-30",
        "turn": "boenen",
        "turn_name": "Bönen",
        "overdue": [],
        "last_done": {"occurrence": "2010-11-30", "on": "2010-11-25", "reference": "Protokoll"},
    }


def test_without_a_date_it_is_done_today_and_the_earliest_open_one_is_closed(board, frozen, session):
    frozen("2011-03-01T10:00")
    result = board("duty", "done", "1.1", "it-ak-sitzung")
    assert result.stdout == f"1.1: {MEETINGS} (fällig am 30.11.2010) erledigt am 01.03.2011.\n"
    assert [(r.occurrence, r.done_on, r.reference) for r in session.exec(select(DutyDone)).all()] == [
        (date(2010, 11, 30), date(2011, 3, 1), None)
    ]
    assert duties_section(board("show", "1.1").stdout)[3] == "    überfällig seit 30.01.2011, an der Reihe: Bönen"


def test_for_closes_a_later_occurrence_and_the_earlier_ones_stay_open(board, frozen, session):
    frozen("2011-03-01T10:00")
    result = board("duty", "done", "1.1", "it-ak-sitzung", "--for", "2011-03-30", "--ref", "Einladung verschickt")
    assert result.stdout == f"1.1: {MEETINGS} (fällig am 30.03.2011) erledigt am 01.03.2011 (Einladung verschickt).\n"
    sitting = duties_of(board)["it-ak-sitzung"]
    assert (sitting["next"], sitting["turn_name"], sitting["overdue"]) == (
        "2010-11-30",
        "Bergkamen",
        ["2010-11-30", "2011-01-30"],
    )
    assert sitting["last_done"] == {"occurrence": "2011-03-30", "on": "2011-03-01", "reference": "Einladung verschickt"}
    # The two before it are closed without --for, oldest first; then the next open one skips the closed 30.03.
    assert board("duty", "done", "1.1", "it-ak-sitzung").stdout.startswith(f"1.1: {MEETINGS} (fällig am 30.11.2010)")
    assert board("duty", "done", "1.1", "it-ak-sitzung").stdout.startswith(f"1.1: {MEETINGS} (fällig am 30.01.2011)")
    sitting = duties_of(board)["it-ak-sitzung"]
    assert (sitting["next"], sitting["turn"], sitting["overdue"]) == ("2011-05-30", "holzwickede", [])
    assert sorted(r.occurrence for r in session.exec(select(DutyDone)).all()) == [
        date(2010, 11, 30),
        date(2011, 1, 30),
        date(2011, 3, 30),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["it-ak-sitzung", "--for", "30.11.2010"],
            f"{MEETINGS} zum 30.11.2010 ist bereits erledigt.",
        ),
        (
            ["it-ak-sitzung", "--for", "15.03.2011"],
            f"Am 15.03.2011 ist {MEETINGS} nicht fällig; die nächste Fälligkeit danach ist am 30.03.2011.",
        ),
        (
            ["it-ak-sitzung", "--for", "2010-10-01"],
            f"Am 01.10.2010 ist {MEETINGS} nicht fällig; die nächste Fälligkeit danach ist am 30.11.2010.",
        ),
        (
            ["it-ak-protokoll"],
            "Mandat 1.1 hat keine Pflicht 'it-ak-protokoll'. Vorhanden: it-ak-bericht, it-ak-sitzung.",
        ),
        (
            ["it-ak-sitzung", "--date", "20.09.2010"],
            "Das Datum 20.09.2010 liegt außerhalb der Laufzeit von 1.1; erlaubt: 21.09.2010 bis 01.03.2011.",
        ),
        (
            ["it-ak-sitzung", "--date", "2011-03-02"],
            "Das Datum 02.03.2011 liegt außerhalb der Laufzeit von 1.1; erlaubt: 21.09.2010 bis 01.03.2011.",
        ),
    ],
)
def test_closing_is_refused_with_a_reason_and_writes_nothing(board, engine, frozen, args, message):
    frozen("2011-03-01T10:00")
    assert board("duty", "done", "1.1", "it-ak-sitzung", "--date", "25.11.2010", "--ref", "Protokoll").exit_code == 0
    refused(board, engine, "duty", "done", "1.1", *args, message=message)


def test_a_mandate_without_duties_says_so(board, engine):
    refused(
        board,
        engine,
        "duty",
        "done",
        "1.2",
        "it-ak-sitzung",
        message="Mandat 1.2 hat keine Pflicht 'it-ak-sitzung'. Vorhanden: keine.",
    )


def test_an_impossible_date_is_a_usage_error(board, engine):
    before = snapshot(engine)
    result = board("duty", "done", "1.1", "it-ak-sitzung", "--date", "31.02.2011")
    assert (result.exit_code, result.stderr) == (
        2,
        "Aufruf: ikz duty done [OPTIONEN] CODE PFLICHT\n"
        "Hilfe: 'ikz duty done --help'.\n\n"
        "Fehler: Ungültiger Wert für '--date': '31.02.2011' ist kein gültiges Datum; erlaubt: TT.MM.JJJJ oder "
        "JJJJ-MM-TT, z. B. 12.04.2011.\n",
    )
    assert snapshot(engine) == before


def test_as_of_a_day_before_the_closing_the_occurrence_is_open(board, frozen):
    frozen("2010-12-02T10:00")
    assert board("duty", "done", "1.1", "it-ak-sitzung", "--ref", "Protokoll").exit_code == 0
    frozen("2011-01-10T10:00")
    before = board("show", "1.1", "--as-of", "01.12.2010").stdout
    assert before.splitlines()[0] == "1.1 – IT-Arbeitskreis (Stand 01.12.2010)"
    assert duties_section(before)[2:] == [
        f"  it-ak-sitzung: {MEETINGS} (alle 2 Monate)",
        "    überfällig seit 30.11.2010, an der Reihe: Bergkamen",
    ]
    after = board("show", "1.1", "--as-of", "02.12.2010").stdout
    assert duties_section(after)[2:] == [
        f"  it-ak-sitzung: {MEETINGS} (alle 2 Monate)",
        "    nächste Fälligkeit 30.01.2011, an der Reihe: Bönen",
        "    zuletzt erledigt: 30.11.2010 am 02.12.2010 (Protokoll)",
    ]
    # Booked afterwards with the day it was done: as of the day before, still open.
    assert board("duty", "done", "1.1", "it-ak-sitzung", "--date", "05.01.2011").exit_code == 0
    assert duties_of(board, "--as-of", "04.01.2011")["it-ak-sitzung"]["last_done"]["occurrence"] == "2010-11-30"
    assert duties_of(board, "--as-of", "05.01.2011")["it-ak-sitzung"]["last_done"] == {
        "occurrence": "2011-01-30",
        "on": "2011-01-05",
        "reference": None,
    }


# --- the reminder sweep -------------------------------------------------------------------------------------------


def duty_reminders(session, since: int = 0) -> list[tuple[str, str, str]]:
    """(occurrence, kind, recipient) of the duty reminders claimed after reminder id `since`."""
    rows = session.exec(
        select(Reminder).where(Reminder.stage_seq == 0, Reminder.id > since).order_by(Reminder.id)
    ).all()
    return [(r.due_date.isoformat(), r.kind, r.recipient) for r in rows if r.kind.startswith("it-ak-")]


def last_id(session) -> int:
    return max([r.id for r in session.exec(select(Reminder)).all()], default=0)


def test_an_open_occurrence_is_chased_escalated_and_no_longer_once_closed(loaded, session, cli, frozen):
    sweep(loaded, CONFIG, now=at("2010-12-01"))
    assert duty_reminders(session) == [("2010-11-30", "it-ak-sitzung/due", "it@bergkamen.example")]
    message = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == "it@bergkamen.example")).one()
    assert (message.kind, message.subject) == ("reminder", f"ikz 1.1 IT-Arbeitskreis – {MEETINGS}")
    text = (
        message_from_string(message.raw, policy=policy.default).get_body(("plain",)).get_content().replace("\r\n", "\n")
    )
    assert text.replace("\r\n", "\n").startswith("Guten Tag Sabine Krüger,\n")
    assert (
        f"1.1 IT-Arbeitskreis – {MEETINGS}\n"
        f"  Zu tun: {MEETINGS} (Bergkamen ist an der Reihe)\n"
        "  Frist: 30. November 2010 (seit 1 Arbeitstag überschritten)\n"
        "  Danach: Ohne Erledigung oder neue Frist geht die Erinnerung ab dem 14. Dezember 2010 auch an die "
        "Koordinierungsstelle (Eskalation).\n"
    ) in text.replace("\r\n", "\n")
    duty = session.exec(select(Duty).where(Duty.key == "it-ak-sitzung")).one()
    about = session.exec(select(OutboxMandate).where(OutboxMandate.outbox_id == message.id)).one()
    assert (about.duty_id, about.occurrence) == (duty.id, date(2010, 11, 30))

    mark = last_id(session)
    sweep(loaded, CONFIG, now=at("2010-12-07"))
    assert duty_reminders(session, mark) == [("2010-11-30", "it-ak-sitzung/overdue-1", "it@bergkamen.example")]
    mark = last_id(session)
    # Ten working days after 30.11.2010: the coordinator is told too.
    sweep(loaded, CONFIG, now=at("2010-12-14"))
    assert duty_reminders(session, mark) == [
        ("2010-11-30", "it-ak-sitzung/overdue-2", "ikz@kreis-unna.example"),
        ("2010-11-30", "it-ak-sitzung/overdue-2", "it@bergkamen.example"),
    ]
    # A rerun the same day claims nothing twice.
    mark = last_id(session)
    sweep(loaded, CONFIG, now=at("2010-12-14", "12:00"))
    assert duty_reminders(session, mark) == []

    would = sweep(loaded, CONFIG, now=at("2010-12-21"), dry_run=True)
    assert ("2010-11-30", "it-ak-sitzung/overdue-3") in {
        (item.due.isoformat(), item.slot.kind) for items in would.items.values() for item in items
    }
    frozen("2010-12-15T10:00")
    result = cli("duty", "done", "1.1", "it-ak-sitzung", "--date", "2010-12-15")
    assert result.exit_code == 0, result.stderr
    mark = last_id(session)
    sweep(loaded, CONFIG, now=at("2010-12-21"))
    sweep(loaded, CONFIG, now=at("2010-12-28"))
    assert duty_reminders(session, mark) == []


def test_a_late_occurrence_does_not_hold_up_the_next_turn(loaded, session):
    # 17.01.2011 is ten working days before 30.01.2011: Bönen hears of its turn while Bergkamen's is still open.
    sweep(loaded, CONFIG, now=at("2011-01-17"))
    assert duty_reminders(session) == [
        ("2011-01-30", "it-ak-sitzung/before-10", "hauptamt@boenen.example"),
        ("2010-11-30", "it-ak-sitzung/overdue-6", "ikz@kreis-unna.example"),
        ("2010-11-30", "it-ak-sitzung/overdue-6", "it@bergkamen.example"),
    ]


def test_the_duties_of_a_withdrawn_mandate_are_not_chased(loaded, session):
    with transaction(loaded) as s:
        advance(
            s,
            "1.1",
            "withdraw",
            actor="test",
            now=at("2010-11-15"),
            today=date(2010, 11, 15),
            note="aufgelöst",
            rules=RULES,
        )
    sweep(loaded, CONFIG, now=at("2010-12-01"))
    assert duty_reminders(session) == []


# --- the conference's reports --------------------------------------------------------------------------------------


def report_rows(engine, day: date) -> list[tuple[str, str, str, date]]:
    with transaction(engine) as session:
        data = agenda_data(session, day)
    [reports] = [item for item in data["items"] if item["kind"] == "reports"]
    return [(sub["number"], sub["code"], sub["by"], sub["due"]) for sub in reports["subitems"]]


def test_the_april_agenda_lists_the_open_report_and_drops_it_once_done(board, frozen, engine, tmp_path):
    frozen("2011-04-01T10:00")
    assert report_rows(engine, date(2011, 4, 12)) == [("3.1", "1.1", "IT-Arbeitskreis", date(2011, 3, 31))]
    drafted = board("agenda", "2011-04-12", "--draft", "--out", str(tmp_path / "offen"))
    assert drafted.exit_code == 0
    markdown = (tmp_path / "offen" / "tagesordnung.md").read_text(encoding="utf-8")
    assert (
        f"| 3 | Berichte | | |\n| 3.1 | {REPORT}<br>zu Mandat 1.1 · fällig zum 31. März 2011 | IT-Arbeitskreis | |\n"
    ) in markdown
    # The meeting preparations are a duty, not a report to the conference.
    assert MEETINGS not in markdown

    done = board("duty", "done", "1.1", "it-ak-bericht", "--ref", "Bericht vom 30.03.2011")
    assert done.stdout == f"1.1: {REPORT} (fällig am 31.03.2011) erledigt am 01.04.2011 (Bericht vom 30.03.2011).\n"
    assert report_rows(engine, date(2011, 4, 12)) == []
    board("agenda", "2011-04-12", "--draft", "--out", str(tmp_path / "erledigt"))
    markdown = (tmp_path / "erledigt" / "tagesordnung.md").read_text(encoding="utf-8")
    assert "| 3 | Berichte<br>Es sind keine Berichte fällig. | | |\n" in markdown
    assert REPORT not in markdown


def test_every_open_report_due_by_the_meeting_is_listed(board, frozen, engine):
    frozen("2011-04-01T10:00")
    assert board("meeting", "add", "2011-10-11").exit_code == 0
    assert report_rows(engine, date(2011, 10, 11)) == [
        ("3.1", "1.1", "IT-Arbeitskreis", date(2011, 3, 31)),
        ("3.2", "1.1", "IT-Arbeitskreis", date(2011, 9, 30)),
    ]
    assert board("duty", "done", "1.1", "it-ak-bericht", "--for", "30.09.2011").exit_code == 0
    assert report_rows(engine, date(2011, 10, 11)) == [("3.1", "1.1", "IT-Arbeitskreis", date(2011, 3, 31))]


# --- occurrence arithmetic ----------------------------------------------------------------------------------------


def duty(first: date = date(2011, 3, 31), every: int = 6, rotation: str = "it-ak") -> Duty:
    return Duty(key="d", mandate_id=1, title="Pflicht", first_due=first, every_months=every, rotation=rotation)


def test_month_ends_stay_put_because_each_occurrence_counts_from_the_first():
    report = duty()
    assert [nth(report, n).day for n in range(5)] == [
        date(2011, 3, 31),
        date(2011, 9, 30),
        date(2012, 3, 31),  # not 30.03., as adding six months to 30.09. would give
        date(2012, 9, 30),
        date(2013, 3, 31),
    ]
    leap = duty(date(2011, 8, 31))
    assert [nth(leap, n).day for n in range(4)] == [
        date(2011, 8, 31),
        date(2012, 2, 29),
        date(2012, 8, 31),
        date(2013, 2, 28),
    ]


def test_the_turn_goes_round_the_rotation():
    sitting = duty(date(2010, 11, 30), 2, ",".join(TOWNS))
    assert [(o.day, o.body_key) for o in (nth(sitting, n) for n in (0, 1, 2, 9, 10, 11))] == [
        (date(2010, 11, 30), "bergkamen"),
        (date(2011, 1, 30), "boenen"),
        (date(2011, 3, 30), "froendenberg"),
        (date(2012, 5, 30), "werne"),
        (date(2012, 7, 30), "bergkamen"),
        (date(2012, 9, 30), "boenen"),
    ]


DUTIES = st.builds(
    duty,
    first=st.dates(date(2010, 1, 1), date(2012, 12, 31)),
    every=st.integers(1, 24),
    rotation=st.sampled_from(["a", "a,b", "a,b,c"]),
)
DAYS = st.dates(date(2009, 1, 1), date(2016, 12, 31))


@settings(max_examples=300, deadline=None)
@given(DUTIES, DAYS)
def test_next_and_last_occurrence_bracket_every_day(d, day):
    following = next_on_or_after(d, day)
    assert following == nth(d, following.number)
    assert following.day >= day
    assert following.number == 0 or nth(d, following.number - 1).day < day
    latest = last_on_or_before(d, day)
    if day < d.first_due:
        assert latest is None and following.number == 0
    else:
        assert latest.day <= day < nth(d, latest.number + 1).day
        assert latest.number == (following.number if following.day == day else following.number - 1)


@settings(max_examples=200, deadline=None)
@given(DUTIES, DAYS, st.integers(0, 800))
def test_between_yields_exactly_the_occurrences_in_the_range(d, start, length):
    end = start + timedelta(days=length)
    found = list(between(d, start, end))
    expected = []
    n = 0
    while nth(d, n).day < end:
        if nth(d, n).day >= start:
            expected.append(nth(d, n))
        n += 1
    assert found == expected
    # Consecutive numbers: no occurrence is skipped or repeated.
    assert [o.number for o in found] == [found[0].number + i for i in range(len(found))]


@settings(max_examples=200, deadline=None)
@given(DUTIES, st.sets(st.integers(0, 12), max_size=8), DAYS)
def test_open_occurrences_are_those_due_and_not_closed(d, closed_numbers, until):
    done = {nth(d, n).day for n in closed_numbers}
    still_open = open_until(d, done, until)
    assert still_open == [o for o in between(d, d.first_due, until + timedelta(days=1)) if o.day not in done]
    first = first_open(d, done)
    assert first.day not in done
    assert all(nth(d, n).day in done for n in range(first.number))
    assert (still_open[0] if still_open else None) == first_open(d, done, until)
