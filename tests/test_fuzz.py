"""Hypothesis over hostile input: catalogues, CLI arguments, notes and titles.

Whatever a user types or a catalogue file holds: never a traceback, never a partial write, never a
broken mail header, never unescaped HTML. Each example starts from its own copy of a database.
"""

import email
import email.policy
import json
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Integer, String
from sqlalchemy import select as select_columns
from sqlmodel import SQLModel, select
from sqlmodel.sql.sqltypes import AutoString

from ikz import settings as settings_module
from ikz.catalogue.spec import parse
from ikz.cli.main import ikz, load_all
from models import OutboxMessage
from models.db import make_engine, transaction
from notifications.digest import digest_data, render_digest
from notifications.monthly import queue_digest
from notifications.sweep import sweep
from tests import conftest
from tests.conftest import NOW, RULES
from tests.snapshot import snapshot
from tests.strategies import (
    EMAILS,
    NUMBER_TEXTS,
    argv_text,
    catalogue_files,
    command_lines,
    dump,
    nasty_text,
    plain_text,
)
from workflow.checks import INTEGER_MAX, INTEGER_MIN, MAX_EUR

FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def examples(count: int) -> int:
    """Fewer examples on PostgreSQL, where each one costs a CREATE DATABASE (assert_storable covers its limits on SQLite)."""
    return max(5, count // 4) if conftest.PG_URL else count


CONFIG = settings_module.load(environ={}, digest_recipients=["coordinator"])
DECEMBER = date(2010, 12, 1)  # its digest reports November 2010, the month NOW lies in
TEMPLATES = Path(__file__).resolve().parent.parent / "notifications" / "templates"
MAIL_HEADERS = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Auto-Submitted",
    "X-Auto-Response-Suppress",
    "In-Reply-To",
    "References",
    "Thread-Topic",
    "Thread-Index",
    "List-Id",
    "MIME-Version",
    "Content-Type",
    "Content-Language",
]


# --- One database per example ----------------------------------------------------------------


class Databases:
    """Hands out a fresh database per example, copied from a migrated one, empty or with the catalogue."""

    def __init__(self, starts: dict[str, object], folder: Path):
        self.starts = starts
        self.folder = folder
        self.count = 0

    @contextmanager
    def fresh(self, start: str = "loaded") -> Iterator[str]:
        self.count += 1
        if conftest.PG_URL:
            name = f"ikz_fuzz_{os.getpid()}_{self.count}"
            conftest._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.starts[start]}"')
            try:
                yield conftest._pg_database(name)
            finally:
                conftest._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        path = self.folder / f"{self.count}.db"
        shutil.copy(self.starts[start], path)
        try:
            yield f"sqlite:///{path}"
        finally:
            for leftover in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")):
                leftover.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def databases(template_db, tmp_path_factory):
    """Starting points for every example: 'empty' (migrated) and 'loaded' (kreis-unna-2010 imported at NOW)."""
    from ikz.catalogue.importer import import_catalogue
    from ikz.catalogue.spec import load, resolve

    folder = tmp_path_factory.mktemp("fuzz")
    if conftest.PG_URL:
        loaded = f"ikz_fuzz_loaded_{os.getpid()}"
        conftest._admin(f'DROP DATABASE IF EXISTS "{loaded}" WITH (FORCE)')
        conftest._admin(f'CREATE DATABASE "{loaded}" TEMPLATE "{template_db}"')
        url = conftest._pg_database(loaded)
    else:
        loaded = folder / "loaded.db"
        shutil.copy(template_db, loaded)
        url = f"sqlite:///{loaded}"
    engine = make_engine(url)
    with transaction(engine) as session:
        import_catalogue(session, load(resolve("kreis-unna-2010")), actor="test", now=NOW, rules=RULES)
    engine.dispose()
    yield Databases({"empty": template_db, "loaded": loaded}, folder)
    if conftest.PG_URL:
        conftest._admin(f'DROP DATABASE IF EXISTS "{loaded}" WITH (FORCE)')


def run(url: str, *args: str):
    """`ikz --db URL ARGS…` in-process; an uncaught exception fails the test with its traceback."""
    return CliRunner().invoke(ikz, ["--db", url, *args], prog_name="ikz", catch_exceptions=False)


