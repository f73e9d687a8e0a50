"""Parse and check a catalogue file into plain specs, with German messages naming the entry."""

from dataclasses import dataclass, field
from datetime import date
from importlib.resources import files
from pathlib import Path

import yaml

from ikz.errors import CatalogueError
from models import BODY_KINDS
from workflow import lifecycle
from workflow.checks import FIRST_YEAR, LAST_YEAR, is_email, text_problem

# Catalogues shipped inside the package, found the same way in a checkout and an installed wheel.
SHIPPED = Path(str(files("ikz.catalogue") / "shipped"))
START_STATES = (*lifecycle.ACTIVE, "on_hold")
ALL = "all"
# A catalogue nests five levels (catalogue, mandates, a mandate, its leads, a lead); more is not a catalogue.
MAX_DEPTH = 10


@dataclass
class ContactSpec:
    name: str
    role: str
    email: str
    person: str = ""
    function: str = ""


@dataclass
class BodySpec:
    key: str
    name: str
    kind: str
    contacts: list[ContactSpec] = field(default_factory=list)


@dataclass
class MeetingSpec:
    date: date
    body: str
    title: str


@dataclass
class HoldSpec:
    from_state: str
    reason: str
    since: date | None


@dataclass
class DutySpec:
    key: str
    mandate: str
    title: str
    first_due: date
    every_months: int
    rotation: list[str]


@dataclass
class MandateSpec:
    code: str
    field: int
    title: str
    description: str
    leads: list[str]
    # Lead body key -> the email of its contact answering for this mandate (others: every contact).
    lead_contacts: dict[str, str]
    participants: list[str] | str
    state: str
    due: date | None
    depends_on: list[str]
    hold: HoldSpec | None


@dataclass
class Catalogue:
    name: str
    title: str
    fields: dict[int, str]
    bodies: list[BodySpec]
    meetings: list[MeetingSpec]
    mandates: list[MandateSpec]
    duties: list[DutySpec] = field(default_factory=list)
    source: str = ""
    # The day the programme's mandates were agreed; their history starts then (None: at the import).
    agreed: date | None = None


class _PythonLoader(yaml.SafeLoader):
    """SafeLoader that keeps dates and dotted codes as text (1.10 must not become 1.1)."""


# libyaml parses ~10× faster than pure Python (a 10k-mandate catalogue); resolving and building stay in Python.
class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """The same loader on libyaml's parser, where installed."""


_PythonLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def resolve(name_or_path: str) -> Path:
    """Return the file for a shipped catalogue name or a path, or explain what exists."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise CatalogueError(f"Katalogdatei {name_or_path} gibt es nicht.")
        return path
    shipped = SHIPPED / f"{name_or_path}.yaml"
    if shipped.is_file():
        return shipped
    known = ", ".join(sorted(p.stem for p in SHIPPED.glob("*.yaml")))
    raise CatalogueError(
        f"Katalog {name_or_path!r} gibt es nicht. Mitgeliefert: {known}; oder einen Dateipfad angeben."
    )


def load(path: Path) -> Catalogue:
    """Read and check a catalogue file; raise CatalogueError naming the file and entry."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"{path.name}: Datei nicht lesbar ({exc.__class__.__name__}).") from None
    return parse(text, path.name)


