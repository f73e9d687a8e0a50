"""Meetings of every body: entered with time, place and chair, moved, cancelled, given free items; their agendas."""

import json
from datetime import UTC, date, datetime
from email import message_from_string, policy

import pytest
from sqlmodel import select

from ikz.conference.papers import agenda_data
from ikz.conference.render import texts
from ikz.errors import NotFound, TransitionRefused
from models import Mandate, Meeting, MeetingItem, OutboxMessage, TransitionLog
from models.db import transaction
from tests.snapshot import snapshot

MARCH = "2011-03-01T10:00"
ADDED = datetime(2011, 3, 1, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
CONFERENCE = "Sitzung der Bürgermeisterkonferenz"


@pytest.fixture
def board(cli, frozen):
    """The catalogue imported in November 2010; the coordinator works on 01.03.2011."""
    assert cli("init", "--catalogue", "kreis-unna-2010").exit_code == 0
    frozen(MARCH)
    return cli


def submit_loga(board, meeting: str = "2011-04-12") -> None:
    assert board("advance", "1.4", "start_concept").exit_code == 0
    assert board("edit", "1.4", "--concept", "K", "--plan", "P", "--target", "1").exit_code == 0
    assert board("advance", "1.4", "submit", "--meeting", meeting).exit_code == 0


def mandate(session, code: str) -> Mandate:
    return session.exec(select(Mandate).where(Mandate.code == code)).one()


def last_entry(session, code: str) -> TransitionLog:
    return session.exec(
        select(TransitionLog).where(TransitionLog.mandate_id == mandate(session, code).id).order_by(TransitionLog.seq)
    ).all()[-1]


def meeting_on(session, day: date) -> Meeting:
    return session.exec(select(Meeting).where(Meeting.date == day)).one()


def mails(session) -> list[tuple[str, str, str, str, str]]:
    """(kind, recipient, To header, subject, plain text) of every outbox row, oldest first."""
    found = []
    for row in session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all():
        message = message_from_string(row.raw, policy=policy.default)
        text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
        found.append((row.kind, row.recipient, str(message["To"]), row.subject, text))
    return found


def refused(board, engine, *args: str, message: str) -> None:
    """The command is refused with one German line and exit code 1, and nothing in the database changes."""
    before = snapshot(engine)
    result = board(*args)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"Fehler: {message}\n")
    assert snapshot(engine) == before


def agenda(engine, day: date, body: str = "bmk") -> dict:
    with transaction(engine) as session:
        return agenda_data(session, day, body)


# --- entering meetings --------------------------------------------------------------------------------------------


def test_a_meeting_with_time_place_and_chair_is_listed_with_them(board, session):
    added = board(
        "meeting", "add", "10.05.2011", "--time", "14.30", "--place", "Kreishaus Unna, Raum 231", "--chair", "Landrat"
    )
    assert (added.exit_code, added.stdout, added.stderr) == (
        0,
        "Sitzung am 10.05.2011 angelegt: Sitzung der Bürgermeisterkonferenz.\n",
        "",
    )
    row = meeting_on(session, date(2011, 5, 10))
    assert (row.title, row.time, row.place, row.chair, row.created_at) == (
        CONFERENCE,
        "14:30",
        "Kreishaus Unna, Raum 231",
        "Landrat",
        ADDED,
    )
    listed = board("meeting", "list")
    assert listed.exit_code == 0
    assert listed.stdout == (
        "Datum             Gremium                 Titel                               Ort                       Hinweis\n"
        "────────────────  ──────────────────────  ──────────────────────────────────  ────────────────────────  ───────\n"
        "16.03.2011        AK der Kämmerer         Sitzung des AK der Kämmerer\n"
        "12.04.2011        Bürgermeisterkonferenz  Sitzung der Bürgermeisterkonferenz\n"
        "10.05.2011 14:30  Bürgermeisterkonferenz  Sitzung der Bürgermeisterkonferenz  Kreishaus Unna, Raum 231\n"
    )
    rows = json.loads(board("meeting", "list", "--json").stdout)
    assert [(r["date"], r["body"]) for r in rows] == [
        ("2011-03-16", "ak-kaemmerer"),
        ("2011-04-12", "bmk"),
        ("2011-05-10", "bmk"),
    ]
    assert rows[2] == {
        "date": "2011-05-10",
        "body": "bmk",
        "body_name": "Bürgermeisterkonferenz",
        "title": CONFERENCE,
        "time": "14:30",
        "place": "Kreishaus Unna, Raum 231",
        "chair": "Landrat",
        "moved_from": None,
        "cancelled": False,
        "cancel_reason": None,
    }