@contextmanager
def engine_for(url: str):
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


# --- What clean output looks like ------------------------------------------------------------


def assert_clean(result, before: dict, after: dict) -> None:
    """Exit 0, or a refusal (1: one German line; 2: German usage error) that wrote nothing."""
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.output)
    if result.exit_code == 1:
        assert re.fullmatch(r"Fehler: [^\n\r]+\n", result.stderr), repr(result.stderr)
        assert result.stdout == ""
    if result.exit_code == 2:
        # A usage error names what is wrong; a group called without its subcommand shows its help instead.
        assert result.stderr.startswith("Aufruf: ikz "), repr(result.stderr)
        assert "Fehler:" in result.stderr or "Befehle:" in result.stderr, repr(result.stderr)
        assert "Error:" not in result.stderr and "Usage:" not in result.stderr
    if result.exit_code != 0:
        assert after == before, "a refused command changed the database"


def assert_storable(engine) -> None:
    """Every stored value would also fit PostgreSQL: texts within their column's length and without NUL
    characters, whole numbers within INTEGER (32 bits).

    SQLite checks none of this, so without it a value that breaks the PostgreSQL installation passes here.
    """
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            checked = [column for column in table.columns if isinstance(column.type, (String, AutoString, Integer))]
            if not checked:
                continue
            for row in connection.execute(select_columns(*checked)):
                for column, value in zip(checked, row):
                    if value is None:
                        continue
                    if isinstance(column.type, Integer):
                        assert INTEGER_MIN <= value <= INTEGER_MAX, (
                            f"{table.name}.{column.name} holds {value}, beyond PostgreSQL's INTEGER"
                        )
                        continue
                    assert "\x00" not in value, f"{table.name}.{column.name} holds a NUL character"
                    limit = column.type.length
                    assert limit is None or len(value) <= limit, (
                        f"{table.name}.{column.name} holds {len(value)} > {limit} characters"
                    )


