"""Hypothesis strategies for hostile user input: texts, CLI argument vectors and catalogue documents."""

import json
import math
import unicodedata
from datetime import date, datetime

import yaml
from hypothesis import strategies as st

from models import BODY_KINDS
from tests.smtp_server import free_port
from workflow import lifecycle

CODES = [
    "1.1",
    "1.2",
    "1.3",
    "1.4",
    "1.5",
    "1.6",
    "1.7",
    "1.8",
    "2.1",
    "2.1-LS",
    "3.1",
    "4.1",
    "5.1",
    "5.2",
    "6.1",
    "7.1",
]  # the kreis-unna-2010 catalogue
BODIES = [
    "kreis-unna",
    "bmk",
    "luenen",
    "selm",
    "kamen",
    "bergkamen",
    "ak-kaemmerer",
    "it-ak",
    "ukbs",
    "Lünen",
    "KAMEN",
]
STATES = list(lifecycle.STATES)
TRIGGERS = list(lifecycle.TRIGGERS)

# Texts that have broken programs before: line breaks of every kind, markup, header lines, control
# characters, right-to-left and wide scripts, emoji, template and format syntax.
NASTY = [
    "",
    " ",
    "\t",
    "\n",
    "\r",
    "\r\n",
    "a\rb",
    "a\nb",
    "a\r\nBcc: evil@example.com",
    "\nSubject: gefälscht",
    "\x00",
    "x\x00y",
    "\x07",
    "\x1b[2J\x1b[31mrot",
    "\x0b",
    "\x0c",
    "\x1c",
    "\x85",
    "\u2028",
    "\u2029",
    "\ufeff",
    "<script>alert(1)</script>",
    "</td></tr></table>",
    "<b>fett</b>",
    "&amp;",
    "&lt;",
    "a & b < c > d",
    '"',
    "'",
    "<!--",
    "]]>",
    "{{ 7*7 }}",
    "{% raw %}",
    "%s %d {0}",
    "\\",
    "\u202eRTL-Überschreibung",
    "مرحبا بالعالم",
    "שלום",
    "日本語のテキスト",
    "中文标题",
    "한국어",
    "🎉🚀👩‍👩‍👧",
    "Z̴̡͓a̸l̷g̶o̵",
    "Größe Übung ß",
    "—–‑",
    "=?utf-8?q?=41?=",
    "=?utf-8?q?=3Cevil=40example=2Ecom=3E=2C?=",
    "Fehler: nicht wirklich",
    "--note",
    "-h",
    "1.4",
    "null",
    "~",
    "yes",
    "1e9",
    "NaN",
]
# Any character, with control, format, line-separator and markup characters far more often than by chance.
HOSTILE_CHARACTERS = st.one_of(
    st.characters(exclude_categories=["Cs"]),
    st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Zs"]),
    st.sampled_from("<>&\"'\r\n\x00\x1b\u2028"),
)
FRAGMENTS = st.one_of(st.sampled_from(NASTY), st.text(HOSTILE_CHARACTERS, max_size=6))


def nasty_text(max_size: int = 40) -> st.SearchStrategy[str]:
    """Any text a user might paste: hand-picked troublemakers, random Unicode, mixes, and 10,000 characters."""
    return st.one_of(
        st.sampled_from(NASTY),
        st.lists(FRAGMENTS, min_size=1, max_size=5).map("".join),
        st.text(HOSTILE_CHARACTERS, max_size=max_size),
        st.text(min_size=1, max_size=8).map(lambda seed: (seed * 10_000)[:10_000]),
    )


def plain_text(max_size: int = 30) -> st.SearchStrategy[str]:
    """Ordinary non-empty single-line German text."""
    return st.text(
        st.sampled_from("abcdefghijklmnopqrstuvwxyzäöüßABCÄÖÜ 0123456789-.,"), min_size=1, max_size=max_size
    ).filter(lambda text: text.strip())


