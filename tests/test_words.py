"""German in: states, steps and decisions by their German words, near misses, dates and negative amounts."""

import json
import re
from pathlib import Path

import click
import pytest
from sqlmodel import select

from ikz.cli.main import ikz, load_all
from ikz.cli.params import DateType, MomentType, MonthType
from ikz.errors import InvalidInput, NotFound
from models import BODY_DECISIONS, DECISION_ALIASES, Saving
from tests import factories
from tests.snapshot import snapshot
from workflow import lifecycle, words
from workflow.lookup import get_mandate

README = Path(__file__).resolve().parent.parent / "README.md"
VOCABULARIES = {"state": words.STATES, "step": words.TRIGGERS, "decision": words.DECISIONS}


@pytest.fixture
def board(cli):
    assert cli("init", "--catalogue", "kreis-unna-2010").exit_code == 0
    return cli


@pytest.fixture
def deciding(board):
    """1.4 submitted to the April 2011 conference and its decision opened."""
    assert board("edit", "1.4", "--concept", "K", "--plan", "P", "--target", "40000").exit_code == 0
    assert board("advance", "1.4", "start_concept").exit_code == 0
    assert board("advance", "1.4", "submit", "--meeting", "2011-04-12").exit_code == 0
    return board


def _opened(deciding, frozen):
    frozen("2011-04-12T16:00:00+02:00")
    assert deciding("advance", "1.4", "Entscheidung eröffnen").exit_code == 0
    return deciding


def _spellings(word: str) -> list[str]:
    """The ways a user types a word: as declared, upper case, and with ae/oe/ue/ss for umlauts and ß."""
    spelled = word
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "Ae"), ("Ö", "Oe"), ("Ü", "Ue"), ("ß", "ss")):
        spelled = spelled.replace(umlaut, plain)
    return [word, word.upper(), spelled, f"  {word.replace(' ', '_')}  "]


# --- the vocabularies ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", VOCABULARIES)
def test_every_identifier_label_and_alias_resolves_in_every_spelling(kind):
    vocabulary = VOCABULARIES[kind]
    for identifier in vocabulary.labels:
        for word in (identifier, *vocabulary.words_for(identifier)):
            for typed in _spellings(word):
                assert vocabulary.resolve(typed) == identifier, (kind, typed)


def test_the_vocabularies_are_the_machine_and_the_decisions():
    assert words.STATES.labels is lifecycle.STATES and set(lifecycle.STATE_ALIASES) == set(lifecycle.STATES)
    assert words.TRIGGERS.labels is lifecycle.TRIGGERS and set(lifecycle.TRIGGER_ALIASES) == set(lifecycle.TRIGGERS)
    assert words.DECISIONS.labels is BODY_DECISIONS and set(DECISION_ALIASES) == set(BODY_DECISIONS)


def test_a_word_meaning_two_things_is_refused_when_declared():
    with pytest.raises(ValueError, match=r"^'zustimmung' would mean both 'approve' and 'reject'$"):
        words.Vocabulary(
            "Unbekannter Schritt",
            {"approve": "zustimmen", "reject": "ablehnen"},
            {
                "approve": ("Zustimmung",),
                "reject": ("zustimmung",),
            },
        )


def test_the_readme_table_lists_every_word():
    table = re.findall(r"^\| (state|step|decision) \| `(\w+)` \| ([^|]+) \|([^|]*)\|$", README.read_text(), re.M)
    documented = [(kind, identifier, label.strip(), alias.strip()) for kind, identifier, label, alias in table]
    declared = [
        (kind, identifier, vocabulary.labels[identifier], ", ".join(vocabulary.aliases.get(identifier, ())))
        for kind, vocabulary in VOCABULARIES.items()
        for identifier in vocabulary.labels
    ]
    assert documented == declared


