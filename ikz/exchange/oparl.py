"""OParl 1.1 objects of the programme, built once for the file export and the HTTP API, page by page.

Every external list of the Body is read in pages by a keyset over an immutable row key (never OFFSET), so
reading all pages is linear in the programme's size; the file export reads the same pages to the end.
"""

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import quote

from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from ikz.clock import BERLIN, local_date
from ikz.exchange.streaming import Stream, Write, write_json
from models import BODY_KINDS, Body, Contact, CooperationField, Mandate, Meeting, MeetingItem, TransitionLog
from workflow import lifecycle
from workflow.codes import code_key
from workflow.lookup import CONFERENCE_KEY
from workflow.people import lead_bodies
from workflow.text import plural

DEFAULT_BASE_URL = "https://ikz.kreis-unna.example/oparl/v1"
SCHEMA = "https://schema.oparl.org/1.1/"
# OParl's vendor extensions carry a prefix (spec 3.0, "Herstellerspezifische Erweiterungen").
PREFIX = "ikz:"
BODY_SLUG = "ikz-kreis-unna"
# OParl's suggested organisation types; working groups and the conference are committees (Gremien).
ORGANIZATION_TYPES = {
    "county": "Institution",
    "municipality": "Institution",
    "conference": "Gremium",
    "working_group": "Gremium",
    "organisation": "Sonstiges",
}
# What became of an agenda item, read from the mandate's state afterwards (referred back leaves the agenda).
RESULTS = {
    "implement": "zugestimmt",
    "control": "zugestimmt",
    "closed": "zugestimmt",
    "rejected": "abgelehnt",
    "withdrawn": "zurückgezogen",
}
# The external lists of the Body (OParl 1.1), by the Body property that links them and their object type.
LISTS = {
    "organization": "Organization",
    "person": "Person",
    "meeting": "Meeting",
    "paper": "Paper",
    "agendaItem": "AgendaItem",
    "consultation": "Consultation",
    "file": "File",
    "locationList": "Location",
    "legislativeTermList": "LegislativeTerm",
    "membership": "Membership",
}
# Keys of deleted agenda items and consultations: after every live key (live keys stay below 2 · 2^31 + 2).
REMOVED = 1 << 33
# The only steps that take a mandate off an agenda or move it to another day (cancelling a meeting refers back).
OFF_THE_AGENDA = ("refer_back", "meeting", "undo")
# Lists ikz has nothing for (no files, places as objects or legislative terms): valid, and always empty.
EMPTY_LISTS = ("file", "locationList", "legislativeTermList")


@dataclass(frozen=True)
class Query:
    """What a list is asked for: the spec's four filters (inclusive at both ends), omit_internal, and access."""

    created_since: datetime | None = None
    created_until: datetime | None = None
    modified_since: datetime | None = None
    modified_until: datetime | None = None
    # OParl 1.1: leave out the embedded lists (Meeting.agendaItem, Person.membership, …).
    omit_internal: bool = False
    # The caller may see internal content: contacts, non-public agenda items, notes.
    internal: bool = False

    def admits(self, item: dict) -> bool:
        """Whether an object's created and modified (as shown, whole seconds) lie within the filters."""
        created, modified = datetime.fromisoformat(item["created"]), datetime.fromisoformat(item["modified"])
        return (
            (self.created_since is None or created >= _second(self.created_since))
            and (self.created_until is None or created <= _second(self.created_until))
            and (self.modified_since is None or modified >= _second(self.modified_since))
            and (self.modified_until is None or modified <= _second(self.modified_until))
        )


@dataclass
class Page:
    """One page of an external list, and the key to continue after (None on the last page)."""

    data: list[dict]
    after: int | None


class Urls:
    """Stable URLs built from what identifies an object in every database (keys, codes, dates), never row ids.

    Contacts and free agenda items have no such key; their row id is kept by the backup's exact restore.
    """

    def __init__(self, base: str):
        self.base = base.rstrip("/")
        self.system = f"{self.base}/system"
        self.body_list = f"{self.base}/body"
        self.body = f"{self.base}/body/{BODY_SLUG}"

    def list(self, name: str) -> str:
        return f"{self.body}/{name}"

    def organization(self, key: str) -> str:
        return f"{self.base}/organization/{quote(key)}"

    def person(self, contact_id: int) -> str:
        return f"{self.base}/person/{contact_id}"

    def membership(self, contact_id: int) -> str:
        return f"{self.base}/membership/{contact_id}"

    def meeting(self, key: str, day: date) -> str:
        return f"{self.base}/meeting/{quote(key)}-{day.isoformat()}"

    def agenda_item(self, key: str, day: date, code: str) -> str:
        return f"{self.base}/agendaitem/{quote(key)}-{day.isoformat()}-{quote(code)}"

    def free_item(self, key: str, day: date, item_id: int) -> str:
        return f"{self.base}/agendaitem/{quote(key)}-{day.isoformat()}-punkt{item_id}"

    def paper(self, code: str) -> str:
        return f"{self.base}/paper/{quote(code)}"

    def consultation(self, code: str, key: str, day: date) -> str:
        return f"{self.base}/consultation/{quote(code)}-{quote(key)}-{day.isoformat()}"