def argv_text() -> st.SearchStrategy[str]:
    """A command-line word: what nasty_text gives, now and then undecodable bytes as Python presents them (surrogateescape)."""
    undecodable = st.sampled_from(["L\udcfcnen", "\udcff", "1.\udcfc"])
    return st.one_of(nasty_text(), nasty_text(), nasty_text(), undecodable)


DATE_TEXTS = st.one_of(
    st.dates(min_value=date(2010, 1, 1), max_value=date(2012, 12, 31)).map(date.isoformat),
    st.dates(min_value=date(2010, 1, 1), max_value=date(2012, 12, 31)).map(lambda d: d.strftime("%d.%m.%Y")),
    st.sampled_from(
        ["0001-01-01", "9999-12-31", "2011-02-30", "31.12.9999", "01.01.0001", "2011-13-01", "heute", "12.4.11"]
    ),
    nasty_text(12),
)
MOMENTS = st.one_of(
    DATE_TEXTS,
    st.datetimes(min_value=datetime(2010, 1, 1), max_value=datetime(2012, 12, 31)).map(
        lambda moment: moment.isoformat(timespec="minutes")
    ),
    st.sampled_from(["0001-01-01T00:00", "9999-12-31T23:59", "2011-03-01T07:30+14:00", "2011-03-27T02:30"]),
)
# Whole numbers where they break things: around the 32-bit INTEGER and 64-bit limits, negative, huge.
WHOLE_NUMBERS = st.one_of(
    st.integers(),
    st.integers(min_value=2**31 - 3, max_value=2**31 + 3),
    st.integers(min_value=-(2**31) - 3, max_value=-(2**31) + 3),
    st.integers(min_value=2**63 - 3, max_value=2**64 + 3),
    st.integers(min_value=10**19, max_value=10**40),
)
NUMBER_TEXTS = st.one_of(
    WHOLE_NUMBERS.map(str),
    WHOLE_NUMBERS.map(lambda n: f"+{n}" if n >= 0 else str(n)),
    WHOLE_NUMBERS.map(lambda n: f"{n:,}".replace(",", ".")),
    st.sampled_from(["0", "00000000000000000000001", "1" * 5000, " 7 ", "1e9", "0x10", "١٢", "2147483647"]),
)
AMOUNTS = st.one_of(
    st.integers(min_value=0, max_value=10_000_000).map(str),
    NUMBER_TEXTS,
    st.sampled_from(["120.000", "120.000 €", "-5", "1e5", "0", "99999999999999999999", "1.2.3", "12,50", " 7 "]),
    nasty_text(12),
)
YEARS = st.one_of(
    st.integers(min_value=1999, max_value=2101).map(str),
    st.sampled_from(["20x1", "-2011", "99999999999999999999"]),
    NUMBER_TEXTS,
)


def one_of_pool(pool: list[str]) -> st.SearchStrategy[str]:
    """Mostly a known name, sometimes anything."""
    return st.one_of(st.sampled_from(pool), argv_text())


def _options(draw, options: dict) -> list[str]:
    """Draw a subset of --option VALUE pairs (flags map to None)."""
    args = []
    for name, values in options.items():
        if draw(st.booleans()):
            args += [name] if values is None else [name, draw(values)]
    return args