@pytest.mark.parametrize(
    ("command", "heading", "line"),
    [
        (["list"], "Zustände", "  on_hold    Auf Eis, ruhend, ruht, auf Eis gelegt, pausiert"),
        (["advance"], "Schritte", "  approve        zustimmen, genehmigen, annehmen, Zustimmung"),
        (["decision"], "Entscheidungen", "  joined    beigetreten, beitreten, Beitritt, ja"),
    ],
)
def test_help_lists_the_words(cli, command, heading, line):
    shown = cli(*command, "--help").stdout
    assert f"\n{heading}: der Bezeichner oder eines der Wörter (Groß-/Kleinschreibung, ä/ae egal):\n" in shown
    assert f"\n{line}\n" in shown


@pytest.mark.parametrize(
    ("vocabulary", "typed", "message"),
    [
        (
            words.STATES,
            "Prüfng",
            "Unbekannter Zustand 'Prüfng'. Meinten Sie Prüfung (examine)? Möglich: examine (Prüfung), "
            "propose (Konzepterstellung), present (Vorlage an die Bürgermeisterkonferenz), decide (Entscheidung), "
            "implement (Umsetzung), control (Controlling), on_hold (Auf Eis), closed (Abgeschlossen), "
            "rejected (Abgelehnt), withdrawn (Zurückgezogen).",
        ),
        (
            words.DECISIONS,
            "beigetretn",
            "Unbekannte Entscheidung 'beigetretn'. Meinten Sie beigetreten (joined)? "
            "Möglich: joined (beigetreten), declined (abgelehnt), pending (offen).",
        ),
        (
            words.DECISIONS,
            "vielleicht",
            "Unbekannte Entscheidung 'vielleicht'. Möglich: joined (beigetreten), declined (abgelehnt), pending (offen).",
        ),
        (
            words.TRIGGERS,
            "aprove",
            "Unbekannter Schritt 'aprove'. Meinten Sie approve (zustimmen)? Möglich: start_concept "
            "(Konzepterstellung beginnen), submit (der Bürgermeisterkonferenz vorlegen), open_decision "
            "(Entscheidung eröffnen), approve (zustimmen), reject (ablehnen), refer_back (zurückverweisen), "
            "start_control (Controlling beginnen), close (abschließen), hold (auf Eis legen), "
            "resume (wieder aufnehmen), withdraw (zurückziehen).",
        ),
    ],
)
def test_a_near_miss_gets_meinten_sie(vocabulary, typed, message):
    with pytest.raises(InvalidInput) as refused:
        vocabulary.resolve(typed)
    assert str(refused.value) == message


# --- states, steps and decisions on the command line ------------------------------------------------


@pytest.mark.parametrize(
    ("state", "codes"),
    [
        ("Prüfung", ["1.4", "2.1", "5.1", "7.1"]),
        ("pruefung", ["1.4", "2.1", "5.1", "7.1"]),
        ("Auf Eis", ["2.1-LS"]),
        ("ruhend", ["2.1-LS"]),
        ("on_hold", ["2.1-LS"]),
        ("Konzepterstellung", ["1.2", "1.3", "1.6", "1.8", "3.1"]),
    ],
)
def test_list_takes_the_state_in_german(board, state, codes):
    result = board("list", "--state", state, "--json")
    assert [row["code"] for row in json.loads(result.stdout)] == codes


def test_list_with_a_misspelt_state_suggests_the_word(board, engine):
    before = snapshot(engine)
    result = board("list", "--state", "Umsetzng")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith("Fehler: Unbekannter Zustand 'Umsetzng'. Meinten Sie Umsetzung (implement)? ")
    assert snapshot(engine) == before


def test_list_as_of_a_day_takes_the_state_in_german(board):
    result = board("list", "--state", "Auf Eis", "--as-of", "02.11.2010", "--json")
    assert [row["code"] for row in json.loads(result.stdout)] == ["2.1-LS"]