def moment(value: datetime) -> str:
    """A moment as OParl writes it: yyyy-mm-ddThh:mm:ss±hh:mm, whole seconds, in UTC."""
    return _second(value).astimezone(UTC).isoformat()


def _second(value: datetime) -> datetime:
    return value.replace(microsecond=0)


def _object(kind: str, url: str, properties: dict) -> dict:
    # OParl: properties without information are left out, neither null nor [].
    return {"id": url, "type": f"{SCHEMA}{kind}", **{k: v for k, v in properties.items() if v not in (None, [], "")}}


def _stamped(item: dict, created: datetime, modified: datetime) -> dict:
    item["created"] = moment(created)
    item["modified"] = moment(max(created, modified))
    return item


# --- System and Body -------------------------------------------------------------------------------


def programme_span(session: Session, now: datetime) -> tuple[datetime, datetime]:
    """When the programme began (its first mandate) and last changed; an empty programme begins now.

    Bodies and contacts keep no moments of their own: they count as created when the programme began.
    """
    first, last = session.exec(select(func.min(Mandate.created_at), func.max(Mandate.updated_at))).one()
    first = _aware(first) or now
    return first, max(first, _aware(last) or first)


def _aware(value: datetime | None) -> datetime | None:
    # min()/max() bypass the column type on SQLite and come back as naive UTC text.
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def system_object(urls: Urls, span: tuple[datetime, datetime]) -> dict:
    """The System: OParl's entry point, linking the list of bodies."""
    item = _object(
        "System",
        urls.system,
        {
            "oparlVersion": SCHEMA,
            "body": urls.body_list,
            "name": "ikz – Interkommunale Zusammenarbeit im Kreis Unna",
        },
    )
    return _stamped(item, *span)


def body_object(urls: Urls, span: tuple[datetime, datetime], conference_key: str | None, query: Query) -> dict:
    """The one Body: the cooperation programme, with a URL for each of its external lists."""
    item = _object(
        "Body",
        urls.body,
        {
            "system": urls.system,
            "name": "Interkommunale Zusammenarbeit im Kreis Unna",
            "shortName": "IKZ Kreis Unna",
            "classification": "Kooperationsprogramm",
            "mainOrganization": urls.organization(conference_key) if conference_key else None,
            **{name: urls.list(name) for name in LISTS},
        },
    )
    # Required by the schema even when empty (so kept under omit_internal too): ikz knows no legislative terms.
    item["legislativeTerm"] = []
    return _stamped(item, *span)


def conference_key(session: Session) -> str | None:
    return session.exec(select(Body.key).where(Body.key == CONFERENCE_KEY)).first()


# --- The lists, page by page -----------------------------------------------------------------------