@st.composite
def command_lines(draw) -> list[str]:
    """One argument vector for one of the coordinator's commands, valid or not."""
    code, other = one_of_pool(CODES), one_of_pool(CODES)
    text = argv_text()
    kind = draw(
        st.sampled_from(
            [
                "advance",
                "edit",
                "list",
                "show",
                "meeting",
                "hold",
                "resume",
                "decision",
                "savings",
                "depend",
                "remind",
                "retry",
                "raw",
            ]
        )
    )
    actor = {"--actor": text}
    if kind == "advance":
        return ["advance", draw(code), draw(one_of_pool(TRIGGERS))] + _options(
            draw, {"--note": text, "--meeting": DATE_TEXTS, **actor}
        )
    if kind == "edit":
        return ["edit", draw(code)] + _options(
            draw,
            {"--due": DATE_TEXTS, "--target": AMOUNTS, "--title": text, "--plan": text, "--concept": text, **actor},
        )
    if kind == "list":
        return ["list"] + _options(
            draw,
            {
                "--state": one_of_pool(STATES),
                "--lead": one_of_pool(BODIES),
                "--field": AMOUNTS,
                "--overdue": None,
                "--json": None,
            },
        )
    if kind == "show":
        return ["show", draw(code)] + _options(draw, {"--json": None})
    if kind == "meeting":
        return ["meeting", "add", draw(DATE_TEXTS)] + _options(draw, {"--title": text, "--body": one_of_pool(BODIES)})
    if kind == "hold":
        return ["hold", draw(code)] + _options(draw, {"--reason": text, **actor})
    if kind == "resume":
        return ["resume", draw(code)] + _options(draw, {"--note": text, **actor})
    if kind == "decision":
        decision = draw(one_of_pool(["joined", "declined", "pending"]))
        return ["decision", draw(code), draw(one_of_pool(BODIES)), decision] + _options(
            draw, {"--ref": text, "--date": DATE_TEXTS, **actor}
        )
    if kind == "savings":
        return ["savings", draw(code), draw(YEARS), draw(AMOUNTS)] + _options(draw, actor)
    if kind == "depend":
        return ["depend", draw(code), "--on", draw(other)] + _options(draw, {"--remove": None, **actor})
    if kind == "remind":
        return ["remind"] + _options(draw, {"--at": MOMENTS, "--dry-run": None})
    if kind == "retry":
        return ["outbox", "retry", *draw(st.lists(st.one_of(NUMBER_TEXTS, argv_text()), max_size=3))]
    # Anything after a command name: stray options, missing or extra arguments.
    name = draw(
        st.sampled_from(
            ["advance", "edit", "list", "show", "hold", "resume", "decision", "savings", "depend", "remind", "meeting"]
        )
    )
    words = st.one_of(
        argv_text(), st.sampled_from(["--json", "--note", "--due", "--at", "--help", "-h", "--", "--unbekannt", "add"])
    )
    return [name, *draw(st.lists(words, max_size=5))]


# --- Catalogue documents ---------------------------------------------------------------------

KEYS = ["kamen", "selm", "luenen", "bmk", "ak-kaemmerer", "kreis-unna", "neu-1", "neu-2"]
NEW_CODES = ["1.1", "1.4", "2.1", "2.1-LS", "9.1", "9.2", "9.10"]
GOOD_EMAILS = ["it@kamen.example", "x@selm.example", "ikz@kreis-unna.example", "o'brien+ikz@unna.example"]
# Addresses that once passed the catalogue check and broke the To header or the mail build.
BAD_EMAILS = [
    "a,b@kamen.example",
    "a@kamen.example,evil@example.com",
    "ä@kamen.example",
    "a<b>@kamen.example",
    '"x y"@kamen.example',
    "\ufeff@kamen.example",
    "a@kamen.example\x00",
    "nobody",
    "=?utf-8?q?evil=40example=2Ecom=3E=2C_x?=@kamen.example",
]
EMAILS = GOOD_EMAILS + BAD_EMAILS
DATES = st.one_of(
    st.dates(min_value=date(2010, 1, 1), max_value=date(2013, 12, 31)),
    st.dates(min_value=date(2010, 1, 1), max_value=date(2013, 12, 31)),
    st.sampled_from([date(1990, 1, 1), date(2100, 12, 31), date(1, 1, 1), date(9999, 12, 31)]),
)