@pytest.mark.parametrize(("typed", "stored"), [("10:00", "10:00"), ("9:05", "09:05"), ("14.30 Uhr", "14:30")])
def test_times_are_stored_as_hh_mm(board, session, typed, stored):
    assert board("meeting", "add", "2011-05-10", "--time", typed).exit_code == 0
    assert meeting_on(session, date(2011, 5, 10)).time == stored


@pytest.mark.parametrize("typed", ["25:00", "abc", "10:60", "1000"])
def test_a_bad_time_is_refused(board, engine, typed):
    refused(
        board,
        engine,
        "meeting",
        "add",
        "2011-05-10",
        "--time",
        typed,
        message=f"Ungültige Uhrzeit {typed!r}; erlaubt ist SS:MM, z. B. 10:00 oder 14.30.",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["2011-02-28"],
            "Das Sitzungsdatum 28.02.2011 liegt in der Vergangenheit; erlaubt ist heute (01.03.2011) oder später.",
        ),
        (["2011-04-12"], "Am 12.04.2011 ist bereits eine Sitzung der Bürgermeisterkonferenz angelegt."),
        (
            ["2011-03-16", "--body", "ak-kaemmerer"],
            "Am 16.03.2011 ist bereits eine Sitzung des AK der Kämmerer angelegt.",
        ),
        (["2011-05-10", "--place", "x" * 201], "Der Ort ist zu lang: höchstens 200 Zeichen."),
        (["2011-05-10", "--chair", "x" * 121], "Der Vorsitz ist zu lang: höchstens 120 Zeichen."),
    ],
)
def test_meetings_in_the_past_twice_or_with_overlong_text_are_refused(board, engine, args, message):
    refused(board, engine, "meeting", "add", *args, message=message)


def test_the_same_day_is_free_for_another_body(board, session):
    result = board("meeting", "add", "2011-04-12", "--body", "it-ak")
    assert result.stdout == "Sitzung am 12.04.2011 angelegt: Sitzung des IT-Arbeitskreises.\n"
    assert len(session.exec(select(Meeting).where(Meeting.date == date(2011, 4, 12))).all()) == 2


@pytest.mark.parametrize(
    ("day", "note"),
    [
        ("2011-05-14", "Hinweis: Der 14.05.2011 ist ein Samstag."),
        ("2011-05-15", "Hinweis: Der 15.05.2011 ist ein Sonntag."),
        ("2011-06-23", "Hinweis: Der 23.06.2011 ist Fronleichnam, ein Feiertag in NRW."),
        ("2011-12-25", "Hinweis: Der 25.12.2011 ist ein Sonntag und Erster Weihnachtstag, ein Feiertag in NRW."),
    ],
)
def test_a_meeting_on_a_weekend_or_holiday_is_added_with_a_warning(board, session, day, note):
    result = board("meeting", "add", day)
    shown = date.fromisoformat(day).strftime("%d.%m.%Y")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        f"Sitzung am {shown} angelegt: Sitzung der Bürgermeisterkonferenz.\n",
        f"{note}\n",
    )
    assert meeting_on(session, date.fromisoformat(day)).title == CONFERENCE


# --- moving ------------------------------------------------------------------------------------------------------