@pytest.mark.parametrize("step", ["Konzepterstellung beginnen", "konzept beginnen", "START-CONCEPT"])
def test_advance_takes_the_step_in_german_and_prints_the_identifier(board, step):
    result = board("advance", "1.4", step)
    assert result.exit_code == 0
    assert result.stdout.startswith("1.4: Prüfung → Konzepterstellung (start_concept).\n")
    assert result.stdout.endswith("\nErlaubt im Zustand Konzepterstellung: submit, hold, withdraw.\n")


def test_the_help_examples_of_advance_work(board):
    assert board("edit", "1.4", "--concept", "K", "--plan", "P", "--target", "40000").exit_code == 0
    assert board("advance", "1.4", "start_concept", "--note", "Verhandlungen mit dem RZ aufgenommen").exit_code == 0
    result = board("advance", "1.4", "vorlegen", "--meeting", "12.04.2011")
    assert result.stdout.startswith("1.4: Konzepterstellung → Vorlage an die Bürgermeisterkonferenz (submit).\n")
    early = board("advance", "1.4", "eroeffnen", "--meeting", "12.04.2011")
    assert early.stderr == "Fehler: --meeting gilt nur für den Schritt submit.\n"


def test_an_unknown_step_lists_the_steps_allowed_now(board, engine):
    before = snapshot(engine)
    result = board("advance", "1.4", "genemigen")
    assert (result.exit_code, result.stdout, result.stderr) == (
        1,
        "",
        "Fehler: Unbekannter Schritt 'genemigen'. Meinten Sie genehmigen (approve)? Im Zustand Prüfung möglich: "
        "start_concept (Konzepterstellung beginnen), hold (auf Eis legen), withdraw (zurückziehen).\n",
    )
    nothing = board("advance", "1.4", "frobnicate")
    assert nothing.stderr == (
        "Fehler: Unbekannter Schritt 'frobnicate'. Im Zustand Prüfung möglich: "
        "start_concept (Konzepterstellung beginnen), hold (auf Eis legen), withdraw (zurückziehen).\n"
    )
    assert snapshot(engine) == before


def test_an_unknown_step_on_a_closed_mandate_says_no_step_is_left(board, engine):
    assert board("advance", "1.4", "zurückziehen", "--reason", "erledigt sich").exit_code == 0
    result = board("advance", "1.4", "weiter")
    assert result.stderr == (
        "Fehler: Unbekannter Schritt 'weiter'. Im Zustand Zurückgezogen ist kein Schritt mehr möglich.\n"
    )


def test_the_readme_near_miss_is_what_ikz_says(board):
    board("advance", "1.4", "start_concept")
    said = board("advance", "1.4", "genemigen").stderr.rstrip("\n")
    assert said in README.read_text().splitlines()


def test_a_german_step_that_is_not_allowed_now_is_refused_in_german(board, engine):
    before = snapshot(engine)
    result = board("advance", "1.4", "genehmigen")
    assert (result.exit_code, result.stderr) == (
        1,
        "Fehler: Schritt 'approve' (zustimmen) für 1.4 ist im Zustand Prüfung nicht möglich. "
        "Erlaubt im Zustand Prüfung: start_concept, hold, withdraw.\n",
    )
    assert snapshot(engine) == before


