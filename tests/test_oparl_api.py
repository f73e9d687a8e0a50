"""The OParl 1.1 HTTP API: every object valid, ids that resolve, pages, filters, omit_internal, access and CORS."""

import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlmodel import select

from ikz import settings as settings_module
from ikz.portal.oparl import oparl_router
from models import Body, CooperationField, Mandate, MandateLead, Meeting
from models.db import transaction
from tests.conftest import NOW, RULES
from tests.test_exchange import APRIL, MAY, busy, oparl_validators, step, validators  # noqa: F401  (fixtures)
from workflow.editing import edit_mandate
from workflow.meetings import add_item, move_meeting

BASE = "https://ikz.kreis-unna.example"
API = f"{BASE}/oparl/v1"
BODY = f"{API}/body/ikz-kreis-unna"
SCHEMA = "https://schema.oparl.org/1.1/"
# The callables the portal wires to its access tokens; here a header stands for a token.
INTERNAL = {"Authorization": "Bearer intern"}
HOLDER = {"Authorization": "Bearer leser"}
# OParl: timestamps yyyy-mm-ddThh:mm:ss±hh:mm, no fractions of a second.
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")


def client_for(engine, *, public: bool = True, page_size: int = 100) -> TestClient:
    settings = settings_module.load(environ={}, portal_base_url=BASE, oparl_public=public, oparl_page_size=page_size)
    app = FastAPI()
    app.include_router(
        oparl_router(
            engine,
            settings,
            lambda: MAY,
            internal_access=lambda request: request.headers.get("Authorization") == INTERNAL["Authorization"],
            token_holder=lambda request: "Authorization" in request.headers,
        )
    )
    return TestClient(app, base_url=BASE)


VALIDATORS = oparl_validators()


def get(client: TestClient, url: str, **kwargs) -> dict:
    """GET an OParl answer: 200, CORS, JSON, and every object in it valid against its schema."""
    response = client.get(url, **kwargs)
    assert response.status_code == 200, (url, response.text)
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["content-type"].startswith("application/json")
    answer = response.json()
    for item in answer.get("data", [answer]):
        kind = item["type"].removeprefix(SCHEMA)
        for inner_kind, inner in embedded(kind, item):
            assert [e.message for e in VALIDATORS[inner_kind].iter_errors(inner)] == [], (url, inner["id"])
            assert STAMP.fullmatch(inner["created"]) and STAMP.fullmatch(inner["modified"]), inner["id"]
    return answer


def walk(client: TestClient, url: str, **kwargs) -> list[list[dict]]:
    """Every page of a list, following links.next; checks the page rules of OParl 2.5 on the way."""
    pages = []
    while url:
        page = get(client, url, **kwargs)
        assert set(page) == {"data", "pagination", "links"}, url
        assert same_url(page["links"]["self"], url), (page["links"]["self"], url)
        pages.append(page["data"])
        url = page["links"].get("next")
        if url:
            # Every page but the last is full; the filters stay in the next page's URL.
            assert len(page["data"]) == page["pagination"]["elementsPerPage"], url
    return pages


def same_url(a: str, b: str) -> bool:
    """The same address, whatever the order and encoding of its query."""
    first, second = urlsplit(a), urlsplit(b)
    return (first.netloc, first.path, sorted(parse_qsl(first.query))) == (
        second.netloc,
        second.path,
        sorted(parse_qsl(second.query)),
    )


def embedded(kind: str, item: dict):
    """The object and the objects it embeds (Meeting.agendaItem, Paper.consultation, Person.membership)."""
    yield kind, item
    for key, inner in (("agendaItem", "AgendaItem"), ("consultation", "Consultation"), ("membership", "Membership")):
        if isinstance(item.get(key), list):
            for value in item[key]:
                if isinstance(value, dict):
                    yield inner, value


@pytest.fixture
def api(busy):  # noqa: F811
    with transaction(busy) as session:
        add_item(session, date(2011, 4, 12), "Personalangelegenheit", now=NOW, public=False, note="Stellenbesetzung")
    return busy