def test_moving_a_meeting_moves_the_submission_deadline_and_tells_the_lead(board, session, engine):
    submit_loga(board)
    assert board("meeting", "add", "2011-05-10").exit_code == 0
    # 1.2 goes to the May meeting: moving the April one leaves it alone.
    assert board("edit", "1.2", "--concept", "K", "--plan", "P", "--target", "1").exit_code == 0
    assert board("advance", "1.2", "submit", "--meeting", "2011-05-10").exit_code == 0
    assert mandate(session, "1.4").due_date == date(2011, 3, 29)  # 10 working days before 12.04.2011
    broadband_due = mandate(session, "1.2").due_date
    assert mails(session) == []

    result = board("meeting", "move", "2011-04-12", "2011-04-19")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "Sitzung der Bürgermeisterkonferenz vom 12.04.2011 auf den 19.04.2011 verlegt; 1 Mandat mit neuer Vorlagefrist.\n",
        "",
    )
    loga = mandate(session, "1.4")
    assert (loga.state, loga.due_date) == ("present", date(2011, 4, 5))
    assert mandate(session, "1.2").due_date == broadband_due
    moved = session.get(Meeting, loga.meeting_id)
    assert (moved.date, moved.moved_from, moved.moved_at) == (date(2011, 4, 19), date(2011, 4, 12), ADDED)
    entry = last_entry(session, "1.4")
    assert (entry.trigger, entry.from_state, entry.to_state, entry.at, entry.note) == (
        "meeting",
        "present",
        "present",
        ADDED,
        "Sitzung vom 12.04.2011 auf den 19.04.2011 verlegt; Vorlagefrist: 29.03.2011 → 05.04.2011",
    )
    assert last_entry(session, "1.2").trigger == "submit"
    [(kind, recipient, to, subject, text)] = mails(session)
    assert (kind, recipient, to, subject) == (
        "notice",
        "loga@luenen.example",
        "Petra Schulte <loga@luenen.example>",
        "ikz 1.4 Einkaufsgemeinschaft LOGA – Vorlage an die Bürgermeisterkonferenz",
    )
    assert text.startswith(
        "Guten Tag Petra Schulte,\n\n"
        "1.4 Einkaufsgemeinschaft LOGA: Sitzung vom 12.04.2011 auf den 19.04.2011 verlegt; "
        "Vorlagefrist: 29.03.2011 → 05.04.2011\n\n"
        "Stand jetzt: Vorlage an die Bürgermeisterkonferenz, Frist 05.04.2011.\n"
    )
    shown = json.loads(board("show", "1.4", "--json").stdout)
    assert (shown["due_date"], shown["meeting"]) == ("2011-04-05", {"date": "2011-04-19", "title": CONFERENCE})
    assert board("meeting", "list").stdout.splitlines()[3].split() == [
        "19.04.2011",
        "Bürgermeisterkonferenz",
        "Sitzung",
        "der",
        "Bürgermeisterkonferenz",
        "verlegt",
        "vom",
        "12.04.2011",
    ]
    # The agenda moved with the meeting.
    assert [p["code"] for p in agenda(engine, date(2011, 4, 19))["papers"]] == ["1.4"]
    with pytest.raises(NotFound):
        agenda(engine, date(2011, 4, 12))


def test_moving_onto_a_saturday_warns_and_counts_working_days_back_from_it(board, session):
    submit_loga(board)
    result = board("meeting", "move", "12.04.2011", "23.04.2011")
    assert (result.exit_code, result.stderr) == (0, "Hinweis: Der 23.04.2011 ist ein Samstag.\n")
    # Ten working days before Saturday 23.04.2011, skipping Good Friday 22.04.: Friday 08.04.
    assert mandate(session, "1.4").due_date == date(2011, 4, 8)


def test_a_working_group_meeting_is_moved_with_its_body(board, session):
    result = board("meeting", "move", "2011-03-16", "2011-03-23", "--body", "ak-kaemmerer")
    assert (result.exit_code, result.stdout) == (
        0,
        "Sitzung des AK der Kämmerer vom 16.03.2011 auf den 23.03.2011 verlegt; kein Mandat mit neuer Vorlagefrist.\n",
    )
    assert meeting_on(session, date(2011, 3, 23)).moved_from == date(2011, 3, 16)
    assert mails(session) == []


