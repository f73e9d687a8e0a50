"""The agenda and decision papers of a conference meeting: data, wording, files, PDF, CLI and a browser check."""

import re
import struct
import sys
import zlib
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from ikz.clock import BERLIN
from ikz.conference.papers import agenda_data
from ikz.conference.render import PDF_NAME, render_agenda, render_files
from ikz.conference.resolution import proposed_resolution
from ikz.errors import NotFound
from models import Body, Mandate
from models.db import transaction
from tests.factories import RULES
from tests.preview import CHROMIUM, screenshot
from workflow.decisions import record_decision
from workflow.dependencies import add_dependency
from workflow.editing import edit_mandate
from workflow.steps import advance

APRIL = date(2011, 4, 12)
SUBMITTED = date(2011, 3, 17)
NO_DEPENDENCIES = "Keine: Das Mandat wartet auf kein anderes, und keines wartet auf dieses."


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=BERLIN)


def step(session, code, trigger, day, hour=9, **inputs):
    advance(session, code, trigger, actor="Koordination", now=at(day, hour), today=day, **inputs, rules=RULES)


@pytest.fixture
def april(loaded):
    """1.4 and 1.2 submitted to the conference on 12.04.2011; 1.4's decision opened with four body decisions."""
    with transaction(loaded) as s:
        step(s, "1.4", "start_concept", SUBMITTED)
        edit_mandate(
            s,
            "1.4",
            actor="Koordination",
            now=at(SUBMITTED),
            concept_ref="Konzept Einkaufsgemeinschaft LOGA",
            plan_ref="Wirtschaftsplan LOGA 2011",
            savings_target=40_000,
        )
        step(s, "1.4", "submit", SUBMITTED, meeting_date=APRIL)
        edit_mandate(
            s,
            "1.2",
            actor="Koordination",
            now=at(SUBMITTED),
            concept_ref="Breitbandkonzept Kreis Unna",
            plan_ref="Wirtschaftsplan Breitband",
            savings_target=25_000,
        )
        add_dependency(s, "1.2", "1.3", actor="Koordination", now=at(SUBMITTED))
        add_dependency(s, "1.8", "1.2", actor="Koordination", now=at(SUBMITTED))
        step(s, "1.2", "submit", SUBMITTED, meeting_date=APRIL)
        step(s, "1.4", "open_decision", APRIL)
        for body, decision, reference in [
            ("luenen", "joined", "Ratsbeschluss 2011/12"),
            ("kreis-unna", "joined", None),
            ("selm", "declined", "Ratsbeschluss 2011/7"),
            ("kamen", "pending", None),
        ]:
            record_decision(
                s, "1.4", body, decision, decided_on=APRIL, reference=reference, actor="Koordination", now=at(APRIL, 18)
            )
    return loaded


def data_for(engine, day=APRIL) -> dict:
    with transaction(engine) as s:
        return agenda_data(s, day)


def paper(data: dict, code: str) -> dict:
    return next(p for p in data["papers"] if p["code"] == code)


# --- the data -------------------------------------------------------------------------------------


def test_agenda_items_in_order_with_papers_numbered_by_item(april):
    data = data_for(april)
    assert [(item["number"], item["title"]) for item in data["items"]] == [
        ("1", "Eröffnung und Feststellung der Tagesordnung"),
        ("2", "Genehmigung der Niederschrift der letzten Sitzung"),
        ("3", "1.2 Breitbandverkabelung"),
        ("4", "1.4 Einkaufsgemeinschaft LOGA"),
        ("5", "Berichte"),
        ("6", "Verschiedenes"),
    ]
    assert [(p["number"], p["item"], p["code"], p["file"]) for p in data["papers"]] == [
        ("BMK 2011-04-12/3", "3", "1.2", "vorlage-1.2"),
        ("BMK 2011-04-12/4", "4", "1.4", "vorlage-1.4"),
    ]
    assert data["items"][4]["subitems"] == [
        {
            "number": "5.1",
            "title": "Bericht des IT-Arbeitskreises an die Bürgermeisterkonferenz (2x pro Jahr)",
            "code": "1.1",
            "by": "IT-Arbeitskreis",
            "due": date(2011, 3, 31),
        },
    ]
    assert data["meeting"] == {
        "date": APRIL,
        "title": "Sitzung der Bürgermeisterkonferenz",
        "body": "Bürgermeisterkonferenz",
        "previous": None,
        "time": None,
        "place": None,
        "chair": None,
        "conference": True,
    }