def test_every_object_is_valid_resolves_and_links_back(api, validators):  # noqa: F811
    client = client_for(api)
    system = get(client, f"{API}/system", headers=INTERNAL)
    assert [e.message for e in validators["System"].iter_errors(system)] == []
    assert system["id"] == f"{API}/system" and system["oparlVersion"] == SCHEMA
    assert get(client, f"{API}/", headers=INTERNAL) == system
    bodies = walk(client, system["body"], headers=INTERNAL)
    assert [[b["id"] for b in page] for page in bodies] == [[BODY]]
    body = bodies[0][0]
    assert get(client, BODY, headers=INTERNAL) == body
    assert body["system"] == system["id"]
    lists = {
        "organization": "Organization",
        "person": "Person",
        "membership": "Membership",
        "meeting": "Meeting",
        "paper": "Paper",
        "agendaItem": "AgendaItem",
        "consultation": "Consultation",
        "file": "File",
        "locationList": "Location",
        "legislativeTermList": "LegislativeTerm",
    }
    counts = {}
    for name, kind in lists.items():
        assert body[name] == f"{BODY}/{name}"
        pages = walk(client, f"{body[name]}?limit=3", headers=INTERNAL)
        objects = [item for page in pages for item in page]
        counts[name] = len(objects)
        assert len({item["id"] for item in objects}) == len(objects), name
        for item in objects:
            assert item["type"] == f"{SCHEMA}{kind}"
            for inner_kind, inner in embedded(kind, item):
                assert [e.message for e in validators[inner_kind].iter_errors(inner)] == [], inner["id"]
                assert STAMP.fullmatch(inner["created"]) and STAMP.fullmatch(inner["modified"]), inner["id"]
                assert datetime.fromisoformat(inner["created"]) <= datetime.fromisoformat(inner["modified"])
            # The id is a URL that answers with the same object.
            assert get(client, item["id"], headers=INTERNAL) == item, item["id"]
            # Lists link back: to the Body, or to the meeting / paper they belong to.
            for key in ("body", "meeting", "paper"):
                if key in item and isinstance(item[key], str):
                    assert get(client, item[key], headers=INTERNAL)["id"] == item[key]
    assert counts == {
        "organization": 17,
        "person": counts["person"],
        "membership": counts["person"],
        "meeting": 2,
        "paper": 16,
        # 2.1, the Landrat's report and the non-public item.
        "agendaItem": 3,
        "consultation": 1,
        "file": 0,
        "locationList": 0,
        "legislativeTermList": 0,
    }
    assert counts["person"] > 11
    # Every Person and Membership names its Organization and the Body.
    persons = [p for page in walk(client, body["person"], headers=INTERNAL) for p in page]
    assert all(
        p["body"] == BODY and p["membership"][0]["organization"].startswith(f"{API}/organization/") for p in persons
    )


def test_the_lists_hold_what_the_export_holds(api):
    """One builder: the API's public pages and the file export carry the same objects."""
    from ikz.exchange.oparl import oparl_document

    client = client_for(api)
    with transaction(api) as session:
        document = oparl_document(session, now=MAY, base_url=API)
    for name in ("organization", "meeting", "paper", "agendaItem", "consultation"):
        served = [item for page in walk(client, f"{BODY}/{name}?limit=5") for item in page]
        assert served == document[name], name
    assert get(client, f"{API}/system") == document["system"]


