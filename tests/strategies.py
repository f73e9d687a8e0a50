"""Hypothesis strategies for hostile user input: texts, CLI argument vectors and catalogue documents."""

from datetime import date, datetime

import yaml
from hypothesis import strategies as st

from models import BODY_KINDS
from workflow import lifecycle

CODES = [
    "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "2.1", "2.1-LS", "3.1", "4.1", "5.1", "5.2", "6.1", "7.1",
]  # fmt: skip  (the kreis-unna-2010 catalogue)
BODIES = ["kreis-unna", "bmk", "luenen", "selm", "kamen", "bergkamen", "ak-kaemmerer", "it-ak", "ukbs", "Lünen", "KAMEN"]
STATES = list(lifecycle.STATES)
TRIGGERS = list(lifecycle.TRIGGERS)

# Texts that have broken programs before: line breaks of every kind, markup, header lines, control
# characters, right-to-left and wide scripts, emoji, template and format syntax.
NASTY = [
    "", " ", "\t", "\n", "\r", "\r\n", "a\rb", "a\nb", "a\r\nBcc: evil@example.com", "\nSubject: gefälscht",
    "\x00", "x\x00y", "\x07", "\x1b[2J\x1b[31mrot", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029", "\ufeff",
    "<script>alert(1)</script>", "</td></tr></table>", "<b>fett</b>", "&amp;", "&lt;", "a & b < c > d", '"', "'",
    "<!--", "]]>", "{{ 7*7 }}", "{% raw %}", "%s %d {0}", "\\", "\u202eRTL-Überschreibung", "مرحبا بالعالم",
    "שלום", "日本語のテキスト", "中文标题", "한국어", "🎉🚀👩‍👩‍👧", "Z̴̡͓a̸l̷g̶o̵", "Größe Übung ß", "—–‑",
    "=?utf-8?q?=41?=", "Fehler: nicht wirklich", "--note", "-h", "1.4", "null", "~", "yes", "1e9", "NaN",
]  # fmt: skip
# Any character, with control, format, line-separator and markup characters far more often than by chance.
HOSTILE_CHARACTERS = st.one_of(
    st.characters(), st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Zs"]), st.sampled_from("<>&\"'\r\n\x00\x1b\u2028")
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
    return st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyzäöüßABCÄÖÜ 0123456789-.,"), min_size=1, max_size=max_size).filter(
        lambda text: text.strip()
    )


def argv_text() -> st.SearchStrategy[str]:
    """A command-line word: what nasty_text gives, plus undecodable bytes as Python presents them (surrogateescape)."""
    return st.one_of(nasty_text(), st.sampled_from(["L\udcfcnen", "\udcff", "1.\udcfc"]))


DATE_TEXTS = st.one_of(
    st.dates(min_value=date(2010, 1, 1), max_value=date(2012, 12, 31)).map(date.isoformat),
    st.dates(min_value=date(2010, 1, 1), max_value=date(2012, 12, 31)).map(lambda d: d.strftime("%d.%m.%Y")),
    st.sampled_from(["0001-01-01", "9999-12-31", "2011-02-30", "31.12.9999", "01.01.0001", "2011-13-01", "heute", "12.4.11"]),
    nasty_text(12),
)
MOMENTS = st.one_of(
    DATE_TEXTS,
    st.datetimes(min_value=datetime(2010, 1, 1), max_value=datetime(2012, 12, 31)).map(lambda moment: moment.isoformat(timespec="minutes")),
    st.sampled_from(["0001-01-01T00:00", "9999-12-31T23:59", "2011-03-01T07:30+14:00", "2011-03-27T02:30"]),
)
AMOUNTS = st.one_of(
    st.integers(min_value=0, max_value=10_000_000).map(str),
    st.sampled_from(["120.000", "120.000 €", "-5", "1e5", "0", "99999999999999999999", "1.2.3", "12,50", " 7 "]),
    nasty_text(12),
)
YEARS = st.one_of(st.integers(min_value=1999, max_value=2101).map(str), st.sampled_from(["20x1", "-2011", "99999999999999999999"]))


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
            ["advance", "edit", "list", "show", "meeting", "hold", "resume", "decision", "savings", "depend", "remind", "raw"]
        )
    )
    actor = {"--actor": text}
    if kind == "advance":
        return ["advance", draw(code), draw(one_of_pool(TRIGGERS))] + _options(draw, {"--note": text, "--meeting": DATE_TEXTS, **actor})
    if kind == "edit":
        return ["edit", draw(code)] + _options(
            draw, {"--due": DATE_TEXTS, "--target": AMOUNTS, "--title": text, "--plan": text, "--concept": text, **actor}
        )
    if kind == "list":
        return ["list"] + _options(
            draw, {"--state": one_of_pool(STATES), "--lead": one_of_pool(BODIES), "--field": AMOUNTS, "--overdue": None, "--json": None}
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
        return ["decision", draw(code), draw(one_of_pool(BODIES)), decision] + _options(draw, {"--ref": text, "--date": DATE_TEXTS, **actor})
    if kind == "savings":
        return ["savings", draw(code), draw(YEARS), draw(AMOUNTS)] + _options(draw, actor)
    if kind == "depend":
        return ["depend", draw(code), "--on", draw(other)] + _options(draw, {"--remove": None, **actor})
    if kind == "remind":
        return ["remind"] + _options(draw, {"--at": MOMENTS, "--dry-run": None})
    # Anything after a command name: stray options, missing or extra arguments.
    name = draw(st.sampled_from(["advance", "edit", "list", "show", "hold", "resume", "decision", "savings", "depend", "remind", "meeting"]))
    words = st.one_of(argv_text(), st.sampled_from(["--json", "--note", "--due", "--at", "--help", "-h", "--", "--unbekannt", "add"]))
    return [name, *draw(st.lists(words, max_size=5))]


# --- Catalogue documents ---------------------------------------------------------------------

KEYS = ["kamen", "selm", "luenen", "bmk", "ak-kaemmerer", "kreis-unna", "neu-1", "neu-2"]
NEW_CODES = ["1.1", "1.4", "2.1", "2.1-LS", "9.1", "9.2", "9.10"]
EMAILS = [
    "it@kamen.example", "x@selm.example", "ikz@kreis-unna.example", "a,b@kamen.example",
    "a@kamen.example,evil@example.com", "ä@kamen.example", "a<b>@kamen.example", '"x y"@kamen.example', "nobody",
]  # fmt: skip


def anything() -> st.SearchStrategy:
    """A YAML value of the wrong shape: numbers, booleans, lists, mappings, null."""
    scalars = st.one_of(
        st.none(), st.booleans(), st.integers(), st.integers(min_value=2**63), st.floats(allow_nan=False), nasty_text(20)
    )
    return st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)), max_leaves=6)