@pytest.mark.parametrize(
    ("now", "args", "message"),
    [
        (
            MARCH,
            ["2011-04-13", "2011-04-20"],
            "Am 13.04.2011 gibt es keine Sitzung der Bürgermeisterkonferenz. Vorhanden: 12.04.2011, 03.05.2011.",
        ),
        (
            # The working group's meeting is not the conference's.
            MARCH,
            ["2011-03-16", "2011-03-23"],
            "Am 16.03.2011 gibt es keine Sitzung der Bürgermeisterkonferenz. Vorhanden: 12.04.2011, 03.05.2011.",
        ),
        (
            MARCH,
            ["2011-04-12", "2011-05-03"],
            "Am 03.05.2011 ist bereits eine Sitzung der Bürgermeisterkonferenz angelegt.",
        ),
        (
            MARCH,
            ["2011-04-12", "2011-02-20"],
            "Der neue Tag 20.02.2011 liegt in der Vergangenheit; erlaubt ist heute (01.03.2011) oder später.",
        ),
        (MARCH, ["2011-04-12", "2011-04-12"], "Die Sitzung ist bereits am 12.04.2011."),
        (
            "2011-04-13T10:00",
            ["2011-04-12", "2011-04-19"],
            "Die Sitzung am 12.04.2011 liegt in der Vergangenheit und kann nicht mehr verlegt werden.",
        ),
        (
            "2011-03-17T10:00",
            ["2011-03-16", "2011-03-23", "--body", "ak-kaemmerer"],
            "Die Sitzung am 16.03.2011 liegt in der Vergangenheit und kann nicht mehr verlegt werden.",
        ),
    ],
)
def test_moving_is_refused_with_a_reason_and_changes_nothing(board, engine, frozen, now, args, message):
    submit_loga(board)
    assert board("meeting", "add", "2011-05-03").exit_code == 0
    frozen(now)
    refused(board, engine, "meeting", "move", *args, message=message)


# --- cancelling --------------------------------------------------------------------------------------------------


def test_cancelling_sends_the_submitted_mandates_back_and_tells_their_leads(board, session, engine, tmp_path):
    submit_loga(board)
    result = board("meeting", "cancel", "2011-04-12", "--reason", "Terminkollision mit dem Kreistag")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "Sitzung der Bürgermeisterkonferenz am 12.04.2011 abgesagt; 1 Mandat zurück in der Konzepterstellung.\n",
        "",
    )
    loga = mandate(session, "1.4")
    # Back in preparation with the concept stage's default deadline from today (3 months).
    assert (loga.state, loga.meeting_id, loga.due_date) == ("propose", None, date(2011, 6, 1))
    entry = last_entry(session, "1.4")
    assert (entry.trigger, entry.from_state, entry.to_state, entry.note) == (
        "refer_back",
        "present",
        "propose",
        "Sitzung am 12.04.2011 abgesagt: Terminkollision mit dem Kreistag",
    )
    cancelled = meeting_on(session, date(2011, 4, 12))
    assert (cancelled.cancelled_at, cancelled.cancel_reason) == (ADDED, "Terminkollision mit dem Kreistag")
    [(kind, recipient, _to, subject, text)] = mails(session)
    assert (kind, recipient, subject) == (
        "notice",
        "loga@luenen.example",
        "ikz 1.4 Einkaufsgemeinschaft LOGA – Konzepterstellung",
    )
    assert (
        "1.4 Einkaufsgemeinschaft LOGA: Sitzung am 12.04.2011 abgesagt: Terminkollision mit dem Kreistag\n\n"
        "Stand jetzt: Konzepterstellung, Frist 01.06.2011.\n"
    ) in text
    assert board("meeting", "list").stdout.splitlines()[3].endswith("  abgesagt: Terminkollision mit dem Kreistag")
    rows = json.loads(board("meeting", "list", "--json").stdout)
    assert [(r["date"], r["cancelled"], r["cancel_reason"]) for r in rows] == [
        ("2011-03-16", False, None),
        ("2011-04-12", True, "Terminkollision mit dem Kreistag"),
    ]

    refused(
        board,
        engine,
        "advance",
        "1.4",
        "submit",
        "--meeting",
        "2011-04-12",
        message="Schritt 'submit' (der Bürgermeisterkonferenz vorlegen) für 1.4 nicht möglich: die Sitzung am "
        "12.04.2011 ist abgesagt (Terminkollision mit dem Kreistag). Erlaubt im Zustand Konzepterstellung: "
        "submit, hold, withdraw.",
    )
    refused(
        board,
        engine,
        "agenda",
        "2011-04-12",
        "--draft",
        "--out",
        str(tmp_path / "abgesagt"),
        message="Die Sitzung am 12.04.2011 ist abgesagt (Terminkollision mit dem Kreistag); eine Tagesordnung gibt es "
        "nicht.",
    )
    assert not (tmp_path / "abgesagt").exists()