class Lister:
    """Reads the Body's external lists in pages for one caller (query) at one moment (now)."""

    def __init__(self, session: Session, urls: Urls, query: Query, now: datetime):
        self.session, self.urls, self.query, self.now = session, urls, query, now
        self.today = local_date(now)
        self._span = None
        self._order_cache: dict[int, dict[tuple[str, int], int]] = {}

    @property
    def span(self) -> tuple[datetime, datetime]:
        if self._span is None:
            self._span = programme_span(self.session, self.now)
        return self._span

    def page(self, name: str, *, after: int | None, limit: int) -> Page:
        """Up to `limit` objects of the list `name` whose key lies after `after`, in key order."""
        if name in EMPTY_LISTS or (name in ("person", "membership") and not self.query.internal):
            return Page([], None)
        fetch = getattr(self, f"_{name}")
        found: list[tuple[int, dict]] = []
        cursor = after or 0
        # Rows the filters drop are skipped here: read on in chunks until the page is full or the list ends.
        chunk = limit + 1
        while len(found) <= limit:
            rows = fetch(cursor, chunk)
            found += [(key, item) for key, item in rows if item is not None and self.query.admits(item)]
            # Only an empty answer ends the list: a fetcher may return fewer rows than asked (two keys per row).
            if not rows:
                break
            cursor = rows[-1][0]
        more = len(found) > limit
        found = found[:limit]
        return Page([item for _key, item in found], found[-1][0] if more else None)

    def every(self, name: str, *, limit: int = 2000) -> Iterator[dict]:
        """Every object of a list, read page by page (the file export)."""
        after = None
        while True:
            page = self.page(name, after=after, limit=limit)
            yield from page.data
            if page.after is None:
                return
            after = page.after

    # Each fetcher returns up to `chunk` (key, object or None) pairs with key > cursor, in key order;
    # None stands for a row this caller may not see, so the scan still moves past it.

    def _organization(self, cursor: int, chunk: int) -> list[tuple[int, dict | None]]:
        rows = self.session.exec(select(Body).where(Body.id > cursor).order_by(Body.id).limit(chunk)).all()
        return [(body.id, organization_object(self.urls, body, self.span)) for body in rows]

    def _contacts(self, cursor: int, chunk: int) -> list:
        """Contacts after the cursor with their bodies: a Person and a Membership each."""
        return self.session.exec(
            select(Contact, Body)
            .join(Body, Body.id == Contact.body_id)
            .where(Contact.id > cursor)
            .order_by(Contact.id)
            .limit(chunk)
        ).all()

    def _person(self, cursor: int, chunk: int) -> list[tuple[int, dict | None]]:
        rows = self._contacts(cursor, chunk)
        return [
            (c.id, person_object(self.urls, c, b, self.span, omit_internal=self.query.omit_internal)) for c, b in rows
        ]

    def _membership(self, cursor: int, chunk: int) -> list[tuple[int, dict | None]]:
        rows = self._contacts(cursor, chunk)
        return [(c.id, membership_object(self.urls, c, b, self.span)) for c, b in rows]

    def _meeting(self, cursor: int, chunk: int) -> list[tuple[int, dict | None]]:
        # A meeting is 2·id; the day it was moved away from, as a deleted object, 2·id + 1.
        rows = self.session.exec(
            select(Meeting, Body)
            .join(Body, Body.id == Meeting.body_id)
            .where(Meeting.id >= (cursor + 1) // 2)
            .order_by(Meeting.id)
            .limit(chunk)
        ).all()
        agendas = self._agendas([meeting for meeting, _owner in rows if 2 * meeting.id > cursor])
        found = []
        for meeting, owner in rows:
            if 2 * meeting.id > cursor:
                item = meeting_object(self.urls, meeting, owner, agendas[meeting.id], self.today, self.query)
                found.append((2 * meeting.id, item))
            # OParl 2.8: with modified_since, what is gone is listed as deleted (the old day of a moved meeting).
            moved = self.query.modified_since and meeting.moved_from and 2 * meeting.id + 1 > cursor
            if moved and self._gone(owner, meeting.moved_from):
                found.append((2 * meeting.id + 1, moved_meeting_object(self.urls, meeting, owner)))
        return found[:chunk]

    def _gone(self, owner: Body, day: date) -> bool:
        """No meeting of the body takes place on that day (any more): a later one may have taken the day."""
        return _meeting_at(self.session, owner.key, day) is None

    def _paper(self, cursor: int, chunk: int) -> list[tuple[int, dict | None]]:
        query = select(Mandate).where(Mandate.id > cursor)
        # Papers carry their moments in columns: filter in the database too (the list that grows).
        if self.query.created_since:
            query = query.where(Mandate.created_at >= _second(self.query.created_since))
        if self.query.created_until:
            query = query.where(Mandate.created_at < _second(self.query.created_until) + timedelta(seconds=1))
        if self.query.modified_since:
            query = query.where(Mandate.updated_at >= _second(self.query.modified_since))
        if self.query.modified_until:
            query = query.where(Mandate.updated_at < _second(self.query.modified_until) + timedelta(seconds=1))
        mandates = self.session.exec(query.order_by(Mandate.id).limit(chunk)).all()
        if not mandates:
            return []
        ids = [m.id for m in mandates]
        leads = lead_bodies(self.session, ids)
        fields = self._fields()
        consultations = self._consultations(mandates)
        papers = []
        for mandate in mandates:
            consultation = consultations.get(mandate.id)
            lead_keys = [b.key for b in leads.get(mandate.id, [])]
            papers.append((mandate.id, paper_object(self.urls, mandate, lead_keys, fields, consultation, self.query)))
        return papers

    def _agendaItem(self, cursor: int, chunk: int) -> list[tuple[int, dict | None]]:
        if cursor >= REMOVED:
            return self._removed(cursor, chunk, "agendaItem")
        # Two sources in one key space: a mandate on an agenda is 2·id, a free item 2·id + 1.
        mandates = self.session.exec(
            select(Mandate)
            .where(Mandate.meeting_id.is_not(None), Mandate.id > cursor // 2)
            .order_by(Mandate.id)
            .limit(chunk)
        ).all()
        free = self.session.exec(
            select(MeetingItem).where(MeetingItem.id > (cursor - 1) // 2).order_by(MeetingItem.id).limit(chunk)
        ).all()
        keyed = sorted(
            [(2 * m.id, ("m", m.id), m.meeting_id) for m in mandates]
            + [(2 * i.id + 1, ("f", i.id), i.meeting_id) for i in free]
        )
        keyed = keyed[:chunk]
        if not keyed:
            return self._removed(REMOVED, chunk, "agendaItem")
        wanted = {ref for _key, ref, _meeting in keyed}
        meetings, owners = self._meetings({meeting_id for _key, _ref, meeting_id in keyed})
        orders = self._orders(list(meetings))
        submitted = self._submitted([m.id for m in mandates if ("m", m.id) in wanted])
        items = {}
        for mandate in (m for m in mandates if ("m", m.id) in wanted):
            meeting = meetings[mandate.meeting_id]
            owner = owners[meeting.body_id]
            created = submitted.get(mandate.id, mandate.created_at)
            consultation = self.urls.consultation(mandate.code, owner.key, meeting.date)
            order = orders[("m", mandate.id)]
            items[("m", mandate.id)] = mandate_item_object(
                self.urls, mandate, meeting, owner, order, consultation, created
            )
        for entry in (i for i in free if ("f", i.id) in wanted):
            meeting = meetings[entry.meeting_id]
            if entry.public or self.query.internal:
                items[("f", entry.id)] = free_item_object(
                    self.urls, entry, meeting, owners[meeting.body_id], orders[("f", entry.id)], self.query
                )
        return [(key, items.get(ref)) for key, ref, _meeting in keyed]

    def _consultation(self, cursor: int, chunk: int) -> list[tuple[int, dict | None]]:
        if cursor >= REMOVED:
            return self._removed(cursor, chunk, "consultation")
        mandates = self.session.exec(
            select(Mandate)
            .where(Mandate.meeting_id.is_not(None), Mandate.id > cursor)
            .order_by(Mandate.id)
            .limit(chunk)
        ).all()
        if not mandates:
            return self._removed(REMOVED, chunk, "consultation")
        consultations = self._consultations(mandates)
        return [(m.id, consultations[m.id]) for m in mandates]

    def _removed(self, cursor: int, chunk: int, name: str) -> list[tuple[int, dict | None]]:
        """With modified_since: agenda items and consultations that went away since, as deleted objects (spec 2.8).

        Read from the audit log in entry order after every live key (REMOVED + entry id): an entry whose
        mandate's snapshot names another meeting (or none) than the entry before it took the mandate off that
        meeting's agenda on that day (referred back, meeting cancelled or moved, a submission undone).
        """
        since = self.query.modified_since
        if since is None:
            return []
        before = aliased(TransitionLog)
        rows = self.session.exec(
            select(
                TransitionLog.id, TransitionLog.mandate_id, TransitionLog.at, TransitionLog.snapshot, before.snapshot
            )
            .join(before, (before.mandate_id == TransitionLog.mandate_id) & (before.seq == TransitionLog.seq - 1))
            .where(
                TransitionLog.id > cursor - REMOVED,
                TransitionLog.at >= _second(since),
                TransitionLog.trigger.in_(OFF_THE_AGENDA),
            )
            .order_by(TransitionLog.id)
            .limit(chunk)
        ).all()
        gone = {}
        for entry_id, mandate_id, at, after_text, before_text in rows:
            was, then = json.loads(before_text).get("meeting"), json.loads(after_text).get("meeting")
            if was and was != then:
                gone[entry_id] = (mandate_id, was["id"], date.fromisoformat(was["date"]), at)
        meetings, owners = self._meetings({meeting_id for _m, meeting_id, _d, _a in gone.values()})
        current = {
            m.id: m for m in self.session.exec(select(Mandate).where(Mandate.id.in_({g[0] for g in gone.values()})))
        }
        placed = self._placements({g[0] for g in gone.values()})
        found = []
        for entry_id, *_rest in rows:
            item = None
            if entry_id in gone:
                mandate_id, meeting_id, day, at = gone[entry_id]
                meeting, mandate = meetings.get(meeting_id), current[mandate_id]
                back = meeting is not None and mandate.meeting_id == meeting_id and meeting.date == day
                # Submitted to that meeting again later: that stay's own removal (if any) is the one to list.
                again = any(
                    later > entry_id and where == (meeting_id, day.isoformat())
                    for later, _at, where in placed.get(mandate_id, [])
                )
                if meeting is not None and not back and not again:
                    created = _placed_before(placed.get(mandate_id, []), entry_id, at)
                    item = removed_object(self.urls, name, mandate.code, owners[meeting.body_id].key, day, created, at)
            found.append((REMOVED + entry_id, item))
        return found

    def _placements(self, mandate_ids: set[int]) -> dict[int, list[tuple[int, datetime, tuple | None]]]:
        """Each mandate's submit steps (entry id, moment, (meeting id, day)): when and where it went on an agenda."""
        placed = defaultdict(list)
        if mandate_ids:
            for mandate_id, entry_id, at, snapshot in self.session.exec(
                select(TransitionLog.mandate_id, TransitionLog.id, TransitionLog.at, TransitionLog.snapshot).where(
                    TransitionLog.mandate_id.in_(mandate_ids), TransitionLog.trigger == "submit"
                )
            ).all():
                meeting = json.loads(snapshot).get("meeting")
                placed[mandate_id].append((entry_id, at, (meeting["id"], meeting["date"]) if meeting else None))
        return placed

    def removal(self, name: str, mandate: Mandate, key: str, day: date) -> dict | None:
        """The deleted agenda item or consultation of a mandate once on the agenda of key's meeting on day."""
        entries = self.session.exec(
            select(TransitionLog.id, TransitionLog.at, TransitionLog.snapshot)
            .where(TransitionLog.mandate_id == mandate.id)
            .order_by(TransitionLog.seq)
        ).all()
        owner = self.session.exec(select(Body).where(Body.key == key)).first()
        if owner is None:
            return None
        meetings = {m.id for m in self.session.exec(select(Meeting).where(Meeting.body_id == owner.id)).all()}
        last = None
        for (_i, _a, before_text), (entry_id, at, after_text) in zip(entries, entries[1:]):
            was, then = json.loads(before_text).get("meeting"), json.loads(after_text).get("meeting")
            if was and was != then and was["id"] in meetings and was["date"] == day.isoformat():
                last = (entry_id, at)
        if last is None:
            return None
        created = _placed_before(self._placements({mandate.id}).get(mandate.id, []), *last)
        return removed_object(self.urls, name, mandate.code, key, day, created, last[1])

    # --- shared reads ---

    def _fields(self) -> dict:
        if not hasattr(self, "_field_names"):
            self._field_names = dict(self.session.exec(select(CooperationField.number, CooperationField.name)).all())
        return self._field_names

    def _meetings(self, ids: set[int]) -> tuple[dict[int, Meeting], dict[int, Body]]:
        """The meetings of these ids and the bodies holding them."""
        if not ids:
            return {}, {}
        rows = self.session.exec(
            select(Meeting, Body).join(Body, Body.id == Meeting.body_id).where(Meeting.id.in_(ids))
        ).all()
        return {meeting.id: meeting for meeting, _body in rows}, {body.id: body for _meeting, body in rows}

    def _consultations(self, mandates: list[Mandate]) -> dict[int, dict]:
        """The consultation of each mandate that is on an agenda (no agenda order needed: read per mandate)."""
        placed = [m for m in mandates if m.meeting_id]
        meetings, owners = self._meetings({m.meeting_id for m in placed})
        submitted = self._submitted([m.id for m in placed])
        consultations = {}
        for mandate in placed:
            meeting = meetings[mandate.meeting_id]
            created = submitted.get(mandate.id, mandate.created_at)
            consultations[mandate.id] = consultation_object(
                self.urls, mandate, meeting, owners[meeting.body_id], created
            )
        return consultations

    def _orders(self, meeting_ids: list[int]) -> dict[tuple[str, int], int]:
        """Each agenda item's place on its meeting's agenda: mandates by code, then free items as added.

        Read from codes and ids alone, so an agenda item page does not load every mandate of a long agenda,
        and kept for the Lister's life (the export reads many pages with one). The numbering counts every
        item, seen by the caller or not, so a number never changes with who asks.
        """
        missing = [i for i in meeting_ids if i not in self._order_cache]
        if missing:
            codes = defaultdict(list)
            for mandate_id, code, meeting_id in self.session.exec(
                select(Mandate.id, Mandate.code, Mandate.meeting_id).where(Mandate.meeting_id.in_(missing))
            ).all():
                codes[meeting_id].append((code_key(code), mandate_id))
            free = defaultdict(list)
            for item_id, meeting_id in self.session.exec(
                select(MeetingItem.id, MeetingItem.meeting_id).where(MeetingItem.meeting_id.in_(missing))
            ).all():
                free[meeting_id].append(item_id)
            for meeting_id in missing:
                refs = [("m", i) for _key, i in sorted(codes[meeting_id])]
                refs += [("f", i) for i in sorted(free[meeting_id])]
                self._order_cache[meeting_id] = {ref: order for order, ref in enumerate(refs, 1)}
        return {ref: order for i in meeting_ids for ref, order in self._order_cache[i].items()}

    def _agendas(self, meetings: list[Meeting], only: tuple[str, int] | None = None) -> dict[int, dict]:
        """Per meeting: its agenda items (and consultations) in order, by ("m", mandate id) or ("f", item id).

        A non-public item the caller may not see is None; the numbering is _orders', the same for every caller.
        With `only`, just that one item is built (one object's page need not build an agenda of 10k items).
        """
        if not meetings:
            return {}
        ids = [m.id for m in meetings]
        orders = self._orders(ids)
        owners = {b.id: b for b in self.session.exec(select(Body).where(Body.id.in_({m.body_id for m in meetings})))}
        rows = defaultdict(list)
        mandates = select(Mandate).where(Mandate.meeting_id.in_(ids))
        entries = select(MeetingItem).where(MeetingItem.meeting_id.in_(ids))
        if only is not None:
            mandates = mandates.where(Mandate.id == only[1]) if only[0] == "m" else None
            entries = entries.where(MeetingItem.id == only[1]) if only[0] == "f" else None
        for mandate in self.session.exec(mandates).all() if mandates is not None else ():
            rows[mandate.meeting_id].append((orders[("m", mandate.id)], ("m", mandate.id), mandate))
        for entry in self.session.exec(entries).all() if entries is not None else ():
            rows[entry.meeting_id].append((orders[("f", entry.id)], ("f", entry.id), entry))
        submitted = self._submitted([ref[1] for group in rows.values() for _order, ref, _row in group if ref[0] == "m"])
        agendas = {}
        for meeting in meetings:
            owner = owners[meeting.body_id]
            agenda = {}
            for order, ref, row in sorted(rows[meeting.id], key=lambda found: found[0]):
                if ref[0] == "m":
                    created = submitted.get(row.id, row.created_at)
                    consultation = consultation_object(self.urls, row, meeting, owner, created)
                    item = mandate_item_object(self.urls, row, meeting, owner, order, consultation["id"], created)
                    agenda[ref] = {"item": item, "consultation": consultation}
                else:
                    visible = row.public or self.query.internal
                    item = free_item_object(self.urls, row, meeting, owner, order, self.query) if visible else None
                    agenda[ref] = {"item": item, "consultation": None}
            agendas[meeting.id] = agenda
        return agendas

    def _submitted(self, mandate_ids: list[int]) -> dict[int, datetime]:
        """When each mandate was last put on an agenda (its last submit step), for its agenda item's `created`."""
        if not mandate_ids:
            return {}
        rows = self.session.exec(
            select(TransitionLog.mandate_id, TransitionLog.at)
            .where(TransitionLog.mandate_id.in_(mandate_ids), TransitionLog.trigger == "submit")
            .order_by(TransitionLog.seq)
        ).all()
        # In log order: a later submit (after a referral back) replaces an earlier one.
        return dict(rows)


def _placed_before(placed: list[tuple], entry_id: int, at: datetime) -> datetime:
    """The moment of the last submit before the entry that took the mandate off the agenda (else that entry's)."""
    earlier = [moment_ for placed_id, moment_, _where in placed if placed_id < entry_id]
    return max(earlier) if earlier else at


# --- One builder per object ------------------------------------------------------------------------


def removed_object(urls: Urls, name: str, code: str, key: str, day: date, created: datetime, at: datetime) -> dict:
    """A mandate's agenda item or consultation at a meeting it is no longer on: deleted (spec 2.8), id kept."""
    if name == "agendaItem":
        # The schema requires an order even of a deleted item; its place is gone with it.
        item = _object("AgendaItem", urls.agenda_item(key, day, code), {"deleted": True})
        item["order"] = 0
    else:
        item = _object("Consultation", urls.consultation(code, key, day), {"deleted": True})
    return _stamped(item, created, at)


def organization_object(urls: Urls, body: Body, span: tuple[datetime, datetime]) -> dict:
    """A body (county, municipality, conference, working group, organisation) as an Organization."""
    item = _object(
        "Organization",
        urls.organization(body.key),
        {
            "body": urls.body,
            "name": body.name,
            "organizationType": ORGANIZATION_TYPES.get(body.kind, "Sonstiges"),
            "classification": BODY_KINDS.get(body.kind, body.kind),
        },
    )
    return _stamped(item, span[0], span[0])


def person_object(
    urls: Urls, contact: Contact, body: Body, span: tuple[datetime, datetime], *, omit_internal: bool = False
) -> dict:
    """A contact of a body as a Person (internal content: only for callers with access)."""
    item = _object(
        "Person",
        urls.person(contact.id),
        {
            "body": urls.body,
            "name": contact.person or contact.name,
            "email": [contact.email],
            f"{PREFIX}function": contact.function or contact.role,
            "membership": [] if omit_internal else [membership_object(urls, contact, body, span)],
        },
    )
    return _stamped(item, span[0], span[0])


def membership_object(urls: Urls, contact: Contact, body: Body, span: tuple[datetime, datetime]) -> dict:
    """A contact's place in its body as a Membership."""
    item = _object(
        "Membership",
        urls.membership(contact.id),
        {
            "person": urls.person(contact.id),
            "organization": urls.organization(body.key),
            "role": contact.function or contact.role,
        },
    )
    return _stamped(item, span[0], span[0])


def meeting_object(urls: Urls, meeting: Meeting, owner: Body, agenda: dict, today: date, query: Query) -> dict:
    """A meeting of the conference or a working group, with its agenda items embedded (unless omit_internal)."""
    items = [entry["item"] for entry in agenda.values() if entry["item"] is not None]
    if meeting.time:
        hours, minutes = (int(part) for part in meeting.time.split(":"))
        start, all_day = datetime.combine(meeting.date, time(hours, minutes), BERLIN), None
    else:
        # Only the day is known: start is that day's beginning in Kreis Unna, flagged as all-day.
        start, all_day = datetime.combine(meeting.date, time(), BERLIN), True
    item = _object(
        "Meeting",
        urls.meeting(owner.key, meeting.date),
        {
            "name": meeting.title,
            "start": start.isoformat(),
            f"{PREFIX}allDay": all_day,
            "meetingState": "terminiert" if meeting.date >= today else "durchgeführt",
            "cancelled": True if meeting.cancelled_at else None,
            "organization": [urls.organization(owner.key)],
            f"{PREFIX}place": meeting.place,
            f"{PREFIX}chair": meeting.chair,
            f"{PREFIX}movedFrom": meeting.moved_from.isoformat() if meeting.moved_from else None,
            f"{PREFIX}cancelReason": meeting.cancel_reason if query.internal else None,
            "agendaItem": [] if query.omit_internal else items,
        },
    )
    changes = [meeting.created_at, meeting.moved_at, meeting.cancelled_at]
    changes += [datetime.fromisoformat(entry["modified"]) for entry in items]
    return _stamped(item, meeting.created_at, max(c for c in changes if c is not None))


def moved_meeting_object(urls: Urls, meeting: Meeting, owner: Body) -> dict:
    """The day a meeting was moved away from, as a deleted Meeting (spec 2.8)."""
    gone = _object("Meeting", urls.meeting(owner.key, meeting.moved_from), {"deleted": True})
    return _stamped(gone, meeting.created_at, meeting.moved_at)


def mandate_item_object(
    urls: Urls, mandate: Mandate, meeting: Meeting, owner: Body, order: int, consultation: str, created: datetime
) -> dict:
    """A mandate on a meeting's agenda; its result follows from the mandate's state afterwards."""
    item = _object(
        "AgendaItem",
        urls.agenda_item(owner.key, meeting.date, mandate.code),
        {
            "meeting": urls.meeting(owner.key, meeting.date),
            "number": str(order),
            "order": order,
            "name": f"{mandate.code} {mandate.title}",
            "public": True,
            "consultation": consultation,
            "result": RESULTS.get(mandate.state),
        },
    )
    return _stamped(item, created, mandate.updated_at)


def free_item_object(urls: Urls, entry: MeetingItem, meeting: Meeting, owner: Body, order: int, query: Query) -> dict:
    """A free item of an agenda (a report, a non-public matter); its note is internal."""
    item = _object(
        "AgendaItem",
        urls.free_item(owner.key, meeting.date, entry.id),
        {
            "meeting": urls.meeting(owner.key, meeting.date),
            "number": str(order),
            "order": order,
            "name": entry.title,
            "public": entry.public,
            f"{PREFIX}note": entry.note if query.internal else None,
        },
    )
    return _stamped(item, entry.created_at, entry.created_at)


def consultation_object(urls: Urls, mandate: Mandate, meeting: Meeting, owner: Body, created: datetime) -> dict:
    """The mandate's paper before the meeting's body: the conference decides, a working group advises."""
    decides = owner.kind == "conference"
    item = _object(
        "Consultation",
        urls.consultation(mandate.code, owner.key, meeting.date),
        {
            "paper": urls.paper(mandate.code),
            "agendaItem": urls.agenda_item(owner.key, meeting.date, mandate.code),
            "meeting": urls.meeting(owner.key, meeting.date),
            "organization": [urls.organization(owner.key)],
            "authoritative": decides,
            "role": "Entscheidung" if decides else "Beratung",
        },
    )
    return _stamped(item, created, mandate.updated_at)


def paper_object(
    urls: Urls, mandate: Mandate, lead_keys: list[str], fields: dict, consultation: dict | None, query: Query
) -> dict:
    """A mandate as a Paper (Beschlussvorlage); the lead bodies are its underDirectionOf."""
    item = _object(
        "Paper",
        urls.paper(mandate.code),
        {
            "body": urls.body,
            "name": mandate.title,
            "reference": mandate.code,
            "date": local_date(mandate.created_at).isoformat(),
            "paperType": "Beschlussvorlage",
            "underDirectionOf": [urls.organization(key) for key in sorted(lead_keys)],
            "consultation": [consultation] if consultation else [],
            "keyword": [fields[mandate.field_number]] if mandate.field_number in fields else [],
            f"{PREFIX}state": mandate.state,
            f"{PREFIX}stateLabel": lifecycle.STATES[mandate.state],
            f"{PREFIX}heldState": mandate.held_state,
            f"{PREFIX}dueDate": mandate.due_date.isoformat() if mandate.due_date else None,
            f"{PREFIX}savingsTarget": mandate.savings_target,
            f"{PREFIX}description": mandate.description,
            f"{PREFIX}holdReason": mandate.hold_reason if query.internal else None,
            f"{PREFIX}statusText": mandate.status_text if query.internal else None,
        },
    )
    return _stamped(item, mandate.created_at, mandate.updated_at)


# --- Single objects by their URL -------------------------------------------------------------------

_DATED = re.compile(r"(?P<head>.+)-(?P<day>\d{4}-\d{2}-\d{2})(?:-(?P<tail>.+))?")


def find_object(lister: Lister, kind: str, ident: str) -> dict | None:
    """The object of type `kind` (a URL path word: paper, meeting, …) named `ident`, or None."""
    session, urls, query = lister.session, lister.urls, lister.query
    if kind == "organization":
        body = session.exec(select(Body).where(Body.key == ident)).first()
        return organization_object(urls, body, lister.span) if body else None
    if kind in ("person", "membership"):
        if not query.internal or not ident.isdigit() or int(ident) > 2_147_483_647:
            return None
        row = session.exec(
            select(Contact, Body).join(Body, Body.id == Contact.body_id).where(Contact.id == int(ident))
        ).first()
        if row is None:
            return None
        if kind == "person":
            return person_object(urls, *row, lister.span, omit_internal=query.omit_internal)
        return membership_object(urls, *row, lister.span)
    if kind == "paper":
        mandate = session.exec(select(Mandate).where(Mandate.code == ident)).first()
        return _first(lister._paper(mandate.id - 1, 1)) if mandate else None
    dated = _DATED.fullmatch(ident)
    if dated is None:
        return None
    day = _day(dated["day"])
    if day is None:
        return None
    if kind == "meeting" and dated["tail"] is None:
        meeting = _meeting_at(session, dated["head"], day)
        if meeting is not None:
            return _first(lister._meeting(2 * meeting.id - 1, 1))
        moved = session.exec(
            select(Meeting, Body)
            .join(Body, Body.id == Meeting.body_id)
            .where(Body.key == dated["head"], Meeting.moved_from == day)
        ).first()
        return moved_meeting_object(urls, *moved) if moved else None
    if kind == "agendaitem" and dated["tail"]:
        meeting = _meeting_at(session, dated["head"], day)
        mandate = session.exec(select(Mandate).where(Mandate.code == dated["tail"])).first()
        if meeting is None:
            # Moved away: the item that was on that day's agenda is deleted.
            return lister.removal("agendaItem", mandate, dated["head"], day) if mandate else None
        free = re.fullmatch(r"punkt(\d{1,10})", dated["tail"])
        if free:
            ref = ("f", int(free[1]))
            entry = lister._agendas([meeting], only=ref)[meeting.id].get(ref)
        else:
            ref = ("m", mandate.id) if mandate else None
            entry = lister._agendas([meeting], only=ref)[meeting.id].get(ref) if mandate else None
            if mandate and entry is None:
                return lister.removal("agendaItem", mandate, dated["head"], day)
        return entry["item"] if entry else None
    if kind == "consultation" and dated["tail"] is None:
        # "CODE-KEY" is split where a known mandate code ends and a body key begins (both may hold "-").
        head = dated["head"]
        for cut in (i for i, char in enumerate(head) if char == "-"):
            mandate = session.exec(select(Mandate).where(Mandate.code == head[:cut])).first()
            meeting = _meeting_at(session, head[cut + 1 :], day) if mandate else None
            if meeting is not None and mandate.meeting_id == meeting.id:
                ref = ("m", mandate.id)
                return lister._agendas([meeting], only=ref)[meeting.id][ref]["consultation"]
            removed = lister.removal("consultation", mandate, head[cut + 1 :], day) if mandate else None
            if removed:
                return removed
    return None


def _first(rows: list[tuple[int, dict | None]]) -> dict | None:
    return rows[0][1] if rows else None


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _meeting_at(session: Session, key: str, day: date) -> Meeting | None:
    return session.exec(
        select(Meeting).join(Body, Body.id == Meeting.body_id).where(Body.key == key, Meeting.date == day)
    ).first()


# --- The file export -------------------------------------------------------------------------------


def oparl_document(
    session: Session, *, now: datetime, base_url: str = DEFAULT_BASE_URL, query: Query | None = None
) -> dict:
    """System, Body and every external list of the Body, as the HTTP API serves them (public content by default)."""
    query = query or Query()
    lister = Lister(session, Urls(base_url), query, now)
    document = {
        "system": system_object(lister.urls, lister.span),
        "body": [body_object(lister.urls, lister.span, conference_key(session), query)],
    }
    for name in LISTS:
        document[name] = list(lister.every(name))
    return document


def write_oparl(session: Session, write: Write, *, now: datetime, base_url: str = DEFAULT_BASE_URL) -> str:
    """Write oparl_document's JSON (UTF-8, no BOM: OParl forbids it) list by list, page by page; return a summary."""
    query = Query()
    lister = Lister(session, Urls(base_url), query, now)
    counts: dict[str, int] = defaultdict(int)

    def counted(name: str) -> Iterator[dict]:
        for item in lister.every(name):
            counts[name] += 1
            yield item

    document = {
        "system": system_object(lister.urls, lister.span),
        "body": [body_object(lister.urls, lister.span, conference_key(session), query)],
        **{name: Stream(counted(name)) for name in LISTS},
    }
    write_json(write, document)
    write("\n")
    return (
        f"OParl 1.1 mit {plural(counts['paper'], 'Vorlage', 'Vorlagen')}, "
        f"{plural(counts['meeting'], 'Sitzung', 'Sitzungen')} und "
        f"{plural(counts['agendaItem'], 'Tagesordnungspunkt', 'Tagesordnungspunkten')}"
    )