def test_paper_in_the_decision_shows_leads_target_plan_and_each_bodys_decision(april):
    loga = paper(data_for(april), "1.4")
    assert (loga["title"], loga["field"], loga["state_label"], loga["leads"]) == (
        "Einkaufsgemeinschaft LOGA",
        "1 Informationstechnologien",
        "Entscheidung",
        ["Lünen"],
    )
    assert loga["summary"].startswith("Verhandlungen mit dem Rechenzentrum Lemgo/Minden-Ravensberg")
    assert (loga["concept_ref"], loga["plan_ref"], loga["savings_target"]) == (
        "Konzept Einkaufsgemeinschaft LOGA",
        "Wirtschaftsplan LOGA 2011",
        40_000,
    )
    standings = {b["name"]: (b["standing"], b["label"], b["decided_on"], b["reference"]) for b in loga["bodies"]}
    assert list(standings)[:2] == ["Kreis Unna", "Bergkamen"] and len(standings) == 11
    assert standings["Lünen"] == ("joined", "beigetreten", APRIL, "Ratsbeschluss 2011/12")
    assert standings["Selm"] == ("declined", "abgelehnt", APRIL, "Ratsbeschluss 2011/7")
    assert standings["Kamen"] == ("pending", "offen", APRIL, None)
    assert standings["Werne"] == ("none", "nicht erfasst", None, None)
    assert loga["tally"] == "2 beigetreten, 1 abgelehnt, 1 offen, 7 nicht erfasst"
    assert (loga["depends_on"], loga["waited_for_by"]) == ([], [])
    assert loga["resolution"] == (
        "Die Bürgermeisterkonferenz stimmt dem Konzept „Konzept Einkaufsgemeinschaft LOGA“ zu und beauftragt die Stadt Lünen "
        "mit der Umsetzung. Das Effizienzziel beträgt 40.000 € pro Jahr auf Grundlage des Wirtschaftsplans "
        "„Wirtschaftsplan LOGA 2011“. Beteiligt sind bisher der Kreis Unna und Lünen; weitere Stellen können sich anschließen."
    )


def test_paper_names_dependencies_both_ways_and_reserves_the_open_one(april):
    broadband = paper(data_for(april), "1.2")
    assert broadband["leads"] == ["Bergkamen", "Kamen"]
    assert broadband["depends_on"] == [
        {"code": "1.3", "title": "Ausfallrechenzentrum", "state_label": "Konzepterstellung", "decided": False}
    ]
    assert broadband["waited_for_by"] == [
        {"code": "1.8", "title": "Web-Server", "state_label": "Konzepterstellung", "decided": False}
    ]
    assert broadband["tally"] == "11 nicht erfasst"
    assert broadband["resolution"] == (
        "Die Bürgermeisterkonferenz stimmt dem Konzept „Breitbandkonzept Kreis Unna“ zu und beauftragt die Städte Bergkamen und Kamen "
        "mit der Umsetzung. Das Effizienzziel beträgt 25.000 € pro Jahr auf Grundlage des Wirtschaftsplans „Wirtschaftsplan Breitband“. "
        "Über ihre Beteiligung entscheiden der Kreis und die Städte und Gemeinden jeweils selbst; Teillösungen sind möglich. "
        "Der Beschluss steht unter dem Vorbehalt der Entscheidung über Mandat 1.3 „Ausfallrechenzentrum“."
    )


