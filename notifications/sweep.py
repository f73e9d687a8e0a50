"""The reminder sweep: one tick that recomputes what is due now and queues it exactly once."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, and_, insert, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ikz import failpoints
from ikz.clock import local_date
from ikz.errors import ConcurrentChange
from ikz.settings import Settings
from models import Body, Contact, Duty, Mandate, Meeting, Reminder
from models.db import transaction
from notifications import links, threads
from notifications import policy as reminder_policy
from notifications.outbox import About, enqueue
from notifications.policy import Policy, Slot
from notifications.rendering import answer_mode, office, render_pair
from workflow import lifecycle
from workflow.duties import done_days, next_on_or_after, open_until
from workflow.people import Answering, answering
from workflow.text import format_date, format_long_date, plural
from workflow.workdays import add_working_days, is_working_day, working_days_between

# How often one recipient's claims are tried again after losing to a concurrent sweep (see _queue_for).
CLAIM_RETRIES, LOCK_RETRIES = 5, 50

# The subject and thread topic of a reminder listing several mandates (stable, so they thread per recipient).
GROUPED_TOPIC = "Ihre Fristen in der interkommunalen Zusammenarbeit"


@dataclass(frozen=True)
class Item:
    """One reminder for one recipient: a mandate deadline or a duty occurrence."""

    mandate_id: int
    code: str
    title: str
    stage_seq: int
    due: date
    slot: Slot
    recipient: str
    recipient_name: str
    text: str
    body_name: str = ""
    # The mandate's state (empty for a duty), the duty reminded of, and the recipient's name as a person.
    state: str = ""
    duty_id: int | None = None
    duty_title: str = ""
    person: str = ""

    @property
    def key(self) -> tuple:
        return (self.mandate_id, self.stage_seq, self.due, self.slot.kind, self.recipient)


@dataclass
class SweepReport:
    """What one sweep queued (or, in a dry run, would queue)."""

    today: date
    items: dict[str, list[Item]] = field(default_factory=dict)
    messages: int = 0
    working_day: bool = True
    dry_run: bool = False

    def summary(self) -> str:
        """Say in German what the sweep did."""
        if not self.working_day:
            return f"{self.today:%d.%m.%Y} ist kein Arbeitstag in NRW: keine Erinnerungen."
        count = sum(len(items) for items in self.items.values())
        if not count:
            return "Keine Erinnerungen fällig."
        if self.dry_run:
            return (
                f"Probelauf: {plural(count, 'Erinnerung', 'Erinnerungen')} für "
                f"{plural(len(self.items), 'Empfänger', 'Empfänger')}; nichts gespeichert oder versendet."
            )
        return (
            f"{plural(count, 'Erinnerung', 'Erinnerungen')} für {plural(len(self.items), 'Empfänger', 'Empfänger')}"
            f", {plural(self.messages, 'Nachricht', 'Nachrichten')} in den Postausgang gestellt."
        )


def due_items(session: Session, settings: Settings, today: date) -> list[Item]:
    """Compute every reminder due today that has not been claimed yet."""
    policy = Policy.from_settings(settings)
    coordinator = Answering(settings.coordinator.email, settings.coordinator.name, "Koordination")
    # A deadline further ahead than the earliest "before" reminder has nothing due yet.
    horizon = add_working_days(today, max(policy.before, default=0))
    in_reach = (Mandate.state.in_(lifecycle.ACTIVE), Mandate.due_date.is_not(None), Mandate.due_date <= horizon)
    columns = (Mandate.id, Mandate.code, Mandate.title, Mandate.state, Mandate.stage_seq, Mandate.due_date)
    # The coordinator is not a person in the configuration: greeted without a name.
    due = {}
    for row in session.exec(select(*columns).where(*in_reach)).all():
        slot = reminder_policy.latest_slot(policy, row.due_date, today, overdue=row.state in lifecycle.CHASED)
        if slot is not None:
            due[row.id] = (row, slot)
    contacts = answering(session, select(Mandate.id).where(*in_reach))
    # Claimed keys first: the daily rerun, where nearly everything is claimed, then builds next to nothing.
    claimed = claimed_keys(session)
    items: dict[tuple, Item] = {}
    for row, slot in due.values():
        # A submitted mandate's submission deadline is the coordinator's: its leads met theirs.
        people = [coordinator] if row.state == "present" else list(contacts[row.id])
        if slot.escalated and row.state != "present":
            people.append(coordinator)
        text = None
        for person in people:
            key = (row.id, row.stage_seq, row.due_date, slot.kind, person.email)
            # The coordinator may also be a lead contact: one reminder per key, or the claim would always clash.
            if key in claimed or key in items:
                continue
            text = text or reminder_policy.describe(slot, row.due_date, today)
            items[key] = Item(
                row.id,
                row.code,
                row.title,
                row.stage_seq,
                row.due_date,
                slot,
                person.email,
                person.name,
                text,
                person.body,
                state=row.state,
                person=person.person,
            )
    for item in [*duty_items(session, policy, today, coordinator), *look_again(session, today, coordinator)]:
        if item.key not in claimed:
            items.setdefault(item.key, item)
    return list(items.values())


def duty_items(session: Session, policy: Policy, today: date, coordinator: Answering) -> list[Item]:
    """Reminders for recurring duties: the body whose turn it is, before and on each occurrence, and weekly after
    it until it is closed (escalating to the coordinator like a deadline); a late one does not hold up the next."""
    items = []
    duties = session.exec(
        select(Duty, Mandate).join(Mandate, Mandate.id == Duty.mandate_id).where(Mandate.state.in_(lifecycle.ACTIVE))
    ).all()
    done = done_days(session, [duty.id for duty, _mandate in duties])
    for duty, mandate in duties:
        for occurrence in [*open_until(duty, done[duty.id], today), next_on_or_after(duty, today + timedelta(days=1))]:
            items += _duty_reminders(session, policy, today, coordinator, duty, mandate, occurrence)
    return items


def _duty_reminders(
    session: Session, policy: Policy, today: date, coordinator: Answering, duty: Duty, mandate, occurrence
) -> list[Item]:
    """The reminders due today for one occurrence of a duty (none if no slot has come)."""
    day = occurrence.day
    slot = reminder_policy.latest_slot(policy, day, today, overdue=True)
    if slot is None:
        return []
    body = session.exec(select(Body).where(Body.key == occurrence.body_key)).one()
    text = f"{duty.title}: {reminder_policy.describe(slot, day, today)} ({body.name} ist an der Reihe)"
    people = [
        Answering(contact.email, contact.name, body.name, person=contact.person)
        for contact in session.exec(select(Contact).where(Contact.body_id == body.id).order_by(Contact.email))
    ]
    if slot.escalated:
        people.append(coordinator)
    kind = Slot(f"{duty.key}/{slot.kind}", slot.day, slot.escalated)
    return [
        Item(
            mandate.id,
            mandate.code,
            mandate.title,
            0,
            day,
            kind,
            person.email,
            person.name,
            text,
            body.name,
            duty_id=duty.id,
            duty_title=duty.title,
            person=person.person,
        )
        for person in people
    ]


def look_again(session: Session, today: date, coordinator: Answering) -> list[Item]:
    """The coordinator's reminder on the day set when a mandate was put on hold (Wiedervorlage), once."""
    rows = session.exec(
        select(Mandate).where(Mandate.state == "on_hold", Mandate.hold_until.is_not(None), Mandate.hold_until <= today)
    ).all()
    return [
        Item(
            mandate.id,
            mandate.code,
            mandate.title,
            0,
            mandate.hold_until,
            Slot("wiedervorlage", mandate.hold_until),
            coordinator.email,
            coordinator.name,
            (
                f"Wiedervorlage: ruht seit {format_date(local_date(mandate.held_since))}"
                if mandate.held_since
                else "Wiedervorlage"
            )
            + (f" ({mandate.hold_reason})" if mandate.hold_reason else ""),
            coordinator.body,
            state="on_hold",
        )
        for mandate in rows
    ]


