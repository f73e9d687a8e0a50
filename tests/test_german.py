"""German out: click's texts, help pages, tables with names, meeting titles, and a check for known slips.

The slips checked in every template and every German string literal of the code base (docstrings and
comments are English and not checked):

- English words in a German text: Error, Warning, required, default, Usage, Options, Commands,
  deprecated, None, True, False (a `{placeholder}` is not text);
- "Sitzung von X": German uses the genitive (Sitzung der Bürgermeisterkonferenz, des AK der Kämmerer);
- a word typed twice in a row ("die die");
- ss where German writes ß: groß, Straße, schließen, heißt, weiß, außer(halb), gemäß, -mäßig,
  Maßnahme, Grüße, Gruß, Fuß, Spaß;
- no space between a number and % or € (German typography: "5 %", "40.000 €");
- abbreviations without their space: "z.B.", "d.h.", "u.a." (German: "z. B.", "d. h.", "u. a.").
"""

import ast
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlmodel import select

from ikz.cli import german
from ikz.cli.conference import abbreviation, column_names
from ikz.cli.main import ikz, load_all
from models import Meeting
from tests.snapshot import snapshot

ROOT = Path(__file__).resolve().parent.parent
CLICK = Path(click.__file__).parent


@pytest.fixture
def board(cli):
    assert cli("init", "--catalogue", "kreis-unna-2010").exit_code == 0
    return cli


# --- click in German ------------------------------------------------------------------------------------


def click_msgids() -> tuple[set[str], set[str]]:
    """Every text click marks for translation: gettext ids and the singular ids of ngettext, read from its source."""
    # One id is looked up from data: Option.get_help_extra puts "required" into extra["required"].
    singles, plurals = {"required"}, set()
    for path in sorted(CLICK.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args):
                continue
            first = node.args[0]
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                continue
            if node.func.id == "_":
                singles.add(first.value)
            elif node.func.id == "ngettext":
                plurals.add(first.value)
    return singles, plurals


def test_every_text_click_marks_has_a_german_one():
    singles, plurals = click_msgids()
    assert len(singles) > 60 and len(plurals) > 5, "click's source no longer reads as expected"
    assert sorted(singles - set(german.MESSAGES)) == []
    assert sorted(plurals - set(german.PLURALS)) == []


def test_every_german_text_keeps_clicks_placeholders():
    """A translation must fill the same {fields}: a missing one would raise KeyError at the user."""

    def fields(text):
        return set(re.findall(r"\{(\w+)", text)) | set(re.findall(r"%\((\w+)\)", text))

    for english, deutsch in german.MESSAGES.items():
        assert fields(deutsch) <= fields(english), english
    for english, (one, many) in german.PLURALS.items():
        assert fields(one) <= fields(english) | {"nargs", "len", "choices", "formats", "possibilities"}, english
        assert fields(many), english


def _commands(command, path=()):
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


# What click prints in English when a text is not translated, or a type's English name as a placeholder.
ENGLISH_LEFTOVERS = re.compile(
    r"\b(Usage|Options|Commands|Arguments|required|default|deprecated|DEPRECATED|Error|Choose from|Show this|"
    r"env var|dynamic|PATH|FILE|DIRECTORY|INTEGER|FLOAT|BOOLEAN|EMAIL|CHOICE|UUID)\b"
)


@pytest.mark.parametrize("path", list(_commands(load_all())), ids=lambda path: " ".join(path) or "ikz")
def test_help_has_no_english_leftovers(path):
    result = CliRunner().invoke(ikz, [*path, "--help"], prog_name="ikz", terminal_width=100)
    assert result.exit_code == 0
    assert result.stdout.startswith("Aufruf: ikz")
    assert ENGLISH_LEFTOVERS.findall(result.stdout) == []


def test_required_and_default_are_german_in_help(cli):
    assert "  --reason TEXT  Warum das Mandat ruht.  [erforderlich]\n" in cli("hold", "--help").stdout
    assert "[Vorgabe: bmk]" in cli("meeting", "add", "--help").stdout


def test_click_usage_errors_are_german(board):
    assert board("hold", "1.4").stderr.splitlines()[-1] == "Fehler: Fehlende Option '--reason'."
    assert board("outbox", "list", "--status", "lost").stderr.splitlines()[-1] == (
        "Fehler: Ungültiger Wert für '--status': 'lost' ist nicht erlaubt; erlaubt: 'queued', 'sent', 'failed'."
    )
    wrong = board("list", "--stat", "examine")
    assert (wrong.exit_code, wrong.stderr.splitlines()[-1]) == (
        2,
        "Fehler: Unbekannte Option '--stat'. Meinten Sie '--state'?",
    )


# --- tables show names ---------------------------------------------------------------------------------------