def test_an_approved_mandate_stays_on_its_meetings_agenda_with_its_participants(april):
    with transaction(april) as s:
        step(s, "1.4", "approve", APRIL, hour=19)
    loga = paper(data_for(april), "1.4")
    assert loga["state_label"] == "Umsetzung"
    assert [b["name"] for b in loga["bodies"] if b["standing"] == "participant"] == ["Kreis Unna", "Lünen"]
    assert loga["tally"] == "2 beteiligt, 1 abgelehnt, 1 offen, 7 nicht erfasst"


def test_without_submissions_only_fixed_items_and_no_report_once_1_1_is_on_hold(loaded):
    data = data_for(loaded)
    assert [item["title"] for item in data["items"]] == [
        "Eröffnung und Feststellung der Tagesordnung",
        "Genehmigung der Niederschrift der letzten Sitzung",
        "Berichte",
        "Verschiedenes",
    ]
    assert data["items"][2]["subitems"][0]["number"] == "3.1"
    with transaction(loaded) as s:
        step(s, "1.1", "hold", SUBMITTED, note="Sprecher fehlt")
    assert data_for(loaded)["items"][2]["subitems"] == []


def test_minutes_name_the_previous_conference_meeting(april):
    with transaction(april) as s:
        from workflow.meetings import add_meeting

        add_meeting(s, date(2011, 9, 20), now=at(SUBMITTED), today=SUBMITTED)
    assert (
        data_for(april, date(2011, 9, 20))["items"][1]["title"]
        == "Genehmigung der Niederschrift der Sitzung vom 12.04.2011"
    )


def test_a_date_without_conference_meeting_names_the_meetings_that_exist(loaded):
    # 16.03.2011 is the treasurers' working group, not the conference.
    with pytest.raises(NotFound) as raised:
        data_for(loaded, date(2011, 3, 16))
    assert (
        str(raised.value)
        == "Am 16.03.2011 gibt es keine Sitzung der Bürgermeisterkonferenz. Vorhandene Sitzungen: 12.04.2011."
    )


def _body(key: str, name: str, kind: str) -> Body:
    return Body(key=key, name=name, kind=kind)


@pytest.mark.parametrize(
    ("leads", "refs", "expected"),
    [
        (
            [_body("kreis-unna", "Kreis Unna", "county")],
            dict(concept_ref=None, plan_ref=None, savings_target=None),
            "Die Bürgermeisterkonferenz stimmt dem Vorschlag zu Mandat 9.1 „Test“ zu und beauftragt den Kreis Unna mit der Umsetzung. "
            "Ein controllingfähiges Effizienzziel und der zugrunde liegende Wirtschaftsplan sind bis zum Beginn der Umsetzung nachzureichen.",
        ),
        (
            [_body("it-ak", "IT-Arbeitskreis", "working_group"), _body("boenen", "Bönen", "municipality")],
            dict(concept_ref="K", plan_ref="WP", savings_target=None),
            "Die Bürgermeisterkonferenz stimmt dem Konzept „K“ zu und beauftragt den IT-Arbeitskreis und die Gemeinde Bönen mit der Umsetzung. "
            "Auf Grundlage des Wirtschaftsplans „WP“ ist bis zum Beginn der Umsetzung ein controllingfähiges Effizienzziel festzulegen.",
        ),
        (
            [_body("ukbs", "UKBS", "organisation")],
            dict(concept_ref=None, plan_ref="WP", savings_target=0),
            "Die Bürgermeisterkonferenz stimmt dem Vorschlag zu Mandat 9.1 „Test“ zu und beauftragt UKBS mit der Umsetzung. "
            "Das Effizienzziel beträgt 0 € pro Jahr auf Grundlage des Wirtschaftsplans „WP“.",
        ),
    ],
)
def test_resolution_wording_when_references_are_missing(leads, refs, expected):
    text = proposed_resolution(code="9.1", title="Test", leads=leads, joined=[], undecided=[], **refs)
    assert (
        text
        == expected
        + " Über ihre Beteiligung entscheiden der Kreis und die Städte und Gemeinden jeweils selbst; Teillösungen sind möglich."
    )


