"""The history of record: each entry's snapshot of the mandate, the hash chain over the entries, and checking both."""

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, func
from sqlmodel import Session, select

from models import Body, BodyDecision, Dependency, Mandate, MandateLead, Meeting, Participant, Saving, TransitionLog
from workflow import lifecycle

# What an entry can record besides a lifecycle step, with its German name.
CHANGES = {
    "import": "angelegt",
    "edit": "geändert",
    "decision": "Beitrittsentscheidung",
    "savings": "Einsparung",
    "depend": "Abhängigkeit",
    "note": "Vermerk",
    "propose": "Vorschlag",
    "accept": "Vorschlag angenommen",
    "decline": "Vorschlag abgelehnt",
    "undo": "rückgängig gemacht",
    "meeting": "Sitzung geändert",
    "duty": "Pflicht erledigt",
}
ENTRY_KINDS = {**lifecycle.TRIGGERS, **CHANGES}

# Fields added to the view after entries were written without them: an older snapshot means their empty value.
LATER_FIELDS = {"hold_until": None}

# The first entry of every mandate's chain points at this "previous hash".
GENESIS = "0" * 64
# Bumped when the hashed content changes; part of every hash, so old chains keep verifying.
HASH_FORMAT = "ikz-log-1"


def canonical(data) -> str:
    """JSON with sorted keys and no spaces: the same data always gives the same text (and hash)."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def moment_text(moment: datetime) -> str:
    """A moment as hashed: UTC with microseconds, so SQLite and PostgreSQL give the same text."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(entry: TransitionLog) -> str:
    """SHA-256 over everything an entry says, and the hash of the entry before it."""
    content = {
        "format": HASH_FORMAT,
        "mandate": entry.mandate_id,
        "seq": entry.seq,
        "from": entry.from_state,
        "to": entry.to_state,
        "trigger": entry.trigger,
        "actor": entry.actor,
        "account": entry.account,
        "channel": entry.channel,
        "at": moment_text(entry.at),
        "recorded_at": moment_text(entry.recorded_at),
        "note": entry.note,
        "snapshot": entry.snapshot,
        "prev": entry.prev_hash,
    }
    if entry.corrects is not None:
        # Only when set: entries written before corrections existed keep the hashes they were written with.
        content["corrects"] = entry.corrects
    return hashlib.sha256(canonical(content).encode("utf-8")).hexdigest()


def _day(value) -> str | None:
    return value.isoformat() if value is not None else None


def views(session: Session, mandate_ids) -> dict[int, dict]:
    """The live view of each mandate (what an entry's snapshot holds), for a list or SELECT of mandate ids."""
    mandates = session.exec(select(Mandate).where(Mandate.id.in_(mandate_ids))).all()
    keys = dict(session.exec(select(Body.id, Body.key)).all()) if mandates else {}
    leads, participants = defaultdict(list), defaultdict(list)
    for mandate_id, body_id in session.exec(
        select(MandateLead.mandate_id, MandateLead.body_id).where(MandateLead.mandate_id.in_(mandate_ids))
    ).all():
        leads[mandate_id].append(keys[body_id])
    for mandate_id, body_id in session.exec(
        select(Participant.mandate_id, Participant.body_id).where(Participant.mandate_id.in_(mandate_ids))
    ).all():
        participants[mandate_id].append(keys[body_id])
    decisions = defaultdict(dict)
    for row in session.exec(select(BodyDecision).where(BodyDecision.mandate_id.in_(mandate_ids))).all():
        decisions[row.mandate_id][keys[row.body_id]] = [row.decision, _day(row.decided_on), row.reference]
    savings = defaultdict(dict)
    for mandate_id, year, amount in session.exec(
        select(Saving.mandate_id, Saving.year, Saving.amount).where(Saving.mandate_id.in_(mandate_ids))
    ).all():
        savings[mandate_id][str(year)] = amount
    waits = defaultdict(list)
    for mandate_id, other in session.exec(
        select(Dependency.mandate_id, Mandate.code)
        .join(Mandate, Mandate.id == Dependency.depends_on_id)
        .where(Dependency.mandate_id.in_(mandate_ids))
    ).all():
        waits[mandate_id].append(other)
    meeting_ids = {m.meeting_id for m in mandates if m.meeting_id}
    meetings = {m.id: m for m in session.exec(select(Meeting).where(Meeting.id.in_(meeting_ids))).all()}
    return {
        m.id: {
            "code": m.code,
            "title": m.title,
            "field": m.field_number,
            "description": m.description,
            "state": m.state,
            "held_state": m.held_state,
            "hold_reason": m.hold_reason,
            "held_since": moment_text(m.held_since) if m.held_since else None,
            "hold_until": _day(m.hold_until),
            "stage": m.stage_seq,
            "due": _day(m.due_date),
            "meeting": {"id": m.meeting_id, "date": _day(meetings[m.meeting_id].date)} if m.meeting_id else None,
            "concept": m.concept_ref,
            "plan": m.plan_ref,
            "target": m.savings_target,
            "status": m.status_text,
            "status_on": _day(m.status_on),
            "leads": sorted(leads[m.id]),
            "participants": sorted(participants[m.id]),
            "decisions": decisions[m.id],
            "savings": savings[m.id],
            "depends_on": sorted(waits[m.id]),
        }
        for m in mandates
    }