def line(limit: int) -> st.SearchStrategy[str]:
    """Text the catalogue check accepts where one line is expected: hostile, but one line and not too long."""

    def fit(text: str) -> str:
        # Control characters and broken UTF-8 are refused by the check; format characters (RTL marks) are not.
        text = "".join(" " if unicodedata.category(char) == "Cc" else char for char in text).strip()[:limit].strip()
        return text or "x"

    return st.one_of(plain_text(min(limit, 30)), nasty_text().map(fit))


def paragraphs(text: str, limit: int) -> str:
    """Text the check accepts where several lines may stand: line breaks and tabs, no other control characters."""
    text = "".join(char if char in "\n\r\t" or unicodedata.category(char) != "Cc" else " " for char in text)
    return text.strip()[:limit].strip() or "x"


def anything() -> st.SearchStrategy:
    """A YAML value of any shape: numbers beyond 64 bits, booleans, lists, mappings, null, text."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=2**63),
        st.floats(allow_nan=False),
        nasty_text(20),
        st.sampled_from(
            ["0001-01-01", "9999-12-31", "2011-02-30", "2011-1-5", "20110105", "dreaming", "on_hold", "all"]
        ),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
        max_leaves=6,
    )


@st.composite
def catalogue_documents(draw) -> dict:
    """A catalogue the check should accept, with hostile texts; imports may still refuse unknown or cyclic references."""
    doc: dict = {"catalogue": draw(line(40))}
    if draw(st.booleans()):
        doc["title"] = draw(line(200))
    numbers = draw(st.lists(st.integers(min_value=1, max_value=9), unique=True, max_size=3))
    # Lengths up to what the check allows (not what the columns hold): a gap between them fails on PostgreSQL only.
    doc["fields"] = [{"number": number, "name": draw(line(200))} for number in numbers]
    keys = draw(st.lists(st.one_of(st.sampled_from(KEYS), line(40)), unique=True, max_size=3))
    doc["bodies"] = []
    for key in keys:
        body = {"key": key, "name": draw(line(120)), "kind": draw(st.sampled_from(sorted(BODY_KINDS)))}
        contacts = draw(st.lists(st.sampled_from(GOOD_EMAILS), unique=True, max_size=2))
        if contacts:
            body["contacts"] = [
                {"name": draw(line(200)), "role": draw(line(200)), "email": address} for address in contacts
            ]
        doc["bodies"].append(body)
    known = keys + ["kamen", "luenen", "ak-kaemmerer"]  # the loaded catalogue has these
    doc["meetings"] = [
        {"date": draw(DATES), "body": draw(st.sampled_from(known)), "title": draw(line(200))}
        for _ in range(draw(st.integers(min_value=0, max_value=2)))
    ]
    codes = draw(st.lists(st.one_of(st.sampled_from(NEW_CODES), line(20)), unique=True, max_size=3))
    doc["mandates"] = []
    for index, code in enumerate(codes):
        state = draw(st.sampled_from([*lifecycle.ACTIVE, "on_hold"]))
        mandate = {
            "code": code,
            "field": draw(st.sampled_from(numbers or [1, 2])),
            "title": draw(line(200)),
            "leads": draw(st.lists(st.sampled_from(known), unique=True, min_size=1, max_size=2)),
            "state": state,
        }
        if draw(st.booleans()):
            mandate["description"] = draw(nasty_text().map(lambda text: paragraphs(text, 5000)))
        if draw(st.booleans()):
            mandate["due"] = draw(DATES)
        if draw(st.booleans()):
            mandate["participants"] = draw(
                st.one_of(st.just("all"), st.lists(st.sampled_from(known), unique=True, max_size=2))
            )
        if index and draw(st.booleans()):
            mandate["depends_on"] = draw(st.lists(st.sampled_from(codes + ["2.1"]), unique=True, max_size=2))
        if state == "on_hold":
            mandate["hold"] = {
                "from": draw(st.sampled_from(lifecycle.ACTIVE)),
                "reason": draw(nasty_text().map(lambda text: paragraphs(text, 2000))),
            }
            if draw(st.booleans()):
                mandate["hold"]["since"] = draw(DATES)
        doc["mandates"].append(mandate)
    if codes and draw(st.booleans()):
        doc["duties"] = [
            {
                "key": draw(line(40)),
                "mandate": draw(st.sampled_from(codes)),
                "title": draw(line(200)),
                "first_due": draw(DATES),
                "every_months": draw(st.integers(min_value=1, max_value=24)),
                "rotation": draw(st.lists(st.sampled_from(known), unique=True, min_size=1, max_size=3)),
            }
        ]
    return doc


def _slots(value, path=()) -> list[tuple]:
    """Every place in a document a value sits, as key paths."""
    found = [path] if path else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _slots(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _slots(inner, (*path, index))
    return found


@st.composite
def corrupted(draw, doc: dict) -> dict:
    """The document with one to three values replaced by hostile ones, removed, or an unknown key added."""
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        slots = _slots(doc)
        if not slots:
            break
        *parents, last = draw(st.sampled_from(slots))
        container = doc
        for key in parents:
            container = container[key]
        what = draw(st.sampled_from(["replace", "replace", "remove", "add"]))
        if what == "remove":
            del container[last]
        elif what == "add" and isinstance(container, dict):
            container[draw(st.text(max_size=8))] = draw(anything())
        else:
            container[last] = draw(st.one_of(anything(), line(20), st.sampled_from(KEYS + NEW_CODES + EMAILS)))
    return doc


def dump(doc) -> str:
    """Catalogue structure as YAML text."""
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=10_000)


@st.composite
def mutated(draw, text: str) -> str:
    """YAML text with a few random edits: cut, inserted, duplicated or swapped pieces."""
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        at = draw(st.integers(min_value=0, max_value=len(text)))
        until = draw(st.integers(min_value=at, max_value=min(len(text), at + 20)))
        edit = draw(st.sampled_from(["cut", "insert", "duplicate", "swap", "truncate"]))
        if edit == "cut":
            text = text[:at] + text[until:]
        elif edit == "insert":
            inserts = [
                ":",
                "- ",
                "{",
                "]",
                "\t",
                "&a",
                "*a",
                "!!python/object:os.system",
                '"\\ud800"',
                "'",
                "\n  ",
                "? ",
                "<<: *a",
            ]
            text = text[:at] + draw(st.one_of(st.sampled_from(inserts), nasty_text(10))) + text[at:]
        elif edit == "duplicate":
            text = text[:until] + text[at:until] + text[until:]
        elif edit == "swap":
            lines = text.split("\n")
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
        else:
            text = text[:at]
    return text


@st.composite
def catalogue_files(draw) -> bytes:
    """The bytes of a catalogue file: a generated catalogue as is, with corrupted values, as mutated text, or garbage."""
    kind = draw(st.sampled_from(["document", "corrupted", "mutated", "garbage"]))
    if kind == "garbage":
        return draw(
            st.one_of(
                st.binary(max_size=200), st.text(max_size=200).map(lambda text: text.encode("utf-8", "surrogatepass"))
            )
        )
    doc = draw(catalogue_documents())
    if kind == "corrupted":
        doc = draw(corrupted(doc))
    text = dump(doc)
    if kind == "mutated":
        text = draw(mutated(text))
    return text.encode("utf-8", "surrogatepass")


# --- Configuration files ---------------------------------------------------------------------


def toml_value(value) -> str:
    """A value as TOML spells it; JSON's string escapes are TOML's (a raw DEL or surrogate makes the file invalid)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ("nan" if value != value else "inf" if value > 0 else "-inf")
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return "{" + ", ".join(f"{json.dumps(key)} = {toml_value(item)}" for key, item in value.items()) + "}"