# --- the files ------------------------------------------------------------------------------------


@pytest.fixture
def written(april, tmp_path):
    """The April documents rendered into tmp_path/out."""
    notes: list[str] = []
    files = render_agenda(data_for(april), tmp_path / "out", notes=notes)
    assert notes == []
    return tmp_path / "out", files


def test_render_writes_agenda_papers_and_one_pdf(written):
    out, files = written
    assert [path.name for path in files] == [
        "tagesordnung.html",
        "tagesordnung.md",
        "vorlage-1.2.html",
        "vorlage-1.2.md",
        "vorlage-1.4.html",
        "vorlage-1.4.md",
        PDF_NAME,
    ]
    assert all(path.parent == out and path.stat().st_size > 0 for path in files)


def test_agenda_markdown(written):
    out, _ = written
    assert (out / "tagesordnung.md").read_text(encoding="utf-8") == (
        "# Tagesordnung\n\n"
        "**Sitzung der Bürgermeisterkonferenz am 12. April 2011**\n\n"
        "_Entwurf – nicht ausgegeben_\n\n"
        "## Öffentlicher Teil\n\n"
        "| TOP | Gegenstand | Federführung | Vorlage |\n"
        "|-----|------------|--------------|---------|\n"
        "| 1 | Eröffnung und Feststellung der Tagesordnung | | |\n"
        "| 2 | Genehmigung der Niederschrift der letzten Sitzung | | |\n"
        "| 3 | **1.2 Breitbandverkabelung**<br>Zusammenarbeitsfeld 1 Informationstechnologien · Stand: Vorlage an die "
        "Bürgermeisterkonferenz | Bergkamen, Kamen | [BMK 2011-04-12/3](vorlage-1.2.md) |\n"
        "| 4 | **1.4 Einkaufsgemeinschaft LOGA**<br>Zusammenarbeitsfeld 1 Informationstechnologien · Stand: Entscheidung "
        "| Lünen | [BMK 2011-04-12/4](vorlage-1.4.md) |\n"
        "| 5 | Berichte | | |\n"
        "| 5.1 | Bericht des IT-Arbeitskreises an die Bürgermeisterkonferenz (2x pro Jahr)<br>zu Mandat 1.1 · fällig zum "
        "31. März 2011 | IT-Arbeitskreis | |\n"
        "| 6 | Verschiedenes | | |\n\n"
        "2 Beschlussvorlagen liegen bei.\n"
    )


def test_paper_markdown(written):
    out, _ = written
    text = (out / "vorlage-1.4.md").read_text(encoding="utf-8")
    assert text.startswith(
        "# Beschlussvorlage BMK 2011-04-12/4\n\n"
        "## 1.4 Einkaufsgemeinschaft LOGA\n\n"
        "Sitzung der Bürgermeisterkonferenz am 12. April 2011, TOP 4 – [zur Tagesordnung](tagesordnung.md)\n\n"
        "_Entwurf – nicht ausgegeben_\n\n"
        "- **Zusammenarbeitsfeld:** 1 Informationstechnologien\n"
        "- **Federführung:** Lünen\n"
        "- **Stand:** Entscheidung\n"
        "- **Konzept:** Konzept Einkaufsgemeinschaft LOGA\n"
        "- **Wirtschaftsplan:** Wirtschaftsplan LOGA 2011\n"
        "- **Effizienzziel:** 40.000 € pro Jahr\n\n"
        "### 1. Sachverhalt\n\n"
    )
    assert (
        "Stand der Beschlüsse: 2 beigetreten, 1 abgelehnt, 1 offen, 7 nicht erfasst.\n\n"
        "| Stelle | Stand | Datum | Fundstelle |\n"
        "|--------|-------|-------|------------|\n"
        "| Kreis Unna | beigetreten | 12. April 2011 |  |\n"
        "| Bergkamen | nicht erfasst |  |  |\n"
    ) in text
    assert "| Lünen | beigetreten | 12. April 2011 | Ratsbeschluss 2011/12 |\n" in text
    assert (
        f"### 3. Abhängigkeiten\n\n{NO_DEPENDENCIES}\n\n### 4. Beschlussvorschlag\n\n> Die Bürgermeisterkonferenz stimmt"
        in text
    )
    broadband = (out / "vorlage-1.2.md").read_text(encoding="utf-8")
    assert (
        "### 3. Abhängigkeiten\n\n"
        "Dieses Mandat wartet auf die Entscheidung zu:\n\n"
        "- 1.3 Ausfallrechenzentrum (Konzepterstellung, noch nicht entschieden)\n\n"
        "Auf die Entscheidung zu diesem Mandat warten:\n\n"
        "- 1.8 Web-Server (Konzepterstellung)\n\n"
        "### 4. Beschlussvorschlag\n\n"
    ) in broadband