def test_internal_content_only_with_access(api):
    client = client_for(api)
    item = f"{API}/agendaitem/bmk-2011-04-12-punkt2"
    public_items = [i["name"] for page in walk(client, f"{BODY}/agendaItem") for i in page]
    assert sorted(public_items) == ["2.1 Anstalt öffentlichen Rechts", "Bericht des Landrats"]
    assert walk(client, f"{BODY}/person") == [[]]
    assert walk(client, f"{BODY}/membership") == [[]]
    meeting = get(client, f"{API}/meeting/bmk-2011-04-12")
    assert [i["name"] for i in meeting["agendaItem"]] == ["2.1 Anstalt öffentlichen Rechts", "Bericht des Landrats"]
    assert all("ikz:note" not in i for i in meeting["agendaItem"])
    response = client.get(item)
    assert response.status_code == 404
    assert response.json() == {
        "type": f"{SCHEMA}Error",
        "message": "Unter /oparl/v1/agendaitem/bmk-2011-04-12-punkt2 gibt es kein OParl-Objekt.",
        "debug": "HTTP 404",
    }
    assert client.get(f"{API}/person/1").status_code == 404
    # With access: the non-public item (numbered the same either way), its note, the contacts.
    secret = get(client, item, headers=INTERNAL)
    assert (secret["public"], secret["order"], secret["ikz:note"]) == (False, 3, "Stellenbesetzung")
    assert [i["order"] for i in get(client, f"{API}/meeting/bmk-2011-04-12", headers=INTERNAL)["agendaItem"]] == [
        1,
        2,
        3,
    ]
    landrat = get(client, f"{API}/agendaitem/bmk-2011-04-12-punkt1", headers=INTERNAL)
    assert landrat["ikz:note"] == "mündlich"
    assert "ikz:note" not in get(client, f"{API}/agendaitem/bmk-2011-04-12-punkt1")
    held = get(client, f"{API}/paper/1.3", headers=INTERNAL)
    assert held["ikz:holdReason"] == "Haushaltssperre"
    assert "ikz:holdReason" not in get(client, f"{API}/paper/1.3")
    person = get(client, f"{API}/person/1", headers=INTERNAL)
    assert person["membership"][0]["person"] == person["id"]


def test_omit_internal_leaves_out_the_embedded_lists(api):
    client = client_for(api)
    meetings = [m for page in walk(client, f"{BODY}/meeting?omit_internal=true") for m in page]
    assert meetings and all("agendaItem" not in m for m in meetings)
    papers = [p for page in walk(client, f"{BODY}/paper?omit_internal=true", headers=INTERNAL) for p in page]
    # A paper's consultation is no embedded list the spec names: it stays.
    assert [p["reference"] for p in papers if "consultation" in p] == ["2.1"]
    persons = [p for page in walk(client, f"{BODY}/person?omit_internal=true", headers=INTERNAL) for p in page]
    assert persons and all("membership" not in p for p in persons)
    # Body.legislativeTerm is required by the schema (and empty): it stays.
    assert get(client, f"{API}/body?omit_internal=true")["data"][0]["legislativeTerm"] == []
    served = get(client, f"{BODY}/meeting?omit_internal=false")["data"]
    assert [len(m.get("agendaItem", [])) for m in served] == [0, 2]


def test_filters_are_inclusive_at_both_ends_and_kept_in_the_links(api):
    client = client_for(api)

    def references(**params) -> list[str]:
        query = "&".join(f"{key}={quote(value)}" for key, value in params.items())
        return [p["reference"] for page in walk(client, f"{BODY}/paper?limit=2&{query}") for p in page]

    # 2.1 was last changed at its approval, 2011-04-12T08:00:00+00:00 (10:00 in Berlin).
    changed = "2011-04-12T08:00:00+00:00"
    assert "2.1" in references(modified_since=changed)
    assert "2.1" in references(modified_since="2011-04-12T10:00:00+02:00")
    assert "2.1" not in references(modified_since="2011-04-12T08:00:01+00:00")
    assert "2.1" in references(modified_until=changed)
    assert "2.1" not in references(modified_until="2011-04-12T07:59:59+00:00")
    # Everything the test changed at that moment: 1.1's duty, 1.3's hold, 1.4's proposal, 2.1's approval.
    assert references(modified_since=changed, modified_until=changed) == ["1.1", "1.3", "1.4", "2.1"]
    everything = references()
    assert len(everything) == 16
    assert references(created_since="2010-09-20T22:00:00+00:00") == everything
    assert references(created_until="2010-09-20T21:59:59+00:00") == []
    # The filters travel in links.next (walk() checks each page is full until the last).
    page = get(client, f"{BODY}/paper?limit=1&modified_since={quote(changed)}")
    first = get(client, f"{BODY}/paper?limit=1&modified_since={quote(changed)}")["data"][0]
    after = get(client, page["links"]["next"])
    assert page["links"]["next"].startswith(
        f"{BODY}/paper?limit=1&modified_since=2011-04-12T08%3A00%3A00%2B00%3A00&after="
    )
    assert page["links"]["first"] == f"{BODY}/paper?limit=1&modified_since=2011-04-12T08%3A00%3A00%2B00%3A00"
    assert (first["reference"], after["data"][0]["reference"]) == ("1.1", "1.3")
    # An unencoded "+" (which a query string reads as a space) is understood as well.
    assert "2.1" in [
        p["reference"] for p in get(client, f"{BODY}/paper?modified_since=2011-04-12T08:00:00+00:00")["data"]
    ]
    # Meetings and agenda items filter by their own moments.
    meetings = get(client, f"{BODY}/meeting?created_since=2030-01-01T00%3A00%3A00%2B00%3A00")["data"]
    assert meetings == []