def test_a_cancellation_without_mandates_says_so(board, session):
    result = board("meeting", "cancel", "2011-03-16", "--body", "ak-kaemmerer", "--reason", "Krankheit")
    assert (
        result.stdout
        == "Sitzung des AK der Kämmerer am 16.03.2011 abgesagt; kein Mandat zurück in der Konzepterstellung.\n"
    )
    assert meeting_on(session, date(2011, 3, 16)).cancel_reason == "Krankheit"
    assert mails(session) == []


@pytest.mark.parametrize(
    "args",
    [
        ["meeting", "cancel", "2011-04-12", "--reason", "noch einmal"],
        ["meeting", "move", "2011-04-12", "2011-04-19"],
        ["meeting", "item", "add", "2011-04-12", "Bericht des Landrats"],
    ],
)
def test_a_cancelled_meeting_is_not_cancelled_moved_or_changed_again(board, engine, args):
    assert board("meeting", "cancel", "2011-04-12", "--reason", "Terminkollision").exit_code == 0
    refused(board, engine, *args, message="Die Sitzung am 12.04.2011 ist bereits abgesagt (Terminkollision).")


def test_the_minutes_item_skips_a_cancelled_meeting(board, engine):
    assert board("meeting", "add", "2011-05-10").exit_code == 0
    minutes = agenda(engine, date(2011, 5, 10))["items"][1]["title"]
    assert minutes == "Genehmigung der Niederschrift der Sitzung vom 12.04.2011"
    assert board("meeting", "cancel", "2011-04-12", "--reason", "Terminkollision").exit_code == 0
    minutes = agenda(engine, date(2011, 5, 10))["items"][1]["title"]
    assert minutes == "Genehmigung der Niederschrift der letzten Sitzung"


def test_a_cancellation_needs_a_reason(board, engine):
    before = snapshot(engine)
    result = board("meeting", "cancel", "2011-04-12")
    assert (result.exit_code, result.stderr) == (
        2,
        "Aufruf: ikz meeting cancel [OPTIONEN] DATUM\n"
        "Hilfe: 'ikz meeting cancel --help'.\n\n"
        "Fehler: Fehlende Option '--reason'.\n",
    )
    refused(
        board,
        engine,
        "meeting",
        "cancel",
        "2011-04-12",
        "--reason",
        "  ",
        message="Eine Absage braucht einen Grund (--reason TEXT).",
    )
    assert snapshot(engine) == before


def test_a_past_meeting_cannot_be_cancelled(board, engine, frozen):
    frozen("2011-04-13T08:00")
    refused(
        board,
        engine,
        "meeting",
        "cancel",
        "2011-04-12",
        "--reason",
        "zu spät",
        message="Die Sitzung am 12.04.2011 liegt in der Vergangenheit und kann nicht mehr abgesagt werden.",
    )


# --- free items and the conference agenda --------------------------------------------------------------------------