def claimed_keys(session: Session) -> set[tuple]:
    """Return the keys of reminders already claimed for the current stages and duties."""
    current = session.exec(
        select(Reminder.mandate_id, Reminder.stage_seq, Reminder.due_date, Reminder.kind, Reminder.recipient).join(
            Mandate,
            and_(
                Mandate.id == Reminder.mandate_id,
                or_(
                    # Duties and Wiedervorlagen (stage 0): of active mandates, and of those on hold.
                    and_(Reminder.stage_seq == 0, Mandate.state.in_([*lifecycle.ACTIVE, "on_hold"])),
                    and_(
                        Mandate.state.in_(lifecycle.ACTIVE),
                        Reminder.stage_seq == Mandate.stage_seq,
                        Reminder.due_date == Mandate.due_date,
                    ),
                ),
            ),
        )
    ).all()
    return {tuple(row) for row in current}


def sweep(engine: Engine, settings: Settings, *, now: datetime, dry_run: bool = False) -> SweepReport:
    """Queue one message per recipient listing all their due reminders; claims make reruns harmless."""
    today = local_date(now)
    report = SweepReport(today, dry_run=dry_run)
    if not is_working_day(today):
        report.working_day = False
        return report
    with transaction(engine) as session:
        items = due_items(session, settings, today)
    for item in items:
        report.items.setdefault(item.recipient, []).append(item)
    if dry_run:
        return report
    for recipient, group in sorted(report.items.items()):
        report.messages += _queue_for(engine, settings, recipient, group, now, today)
    return report