def test_a_moved_meeting_leaves_a_deleted_object_for_incremental_clients(api, validators):  # noqa: F811
    with transaction(api) as session:
        move_meeting(
            session,
            date(2011, 3, 16),
            date(2011, 3, 17),
            actor="test",
            now=NOW,
            today=NOW.date(),
            rules=RULES,
            body="ak-kaemmerer",
        )
    client = client_for(api)
    old, new = f"{API}/meeting/ak-kaemmerer-2011-03-16", f"{API}/meeting/ak-kaemmerer-2011-03-17"
    # OParl 2.8: deleted objects only when modified_since is set.
    assert [m["id"] for page in walk(client, f"{BODY}/meeting?limit=1") for m in page] == [
        new,
        f"{API}/meeting/bmk-2011-04-12",
    ]
    since = quote("2010-11-01T00:00:00+00:00")
    listed = [m for page in walk(client, f"{BODY}/meeting?limit=1&modified_since={since}") for m in page]
    assert [m["id"] for m in listed] == [new, old, f"{API}/meeting/bmk-2011-04-12"]
    gone = listed[1]
    assert gone == {
        "id": old,
        "type": f"{SCHEMA}Meeting",
        "deleted": True,
        "created": gone["created"],
        "modified": "2010-11-02T09:00:00+00:00",
    }
    assert [e.message for e in validators["Meeting"].iter_errors(gone)] == []
    # A deleted object stays at its URL, with 200 (spec 2.8).
    assert get(client, old) == gone


def test_an_agenda_item_taken_off_the_agenda_is_listed_as_deleted(api):
    later = APRIL + timedelta(hours=1)
    step(api, "1.4", "start_concept", APRIL)
    with transaction(api) as session:
        edit_mandate(session, "1.4", actor="test", now=APRIL, concept_ref="K", plan_ref="W", savings_target=1000)
    step(api, "1.4", "submit", APRIL, meeting_date=date(2011, 4, 12))
    client = client_for(api)
    assert f"{API}/agendaitem/bmk-2011-04-12-1.4" in [i["id"] for p in walk(client, f"{BODY}/agendaItem") for i in p]
    step(api, "1.4", "refer_back", later, note="Kostenplan überarbeiten")
    live = [i["id"] for p in walk(client, f"{BODY}/agendaItem?limit=1") for i in p]
    assert f"{API}/agendaitem/bmk-2011-04-12-1.4" not in live
    since = quote(APRIL.isoformat())
    listed = [i for p in walk(client, f"{BODY}/agendaItem?limit=1&modified_since={since}") for i in p]
    # Created when it was submitted, deleted (modified) when it was referred back; the schema wants an order.
    deleted = {
        "id": f"{API}/agendaitem/bmk-2011-04-12-1.4",
        "type": f"{SCHEMA}AgendaItem",
        "deleted": True,
        "order": 0,
        "created": "2011-04-12T08:00:00+00:00",
        "modified": "2011-04-12T09:00:00+00:00",
    }
    assert listed[-1] == deleted
    assert get(client, deleted["id"]) == deleted
    assert get(client, f"{API}/consultation/1.4-bmk-2011-04-12")["deleted"] is True
    consultations = [c for p in walk(client, f"{BODY}/consultation?limit=1&modified_since={since}") for c in p]
    assert [(c["id"], c.get("deleted", False)) for c in consultations] == [
        (f"{API}/consultation/2.1-bmk-2011-04-12", False),
        (f"{API}/consultation/1.4-bmk-2011-04-12", True),
    ]
    # On the agenda again: live, not deleted; off it a second time: deleted once, as of the second time.
    step(api, "1.4", "submit", later + timedelta(minutes=1), meeting_date=date(2011, 4, 12))
    listed = [i for p in walk(client, f"{BODY}/agendaItem?modified_since={since}") for i in p]
    assert [i.get("deleted", False) for i in listed if i["id"] == deleted["id"]] == [False]
    step(api, "1.4", "refer_back", later + timedelta(minutes=2), note="noch einmal")
    listed = [i for p in walk(client, f"{BODY}/agendaItem?limit=2&modified_since={since}") for i in p]
    assert [(i["created"], i["modified"]) for i in listed if i["id"] == deleted["id"]] == [
        ("2011-04-12T09:01:00+00:00", "2011-04-12T09:02:00+00:00")
    ]
    # Only changes from modified_since on count; without it, nothing deleted is listed.
    after = quote((later + timedelta(minutes=3)).isoformat())
    assert [c["id"] for p in walk(client, f"{BODY}/consultation?modified_since={after}") for c in p] == []
    assert all("deleted" not in c for p in walk(client, f"{BODY}/consultation") for c in p)