def snapshot(session: Session, mandate: Mandate) -> str:
    """The canonical JSON view of one mandate as it stands in this transaction."""
    return canonical(views(session, [mandate.id])[mandate.id])


@dataclass(frozen=True)
class Break:
    """The first place a mandate's history does not hold: which entry, and what is wrong."""

    mandate_code: str
    entry_id: int | None
    seq: int | None
    reason: str


def verify(session: Session) -> tuple[int, list[Break]]:
    """Check every chain (hashes, numbering) and that each mandate's last snapshot matches its live data.

    Returns the number of entries checked and, per mandate, the first break found.
    """
    mandates = dict(session.exec(select(Mandate.id, Mandate.code)).all())
    entries = session.exec(select(TransitionLog).order_by(TransitionLog.mandate_id, TransitionLog.seq)).all()
    chains: dict[int, list[TransitionLog]] = defaultdict(list)
    for entry in entries:
        chains[entry.mandate_id].append(entry)
    # A SELECT, not a list of ids: PostgreSQL takes at most 65,535 parameters, and a programme may have more.
    live = views(session, select(Mandate.id))
    breaks = []
    for mandate_id, code in sorted(mandates.items(), key=lambda item: item[0]):
        found = _check_chain(code, chains.get(mandate_id, []), live[mandate_id])
        if found:
            breaks.append(found)
    return len(entries), breaks


def _check_chain(code: str, chain: list[TransitionLog], live: dict) -> Break | None:
    if not chain:
        return Break(code, None, None, "das Mandat hat keinen Verlauf")
    previous = GENESIS
    for number, entry in enumerate(chain, 1):
        if entry.seq != number:
            missing = "fehlt" if entry.seq > number else "ist doppelt"
            return Break(code, entry.id, entry.seq, f"Eintrag Nr. {number} {missing} (Kette unterbrochen)")
        if entry.prev_hash != previous:
            return Break(code, entry.id, entry.seq, "verweist nicht auf den Eintrag davor (Kette unterbrochen)")
        if entry_hash(entry) != entry.hash:
            return Break(code, entry.id, entry.seq, "wurde nachträglich verändert (Prüfsumme stimmt nicht)")
        previous = entry.hash
    if {**LATER_FIELDS, **json.loads(chain[-1].snapshot)} != live:
        last = chain[-1]
        reason = "die Daten des Mandats weichen vom letzten Eintrag ab (verändert ohne Verlauf)"
        return Break(code, last.id, last.seq, reason)
    return None


def rebuild(session: Session, moment: datetime, mandate_ids=None) -> dict[int, dict]:
    """The view of each mandate as it stood at `moment`: the snapshot of its last entry effective by then.

    Mandates without an entry by then did not exist yet and are left out.
    """
    return dict(views_at(session, moment, mandate_ids))


def views_at(session: Session, moment: datetime, mandate_ids=None) -> Iterator[tuple[int, dict]]:
    """(mandate id, view at `moment`) one by one, as rebuild() has them, without holding every snapshot at once."""
    effective = [TransitionLog.at <= moment]
    if mandate_ids is not None:
        effective.append(TransitionLog.mandate_id.in_(mandate_ids))
    last = (
        select(TransitionLog.mandate_id, func.max(TransitionLog.seq).label("seq"))
        .where(*effective)
        .group_by(TransitionLog.mandate_id)
        .subquery()
    )
    rows = session.exec(
        select(TransitionLog.mandate_id, TransitionLog.snapshot)
        .join(last, and_(TransitionLog.mandate_id == last.c.mandate_id, TransitionLog.seq == last.c.seq))
        # Fetched in batches (a server-side cursor on PostgreSQL): at 100k mandates the texts alone are large.
        .execution_options(yield_per=2000)
    )
    legacy = {}
    for mandate_id, text in rows:
        view = {**LATER_FIELDS, **json.loads(text)}
        if view.get("legacy"):
            legacy[mandate_id] = view
        else:
            yield mandate_id, view
    if legacy:
        live = views(session, list(legacy))
        for mandate_id, view in legacy.items():
            yield mandate_id, _complete(view, live[mandate_id])


def _complete(view: dict, live: dict) -> dict:
    """An entry from before schema 0005 kept only its state: identity comes from today's row, the rest is unknown."""
    known = {"code", "title", "field", "description", "leads"}
    empty = {"participants": [], "decisions": {}, "savings": {}, "depends_on": []}
    return {
        **dict.fromkeys(live),
        **empty,
        **{key: live[key] for key in known},
        "state": view["state"],
        "legacy": True,
    }