def test_list_shows_the_leads_by_name(board):
    lines = board("list", "--field", "2").stdout.splitlines()
    assert [re.split(r"\s{2,}", line) for line in lines[2:]] == [
        ["2.1", "2", "Anstalt öffentlichen Rechts", "Prüfung", "AK der Kämmerer", "30.06.2011"],
        ["2.1-LS", "2", "Kooperation Lünen–Selm Rechnungsprüfung", "Auf Eis", "Lünen, Selm", "21.12.2010 ruht"],
    ]


def test_participation_heads_its_columns_with_full_names_in_120_columns(board):
    lines = board("participation").stdout.splitlines()
    assert lines[0].split("  ")[0] == "Code"
    assert [name for name in lines[0].split("  ") if name.strip()] == [
        "Code",
        "Kreis Unna",
        "Bergkamen",
        "Bönen",
        "Fröndenberg/Ruhr",
        "Holzwickede",
        "Kamen",
        "Lünen",
        "Schwerte",
        "Selm",
        "Unna",
        "Werne",
    ]
    assert max(len(line) for line in lines) <= 120


def test_a_wider_matrix_abbreviates_with_a_legend():
    names = ["Kreis Unna", "Fröndenberg/Ruhr", "Holzwickede", "Selm"] * 4
    short, legend = column_names(names, 6)
    assert short[:4] == ["Kreis Un.", "Fröndenb.", "Holzwick.", "Selm"]
    assert legend[:3] == ["Kreis Un. = Kreis Unna", "Fröndenb. = Fröndenberg/Ruhr", "Holzwick. = Holzwickede"]
    assert column_names(["Bergkamen", "Kamen"], 6) == (["Bergkamen", "Kamen"], [])
    assert abbreviation("Stadt Lünen/Westf.") == "Stadt Lü."


def test_documents_are_listed_by_title(board, frozen, tmp_path):
    frozen("2011-03-30T10:00:00+02:00")
    assert board("agenda", "2011-04-12", "--issue", "--out", str(tmp_path)).exit_code == 0
    lines = board("documents", "list").stdout.splitlines()
    assert lines[0].split() == ["Nr.", "Dokument", "Fassung", "Stand", "Gespeichert", "(von)", "Dateien"]
    assert lines[2].startswith("1    Tagesordnung Bürgermeisterkonferenz am 12. April 2011  1        30.03.2011 10:00")
    assert "bmk/" not in "\n".join(lines)


# --- meetings ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "title"),
    [
        ("bmk", "Sitzung der Bürgermeisterkonferenz"),
        ("it-ak", "Sitzung des IT-Arbeitskreises"),
        ("ak-kaemmerer", "Sitzung des AK der Kämmerer"),
        ("ak-bauhof", "Sitzung des AK der Bauhofleiter"),
        ("kreis-unna", "Sitzung des Kreises Unna"),
        ("luenen", "Sitzung in Lünen"),
        ("ukbs", "Sitzung – UKBS"),
    ],
)
def test_a_meeting_is_titled_in_the_genitive(board, body, title):
    result = board("meeting", "add", "2011-05-18", "--body", body)
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"Sitzung am 18.05.2011 angelegt: {title}.\n", "")


@pytest.mark.parametrize(
    ("day", "warning"),
    [
        ("23.06.2011", "Hinweis: Der 23.06.2011 ist Fronleichnam, ein Feiertag in NRW."),
        ("2011-06-18", "Hinweis: Der 18.06.2011 ist ein Samstag."),
        ("19.06.2011", "Hinweis: Der 19.06.2011 ist ein Sonntag."),
        ("03.10.2011", "Hinweis: Der 03.10.2011 ist Tag der Deutschen Einheit, ein Feiertag in NRW."),
        ("25.12.2011", "Hinweis: Der 25.12.2011 ist ein Sonntag und Erster Weihnachtstag, ein Feiertag in NRW."),
    ],
)
def test_a_meeting_on_a_weekend_or_holiday_is_added_with_a_warning(board, session, day, warning):
    result = board("meeting", "add", day, "--body", "ak-kaemmerer")
    assert result.exit_code == 0
    assert result.stdout.startswith("Sitzung am ")
    assert result.stderr == warning + "\n"
    assert len(session.exec(select(Meeting)).all()) == 3  # the catalogue's two and this one


def test_a_meeting_on_a_working_day_gets_no_warning(board):
    assert board("meeting", "add", "2011-06-22", "--body", "it-ak").stderr == ""


def test_a_refused_meeting_warns_of_nothing_and_writes_nothing(board, engine):
    before = snapshot(engine)
    twice = board("meeting", "add", "12.04.2011")
    assert (twice.exit_code, twice.stderr) == (
        1,
        "Fehler: Am 12.04.2011 ist bereits eine Sitzung der Bürgermeisterkonferenz angelegt.\n",
    )
    assert snapshot(engine) == before


# --- known slips in templates and messages --------------------------------------------------------------------