@pytest.mark.parametrize(
    "query, message",
    [
        (
            "created_since=gestern",
            "Ungültiger Wert für created_since: 'gestern'; erlaubt ist ein Zeitpunkt mit Zeitzone wie "
            "2011-04-12T10:00:00+02:00 (in der URL mit „:“ als %3A und „+“ als %2B).",
        ),
        (
            "modified_until=2011-04-12T10%3A00%3A00",
            "Ungültiger Wert für modified_until: '2011-04-12T10:00:00'; erlaubt ist ein Zeitpunkt mit Zeitzone wie "
            "2011-04-12T10:00:00+02:00 (in der URL mit „:“ als %3A und „+“ als %2B).",
        ),
        (
            "modified_since=2011-02-30T10%3A00%3A00%2B01%3A00",
            "Ungültiger Wert für modified_since: '2011-02-30T10:00:00+01:00'; erlaubt ist ein Zeitpunkt mit Zeitzone "
            "wie 2011-04-12T10:00:00+02:00 (in der URL mit „:“ als %3A und „+“ als %2B).",
        ),
        ("omit_internal=ja", "Ungültiger Wert für omit_internal: 'ja'; erlaubt: true oder false."),
        (
            "limit=0",
            "Ungültiger Wert für limit: '0'; erlaubt: eine ganze Zahl von 1 bis 1000 (die Zahl der Objekte je Seite).",
        ),
        (
            "limit=" + "9" * 5000,
            "Ungültiger Wert für limit: '" + "9" * 5000 + "'; erlaubt: eine ganze Zahl von 1 bis 1000 "
            "(die Zahl der Objekte je Seite).",
        ),
        (
            "page=2",
            "Den Parameter page gibt es hier nicht: die nächste Seite nennt links.next (Parameter after).",
        ),
        (
            "after=-3",
            "Ungültiger Wert für after: '-3'; erlaubt: eine ganze Zahl von 0 bis 10737418239 "
            "(eine Seitenposition aus links.next).",
        ),
    ],
)
def test_bad_parameters_are_refused_in_german(api, query, message):
    response = client_for(api).get(f"{BODY}/paper?{query}")
    assert response.status_code == 400
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.json() == {"type": f"{SCHEMA}Error", "message": message, "debug": "HTTP 400"}


def test_unknown_objects_and_lists_are_404(api):
    client = client_for(api)
    for path in (
        "/paper/9.9",
        "/meeting/bmk-2011-04-13",
        "/meeting/bmk-2011-02-30",
        "/consultation/1.4-bmk-2011-04-12",
        "/agendaitem/bmk-2011-04-12-1.4",
        "/organization/atlantis",
        "/body/ikz-kreis-unna/vote",
        "/body/anderswo",
        "/vote/1",
        "/vote",
    ):
        response = client.get(f"{API}{path}")
        assert response.status_code == 404, path
        assert response.json()["message"] == f"Unter /oparl/v1{path} gibt es kein OParl-Objekt."