def toml_document(sections: dict[str, dict]) -> bytes:
    """The bytes of an ikz.toml holding these sections (lone surrogates end up as invalid UTF-8, on purpose)."""
    lines = []
    for section, values in sections.items():
        lines.append(f"[{json.dumps(section, ensure_ascii=False)}]")
        lines += [f"{json.dumps(key, ensure_ascii=False)} = {toml_value(value)}" for key, value in values.items()]
    return "\n".join(lines).encode("utf-8", "surrogatepass") + b"\n"


WRONG_TYPES = st.one_of(
    st.floats(), st.booleans(), st.just([1, "x"]), st.just({"a": 1}), st.sampled_from(["5", "true", ""])
)


@st.composite
def setting_values(draw, setting, *, port: int, hosts: st.SearchStrategy):
    """A value for one declared setting, valid five times in six: within its range or rule, at its edges; else
    beyond them, a hostile text or another type."""
    valid, invalid = _setting_values(setting, port=port, hosts=hosts)
    if draw(st.sampled_from([True] * 5 + [False])):
        return draw(valid)
    return draw(st.one_of(invalid, WRONG_TYPES))


def _setting_values(setting, *, port: int, hosts) -> tuple[st.SearchStrategy, st.SearchStrategy]:
    if setting.key == "mail.port":
        # Only ports where this test's server listens or nobody does: another number could reach a real service.
        return st.one_of(st.just(port), st.builds(free_port)), WHOLE_NUMBERS.filter(lambda n: not 1 <= n <= 65535)
    if setting.key == "mail.host":
        return st.sampled_from(["127.0.0.1", "localhost", "::1"]), hosts
    if setting.key in ("mail.directory", "scheduler.log_file"):
        # Relative names only (the test runs in a temporary folder): a hostile one could write anywhere else.
        safe = st.text(st.sampled_from("abcäöü-_. "), min_size=1, max_size=12).filter(
            lambda t: t.strip(" .") and ".." not in t
        )
        return st.one_of(safe, st.sampled_from(["", "fehlt/x/y", "x" * 300])), st.sampled_from(
            ["a\x00b", "a\nb", "x" * 2000]
        )
    if setting.type is int:
        valid = st.one_of(
            st.sampled_from([setting.minimum, setting.maximum]), st.integers(setting.minimum, setting.maximum)
        )
        return valid, st.one_of(st.sampled_from([setting.minimum - 1, setting.maximum + 1]), WHOLE_NUMBERS)
    if setting.type is bool:
        return st.booleans(), st.sampled_from([0, 1, "ja"])
    if setting.type is list:
        if setting.key == "reminders.before":
            valid = st.lists(st.integers(1, 60), max_size=setting.maximum)
        else:
            valid = st.lists(st.sampled_from(["coordinator", "leads", *GOOD_EMAILS]), min_size=1, max_size=4)
        items = st.one_of(
            st.integers(-5, 70), WHOLE_NUMBERS, st.sampled_from(["coordinator", "leads", *EMAILS]), nasty_text(10)
        )
        return valid, st.one_of(st.lists(items, min_size=1, max_size=4), st.lists(st.just(3), min_size=11, max_size=12))
    if setting.choices:
        return st.sampled_from(setting.choices), nasty_text(10)
    if setting.key in ("coordinator.email", "mail.sender"):
        return st.sampled_from(GOOD_EMAILS), st.one_of(st.sampled_from(BAD_EMAILS), nasty_text())
    if setting.key in ("mail.user", "mail.password"):
        printable = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
        return st.one_of(st.just(""), st.text(printable, min_size=8, max_size=30)), nasty_text()
    return st.one_of(plain_text(), nasty_text().filter(setting.rule.test)), nasty_text()