def test_the_whole_way_in_german(deciding, frozen):
    _opened(deciding, frozen)
    assert deciding("decision", "1.4", "luenen", "beigetreten").stdout == "1.4: Lünen – beigetreten.\n"
    assert deciding("decision", "1.4", "Werne", "abgelehnt").stdout == "1.4: Werne – abgelehnt.\n"
    assert deciding("decision", "1.4", "Holzwickede", "offen").stdout == "1.4: Holzwickede – offen.\n"
    assert deciding("decision", "1.4", "Froendenberg/Ruhr", "JA").stdout == "1.4: Fröndenberg/Ruhr – beigetreten.\n"
    result = deciding("advance", "1.4", "zustimmen")
    assert result.stdout.startswith("1.4: Entscheidung → Umsetzung (approve).\n")
    assert deciding("advance", "1.4", "Controlling beginnen").exit_code == 0
    assert deciding("advance", "1.4", "auf Eis legen", "--reason", "Personalwechsel").exit_code == 0
    assert deciding("advance", "1.4", "fortsetzen").stdout.startswith("1.4: Auf Eis → Controlling (resume).\n")
    assert deciding("advance", "1.4", "abschliessen").stdout.startswith("1.4: Controlling → Abgeschlossen (close).\n")
    triggers = [entry["trigger"] for entry in json.loads(deciding("show", "1.4", "--json").stdout)["history"]]
    assert triggers[-5:] == ["approve", "start_control", "hold", "resume", "close"]


def test_a_misspelt_decision_is_refused_with_a_suggestion(deciding, frozen, engine):
    _opened(deciding, frozen)
    before = snapshot(engine)
    result = deciding("decision", "1.4", "luenen", "beigetretn")
    assert (result.exit_code, result.stderr) == (
        1,
        "Fehler: Unbekannte Entscheidung 'beigetretn'. Meinten Sie beigetreten (joined)? "
        "Möglich: joined (beigetreten), declined (abgelehnt), pending (offen).\n",
    )
    assert snapshot(engine) == before


# --- bodies and mandate codes -------------------------------------------------------------------------


def test_bodies_are_found_in_any_spelling_and_near_misses_are_named(board, engine):
    assert [r["code"] for r in json.loads(board("list", "--lead", "LUENEN", "--json").stdout)] == ["1.4", "2.1-LS"]
    assert [r["code"] for r in json.loads(board("list", "--lead", "ak der kaemmerer", "--json").stdout)] == [
        "2.1",
        "5.1",
        "7.1",
    ]
    before = snapshot(engine)
    result = board("list", "--lead", "Lunen")
    assert result.exit_code == 1
    assert result.stderr.startswith("Fehler: Stelle 'Lunen' gibt es nicht. Meinten Sie Lünen (luenen)? Bekannt: ")
    assert snapshot(engine) == before


def test_an_unknown_code_among_few_mandates_lists_them_with_the_near_one(board):
    result = board("show", "1.44")
    assert (result.exit_code, result.stderr) == (
        1,
        "Fehler: Mandat '1.44' gibt es nicht. Meinten Sie 1.4? Vorhanden: 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, "
        "2.1, 2.1-LS, 3.1, 4.1, 5.1, 5.2, 6.1, 7.1.\n",
    )
    assert board("show", "2.1-ls").stderr.startswith("Fehler: Mandat '2.1-ls' gibt es nicht. Meinten Sie 2.1-LS? ")


def test_an_unknown_code_among_many_mandates_names_at_most_five_near_ones(session):
    for number in range(1, 121):
        factories.mandate(session, code=f"9.{number}")
    with pytest.raises(NotFound) as near:
        get_mandate(session, "9.1000")
    assert str(near.value) == "Mandat '9.1000' gibt es nicht. Meinten Sie 9.100, 9.10, 9.120, 9.110 oder 9.109?"
    with pytest.raises(NotFound) as far:
        get_mandate(session, "Breitband")
    assert str(far.value) == "Mandat 'Breitband' gibt es nicht; keiner der 120 Codes ähnelt ihm (ikz list)."


# --- dates, moments and months --------------------------------------------------------------------------


def _parameters(command, path=()):
    yield from ((path, param) for param in command.params)
    for name, sub in getattr(command, "commands", {}).items():
        yield from _parameters(sub, (*path, name))


# Names that say a parameter holds a day, a moment or a month: none of them may be a plain string.
DATE_LIKE = re.compile(r"(^|_)(at|as_of|date|day|due|month|meeting|since|until|on|decided_on|when|done_on)($|_)")