def test_the_api_is_read_only_and_serves_one_object_whatever_the_filters(api):
    client = client_for(api)
    response = client.post(f"{BODY}/paper", json={})
    assert (response.status_code, response.headers["allow"], response.json()["message"]) == (
        405,
        "GET, OPTIONS",
        "Die OParl-Schnittstelle ist nur lesbar: erlaubt ist GET.",
    )
    assert get(client, f"{API}/paper/2.1?modified_since=2030-01-01T00%3A00%3A00%2B00%3A00")["reference"] == "2.1"


def test_a_closed_api_needs_a_token(api):
    client = client_for(api, public=False)
    response = client.get(f"{API}/system")
    assert response.status_code == 403
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.json()["message"] == (
        "Die OParl-Schnittstelle ist nur mit einem Zugangsschlüssel lesbar; "
        "bitte den persönlichen Zugangslink aus Ihrer E-Mail verwenden."
    )
    assert client.get(f"{BODY}/paper").status_code == 403
    # A token holder reads the public content; internal content still needs a token that allows it.
    assert len(get(client, f"{BODY}/paper", headers=HOLDER)["data"]) == 16
    assert get(client, f"{BODY}/person", headers=HOLDER)["data"] == []


def test_cors_preflight_allows_get(api):
    response = client_for(api).options(
        f"{BODY}/paper", headers={"Origin": "https://ris.example", "Access-Control-Request-Method": "GET"}
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert "GET" in response.headers["access-control-allow-methods"]


# --- A large programme -------------------------------------------------------------------------

LARGE = 2500
START = datetime(2011, 1, 3, 8, 0, tzinfo=UTC)


@pytest.fixture
def large(engine):
    """LARGE mandates, each changed one second after the previous one; every fifth on one meeting's agenda."""
    with transaction(engine) as session:
        session.add(CooperationField(number=9, name="Testfeld"))
        luenen = Body(key="luenen", name="Lünen", kind="municipality")
        bmk = Body(key="bmk", name="Bürgermeisterkonferenz", kind="conference")
        session.add_all([luenen, bmk])
        session.flush()
        meeting = Meeting(
            body_id=bmk.id, date=date(2011, 4, 12), title="Sitzung der Bürgermeisterkonferenz", created_at=START
        )
        session.add(meeting)
        session.flush()
        rows = [
            dict(
                code=f"9.{n}",
                field_number=9,
                title=f"Mandat 9.{n}",
                description="",
                state="present" if n % 5 == 0 else "examine",
                stage_seq=1,
                meeting_id=meeting.id if n % 5 == 0 else None,
                created_at=START,
                updated_at=START + timedelta(seconds=n, microseconds=250_000),
                version=1,
            )
            for n in range(1, LARGE + 1)
        ]
        session.execute(insert(Mandate), rows)
        ids = session.exec(select(Mandate.id)).all()
        session.execute(insert(MandateLead), [dict(mandate_id=i, body_id=luenen.id) for i in ids])
    return engine


def test_paging_through_a_large_programme_returns_every_object_once(large):
    client = client_for(large, page_size=50)
    pages = walk(client, f"{BODY}/paper?limit=97")
    assert len(pages) == -(-LARGE // 97)
    references = [p["reference"] for page in pages for p in page]
    assert sorted(references) == sorted(f"9.{n}" for n in range(1, LARGE + 1))
    assert len(set(references)) == LARGE
    # The default page is the setting's size.
    assert len(get(client, f"{BODY}/paper")["data"]) == 50
    # A window of changes, 9.1000 to 9.1999 (each shown in whole seconds), page by page.
    since = quote((START + timedelta(seconds=1000)).isoformat())
    until = quote((START + timedelta(seconds=1999)).isoformat())
    window = [
        p["reference"]
        for page in walk(client, f"{BODY}/paper?limit=64&modified_since={since}&modified_until={until}")
        for p in page
    ]
    assert window == [f"9.{n}" for n in range(1000, 2000)]
    # Agenda items and consultations of the 500 mandates on the agenda, each once, numbered 1…500.
    items = [i for page in walk(client, f"{BODY}/agendaItem?limit=33") for i in page]
    assert sorted(i["order"] for i in items) == list(range(1, LARGE // 5 + 1))
    consultations = [c for page in walk(client, f"{BODY}/consultation?limit=41") for c in page]
    assert len({c["id"] for c in consultations}) == LARGE // 5