def _template_tags() -> set[str]:
    """Every element name the HTML templates themselves use."""
    names = set()
    for path in TEMPLATES.glob("*.html.j2"):
        names |= {name.lower() for name in re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", path.read_text(encoding="utf-8"))}
    return names


TEMPLATE_TAGS = _template_tags()


class _Reader(HTMLParser):
    """Collects the element names and the text a browser would show."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.add(tag)

    def handle_data(self, data):
        self.parts.append(data)


def _read(html: str) -> _Reader:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader


def shown_text(html: str) -> str:
    """The text of a page as a browser shows it (entities decoded, tags gone)."""
    return "".join(_read(html).parts)


def assert_escaped(html: str, texts: list[str]) -> None:
    """User text shows up as text, character for character, and adds no element the templates lack."""
    reader = _read(html)
    assert reader.tags <= TEMPLATE_TAGS, f"unexpected elements {reader.tags - TEMPLATE_TAGS}"
    shown = "".join(reader.parts)
    for text in texts:
        if text:
            assert text in shown, f"{text[:80]!r} is not shown as text"


def _lines(text: str) -> str:
    # Mail parts travel in canonical form (every CR, LF and CRLF becomes CRLF), so line ends compare normalised.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def assert_sound_mail(row: OutboxMessage, texts: list[str] = ()) -> email.message.EmailMessage:
    """The queued message has exactly the expected headers, each one clean line, one recipient, escaped HTML."""
    head = row.raw.split("\n\n", 1)[0]
    for line in head.split("\n"):
        assert all(" " <= ch <= "~" or ch == "\t" for ch in line), (
            f"header line with raw control or non-ASCII: {line[:120]!r}"
        )
        assert len(line) <= 998
    message = email.message_from_string(row.raw, policy=email.policy.default)
    # Reply-To only where answers go elsewhere than the sender (the digest: to the coordinator).
    assert [key for key in message if key != "Reply-To"] == MAIL_HEADERS
    assert message.get_all("Reply-To") in (None, [CONFIG.coordinator.email])
    subject = message["Subject"]
    assert "\n" not in subject and "\r" not in subject
    # Compared as sent: Python's parser decodes =?…?= even inside an address, where RFC 2047 forbids it.
    unfolded = re.sub(r"\n[ \t]", " ", head)
    to = re.search(r"^To: (.*)$", unfolded, re.MULTILINE).group(1)
    assert len(message["To"].addresses) == 1 and (to == row.recipient or to.endswith(f"<{row.recipient}>")), to
    html = message.get_body(preferencelist=("html",)).get_content()
    assert_escaped(_lines(html), [_lines(text) for text in texts])
    return message


# --- 1. Catalogue import ---------------------------------------------------------------------


@settings(FUZZ, max_examples=examples(60))
@given(data=catalogue_files(), start=st.sampled_from(["loaded", "empty"]))
def test_any_catalogue_file_is_imported_whole_or_refused_in_one_line(databases, tmp_path, frozen, data, start):
    """Property: `ikz import FILE` with any bytes either imports (one summary line; importing again changes
    nothing) or exits 1 with one line "Fehler: …" and leaves every table as it was; never a traceback."""
    path = tmp_path / "katalog.yaml"
    path.write_bytes(data)
    with databases.fresh(start) as url, engine_for(url) as engine:
        before = snapshot(engine)
        result = run(url, "import", str(path))
        assert result.exit_code in (0, 1), result.output
        assert_clean(result, before, snapshot(engine))
        event(f"exit {result.exit_code}")
        if result.exit_code == 0:
            assert_storable(engine)
            assert re.fullmatch(r"Katalog [^\n]+\n", result.stdout)
            imported = snapshot(engine)
            again = run(url, "import", str(path))
            assert (again.exit_code, again.stderr) == (0, "")
            assert again.stdout.endswith(": bereits vollständig importiert, nichts geändert.\n"), again.stdout
            assert snapshot(engine) == imported


# --- 2. CLI arguments ------------------------------------------------------------------------


@settings(FUZZ, max_examples=examples(80))
@given(commands=st.lists(command_lines(), min_size=1, max_size=3))
def test_any_command_line_exits_cleanly_and_a_refusal_writes_nothing(databases, frozen, commands):
    """Property: every argument vector for advance, edit, list, show, meeting add, hold, resume, decision,
    savings, depend and remind exits 0, 1 (one German line) or 2 (German usage error); a refusal writes nothing."""
    with databases.fresh("loaded") as url, engine_for(url) as engine:
        before = snapshot(engine)
        for argv in commands:
            result = run(url, *argv)
            after = snapshot(engine)
            assert_clean(result, before, after)
            if result.exit_code == 0 and after != before:
                assert_storable(engine)
            if (
                result.exit_code == 0
                and argv[0] in ("list", "show")
                and "--json" in argv
                and not {"-h", "--help"} & set(argv)
            ):
                json.loads(result.stdout)
            before = after


@st.composite
def number_command_lines(draw) -> list[str]:
    """A command that takes a whole number (an ID, a field, a year, an amount), given any number as text."""
    number = NUMBER_TEXTS
    kind = draw(st.sampled_from(["retry", "field", "savings", "target"]))
    if kind == "retry":
        return ["outbox", "retry", *draw(st.lists(number, min_size=1, max_size=3))]
    if kind == "field":
        return ["list", "--field", draw(number)]
    if kind == "savings":
        # 1.5 is being implemented, so a saving can be booked.
        return ["savings", "1.5", draw(st.one_of(number, st.integers(2000, 2100).map(str))), draw(number)]
    return ["edit", "1.4", "--target", draw(number)]


@settings(FUZZ, max_examples=examples(60))
@given(argv=number_command_lines())
def test_any_whole_number_is_checked_where_it_is_parsed(databases, frozen, argv):
    """Property: any number, beyond 32 or 64 bits, negative, signed or grouped, given as an outbox ID, a field,
    a year or an amount, is refused as a German usage error or taken; what is stored fits an INTEGER column."""
    with databases.fresh("loaded") as url, engine_for(url) as engine:
        before = snapshot(engine)
        result = run(url, *argv)
        assert_clean(result, before, snapshot(engine))
        event(f"exit {result.exit_code}")
        assert_storable(engine)


def _parameters(command, path=()):
    yield from ((path, param) for param in command.params)
    for name, sub in getattr(command, "commands", {}).items():
        yield from _parameters(sub, (*path, name))


def test_every_numeric_parameter_uses_the_range_checked_type():
    """click's own INT, IntRange and FLOAT know nothing of the database's INTEGER: none may be used."""
    from ikz.cli.params import EuroType, IntegerType

    numeric = [
        (" ".join(path), param.name, type(param.type).__name__)
        for path, param in _parameters(load_all())
        if isinstance(param.type, (click.types._NumberParamTypeBase, IntegerType, EuroType))
    ]
    unchecked = [entry for entry in numeric if entry[2] not in ("IntegerType", "EuroType")]
    assert unchecked == []
    assert sorted(numeric) == [
        ("documents show", "number", "IntegerType"),
        ("edit", "target", "EuroType"),
        ("inbox drop", "number", "IntegerType"),
        ("inbox release", "number", "IntegerType"),
        ("list", "field", "IntegerType"),
        ("list", "limit", "IntegerType"),
        ("outbox retry", "ids", "IntegerType"),
        ("proposal accept", "number", "IntegerType"),
        ("proposal decline", "number", "IntegerType"),
        ("savings", "amount", "EuroType"),
        ("savings", "year", "IntegerType"),
        ("serve", "port", "IntegerType"),
        ("serve", "workers", "IntegerType"),
    ]
    assert MAX_EUR <= INTEGER_MAX


# --- 3. Notes and titles ---------------------------------------------------------------------


@settings(FUZZ, max_examples=examples(40))
@given(
    note=nasty_text(),
    title=nasty_text(),
    actor=st.one_of(plain_text(), nasty_text()),
    step=st.sampled_from(["start_concept", "hold", "withdraw"]),
)
def test_notes_and_titles_reach_show_json_mail_and_digest_only_escaped(databases, frozen, note, title, actor, step):
    """Property: any note (on advance/hold/withdraw) and title (via edit) is stored stripped or refused
    cleanly, shows up exactly in `show --json` and `list --json`, and in reminder mails and the digest
    only as escaped text, with sound one-line headers."""
    with databases.fresh("loaded") as url, engine_for(url) as engine:
        before = snapshot(engine)
        moved = run(url, "advance", "1.4", step, "--note", note, "--actor", actor)
        assert_clean(moved, before, snapshot(engine))
        if step != "start_concept" and not note.strip():
            assert moved.exit_code != 0, "a hold or withdrawal without a reason was accepted"
        if moved.exit_code != 0:
            step = None  # refused cleanly (no reason, or text that cannot be stored)
        if step != "withdraw":
            assert run(url, "edit", "1.4", "--due", "2010-11-02").exit_code == 0
        before = snapshot(engine)
        edited = run(url, "edit", "1.4", "--title", title)
        assert_clean(edited, before, snapshot(engine))
        stored = "Einkaufsgemeinschaft LOGA"
        if step == "withdraw" or not title.strip() or "\n" in title.strip() or "\r" in title.strip():
            assert edited.exit_code != 0, "a withdrawn mandate, or an empty or multi-line title, was accepted"
        elif edited.exit_code == 0:
            stored = title.strip()
        assert_storable(engine)

        shown = run(url, "show", "1.4", "--json")
        assert shown.exit_code == 0
        detail = json.loads(shown.stdout)
        assert detail["title"] == stored
        if step is not None:
            entry = next(e for e in detail["history"] if e["trigger"] == step)
            assert (entry["note"], entry["actor"].strip()) == (note.strip() or None, actor.strip())
            actor = entry["actor"]
        if step == "hold":
            assert detail["hold_reason"] == note.strip()
        assert run(url, "show", "1.4").exit_code == 0
        listed = json.loads(run(url, "list", "--json").stdout)
        assert next(row for row in listed if row["code"] == "1.4")["title"] == stored

        # Reminders: 1.4 is due today unless it rests or was withdrawn.
        sweep(engine, CONFIG, now=NOW)
        with transaction(engine) as session:
            mails = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        for row in mails:
            assert_sound_mail(row)
        if step in (None, "start_concept"):
            assert any(
                stored in shown_text(assert_sound_mail(row).get_body(("html",)).get_content()) for row in mails
            ), "no reminder shows the title of 1.4"

        # The digest for December lists November's steps, what rests and why.
        texts = [stored] + ([note.strip(), actor] if step is not None else [])
        with transaction(engine) as session:
            _subject, _text, html = render_digest(digest_data(session, DECEMBER, settings=CONFIG))
            assert_escaped(html, texts)
            queue_digest(session, CONFIG, DECEMBER, now=NOW)
        with transaction(engine) as session:
            digests = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "digest")).all()
        assert digests
        for row in digests:
            assert_sound_mail(row, texts)


def contact_catalogue(path, name: str, address: str, title: str):
    """Write a one-body, one-mandate catalogue whose contact and title are the given values."""
    document = {
        "catalogue": "fuzz",
        "fields": [{"number": 9, "name": "Test"}],
        "bodies": [
            {"key": "kamen", "name": "Kamen", "kind": "municipality", "contacts": [{"name": name, "email": address}]}
        ],
        "mandates": [
            {"code": "9.1", "field": 9, "title": title, "leads": ["kamen"], "state": "examine", "due": "2010-11-02"}
        ],
    }
    path.write_text(dump(document), encoding="utf-8")
    return path


@settings(FUZZ, max_examples=examples(30))
@given(
    name=nasty_text(),
    address=st.one_of(st.sampled_from(EMAILS), argv_text().map(lambda text: f"{text}@kamen.example")),
    title=nasty_text(200),
)
def test_catalogue_contacts_and_titles_give_sound_reminder_mails(databases, tmp_path, frozen, name, address, title):
    """Property: whatever contact name, address and mandate title a catalogue brings in, the reminder sweep
    never fails and every queued mail has one recipient, one-line headers and escaped HTML."""
    path = contact_catalogue(tmp_path / "kontakte.yaml", name, address, title)
    with databases.fresh("empty") as url, engine_for(url) as engine:
        before = snapshot(engine)
        result = run(url, "import", str(path))
        assert_clean(result, before, snapshot(engine))
        if result.exit_code != 0:
            return
        sweep(engine, CONFIG, now=NOW)
        with transaction(engine) as session:
            mails = session.exec(select(OutboxMessage)).all()
        assert len(mails) == 1
        # The title as the file says it: YAML folds a raw NEL (U+0085) in a quoted scalar into a space.
        assert_sound_mail(mails[0], [parse(path.read_text(encoding="utf-8"), path.name).mandates[0].title])


# --- The smallest inputs found so far, kept as plain regression tests -------------------------

BASE = """\
catalogue: t
fields:
  - {number: 9, name: Test}
bodies:
  - {key: kamen, name: Kamen, kind: municipality}
mandates:
  - {code: "9.1", field: 9, title: Eins, leads: [kamen], state: examine}
"""
HOSTILE_CATALOGUES = {
    "kind is a list": BASE.replace("kind: municipality", "kind: [a]"),
    "field number beyond 64 bits": BASE.replace("number: 9", "number: 100000000000000000000").replace(
        "field: 9", "field: 100000000000000000000"
    ),
    "lone surrogate in a title": BASE.replace("title: Eins", 'title: "\\ud800"'),
    "hold since the year 1": BASE.replace(
        "state: examine}", "state: on_hold, hold: {from: examine, reason: x, since: 0001-01-01}}"
    ),
    "line break in a bad date": BASE.replace("state: examine}", 'state: examine, due: "2011-01-01\\nx"}'),
    "line break in an unknown key": BASE + '"\\n": 1\n',
    "fields is not a list": BASE.replace("fields:\n  - {number: 9, name: Test}", "fields: true"),
    "contacts is not a list": BASE.replace("kind: municipality}", "kind: municipality, contacts: 5}"),
    "due in the year 1": BASE.replace("state: examine}", "state: examine, due: 0001-01-01}"),
    "NUL in a body key": BASE.replace("key: kamen", 'key: "\\0"').replace("leads: [kamen]", 'leads: ["\\0"]'),
    "field name longer than its column": BASE.replace("name: Test", "name: " + "F" * 150),
    "contact name and role longer than their columns": BASE.replace(
        "kind: municipality}",
        f"kind: municipality, contacts: [{{name: {'N' * 150}, role: {'R' * 150}, email: it@kamen.example}}]}}",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_CATALOGUES))
def test_hostile_catalogue_values_are_refused_in_one_line_or_harmless(databases, tmp_path, frozen, case):
    """Each catalogue here is refused with exit 1 and one German line, writing nothing; or it is imported
    and `show` and the reminder sweep still work on what it brought in."""
    path = tmp_path / "t.yaml"
    path.write_text(HOSTILE_CATALOGUES[case], encoding="utf-8")
    with databases.fresh("empty") as url, engine_for(url) as engine:
        before = snapshot(engine)
        result = run(url, "import", str(path))
        assert result.exit_code in (0, 1), result.output
        assert_clean(result, before, snapshot(engine))
        if result.exit_code == 0:
            assert_storable(engine)
            assert run(url, "show", "9.1").exit_code == 0
            before = snapshot(engine)
            assert_clean(run(url, "remind"), before, snapshot(engine))


HOSTILE_COMMANDS = {
    "list a field beyond 64 bits": [["list", "--field", "100000000000000000000"]],
    "target beyond 64 bits": [["edit", "1.4", "--target", "100000000000000000000"]],
    "saving beyond 64 bits": [["savings", "1.1", "2010", "100000000000000000000"]],
    "remind as of the year 1": [["remind", "--at", "0001-01-01"]],
    "a deadline in the year 1, then remind": [["edit", "1.4", "--due", "0001-01-01"], ["remind"]],
    "a deadline in 9999, then remind": [["edit", "1.5", "--due", "9999-12-31"], ["remind", "--at", "9999-12-20"]],
    "undecodable byte in a code": [["show", "1.\udcfc"]],
    "undecodable byte in a reason": [["hold", "1.4", "--reason", "x\udcfcy"]],
    "10,000 digits as an amount": [["savings", "1.1", "2000", "0" * 10_000]],
    "actor longer than its column": [["advance", "1.4", "start_concept", "--actor", "A" * 121]],
    "NUL in the actor": [["advance", "1.4", "start_concept", "--actor", "x\x00y"]],
    "plan reference longer than its column": [["edit", "1.4", "--plan", "P" * 201]],
    "meeting title longer than its column": [["meeting", "add", "2011-04-13", "--title", "T" * 201]],
    "NUL in a note": [["advance", "1.4", "start_concept", "--note", "x\x00y"], ["show", "1.4"]],
    "an option without its value": [["remind", "--at"]],
}


@pytest.mark.parametrize("case", sorted(HOSTILE_COMMANDS))
def test_hostile_command_lines_exit_cleanly(databases, frozen, case):
    """Each command sequence here ends in exit 0 or a clean one-line refusal that writes nothing."""
    with databases.fresh("loaded") as url, engine_for(url) as engine:
        before = snapshot(engine)
        for argv in HOSTILE_COMMANDS[case]:
            result = run(url, *argv)
            after = snapshot(engine)
            assert_clean(result, before, after)
            assert_storable(engine)
            before = after


ENCODED_WORD = "=?utf-8?q?=3Cevil=40example=2Ecom=3E=2C?="  # decodes to "<evil@example.com>,"


@pytest.mark.parametrize(
    ("name", "title", "address"),
    [
        ("IT", "x\x00y", "it@kamen.example"),
        ("IT", "Eins", "a,b@kamen.example"),
        ("IT", "Eins", "a@kamen.example,evil@example.com"),
        ("IT", "Eins", "ä@kamen.example"),
        (ENCODED_WORD, "Eins", "it@kamen.example"),
        ("IT", "Eins", "=?utf-8?q?evil=40example=2Ecom=3E=2C_x?=@kamen.example"),
    ],
    ids=[
        "NUL in a title",
        "comma in an address",
        "second address",
        "non-ASCII address",
        "encoded word in a name",
        "encoded word in an address",
    ],
)
def test_reminder_mail_for_hostile_name_title_or_address_is_sound(databases, tmp_path, frozen, name, title, address):
    """A contact or title that could forge a second recipient or a broken header is refused on import,
    or the reminder mail still has exactly that one recipient and clean headers."""
    path = contact_catalogue(tmp_path / "k.yaml", name, address, title)
    with databases.fresh("empty") as url, engine_for(url) as engine:
        before = snapshot(engine)
        result = run(url, "import", str(path))
        assert_clean(result, before, snapshot(engine))
        if result.exit_code == 0:
            sweep(engine, CONFIG, now=NOW)
            with transaction(engine) as session:
                rows = session.exec(select(OutboxMessage)).all()
            assert len(rows) == 1
            assert_sound_mail(rows[0], [title])