def test_missing_references_are_marked_in_the_paper(april, tmp_path):
    # The submit guard requires them; a mandate submitted before the guard existed may still lack them.
    with transaction(april) as s:
        broadband = s.exec(select(Mandate).where(Mandate.code == "1.2")).one()
        broadband.plan_ref = broadband.savings_target = None
    render_agenda(data_for(april), tmp_path)
    markdown = (tmp_path / "vorlage-1.2.md").read_text(encoding="utf-8")
    assert "- **Wirtschaftsplan:** _noch nicht benannt_\n- **Effizienzziel:** _noch nicht festgelegt_\n" in markdown
    html = (tmp_path / "vorlage-1.2.html").read_text(encoding="utf-8")
    assert (
        '<tr><th scope="row">Effizienzziel</th><td><span class="missing">noch nicht festgelegt</span></td></tr>' in html
    )
    assert (
        "Ein controllingfähiges Effizienzziel und der zugrunde liegende Wirtschaftsplan sind bis zum Beginn der Umsetzung nachzureichen."
        in html
    )


def test_markdown_tables_have_the_same_number_of_cells_in_every_row(written):
    out, _ = written
    for path in out.glob("*.md"):
        rows = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("|")]
        assert rows, path.name
        # Unescaped pipes separate cells; an escaped one (\|) is part of the text.
        assert len({len(re.findall(r"(?<!\\)\|", row)) for row in rows}) == 1, path.name


def test_html_is_german_utf8_and_print_ready(written):
    out, _ = written
    agenda = (out / "tagesordnung.html").read_text(encoding="utf-8")
    loga = (out / "vorlage-1.4.html").read_text(encoding="utf-8")
    for html in (agenda, loga):
        assert html.startswith('<!DOCTYPE html>\n<html lang="de">\n<head>\n<meta charset="utf-8">')
        assert "size: A4;" in html
    assert "<title>Tagesordnung – Sitzung der Bürgermeisterkonferenz am 12. April 2011</title>" in agenda
    assert '<td class="nowrap"><a href="vorlage-1.4.html">BMK 2011-04-12/4</a></td>' in agenda
    assert '<tr><th scope="row">Effizienzziel</th><td>40.000 € pro Jahr</td></tr>' in loga
    assert '<tr><th scope="row">Wirtschaftsplan</th><td>Wirtschaftsplan LOGA 2011</td></tr>' in loga
    assert (
        '<tr><td>Selm</td><td><span class="badge declined">abgelehnt</span></td><td class="nowrap">12. April 2011</td><td>Ratsbeschluss 2011/7</td></tr>'
        in loga
    )
    assert f"<p>{NO_DEPENDENCIES}</p>" in loga
    assert (
        '<div class="resolution"><p>Die Bürgermeisterkonferenz stimmt dem Konzept „Konzept Einkaufsgemeinschaft LOGA“ zu'
        in loga
    )