def test_every_date_parameter_takes_german_and_iso():
    """Every day, moment or month a command takes goes through one of the three German-and-ISO types.

    The names are what catches a new one: a parameter named like a day (at, day, due, until, …) must be typed.
    """
    typed = {
        (" ".join(path), param.name, type(param.type).__name__)
        for path, param in _parameters(load_all())
        if isinstance(param.type, (DateType, MomentType, MonthType))
    }
    assert typed >= {
        ("advance", "meeting", "DateType"),
        ("agenda", "day", "DateType"),
        ("decision", "decided_on", "DateType"),
        ("digest", "month", "MonthType"),
        ("edit", "due", "DateType"),
        ("list", "as_of", "DateType"),
        ("meeting add", "day", "DateType"),
        ("remind", "at", "MomentType"),
        ("show", "as_of", "DateType"),
    }
    # `depend --on` names a mandate, not a day.
    untyped = [
        (" ".join(path), param.name)
        for path, param in _parameters(load_all())
        if DATE_LIKE.search(param.name) and not isinstance(param.type, (DateType, MomentType, MonthType))
    ]
    assert untyped == [("depend", "on")]


@pytest.mark.parametrize(
    ("kind", "typed", "expected"),
    [
        (DateType(), "16.03.2011", "2011-03-16"),
        (DateType(), "2011-03-16", "2011-03-16"),
        (DateType(), "1.3.2011", "2011-03-01"),
        (MonthType(), "03.2011", "2011-03-01"),
        (MonthType(), "2011-03", "2011-03-01"),
        (MonthType(), "18.03.2011", "2011-03-01"),
        (MomentType(), "18.03.2011", "2011-03-17T23:00:00+00:00"),
        (MomentType(), "18.03.2011 07:30", "2011-03-18T06:30:00+00:00"),
        (MomentType(), "18.03.2011, 07:30", "2011-03-18T06:30:00+00:00"),
        (MomentType(), "2011-03-18T07:30", "2011-03-18T06:30:00+00:00"),
        (MomentType(), "2011-03-18 07:30", "2011-03-18T06:30:00+00:00"),
        (MomentType(), "2011-07-18T07:30:00+02:00", "2011-07-18T05:30:00+00:00"),
    ],
)
def test_dates_moments_and_months_in_german_and_iso(kind, typed, expected):
    assert kind.convert(typed, None, None).isoformat() == expected


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["remind", "--at", "18.3.11"],
            "Fehler: Ungültiger Wert für '--at': '18.3.11' ist kein gültiger Zeitpunkt; erlaubt: TT.MM.JJJJ [HH:MM] "
            "oder JJJJ-MM-TT[THH:MM], z. B. 18.03.2011 07:30 oder 2011-03-18T07:30.",
        ),
        (
            ["remind", "--at", "0001-01-01"],
            "Fehler: Ungültiger Wert für '--at': '0001-01-01' liegt außerhalb von 1990 bis 2100.",
        ),
        (
            ["edit", "1.4", "--due", "16/03/2011"],
            "Fehler: Ungültiger Wert für '--due': '16/03/2011' ist kein gültiges Datum; erlaubt: TT.MM.JJJJ oder "
            "JJJJ-MM-TT, z. B. 12.04.2011.",
        ),
    ],
)
def test_a_date_that_is_neither_german_nor_iso_is_a_usage_error(board, engine, argv, message):
    before = snapshot(engine)
    result = board(*argv)
    assert (result.exit_code, result.stderr.splitlines()[-1]) == (2, message)
    assert snapshot(engine) == before


@pytest.mark.parametrize("at", ["18.03.2011", "18.03.2011 07:30", "2011-03-18T07:30"])
def test_remind_at_a_german_moment(board, at):
    result = board("remind", "--at", at, "--dry-run")
    assert result.exit_code == 0
    assert result.stdout.endswith("nichts gespeichert oder versendet.\n")


