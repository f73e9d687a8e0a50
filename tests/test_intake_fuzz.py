"""Fuzzing the intake: whatever arrives (malformed MIME, charset chaos, header injection, random bytes), it ends
recorded, ignored or quarantined with a one-line reason; it never raises, and what it stores is storable."""

from datetime import datetime

from hypothesis import HealthCheck, example, given, settings
from sqlmodel import select

from ikz import settings as settings_module
from ikz.clock import BERLIN
from ikz.intake.taking import take_in
from models import Inbound, OutboxMessage, TransitionLog
from models.db import transaction
from notifications.sweep import sweep
from tests import conftest
from tests.mailroom import KEY, reply
from tests.strategies import incoming_mail
from workflow.checks import text_problem

CONFIG = settings_module.load(environ={}, inbox_token_key=KEY)
NOW = datetime(2010, 12, 1, 10, 0, tzinfo=BERLIN)
EXAMPLES = 40 if conftest.PG_URL else 150


def test_any_message_ends_recorded_ignored_or_quarantined(loaded):
    sweep(loaded, CONFIG, now=datetime(2010, 12, 1, 7, 30, tzinfo=BERLIN))
    with transaction(loaded) as session:
        reminder = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == "loga@luenen.example")).one()
    original = reminder.raw.encode()

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(raw=incoming_mail(original))
    @example(raw=reply(original, "Erledigt", sender="loga@luenen.example"))
    def property_(raw):
        with transaction(loaded) as session:
            outcome = take_in(session, CONFIG, raw, now=NOW)
            assert outcome.status in ("recorded", "ignored", "quarantined", "duplicate", "unsubscribed")
            row = outcome.inbound
            assert row.reason is None or ("\n" not in row.reason and row.reason.strip())
            assert text_problem(row.subject) is None and text_problem(row.sender) is None
        with transaction(loaded) as session:
            for entry in session.exec(select(TransitionLog).where(TransitionLog.channel == "E-Mail")).all():
                assert text_problem(entry.note or "", multiline=True) is None
                assert len(entry.actor) <= 120
            answers = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "unassigned")).all()
            for answer in answers:
                # Injected header text may show up inside the subject, never as a header of its own.
                head = answer.raw.split("\n\n", 1)[0].split("\n")
                assert not [line for line in head if line.lower().startswith(("bcc:", "x-injected:", "cc:"))]

    property_()
    with transaction(loaded) as session:
        seen = {row.status for row in session.exec(select(Inbound)).all()}
    assert {"quarantined", "recorded"} <= seen