def maybe(valid: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly a valid value (shrinks towards it), sometimes text or a value of the wrong shape."""
    return st.one_of(valid, valid, nasty_text(), anything())


DATES = st.one_of(
    st.dates(min_value=date(2010, 1, 1), max_value=date(2013, 12, 31)),
    st.sampled_from(["0001-01-01", "9999-12-31", "2011-02-30", "2011-1-5", "20110105"]),
    st.dates().map(date.isoformat),
)
TEXTS = st.one_of(plain_text(), nasty_text())


@st.composite
def catalogue_documents(draw) -> dict:
    """A catalogue as a Python structure: the right shape, with random, often hostile, values."""
    keys = st.one_of(st.sampled_from(KEYS), nasty_text(50))
    codes = st.one_of(st.sampled_from(NEW_CODES), nasty_text(25))
    doc: dict = {"catalogue": draw(maybe(plain_text()))}
    if draw(st.booleans()):
        doc["title"] = draw(TEXTS)
    doc["fields"] = draw(
        st.lists(st.fixed_dictionaries({"number": maybe(st.sampled_from([1, 2, 9, 2**63, 10**20, 0, -1])), "name": TEXTS}), max_size=3)
    )
    contact = st.fixed_dictionaries({"name": TEXTS, "email": maybe(st.sampled_from(EMAILS))}, optional={"role": TEXTS})
    body = st.fixed_dictionaries(
        {"key": maybe(keys), "name": TEXTS, "kind": maybe(st.sampled_from(list(BODY_KINDS)))},
        optional={"contacts": st.lists(contact, max_size=2)},
    )
    doc["bodies"] = draw(st.lists(body, max_size=3))
    meeting = st.fixed_dictionaries({"date": maybe(DATES), "body": maybe(keys)}, optional={"title": TEXTS})
    doc["meetings"] = draw(st.lists(meeting, max_size=2))
    lead = st.one_of(keys, st.fixed_dictionaries({"body": keys, "contact": st.sampled_from(EMAILS)}))
    hold = st.fixed_dictionaries(
        {"from": maybe(st.sampled_from(lifecycle.ACTIVE)), "reason": TEXTS}, optional={"since": maybe(DATES)}
    )
    mandate = st.fixed_dictionaries(
        {
            "code": maybe(codes),
            "field": maybe(st.sampled_from([1, 2, 9, 10**20])),
            "title": TEXTS,
            "leads": maybe(st.lists(lead, max_size=2)),
            "state": maybe(st.sampled_from([*lifecycle.ACTIVE, "on_hold", "closed", "dreaming"])),
        },
        optional={
            "description": TEXTS,
            "participants": st.one_of(st.just("all"), st.lists(keys, max_size=2)),
            "due": maybe(DATES),
            "depends_on": st.lists(codes, max_size=2),
            "hold": hold,
        },
    )
    doc["mandates"] = draw(st.lists(mandate, max_size=3))
    duty = st.fixed_dictionaries(
        {
            "key": maybe(keys),
            "mandate": maybe(codes),
            "title": TEXTS,
            "first_due": maybe(DATES),
            "every_months": maybe(st.integers(min_value=0, max_value=30)),
            "rotation": maybe(st.lists(keys, max_size=2)),
        }
    )
    doc["duties"] = draw(st.lists(duty, max_size=2))
    if draw(st.booleans()):
        doc[draw(st.text(max_size=8))] = draw(anything())
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
            text = text[:at] + draw(st.one_of(st.sampled_from([":", "- ", "{", "]", "\t", "&a", "*a", "!!python/object:os.system", '"\\ud800"', "'", "\n  ", "? "]), nasty_text(10))) + text[at:]
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
    """The bytes of a catalogue file: a generated document, a mutated one, or garbage."""
    kind = draw(st.sampled_from(["document", "document", "mutated", "garbage"]))
    if kind == "garbage":
        return draw(st.one_of(st.binary(max_size=200), st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass"))))
    text = dump(draw(catalogue_documents()))
    if kind == "mutated":
        text = draw(mutated(text))
    return text.encode("utf-8", "surrogatepass")