def test_hostile_text_is_escaped_in_html_and_markdown(april, tmp_path):
    hostile = "<script>alert('x')</script> | *LOGA*"
    with transaction(april) as s:
        edit_mandate(s, "1.4", actor="Koordination", now=at(APRIL, 19), title=hostile, plan_ref="WP <b>2011</b>")
    render_agenda(data_for(april), tmp_path)
    for name in ("tagesordnung.html", "vorlage-1.4.html"):
        html = (tmp_path / name).read_text(encoding="utf-8")
        assert "<script>" not in html and "<b>" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; | *LOGA*" in html
    assert "WP &lt;b&gt;2011&lt;/b&gt;" in (tmp_path / "vorlage-1.4.html").read_text(encoding="utf-8")
    escaped = r"\<script\>alert('x')\</script\> \| \*LOGA\*"
    assert f"| **1.4 {escaped}**<br>" in (tmp_path / "tagesordnung.md").read_text(encoding="utf-8")
    assert f"## 1.4 {escaped}\n" in (tmp_path / "vorlage-1.4.md").read_text(encoding="utf-8")


def _pdf_page_count(pdf: bytes) -> int:
    """Pages in a PDF whose page objects may sit in compressed object streams (as WeasyPrint writes them)."""
    text = pdf + b"".join(_inflate(m.group(1)) for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S))
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", text))


def _inflate(data: bytes) -> bytes:
    try:
        return zlib.decompress(data)
    except zlib.error:
        return b""


def test_pdf_holds_the_agenda_and_every_paper_from_a_new_page(written):
    pytest.importorskip("weasyprint", reason="WeasyPrint (mit Pango) ist hier nicht installiert")
    out, _ = written
    pdf = (out / PDF_NAME).read_bytes()
    assert pdf.startswith(b"%PDF-")
    # One page for the agenda, at least one for each of the two papers (each starts on a new page).
    assert _pdf_page_count(pdf) >= 3


def test_many_papers_leave_the_pdf_to_the_agenda_unless_asked(april):
    pytest.importorskip("weasyprint", reason="WeasyPrint (mit Pango) ist hier nicht installiert")
    data = data_for(april)
    one = {**data, "papers": data["papers"][:1]}
    many = {
        **data,
        "papers": [dict(paper, file=f"vorlage-{n}-{paper['code']}") for n in range(11) for paper in data["papers"]],
    }
    notes: list[str] = []
    agenda_only = render_files(many, notes=notes)[PDF_NAME][1]
    assert notes == [
        "Hinweis: 22 Beschlussvorlagen – das PDF enthält nur die Tagesordnung (die Vorlagen als HTML und Markdown); "
        "alle ins PDF mit --papers-pdf (etwa 0,2 s je Vorlage)."
    ]
    assert len(render_files(many, notes=notes)) == 2 + 2 * 22 + 1
    assert _pdf_page_count(agenda_only) == _pdf_page_count(render_files(one, papers_pdf=False)[PDF_NAME][1])
    assert _pdf_page_count(render_files(one, papers_pdf=True)[PDF_NAME][1]) > _pdf_page_count(agenda_only)