def test_free_items_go_into_the_public_and_the_non_public_part(board, session, engine):
    assert (
        board("meeting", "add", "2011-05-10", "--time", "10:00", "--place", "Kreishaus Unna", "--chair", "Landrat")
    ).exit_code == 0
    public = board("meeting", "item", "add", "2011-05-10", "Bericht des Landrats zur Haushaltslage")
    assert (public.exit_code, public.stdout) == (
        0,
        "Tagesordnungspunkt „Bericht des Landrats zur Haushaltslage“ im öffentlichen Teil der Sitzung am 10.05.2011 "
        "hinzugefügt.\n",
    )
    hidden = board(
        "meeting", "item", "add", "10.05.2011", "Personalangelegenheit", "--non-public", "--note", "Stellenbesetzung"
    )
    assert (hidden.exit_code, hidden.stdout) == (
        0,
        "Tagesordnungspunkt „Personalangelegenheit“ im nichtöffentlichen Teil der Sitzung am 10.05.2011 hinzugefügt.\n",
    )
    stored = session.exec(select(MeetingItem).order_by(MeetingItem.id)).all()
    assert [(i.meeting_id, i.title, i.public, i.note, i.mandate_id) for i in stored] == [
        (meeting_on(session, date(2011, 5, 10)).id, "Bericht des Landrats zur Haushaltslage", True, None, None),
        (meeting_on(session, date(2011, 5, 10)).id, "Personalangelegenheit", False, "Stellenbesetzung", None),
    ]

    data = agenda(engine, date(2011, 5, 10))
    assert {key: data["meeting"][key] for key in ("time", "place", "chair")} == {
        "time": "10:00",
        "place": "Kreishaus Unna",
        "chair": "Landrat",
    }
    assert [(i["number"], i["title"], i["kind"]) for i in data["public_items"]] == [
        ("1", "Eröffnung und Feststellung der Tagesordnung", "fixed"),
        ("2", "Genehmigung der Niederschrift der Sitzung vom 12.04.2011", "fixed"),
        ("3", "Bericht des Landrats zur Haushaltslage", "free"),
        ("4", "Berichte", "reports"),
        ("5", "Verschiedenes", "fixed"),
    ]
    assert [(i["number"], i["title"], i["note"]) for i in data["non_public_items"]] == [
        ("6", "Personalangelegenheit", "Stellenbesetzung"),
    ]
    assert texts(data)["tagesordnung.md"] == (
        "# Tagesordnung\n\n"
        "**Sitzung der Bürgermeisterkonferenz am 10. Mai 2011**\n\n"
        "_Entwurf – nicht ausgegeben_\n\n"
        "- **Beginn:** 10:00 Uhr\n"
        "- **Ort:** Kreishaus Unna\n"
        "- **Vorsitz:** Landrat\n\n"
        "## Öffentlicher Teil\n\n"
        "| TOP | Gegenstand | Federführung | Vorlage |\n"
        "|-----|------------|--------------|---------|\n"
        "| 1 | Eröffnung und Feststellung der Tagesordnung | | |\n"
        "| 2 | Genehmigung der Niederschrift der Sitzung vom 12.04.2011 | | |\n"
        "| 3 | Bericht des Landrats zur Haushaltslage | | |\n"
        "| 4 | Berichte | | |\n"
        "| 4.1 | Bericht des IT-Arbeitskreises an die Bürgermeisterkonferenz (2x pro Jahr)<br>zu Mandat 1.1 · "
        "fällig zum 31. März 2011 | IT-Arbeitskreis | |\n"
        "| 5 | Verschiedenes | | |\n\n"
        "## Nichtöffentlicher Teil\n\n"
        "| TOP | Gegenstand | Federführung | Vorlage |\n"
        "|-----|------------|--------------|---------|\n"
        "| 6 | Personalangelegenheit<br>Stellenbesetzung | | |\n\n"
        "Zu dieser Sitzung sind keine Beschlussvorlagen eingereicht.\n"
    )


