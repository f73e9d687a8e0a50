"""The kreis-unna-2010 catalogue and the importer's validation: all or nothing, idempotent."""

import json
import textwrap

import pytest
from sqlmodel import select

from models import Body, Contact, Dependency, Mandate, MandateLead, Participant, TransitionLog
from tests.snapshot import snapshot

STARTING = {
    "implement": ["1.1", "1.5", "1.7", "4.1", "5.2", "6.1"],
    "propose": ["1.2", "1.3", "1.6", "1.8", "3.1"],
    "examine": ["1.4", "2.1", "5.1", "7.1"],
    "on_hold": ["2.1-LS"],
}


def test_catalogue_has_the_sixteen_mandates_as_the_sources_say(loaded, session):
    mandates = {m.code: m for m in session.exec(select(Mandate)).all()}
    assert sorted(mandates) == sorted(code for codes in STARTING.values() for code in codes)
    for state, codes in STARTING.items():
        assert sorted(c for c, m in mandates.items() if m.state == state) == sorted(codes)
    leads = {}
    for code, key in session.exec(
        select(Mandate.code, Body.key)
        .join(MandateLead, MandateLead.mandate_id == Mandate.id)
        .join(Body, Body.id == MandateLead.body_id)
    ).all():
        leads.setdefault(code, set()).add(key)
    assert leads["1.2"] == {"kamen", "bergkamen"}
    assert leads["1.4"] == {"luenen"}
    assert leads["2.1"] == leads["5.1"] == leads["7.1"] == {"ak-kaemmerer"}
    assert leads["3.1"] == {"ukbs"}
    assert leads["2.1-LS"] == {"luenen", "selm"}
    held = mandates["2.1-LS"]
    assert held.held_state == "examine"
    assert "steht nicht mehr" in held.hold_reason
    waits = session.exec(select(Dependency)).all()
    assert [(d.mandate_id, d.depends_on_id) for d in waits] == [(held.id, mandates["2.1"].id)]


def test_catalogue_uses_only_reserved_example_addresses(loaded, session):
    emails = session.exec(select(Contact.email)).all()
    assert emails and all(email.endswith(".example") for email in emails)


def test_lead_contacts_name_their_person_and_function(loaded, session):
    from models import Contact

    loga = session.exec(select(Contact).where(Contact.email == "loga@luenen.example")).one()
    assert (loga.name, loga.person, loga.function) == (
        "Personalabrechnung Lünen",
        "Petra Schulte",
        "Sachgebietsleitung Personalabrechnung",
    )
    # A shared mailbox names no person: mails greet it without a name.
    assert session.exec(select(Contact).where(Contact.email == "ak-kaemmerer@kreis-unna.example")).one().person == ""


def test_agreed_items_have_all_eleven_bodies_as_participants(loaded, session):
    mandate = session.exec(select(Mandate).where(Mandate.code == "1.7")).one()
    keys = session.exec(
        select(Body.key).join(Participant, Participant.body_id == Body.id).where(Participant.mandate_id == mandate.id)
    ).all()
    assert len(keys) == 11 and "kreis-unna" in keys and "bmk" not in keys


def test_import_logs_each_mandate_once(loaded, session):
    entries = session.exec(select(TransitionLog)).all()
    assert len(entries) == 16
    assert {e.trigger for e in entries} == {"import"}


def test_importing_twice_changes_nothing(cli, engine):
    first = cli("init", "--catalogue", "kreis-unna-2010")
    assert first.exit_code == 0
    before = snapshot(engine)
    again = cli("import", "ikz/catalogue/shipped/kreis-unna-2010.yaml")
    assert again.exit_code == 0
    assert again.stdout == "Katalog kreis-unna-2010: bereits vollständig importiert, nichts geändert.\n"
    assert snapshot(engine) == before


def test_reimport_keeps_lifecycle_progress(cli, session):
    cli("init", "--catalogue", "kreis-unna-2010")
    assert cli("advance", "1.4", "start_concept").exit_code == 0
    cli("import", "ikz/catalogue/shipped/kreis-unna-2010.yaml")
    assert session.exec(select(Mandate.state).where(Mandate.code == "1.4")).one() == "propose"


MINIMAL = """\
catalogue: test
fields:
  - {number: 1, name: IT}
bodies:
  - {key: kamen, name: Kamen, kind: municipality}
  - {key: selm, name: Selm, kind: municipality}
mandates:
  - {code: "1.1", field: 1, title: Eins, leads: [kamen], state: examine}
  - {code: "1.2", field: 1, title: Zwei, leads: [selm], state: propose, due: 2011-04-01, depends_on: ["1.1"]}
"""