def test_without_weasyprint_the_pdf_is_skipped_with_a_german_note(april, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    notes: list[str] = []
    files = render_agenda(data_for(april), tmp_path, notes=notes)
    assert len(files) == 6 and not (tmp_path / PDF_NAME).exists()
    assert notes == [
        "Hinweis: PDF übersprungen, WeasyPrint kann hier nicht drucken (import of weasyprint halted; None in sys.modules)."
    ]


# --- the command ----------------------------------------------------------------------------------


@pytest.fixture
def agenda_cli(cli):
    """The CLI runner (the agenda command is registered in cli/main.py)."""
    return cli


def test_cli_writes_the_files_and_lists_them(april, agenda_cli, tmp_path):
    out = tmp_path / "sitzung"
    result = agenda_cli("agenda", "2011-04-12", "--out", str(out))
    assert (result.exit_code, result.stderr) == (0, "")
    names = [
        "tagesordnung.html",
        "tagesordnung.md",
        "vorlage-1.2.html",
        "vorlage-1.2.md",
        "vorlage-1.4.html",
        "vorlage-1.4.md",
        PDF_NAME,
    ]
    assert result.stdout == (
        "Tagesordnung für die Sitzung am 12. April 2011: 6 Tagesordnungspunkte, 2 Beschlussvorlagen; "
        "Entwurf, nicht ausgegeben (ausgeben mit --issue). Geschrieben:\n"
        + "".join(f"  {out / name}\n" for name in names)
    )


def test_cli_default_folder_is_named_after_the_date(april, agenda_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = agenda_cli("agenda", "12.04.2011")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1] == "  tagesordnung-2011-04-12/tagesordnung.html"
    assert (tmp_path / "tagesordnung-2011-04-12" / "vorlage-1.4.md").exists()


def test_cli_unknown_meeting_date_exits_1_in_german(april, agenda_cli, tmp_path):
    result = agenda_cli("agenda", "2011-05-03", "--out", str(tmp_path / "x"))
    assert (result.exit_code, result.stdout) == (1, "")
    assert (
        result.stderr
        == "Fehler: Am 03.05.2011 gibt es keine Sitzung der Bürgermeisterkonferenz. Vorhandene Sitzungen: 12.04.2011.\n"
    )
    assert not (tmp_path / "x").exists()


def test_cli_help_is_german_with_an_example(agenda_cli):
    from ikz.cli.agenda import agenda

    assert "Beispiel:" in agenda.help
    assert all(param.help for param in agenda.params if param.opts[0].startswith("--"))


# --- in a browser ---------------------------------------------------------------------------------


def read_png(path: Path, max_rows: int | None = None) -> tuple[int, int, list[bytes]]:
    """Decode (the top rows of) an 8-bit, non-interlaced RGB or RGBA PNG into rows of RGB pixels."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, compressed, header = 8, b"", None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        chunk = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            compressed += chunk
        position += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert (depth, interlace) == (8, 0) and colour in (2, 6)
    channels = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(compressed), width * channels
    rows, previous = [], bytearray(stride)
    for y in range(min(height, max_rows or height)):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                estimate = left + up - corner
                distances = (abs(estimate - left), abs(estimate - up), abs(estimate - corner))
                line[i] = (line[i] + (left, up, corner)[distances.index(min(distances))]) & 255
        rows.append(bytes(line) if channels == 3 else bytes(b for i, b in enumerate(line) if i % 4 < 3))
        previous = line
    return width, height, rows


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} fehlt (Debian-Paket chromium)")
@pytest.mark.parametrize("name", ["tagesordnung.html", "vorlage-1.4.html"])
def test_chromium_renders_a_readable_sheet(written, tmp_path, name):
    out, _ = written
    # Decoding in pure Python is slow: the top half of the sheet holds enough to judge.
    width, height, rows = read_png(screenshot(out / name, tmp_path / "shot.png"), max_rows=900)
    assert (width, height) == (1240, 1754)
    pixels = [row[x : x + 3] for row in rows for x in range(0, len(row), 3)]
    colours = set(pixels)
    # Anti-aliased text gives many shades; a blank or unstyled page gives one or two.
    assert len(colours) > 50
    assert rows[5][:3] == bytes([0xDD, 0xE1, 0xE6]), "screen CSS: grey desk around the sheet"
    assert rows[40][620 * 3 : 620 * 3 + 3] == b"\xff\xff\xff", "screen CSS: white A4 sheet in the middle"
    dark = sum(1 for p in pixels if sum(p) < 200)
    assert dark > 2000, "black text on the sheet"