def test_the_cli_writes_the_agenda_with_time_place_and_both_parts(board, tmp_path):
    assert board("meeting", "add", "2011-05-10", "--time", "9:30", "--place", "Rathaus Kamen").exit_code == 0
    assert board("meeting", "item", "add", "2011-05-10", "Grundstücksangelegenheit", "--non-public").exit_code == 0
    result = board("agenda", "2011-05-10", "--draft", "--out", str(tmp_path / "mai"))
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == (
        "Tagesordnung für die Sitzung am 10. Mai 2011: 5 Tagesordnungspunkte, 0 Beschlussvorlagen; "
        "Entwurf, nicht ausgegeben (ausgeben mit --issue). Geschrieben:"
    )
    markdown = (tmp_path / "mai" / "tagesordnung.md").read_text(encoding="utf-8")
    assert "- **Beginn:** 09:30 Uhr\n- **Ort:** Rathaus Kamen\n\n## Öffentlicher Teil\n" in markdown
    assert "Vorsitz" not in markdown
    public, non_public = markdown.split("## Nichtöffentlicher Teil")
    assert "Grundstücksangelegenheit" not in public
    assert "| 5 | Grundstücksangelegenheit | | |" in non_public
    html = (tmp_path / "mai" / "tagesordnung.html").read_text(encoding="utf-8")
    assert "<dt>Beginn</dt><dd>09:30 Uhr</dd>" in html and "<dt>Ort</dt><dd>Rathaus Kamen</dd>" in html
    assert (
        html.index("Öffentlicher Teil") < html.index("Nichtöffentlicher Teil") < html.index("Grundstücksangelegenheit")
    )


def test_without_non_public_items_there_is_no_non_public_part(board, engine):
    assert board("meeting", "item", "add", "2011-04-12", "Bericht des Landrats").exit_code == 0
    data = agenda(engine, date(2011, 4, 12))
    assert data["non_public_items"] == []
    markdown = texts(data)["tagesordnung.md"]
    assert "## Öffentlicher Teil" in markdown and "Nichtöffentlich" not in markdown
    assert "Beginn" not in markdown and "Ort:" not in markdown


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["2011-05-11", "Punkt"],
            "Am 11.05.2011 gibt es keine Sitzung der Bürgermeisterkonferenz. Vorhanden: 12.04.2011.",
        ),
        (["2011-04-12", "  "], "Der Tagesordnungspunkt braucht einen Titel."),
        (["2011-04-12", "x" * 201], "Der Titel des Tagesordnungspunkts ist zu lang: höchstens 200 Zeichen."),
        (
            ["2011-04-12", "Punkt", "--mandate", "9.9"],
            "Mandat '9.9' gibt es nicht. Vorhanden: 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 2.1, 2.1-LS, 3.1, 4.1, 5.1, "
            "5.2, 6.1, 7.1.",
        ),
    ],
)
def test_bad_items_are_refused(board, engine, args, message):
    refused(board, engine, "meeting", "item", "add", *args, message=message)


def test_no_items_for_a_past_meeting(board, engine, frozen):
    frozen("2011-03-17T10:00")
    refused(
        board,
        engine,
        "meeting",
        "item",
        "add",
        "2011-03-16",
        "Nachtrag",
        "--body",
        "ak-kaemmerer",
        message="Die Sitzung am 16.03.2011 liegt in der Vergangenheit und kann nicht mehr geändert werden.",
    )


# --- working-group agendas ---------------------------------------------------------------------------------------


def test_the_treasurers_agenda_lists_the_mandates_they_lead(board, engine, tmp_path):
    data = agenda(engine, date(2011, 3, 16), "ak-kaemmerer")
    assert data["meeting"]["title"] == "Sitzung des AK der Kämmerer"
    assert (data["meeting"]["body"], data["meeting"]["conference"]) == ("AK der Kämmerer", False)
    assert [(i["number"], i["title"], i["kind"], i["status"]) for i in data["items"]] == [
        ("1", "Eröffnung und Feststellung der Tagesordnung", "fixed", None),
        ("2", "Genehmigung der Niederschrift der letzten Sitzung", "fixed", None),
        ("3", "2.1 Anstalt öffentlichen Rechts", "status", {"code": "2.1", "state_label": "Prüfung", "due": date(2011, 6, 30)}),
        ("4", "5.1 Kommunale Beschaffungsgesellschaft", "status", {"code": "5.1", "state_label": "Prüfung", "due": date(2011, 6, 30)}),
        ("5", "7.1 Gemeinsame Beauftragte", "status", {"code": "7.1", "state_label": "Prüfung", "due": date(2011, 6, 30)}),
        ("6", "Verschiedenes", "fixed", None),
    ]  # fmt: skip
    # No decision papers and no reports: those are the conference's.
    assert data["papers"] == [] and data["non_public_items"] == []

    result = board("agenda", "2011-03-16", "--body", "ak-kaemmerer", "--draft", "--out", str(tmp_path / "ak"))
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == (
        "Tagesordnung für die Sitzung am 16. März 2011: 6 Tagesordnungspunkte, 0 Beschlussvorlagen; "
        "Entwurf, nicht ausgegeben (ausgeben mit --issue). Geschrieben:"
    )
    markdown = (tmp_path / "ak" / "tagesordnung.md").read_text(encoding="utf-8")
    assert markdown.startswith("# Tagesordnung\n\n**Sitzung des AK der Kämmerer am 16. März 2011**\n")
    assert (
        "| 4 | 5.1 Kommunale Beschaffungsgesellschaft<br>zu Mandat 5.1 · Stand: Prüfung · Frist 30.06.2011 | | |"
        in (markdown)
    )
    # 1.4 (Lünen) and 1.1 (the IT working group) are led by others; the treasurers' agenda has no reports.
    assert "1.4" not in markdown and "1.1" not in markdown and "Berichte" not in markdown
    assert "Beschlussvorlage" not in markdown