def test_ikz_now_takes_a_german_moment(board, frozen):
    frozen("18.03.2011 07:30")
    assert json.loads(board("list", "--json", "--overdue").stdout)[0]["code"] == "1.2"


# --- negative amounts --------------------------------------------------------------------------------------


def test_negative_savings_are_a_correction(board, session):
    # 1.5 is being implemented: savings can be booked.
    assert board("savings", "1.5", "2010", "-500").stdout == "1.5: Einsparung 2010 = -500 €.\n"
    assert board("savings", "1.5", "2010", "-1.500").stdout == "1.5: Einsparung 2010 = -1.500 €.\n"
    assert board("savings", "1.5", "2010", "--actor", "Kämmerei", "-2.500 €").stdout == (
        "1.5: Einsparung 2010 = -2.500 €.\n"
    )
    assert board("savings", "1.5", "2010", "--", "-7").stdout == "1.5: Einsparung 2010 = -7 €.\n"
    assert [s.amount for s in session.exec(select(Saving)).all()] == [-7]
    report = json.loads(board("report", "--json").stdout)
    assert (report["realised_total"], report["realised_share"]) == (-7, 0.0)
    assert '"realised_share": 0.0,' in board("report", "--json").stdout
    assert "realisiert -7 € (0,0 %)." in board("report").stdout


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["savings", "1.5", "2010", "-5x"],
            "Fehler: Ungültiger Wert für 'BETRAG': '-5x' ist kein Betrag; erlaubt: ganze Euro bis 1.000.000.000, "
            "negativ für Mehrkosten, z. B. 38000, 38.000 oder -500.",
        ),
        (
            ["savings", "1.5", "2010", "-1000000001"],
            "Fehler: Ungültiger Wert für 'BETRAG': '-1000000001' ist kein Betrag; erlaubt: ganze Euro bis "
            "1.000.000.000, negativ für Mehrkosten, z. B. 38000, 38.000 oder -500.",
        ),
        (["savings", "1.5", "2010", "-5", "--actr", "x"], "Fehler: Unbekannte Option '--actr'. Meinten Sie '--actor'?"),
        (
            ["edit", "1.5", "--target", "-500"],
            "Fehler: Ungültiger Wert für '--target': '-500' ist kein Betrag; erlaubt: ganze Euro ohne Vorzeichen bis "
            "1.000.000.000, z. B. 120000 oder 120.000.",
        ),
    ],
)
def test_bad_amounts_and_negative_targets_are_refused(board, engine, argv, message):
    before = snapshot(engine)
    result = board(*argv)
    assert (result.exit_code, result.stderr.splitlines()[-1]) == (2, message)
    assert snapshot(engine) == before


def test_the_core_takes_negative_savings_but_not_beyond_the_range(session):
    from datetime import UTC, date, datetime

    from workflow.controlling import record_saving

    now, today = datetime(2011, 6, 1, 9, tzinfo=UTC), date(2011, 6, 1)
    factories.mandate(session, code="9.1", state="implement")
    assert record_saving(session, "9.1", 2011, -500, actor="t", now=now, today=today).amount == -500
    session.rollback()
    with pytest.raises(InvalidInput) as refused:
        record_saving(session, "9.1", 2011, -(10**9) - 1, actor="t", now=now, today=today)
    assert str(refused.value) == "Der Betrag -1.000.000.001 € liegt außerhalb von -1.000.000.000 € bis 1.000.000.000 €."


def test_a_backup_with_negative_savings_restores(board, tmp_path, second_db_url):
    assert board("savings", "1.5", "2010", "-500").exit_code == 0
    path = tmp_path / "sicherung.json"
    assert board("export", "--format", "json", "--out", str(path)).exit_code == 0
    restored = click.testing.CliRunner().invoke(ikz, ["--db", second_db_url, "import", str(path)])
    assert restored.exit_code == 0, restored.output
    assert json.loads(path.read_text())["tables"]["saving"][0]["amount"] == -500