@st.composite
def configurations(draw, settings_list, *, port: int, hosts) -> dict[str, dict]:
    """An ikz.toml as sections of values: a few declared settings set, valid or not; now and then an unknown key."""
    sections: dict[str, dict] = {}
    for setting in draw(st.lists(st.sampled_from(settings_list), max_size=6, unique_by=lambda s: s.key)):
        sections.setdefault(setting.section, {})[setting.name] = draw(setting_values(setting, port=port, hosts=hosts))
    if draw(st.sampled_from([False] * 9 + [True])):
        sections.setdefault(draw(st.sampled_from(["mail", "post", "x\ny"])), {})[draw(st.text(max_size=5))] = 1
    return sections


# --- Incoming mail ----------------------------------------------------------------------------------

CHARSETS = ["utf-8", "iso-8859-1", "windows-1252", "us-ascii", "utf-7", "x-klingonisch", "", "utf-16"]
TRANSFER = ["7bit", "8bit", "quoted-printable", "base64", "binary", "x-kaputt"]
CONTENT_TYPES = ["text/plain", "text/html", "multipart/alternative", "multipart/mixed", "multipart/report", "", "text"]


def _header_value(draw) -> str:
    value = draw(st.one_of(nasty_text(60), plain_text(40)))
    # Raw header text: a line break must be a fold or it would end the header block; keep the injection attempts.
    return value.replace("\r", "").replace("\n", "\r\n Bcc: evil@example.org\r\n X-Injected:")