def _queue_for(
    engine: Engine, settings: Settings, recipient: str, group: list[Item], now: datetime, today: date
) -> int:
    """Claim and queue one recipient's reminders in one transaction; a concurrent sweep's claim wins."""
    clashes = 0
    # A clash of claims happens a few times at most; SQLite refusing a write on a stale snapshot may happen as
    # often as other sweeps commit meanwhile, and each retry starts from a fresh one.
    for _attempt in range(LOCK_RETRIES):
        try:
            with transaction(engine) as session:
                message = compose(session, settings, group, now=now, today=today)
                claims = [
                    {
                        "mandate_id": item.mandate_id,
                        "stage_seq": item.stage_seq,
                        "due_date": item.due,
                        "kind": item.slot.kind,
                        "recipient": recipient,
                        "created_at": now,
                        "outbox_id": message.id,
                    }
                    for item in group
                ]
                # Core, not the ORM's bulk path: a catch-up sweep claims tens of thousands at once.
                session.execute(insert(Reminder.__table__), claims)
            return 1
        except (IntegrityError, ConcurrentChange) as exc:
            # Another sweep claimed some of these meanwhile (on SQLite its commit can also invalidate our
            # snapshot, which refuses the write): queue only what it left open.
            clashes += isinstance(exc, IntegrityError)
            if clashes > CLAIM_RETRIES:
                break
            with transaction(engine) as session:
                claimed = claimed_keys(session)
            group = [item for item in group if item.key not in claimed]
            if not group:
                return 0
    raise RuntimeError(f"reminder claims for {recipient} keep clashing")  # a bug, not a race: let the job log it


def compose(session: Session, settings: Settings, group: list[Item], *, now: datetime, today: date):
    """Render and queue the reminder message for one recipient's items."""
    failpoints.hit("sweep:render")
    group = sorted(group, key=lambda item: (not item.slot.escalated, item.due, item.code))
    escalated = any(item.slot.escalated for item in group)
    # A person reads the most pressing few; the rest is a count and the portal (and every one is still claimed).
    shown = group[: settings.reminders.max_items]
    details = _details(session, settings, shown, today)
    first = group[0]
    # The coordinator acts through ikz itself; leads answer by mail.
    to_coordinator = first.recipient.casefold() == settings.coordinator.email.casefold()
    if len(group) == 1:
        mandate = session.get(Mandate, first.mandate_id)
        subject = threads.mandate_subject(first.code, first.title, details[0]["stage"])
        thread = threads.for_mandate(settings, mandate.id, mandate.created_at, mandate.code, mandate.title)
    else:
        subject = f"ikz: {GROUPED_TOPIC}"
        thread = threads.for_recipient(settings, "fristen", first.recipient, GROUPED_TOPIC)
    text, html = render_pair(
        "reminder",
        items=details,
        today=today,
        greeting=Answering(first.recipient, first.recipient_name, first.body_name, first.person).greeting,
        escalated=escalated,
        escalate_after=settings.reminders.escalate_after,
        answer=answer_mode(settings, to_coordinator=to_coordinator),
        office=office(settings),
        more=_more(settings, len(group) - len(shown)),
    )
    return enqueue(
        session,
        settings,
        kind="reminder",
        recipient=first.recipient,
        recipient_name=first.person or first.recipient_name,
        subject=subject,
        text=text,
        html=html,
        now=now,
        thread=thread,
        # What the message shows is what a reply can be about (the rest is claimed, and in the portal).
        about=[About(item.mandate_id, item.duty_id, item.due if item.duty_id else None) for item in shown],
        answerable=not to_coordinator,
    )