BAD = {
    "unknown lead": (
        MINIMAL.replace("leads: [selm]", "leads: [kamenn]"),
        "Mandat '1.2': unbekannte federführende Stelle 'kamenn'; bekannt: kamen, selm",
    ),
    "duplicate code": (MINIMAL.replace('code: "1.2"', 'code: "1.1"'), "Mandat '1.1': Code doppelt vergeben"),
    "unknown state": (
        MINIMAL.replace("state: propose", "state: dreaming"),
        "Mandat '1.2': unbekannter Anfangszustand 'dreaming'; erlaubt: examine, propose, present, decide, implement, control, on_hold",
    ),
    "bad date": (
        MINIMAL.replace("due: 2011-04-01", "due: 2011-02-30"),
        "Mandat '1.2': ungültiges Datum '2011-02-30' in 'due'; erwartet JJJJ-MM-TT, z. B. 2011-04-12",
    ),
    "dependency cycle": (
        MINIMAL.replace("state: examine}", 'state: examine, depends_on: ["1.2"]}'),
        "Mandat '1.1': Abhängigkeitszyklus 1.1 → 1.2 → 1.1",
    ),
    "yaml syntax": (MINIMAL.replace("- {key: selm", "- {key: selm: x"), None),
    "missing leads": (MINIMAL.replace(" leads: [kamen],", ""), "Mandat Nr. 1: Pflichtangabe 'leads' fehlt"),
    "unknown field": (
        MINIMAL.replace("field: 1, title: Zwei", "field: 8, title: Zwei"),
        "Mandat '1.2': unbekanntes Zusammenarbeitsfeld 8; bekannt: 1",
    ),
    "unknown dependency": (
        MINIMAL.replace('depends_on: ["1.1"]', 'depends_on: ["4.4"]'),
        "Mandat '1.2': hängt von unbekanntem Mandat '4.4' ab",
    ),
    "hold without reason": (
        MINIMAL.replace("state: propose,", "state: on_hold,"),
        "Mandat '1.2': Zustand on_hold braucht 'hold' mit 'from' und 'reason'",
    ),
    "not a mapping": ("- eins\n- zwei\n", "Katalog: erwartet eine Zuordnung (Schlüssel: Wert)"),
    "agreed in the future": (
        MINIMAL.replace("catalogue: test\n", "catalogue: test\nagreed: 2011-01-01\n"),
        "Katalog: 'agreed' 01.01.2011 liegt in der Zukunft; erlaubt ist heute oder früher",
    ),
    "deadline before the start": (
        MINIMAL.replace("catalogue: test\n", "catalogue: test\nagreed: 2010-09-21\n").replace(
            "due: 2011-04-01", "due: 2010-09-01"
        ),
        "Mandat '1.2': die Frist 01.09.2010 liegt vor dem Beginn des Programms (21.09.2010)",
    ),
    "hold after today": (
        MINIMAL.replace("state: propose,", "state: on_hold, hold: {from: propose, reason: x, since: 2010-12-01},"),
        "Mandat '1.2': 'hold.since' 01.12.2010 liegt außerhalb der Laufzeit; erlaubt: 02.11.2010 bis heute (02.11.2010)",
    ),
    "bad email": (
        MINIMAL.replace(
            "kind: municipality}\n  - {key: selm",
            "kind: municipality, contacts: [{name: IT, email: it-at-kamen}]}\n  - {key: selm",
        ),
        "Stelle 'kamen', Kontakt Nr. 1: ungültige E-Mail-Adresse 'it-at-kamen'; erlaubt ist eine Adresse wie it@luenen.example",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_catalogue_is_refused_whole(cli, engine, tmp_path, case):
    assert cli("init").exit_code == 0
    before = snapshot(engine)
    text, message = BAD[case]
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    result = cli("import", str(path))
    assert result.exit_code == 1
    if message is None:
        assert (
            result.stderr
            == "Fehler: bad.yaml, Zeile 6, Spalte 15: YAML-Syntaxfehler (expected ',' or '}', but got ':').\n"
        )
    else:
        assert result.stderr == f"Fehler: bad.yaml: {message}.\n"
    assert result.stdout == ""
    assert snapshot(engine) == before


def test_a_cycle_with_stored_dependencies_is_refused(cli, engine, tmp_path):
    cli("init", "--catalogue", "kreis-unna-2010")
    path = tmp_path / "more.yaml"
    path.write_text(
        textwrap.dedent("""\
        catalogue: more
        mandates:
          - {code: "2.1", field: 2, title: Anstalt öffentlichen Rechts, leads: [ak-kaemmerer], state: examine, depends_on: [2.1-LS]}
        """),
        encoding="utf-8",
    )
    before = snapshot(engine)
    result = cli("import", str(path))
    assert (result.exit_code, result.stderr) == (
        1,
        "Fehler: more.yaml: Mandat '2.1': Abhängigkeitszyklus 2.1 → 2.1-LS → 2.1.\n",
    )
    assert snapshot(engine) == before


def test_a_missing_catalogue_names_the_shipped_ones(cli):
    cli("init")
    result = cli("import", "kreis-soest")
    assert (result.exit_code, result.stderr) == (
        1,
        "Fehler: Katalog 'kreis-soest' gibt es nicht. Mitgeliefert: kreis-unna-2010; oder einen Dateipfad angeben.\n",
    )


def test_list_json_after_init_shows_sixteen_mandates(cli):
    cli("init", "--catalogue", "kreis-unna-2010")
    rows = json.loads(cli("list", "--json").stdout)
    assert len(rows) == 16
    by_code = {row["code"]: row for row in rows}
    assert by_code["1.2"]["leads"] == ["bergkamen", "kamen"]
    assert by_code["2.1-LS"]["state"] == "on_hold"


def _many(count: int) -> str:
    """The shipped catalogue with `count` more mandates: some held since a later day, some naming their contact."""
    from ikz.catalogue.spec import SHIPPED

    lines = [(SHIPPED / "kreis-unna-2010.yaml").read_text(encoding="utf-8").rstrip("\n")]
    for n in range(1, count + 1):
        lines += [f"  - code: 8.{n}", "    field: 7", f"    title: Mandat {n}", "    participants: [unna, selm]"]
        if n % 3 == 0:
            lines += ["    state: on_hold", "    hold: {from: propose, reason: Ruht, since: 2010-10-10}"]
        else:
            lines += ["    state: examine", "    depends_on: [1.4]" if n % 2 else "    due: 2011-06-30"]
        lines.append("    leads: [{body: kamen, contact: it@kamen.example}]" if n % 4 == 0 else "    leads: [unna]")
    return "\n".join(lines) + "\n"


def test_libyaml_and_python_read_a_catalogue_alike():
    import yaml

    from ikz.catalogue import spec

    text = _many(6) + "odd: [1.10, 2011-03-16, 16.03.2011, yes, ~, 017, 1_000, .inf, 1e3, '1.5']\n"
    fast, slow = yaml.load(text, Loader=spec._Loader), yaml.load(text, Loader=spec._PythonLoader)
    assert fast == slow
    assert fast["odd"] == ["1.10", "2011-03-16", "16.03.2011", True, None, 15, 1000, ".inf", "1e3", "1.5"]


def test_a_large_catalogue_is_imported_with_a_history_that_verifies(cli, engine, session, tmp_path):
    path = tmp_path / "gross.yaml"
    path.write_text(_many(60), encoding="utf-8")
    result = cli("init", "--catalogue", str(path))
    assert result.stdout.splitlines()[1].startswith("Katalog kreis-unna-2010 importiert. Mandate: 76 neu, 0 geändert;")
    held = session.exec(select(Mandate).where(Mandate.code == "8.3")).one()
    assert (held.state, held.held_state) == ("on_hold", "propose")
    entries = session.exec(
        select(TransitionLog).where(TransitionLog.mandate_id == held.id).order_by(TransitionLog.seq)
    ).all()
    assert [(e.seq, e.trigger, e.from_state, e.to_state, e.note) for e in entries] == [
        (1, "import", None, "propose", "Angelegt aus Katalog kreis-unna-2010"),
        (2, "hold", "propose", "on_hold", "Ruht"),
    ]
    assert entries[1].prev_hash == entries[0].hash
    assert json.loads(entries[0].snapshot)["state"] == "propose"
    named = session.exec(select(MandateLead).join(Mandate).where(Mandate.code == "8.4")).one()
    assert session.get(Contact, named.contact_id).email == "it@kamen.example"
    assert (
        cli("audit", "verify").stdout
        == "Protokoll unversehrt: 96 Einträge geprüft, jede Kette vollständig, alle Daten stimmen.\n"
    )
    before = snapshot(engine)
    assert (
        cli("import", str(path)).stdout == "Katalog kreis-unna-2010: bereits vollständig importiert, nichts geändert.\n"
    )
    assert snapshot(engine) == before