def test_the_it_working_groups_agenda_with_an_item_on_another_mandate(board, engine):
    assert board("meeting", "add", "2011-03-22", "--body", "it-ak", "--place", "Rathaus Kamen").exit_code == 0
    added = board("meeting", "item", "add", "2011-03-22", "Ergebnisse LOGA", "--body", "it-ak", "--mandate", "1.4")
    assert added.stdout == (
        "Tagesordnungspunkt „Ergebnisse LOGA“ im öffentlichen Teil der Sitzung am 22.03.2011 hinzugefügt.\n"
    )
    data = agenda(engine, date(2011, 3, 22), "it-ak")
    assert data["meeting"]["place"] == "Rathaus Kamen"
    assert [(i["title"], i["kind"], i["status"] and i["status"]["code"]) for i in data["items"]] == [
        ("Eröffnung und Feststellung der Tagesordnung", "fixed", None),
        ("Genehmigung der Niederschrift der letzten Sitzung", "fixed", None),
        ("1.1 IT-Arbeitskreis", "status", "1.1"),
        ("1.8 Web-Server", "status", "1.8"),
        ("Ergebnisse LOGA", "free", "1.4"),
        ("Verschiedenes", "fixed", None),
    ]


def test_a_mandate_named_by_a_free_item_is_not_listed_twice(board, engine):
    assert board("meeting", "add", "2011-03-22", "--body", "it-ak").exit_code == 0
    assert (
        board(
            "meeting",
            "item",
            "add",
            "2011-03-22",
            "Sprecherwahl",
            "--body",
            "it-ak",
            "--mandate",
            "1.1",
            "--non-public",
        ).exit_code
        == 0
    )
    data = agenda(engine, date(2011, 3, 22), "it-ak")
    assert [i["title"] for i in data["public_items"]] == [
        "Eröffnung und Feststellung der Tagesordnung",
        "Genehmigung der Niederschrift der letzten Sitzung",
        "1.8 Web-Server",
        "Verschiedenes",
    ]
    assert [(i["title"], i["status"]["code"]) for i in data["non_public_items"]] == [("Sprecherwahl", "1.1")]


def test_a_working_group_agenda_for_a_day_without_its_meeting_names_its_meetings(board, engine):
    assert board("meeting", "add", "2011-03-22", "--body", "it-ak").exit_code == 0
    with pytest.raises(NotFound) as raised:
        agenda(engine, date(2011, 3, 16), "it-ak")
    assert str(raised.value) == (
        "Am 16.03.2011 gibt es keine Sitzung des IT-Arbeitskreises. Vorhandene Sitzungen: 22.03.2011."
    )
    assert board("meeting", "cancel", "2011-03-22", "--body", "it-ak", "--reason", "Urlaub").exit_code == 0
    with pytest.raises(TransitionRefused):
        agenda(engine, date(2011, 3, 22), "it-ak")