SLIPS = {
    "English word": re.compile(
        r"\b(Error|Warning|required|default|Usage|Options|Commands|deprecated|None|True|False)\b"
    ),
    "Sitzung von (genitive: der/des)": re.compile(r"\bSitzung von\b"),
    "doubled word": re.compile(r"(?i)\b([a-zäöüß]{2,})\s+\1\b"),
    "ss for ß": re.compile(
        r"(?i)\b\w*(gross|grösse|strasse|schliess|heisst|weiss\b|ausser|gemäss|mässig|massnahme|grüsse|gruss\b|"
        r"fuss\b|spass)\w*"
    ),
    "no space before % or €": re.compile(r"[\w)\]]%(?![a-zA-Z(])|[\w)\]}]€"),
    "abbreviation without its space": re.compile(r"\b(z\.B\.|d\.h\.|u\.a\.)"),
}
# A literal is German when it carries an umlaut, ß or a common German word.
GERMAN = re.compile(
    r"[äöüÄÖÜß]|\b(der|die|das|den|dem|des|ist|sind|nicht|und|oder|für|mit|von|bei|ein|eine|einen|kein|keine|"
    r"Sie|wird|werden|nach|zum|zur|auf|aus|im|am|bis|noch)\b"
)
PACKAGES = ("ikz", "workflow", "notifications", "models")
TEMPLATES = sorted(
    [*(ROOT / "notifications" / "templates").glob("*.j2"), *(ROOT / "ikz/conference/templates").glob("*.j2")]
)


def slips(text: str) -> list[str]:
    return [f"{name}: {match.group(0)!r}" for name, pattern in SLIPS.items() for match in pattern.finditer(text)]


def german_literals(path: Path):
    """(line, text) of every German string literal in a module, docstrings left out, f-string fields as {}."""
    tree = ast.parse(path.read_text())
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skipped.add(id(first.value))
        if isinstance(node, ast.JoinedStr):
            skipped.update(id(part) for part in node.values)
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped:
            text = re.sub(r"\{[^{}]*\}", "{}", node.value)
        else:
            continue
        if GERMAN.search(text):
            yield node.lineno, text


def test_the_code_base_german_has_none_of_the_known_slips():
    found = []
    modules = [p for name in PACKAGES for p in sorted((ROOT / name).rglob("*.py")) if "migrations" not in p.parts]
    count = 0
    for path in modules:
        for line, text in german_literals(path):
            count += 1
            found += [f"{path.relative_to(ROOT)}:{line}: {slip}" for slip in slips(text)]
    assert count > 500, "the scan found too few German texts to be looking at the right thing"
    assert found == []


def test_the_templates_have_none_of_the_known_slips():
    assert len(TEMPLATES) >= 20
    found = []
    for template in TEMPLATES:
        text = template.read_text(encoding="utf-8")
        # Styles are not text; Jinja tags and comments neither; an expression stands for a word.
        text = re.sub(r"(?s)<style.*?</style>|style=\"[^\"]*\"|\{#.*?#\}|\{%.*?%\}", "", text)
        text = re.sub(r"(?s)\{\{.*?\}\}", "X", text)
        for number, line in enumerate(text.splitlines(), 1):
            found += [f"{template.relative_to(ROOT)}:{number}: {slip}" for slip in slips(line)]
    assert found == []


def test_the_shipped_catalogue_and_the_click_catalogue_have_none_of_the_known_slips():
    texts = [*(ROOT / "ikz/catalogue/shipped").glob("*.yaml")]
    found = [f"{p.name}: {slip}" for p in texts for slip in slips(p.read_text(encoding="utf-8"))]
    for deutsch in [*german.MESSAGES.values(), *(text for pair in german.PLURALS.values() for text in pair)]:
        found += [f"ikz/cli/german.py: {slip}" for slip in slips(re.sub(r"\{[^{}]*\}", "{}", deutsch))]
    assert found == []


@pytest.mark.parametrize(
    ("text", "slip"),
    [
        ("Fehler: Error beim Senden", "English word: 'Error'"),
        ("Sitzung von Bürgermeisterkonferenz", "Sitzung von (genitive: der/des): 'Sitzung von'"),
        ("die die Frist", "doubled word: 'die die'"),
        ("Das Mandat schliessen", "ss for ß: 'schliessen'"),
        ("40.000€ im Jahr", "no space before % or €: '0€'"),
        ("ein Anteil von 5% des Ziels", "no space before % or €: '5%'"),
        ("z.B. 2011-04-12", "abbreviation without its space: 'z.B.'"),
    ],
)
def test_each_slip_is_caught(text, slip):
    assert slip in slips(text)


def test_correct_german_passes():
    assert (
        slips("Sitzung der Bürgermeisterkonferenz am 12.04.2011: 5 % von 40.000 €, z. B. geschlossen, muss, dass") == []
    )