def parse(text: str, source: str) -> Catalogue:
    """Check catalogue text (as found in file `source`) and return its specs."""
    try:
        data = _load_yaml(text, source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", Zeile {mark.line + 1}, Spalte {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "unlesbar"
        raise CatalogueError(f"{source}{where}: YAML-Syntaxfehler ({problem}).") from None
    return _Checker(source).catalogue(data)


def _load_yaml(text: str, source: str):
    """Parse with libyaml; on a syntax error parse again in Python, whose messages users have seen so far."""
    try:
        _check_shape(text, source, _Loader)
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError:
        _check_shape(text, source, _PythonLoader)
        return yaml.load(text, Loader=_PythonLoader)


def _check_shape(text: str, source: str, loader) -> None:
    """Refuse, before building anything, nesting deeper than a catalogue needs and anchors/aliases.

    Walking the event stream is iterative; building deeply nested data would exhaust the stack, and
    aliases can multiply a small file into a huge structure.
    """
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            line = event.start_mark.line + 1
            raise CatalogueError(
                f"{source}, Zeile {line}: Anker und Verweise (& und *) sind in Katalogen nicht erlaubt."
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1
                raise CatalogueError(
                    f"{source}, Zeile {line}: zu tief verschachtelt (mehr als {MAX_DEPTH} Ebenen; "
                    "ein Katalog braucht höchstens fünf)."
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


class _Checker:
    """Walks the parsed YAML; each method checks one kind of entry."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, message: str):
        raise CatalogueError(f"{self.source}: {where}: {message}.")

    def mapping(self, value, where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
        if not isinstance(value, dict):
            self.fail(where, "erwartet eine Zuordnung (Schlüssel: Wert)")
        for key in required:
            if key not in value or value[key] in (None, ""):
                self.fail(where, f"Pflichtangabe '{key}' fehlt")
        unknown = [str(key) for key in value if key not in required + optional]
        if unknown:
            allowed = ", ".join(required + optional)
            self.fail(where, f"unbekannte Angabe {unknown[0]!r}; erlaubt: {allowed}")
        return value

    def text(self, value, where: str, name: str, limit: int = 200, multiline: bool = False) -> str:
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            self.fail(where, f"'{name}' muss Text sein")
        value = str(value).strip()
        problem = text_problem(value, multiline=multiline)
        if problem:
            self.fail(where, f"'{name}' {problem}")
        if len(value) > limit:
            self.fail(where, f"'{name}' ist zu lang (höchstens {limit} Zeichen)")
        return value

    def day(self, value, where: str, name: str) -> date:
        try:
            day = date.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(where, f"ungültiges Datum {str(value)!r} in '{name}'; erwartet JJJJ-MM-TT, z. B. 2011-04-12")
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            self.fail(where, f"Datum {day.isoformat()} in '{name}' liegt außerhalb von {FIRST_YEAR} bis {LAST_YEAR}")
        return day

    def keys(self, value, where: str, name: str) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, (str, int)) for item in value):
            self.fail(where, f"'{name}' muss eine Liste sein, z. B. [luenen, selm]")
        items = [str(item).strip() for item in value]
        duplicates = sorted({item for item in items if items.count(item) > 1})
        if duplicates:
            self.fail(where, f"'{name}' nennt {duplicates[0]!r} mehrfach")
        return items

    def entries(self, value, where: str) -> list:
        """A section that lists entries: absent or empty is an empty list, anything but a list is refused."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(where, "erwartet eine Liste von Einträgen (Zeilen mit '- ')")
        return value

    def catalogue(self, data) -> Catalogue:
        data = self.mapping(
            data, "Katalog", ("catalogue",), ("title", "agreed", "fields", "bodies", "meetings", "mandates", "duties")
        )
        fields = {}
        for index, entry in enumerate(self.entries(data.get("fields"), "Abschnitt 'fields'"), 1):
            where = f"Feld Nr. {index}"
            entry = self.mapping(entry, where, ("number", "name"))
            if (
                not isinstance(entry["number"], int)
                or isinstance(entry["number"], bool)
                or not 1 <= entry["number"] <= 999
            ):
                self.fail(where, f"'number' muss eine ganze Zahl von 1 bis 999 sein, nicht {entry['number']!r}")
            if entry["number"] in fields:
                self.fail(f"Feld {entry['number']}", "Nummer doppelt vergeben")
            fields[entry["number"]] = self.text(entry["name"], where, "name", 120)
        bodies = [
            self.body(entry, index)
            for index, entry in enumerate(self.entries(data.get("bodies"), "Abschnitt 'bodies'"), 1)
        ]
        self.unique([body.key for body in bodies], "Stelle", "Schlüssel")
        meetings = [
            self.meeting(entry, index)
            for index, entry in enumerate(self.entries(data.get("meetings"), "Abschnitt 'meetings'"), 1)
        ]
        self.unique([f"{m.body} am {m.date.isoformat()}" for m in meetings], "Sitzung", "Tag")
        mandates = [
            self.mandate(entry, index)
            for index, entry in enumerate(self.entries(data.get("mandates"), "Abschnitt 'mandates'"), 1)
        ]
        self.unique([mandate.code for mandate in mandates], "Mandat", "Code")
        duties = [
            self.duty(entry, index)
            for index, entry in enumerate(self.entries(data.get("duties"), "Abschnitt 'duties'"), 1)
        ]
        self.unique([duty.key for duty in duties], "Pflicht", "Schlüssel")
        return Catalogue(
            name=self.text(data["catalogue"], "Katalog", "catalogue"),
            title=self.text(data.get("title") or data["catalogue"], "Katalog", "title"),
            fields=fields,
            bodies=bodies,
            meetings=meetings,
            mandates=mandates,
            duties=duties,
            source=self.source,
            agreed=self.day(data["agreed"], "Katalog", "agreed") if data.get("agreed") else None,
        )

    def unique(self, values: list[str], what: str, attribute: str) -> None:
        seen = set()
        for value in values:
            if value in seen:
                self.fail(f"{what} {value!r}", f"{attribute} doppelt vergeben")
            seen.add(value)

    def body(self, entry, index: int) -> BodySpec:
        where = f"Stelle Nr. {index}"
        entry = self.mapping(entry, where, ("key", "name", "kind"), ("contacts",))
        key = self.text(entry["key"], where, "key", 40)
        where = f"Stelle {key!r}"
        if not isinstance(entry["kind"], str) or entry["kind"] not in BODY_KINDS:
            self.fail(where, f"unbekannte Art {entry['kind']!r}; erlaubt: {', '.join(BODY_KINDS)}")
        contacts = []
        for number, contact in enumerate(self.entries(entry.get("contacts"), f"{where}, contacts"), 1):
            at = f"{where}, Kontakt Nr. {number}"
            contact = self.mapping(contact, at, ("name", "email"), ("role", "person", "function"))
            email = self.text(contact["email"], at, "email", 254)
            if not is_email(email):
                self.fail(at, f"ungültige E-Mail-Adresse {email!r}; erlaubt ist eine Adresse wie it@luenen.example")
            name, role = (
                self.text(contact["name"], at, "name", 120),
                self.text(contact.get("role") or "", at, "role", 120),
            )
            person = self.text(contact.get("person") or "", at, "person", 120)
            function = self.text(contact.get("function") or "", at, "function", 120)
            contacts.append(ContactSpec(name, role, email, person, function))
        return BodySpec(key, self.text(entry["name"], where, "name", 120), entry["kind"], contacts)

    def meeting(self, entry, index: int) -> MeetingSpec:
        where = f"Sitzung Nr. {index}"
        entry = self.mapping(entry, where, ("date", "body"), ("title",))
        day = self.day(entry["date"], where, "date")
        title = self.text(entry.get("title") or "Sitzung", where, "title")
        return MeetingSpec(day, self.text(entry["body"], where, "body", 40), title)

    def leads(self, value, where: str) -> tuple[list[str], dict[str, str]]:
        """Leads are body keys, or {body: KEY, contact: EMAIL} to name the person answering."""
        if not isinstance(value, list):
            self.fail(where, "'leads' muss eine Liste sein, z. B. [kamen, bergkamen]")
        keys, contacts = [], {}
        for item in value:
            if isinstance(item, dict):
                item = self.mapping(item, f"{where}, leads", ("body", "contact"))
                key = self.text(item["body"], where, "leads.body", 40)
                contacts[key] = self.text(item["contact"], where, "leads.contact", 254)
            else:
                key = self.text(item, where, "leads", 40)
            keys.append(key)
        self.keys(keys, where, "leads")
        return keys, contacts

    def duty(self, entry, index: int) -> DutySpec:
        where = f"Pflicht Nr. {index}"
        entry = self.mapping(entry, where, ("key", "mandate", "title", "first_due", "every_months", "rotation"))
        key = self.text(entry["key"], where, "key", 40)
        where = f"Pflicht {key!r}"
        months = entry["every_months"]
        if not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= 24:
            self.fail(where, f"'every_months' muss eine ganze Zahl von 1 bis 24 sein, nicht {months!r}")
        rotation = self.keys(entry["rotation"], where, "rotation")
        if not rotation:
            self.fail(where, "'rotation' braucht mindestens eine Stelle")
        return DutySpec(
            key,
            self.text(entry["mandate"], where, "mandate", 20),
            self.text(entry["title"], where, "title"),
            self.day(entry["first_due"], where, "first_due"),
            months,
            rotation,
        )

    def mandate(self, entry, index: int) -> MandateSpec:
        where = f"Mandat Nr. {index}"
        entry = self.mapping(
            entry,
            where,
            ("code", "field", "title", "leads", "state"),
            ("description", "participants", "due", "depends_on", "hold"),
        )
        code = self.text(entry["code"], where, "code", 20)
        where = f"Mandat {code!r}"
        if not isinstance(entry["field"], int) or isinstance(entry["field"], bool) or not 1 <= entry["field"] <= 999:
            self.fail(where, f"'field' muss die Nummer eines Zusammenarbeitsfeldes sein, nicht {entry['field']!r}")
        state = entry["state"]
        if state not in START_STATES:
            self.fail(where, f"unbekannter Anfangszustand {state!r}; erlaubt: {', '.join(START_STATES)}")
        leads, lead_contacts = self.leads(entry["leads"], where)
        if not leads:
            self.fail(where, "mindestens eine federführende Stelle ('leads') ist nötig")
        participants = entry.get("participants")
        if participants != ALL:
            participants = self.keys(participants, where, "participants")
        hold = None
        if state == "on_hold":
            if not isinstance(entry.get("hold"), dict):
                self.fail(where, "Zustand on_hold braucht 'hold' mit 'from' und 'reason'")
            raw = self.mapping(entry["hold"], f"{where}, hold", ("from", "reason"), ("since",))
            if raw["from"] not in lifecycle.ACTIVE:
                self.fail(
                    where,
                    f"'hold.from' {raw['from']!r} ist kein aktiver Zustand; erlaubt: {', '.join(lifecycle.ACTIVE)}",
                )
            since = self.day(raw["since"], where, "hold.since") if raw.get("since") else None
            hold = HoldSpec(raw["from"], self.text(raw["reason"], where, "hold.reason", 2000, multiline=True), since)
        elif entry.get("hold") is not None:
            self.fail(where, "'hold' ist nur im Zustand on_hold erlaubt")
        return MandateSpec(
            code=code,
            field=entry["field"],
            title=self.text(entry["title"], where, "title"),
            description=self.text(entry.get("description") or "", where, "description", 5000, multiline=True),
            leads=leads,
            lead_contacts=lead_contacts,
            participants=participants,
            state=state,
            due=self.day(entry["due"], where, "due") if entry.get("due") else None,
            depends_on=self.keys(entry.get("depends_on"), where, "depends_on"),
            hold=hold,
        )