@st.composite
def incoming_mail(draw, reply_to: bytes) -> bytes:
    """A message as a hostile or broken world sends it: headers, charsets, encodings and structure all varied,
    sometimes built on a real reply to `reply_to` (one of our reminders) so it gets past the token check."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=2000))
    from email import message_from_bytes, policy

    original = message_from_bytes(reply_to, policy=policy.default)
    lines = []
    sender = draw(
        st.sampled_from(
            ["loga@luenen.example", "Petra Schulte <loga@luenen.example>", "fremd@example.org", "", "a@b, c@d", "<>"]
        )
    )
    if sender or draw(st.booleans()):
        lines.append(f"From: {sender or _header_value(draw)}")
    target = (
        str(original["Reply-To"])
        if draw(st.booleans())
        else draw(st.sampled_from(["ikz@kreis-unna.example", "ikz+r1.0@kreis-unna.example"]))
    )
    lines.append(f"To: {target}")
    lines.append(f"Subject: {_header_value(draw)}")
    if draw(st.booleans()):
        lines.append(f"In-Reply-To: {original['Message-ID']}")
    if draw(st.booleans()):
        lines.append(f"Message-ID: {draw(st.sampled_from(['<x@y>', '', '<<>>', '<a b@c>', _header_value(draw)]))}")
    for name in draw(
        st.lists(st.sampled_from(["Auto-Submitted", "Precedence", "X-Autoreply", "Date", "References"]), max_size=3)
    ):
        lines.append(f"{name}: {_header_value(draw)}")
    content_type = draw(st.sampled_from(CONTENT_TYPES))
    charset = draw(st.sampled_from(CHARSETS))
    boundary = draw(st.sampled_from(["grenze", "", "g r e n z e"]))
    if content_type:
        lines.append(f"Content-Type: {content_type}; charset={charset}; boundary={boundary}")
    lines.append(f"Content-Transfer-Encoding: {draw(st.sampled_from(TRANSFER))}")
    text = draw(
        st.one_of(nasty_text(200), st.just("Neue Frist: 31.03.2011 – Verhandlungen laufen"), st.just("Erledigt"))
    )
    try:
        body = text.encode(charset or "utf-8", errors="replace")
    except LookupError:
        body = text.encode("utf-8", errors="surrogatepass")
    if content_type.startswith("multipart") and draw(st.booleans()):
        body = (
            b"--grenze\r\nContent-Type: text/html\r\n\r\n<p>"
            + body
            + b'</p>\r\n--grenze\r\nContent-Type: application/pdf; name="a.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0x!!\r\n--gren'
        )
    return (
        ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", errors="surrogatepass") + body + draw(st.binary(max_size=50))
    )