def _more(settings: Settings, count: int) -> dict | None:
    """The line under a capped list of deadlines: how many more, and where to find them all."""
    if not count:
        return None
    return {
        "label": plural(count, "weitere Frist", "weitere Fristen"),
        "link": links.board_page(settings, personal=True),
    }


def _details(session: Session, settings: Settings, group: list[Item], today: date) -> list[dict]:
    """What a reminder says about each item: the work due, by when, who else leads, what happens next."""
    policy = Policy.from_settings(settings)
    leads = answering(session, [item.mandate_id for item in group if not item.duty_id])
    details = []
    for item in group:
        if item.duty_id:
            stage, work = item.duty_title, f"{item.duty_title} ({item.body_name} ist an der Reihe)"
        else:
            stage, work = lifecycle.STATES[item.state], lifecycle.STAGE_WORK[item.state]
        if item.state == "on_hold":
            # Since when and why it rests: what the coordinator needs to decide whether to resume.
            work += f" – {item.text.removeprefix('Wiedervorlage: ')}"
        people = leads.get(item.mandate_id, [])
        mine = any(p.email == item.recipient for p in people)
        named = sorted({_lead(p) for p in people if p.email != item.recipient})
        details.append(
            {
                "code": item.code,
                "title": item.title,
                "stage": stage,
                "work": work,
                "due": item.due,
                "timing": _timing(item, today),
                "overdue": item.slot.overdue or (item.slot.kind == "due" and today > item.due),
                "escalated": item.slot.escalated,
                "leads": named,
                "leads_label": "Ebenfalls federführend" if mine else "Federführung",
                "next": _next(session, policy, item),
                "link": links.mandate_page(settings, item.code, recipient=item.recipient),
                "body_name": item.body_name,
            }
        )
    return details


def _lead(person: Answering) -> str:
    """A lead as a reminder names it: "Bergkamen (Sabine Krüger, Leitung IT)", or the mailbox's name."""
    who = ", ".join(part for part in (person.person, person.function) if part) or person.name
    return f"{person.body} ({who})"


def _timing(item: Item, today: date) -> str:
    if today < item.due:
        days = working_days_between(today, item.due)
        return "noch 1 Arbeitstag" if days == 1 else f"noch {days} Arbeitstage"
    if today == item.due:
        return "heute"
    late = working_days_between(item.due, today)
    return f"seit {plural(late, 'Arbeitstag', 'Arbeitstagen')} überschritten"


def _next(session: Session, policy: Policy, item: Item) -> str:
    """Say in German what happens if nothing happens."""
    if item.state == "on_hold":
        return f"Wieder aufnehmen mit: ikz resume {item.code} (oder eine neue Wiedervorlage: ikz hold)."
    if item.state not in lifecycle.CHASED and not item.duty_id:
        mandate = session.get(Mandate, item.mandate_id)
        meeting = session.get(Meeting, mandate.meeting_id) if mandate.meeting_id else None
        when = f" am {format_long_date(meeting.date)}" if meeting else ""
        return f"Danach berät die Bürgermeisterkonferenz die Vorlage in ihrer Sitzung{when}."
    if not policy.escalate_after:
        return "Bis zur Erledigung oder einer neuen Frist erinnert ikz wöchentlich."
    day = reminder_policy.escalation_day(policy, item.due)
    if item.slot.escalated:
        return f"Die Koordinierungsstelle ist einbezogen (Eskalation seit dem {format_long_date(day)})."
    return (
        f"Ohne Erledigung oder neue Frist geht die Erinnerung ab dem {format_long_date(day)} "
        "auch an die Koordinierungsstelle (Eskalation)."
    )
