"""Every kind of mail ikz sends threads as documented, says it is automatic, names its list, and can be answered
only where an answer can be taken in."""

import base64
import hashlib
from datetime import date, datetime

import pytest
from sqlmodel import select

from ikz import settings as settings_module
from ikz.clock import BERLIN
from models import Mandate, OutboxMessage
from models.db import transaction
from notifications import threads, tokens
from notifications.delivery import dispatch
from notifications.effects import follow_up
from notifications.monthly import monthly_tick
from notifications.sweep import sweep
from tests.factories import RULES
from tests.mailroom import KEY, deliver, reply
from workflow.proposals import accept
from workflow.steps import advance


def at(day: str, time: str = "07:30") -> datetime:
    return datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=BERLIN)


@pytest.fixture
def config(tmp_path, smtp_server):
    return settings_module.load(
        environ={},
        mail_transport="smtp",
        mail_host=smtp_server.host,
        mail_port=smtp_server.port,
        mail_security="none",
        mail_timeout=5,
        inbox_token_key=KEY,
        inbox_directory=str(tmp_path / "eingang"),
    )


def root_of(engine, code: str) -> str:
    with transaction(engine) as session:
        mandate = session.exec(select(Mandate).where(Mandate.code == code)).one()
    return f"<ikz.mandat.{mandate.id}.{mandate.created_at:%Y%m%d%H%M%S}@kreis-unna.example>"


def per_recipient(address: str, kind: str) -> str:
    return f"<ikz.{kind}.{hashlib.sha256(address.encode()).hexdigest()[:16]}@kreis-unna.example>"


def check(message, *, chain: list[str], topic: str, list_id: str, answerable: bool, auto="auto-generated"):
    """The headers every ikz mail carries, and the thread it belongs to."""
    assert message["Auto-Submitted"] == auto
    assert message["X-Auto-Response-Suppress"] == "All"
    assert message["List-Id"] == list_id
    assert message["In-Reply-To"] == chain[-1]
    assert message["References"].split() == chain
    assert message["Thread-Topic"] == topic
    index = base64.b64decode(message["Thread-Index"])
    assert len(index) == 27 and index[6:22] == hashlib.md5(chain[0].encode()).digest()
    reply_to = message["Reply-To"]
    if answerable:
        [token] = tokens.found_in(CONFIG, [reply_to])
        assert reply_to == f"ikz+r{token.outbox_id}.{token.mac}@kreis-unna.example"
    else:
        assert reply_to is None or "ikz+" not in reply_to


CONFIG = settings_module.load(environ={}, inbox_token_key=KEY)
REMINDERS = "ikz-Erinnerungen <erinnerungen.ikz.kreis-unna.example>"
NOTICES = "ikz-Hinweise <hinweise.ikz.kreis-unna.example>"


def received(smtp_server, start: int = 0) -> dict[str, object]:
    return {m.rcpt_tos[0]: m.message for m in smtp_server.received[start:]}


def run_day(engine, config, day: str):
    sweep(engine, config, now=at(day))
    dispatch(engine, config, now=at(day, "07:31"), owner="test")


def test_reminders_thread_per_mandate_and_keep_their_subject_through_a_stage(loaded, config, smtp_server):
    run_day(loaded, config, "2011-01-17")  # 1.2 ten working days before 31.01.
    run_day(loaded, config, "2011-01-26")
    run_day(loaded, config, "2011-02-07")  # overdue
    kamen = [m.message for m in smtp_server.received if m.rcpt_tos == ["it@kamen.example"]]
    assert len(kamen) == 3
    root = root_of(loaded, "1.2")
    for message in kamen:
        assert message["Subject"] == "ikz 1.2 Breitbandverkabelung – Konzepterstellung"
        check(message, chain=[root], topic="1.2 Breitbandverkabelung", list_id=REMINDERS, answerable=True)
    # Each message its own answer address, bound to its recipient.
    assert len({m["Reply-To"] for m in kamen}) == 3


def test_a_grouped_reminder_threads_per_recipient_and_an_escalation_per_mandate(deadlines_only, config, smtp_server):
    run_day(
        deadlines_only, config, "2011-01-12"
    )  # only 1.4 escalates: one mandate, the coordinator's mail threads under it
    single = received(smtp_server)["ikz@kreis-unna.example"]
    assert single["Subject"] == "ikz 1.4 Einkaufsgemeinschaft LOGA – Prüfung"
    check(
        single,
        chain=[root_of(deadlines_only, "1.4")],
        topic="1.4 Einkaufsgemeinschaft LOGA",
        list_id=REMINDERS,
        answerable=False,
    )
    start = len(smtp_server.received)
    run_day(deadlines_only, config, "2011-02-14")  # 1.4 and 1.2 escalate: one grouped message
    grouped = received(smtp_server, start)["ikz@kreis-unna.example"]
    assert grouped["Subject"] == "ikz: Ihre Fristen in der interkommunalen Zusammenarbeit"
    check(
        grouped,
        chain=[per_recipient("ikz@kreis-unna.example", "fristen")],
        topic="Ihre Fristen in der interkommunalen Zusammenarbeit",
        list_id=REMINDERS,
        answerable=False,
    )


def test_a_duty_reminder_threads_under_its_mandate(loaded, config, smtp_server):
    run_day(loaded, config, "2010-11-16")
    message = received(smtp_server)["it@bergkamen.example"]
    assert message["Subject"] == "ikz 1.1 IT-Arbeitskreis – Vorbereitung der Sitzung des IT-Arbeitskreises"
    check(message, chain=[root_of(loaded, "1.1")], topic="1.1 IT-Arbeitskreis", list_id=REMINDERS, answerable=True)


def test_notices_thread_under_the_mandate_they_are_about(loaded, config, smtp_server):
    with transaction(loaded) as session:
        entry = advance(
            session, "2.1", "hold", actor="t", now=at("2011-04-12"), today=date(2011, 4, 12), note="Pause", rules=RULES
        )
    with transaction(loaded) as session:
        mandate = session.exec(select(Mandate).where(Mandate.code == "2.1")).one()
        mandate.state, mandate.held_state = "decide", None
        session.add(mandate)
    with transaction(loaded) as session:
        entry = advance(
            session, "2.1", "reject", actor="t", now=at("2011-04-12"), today=date(2011, 4, 12), note="Nein", rules=RULES
        )
        follow_up(session, config, entry, now=at("2011-04-12"))
    dispatch(loaded, config, now=at("2011-04-12", "07:31"), owner="test")
    notice = received(smtp_server)["rpa@luenen.example"]
    root = root_of(loaded, "2.1-LS")
    check(
        notice, chain=[root], topic="2.1-LS Kooperation Lünen–Selm Rechnungsprüfung", list_id=NOTICES, answerable=True
    )


def test_the_answer_to_a_proposal_threads_under_its_mandate(deadlines_only, config, smtp_server, tmp_path):
    run_day(deadlines_only, config, "2010-12-01")
    [reminder] = smtp_server.received
    deliver(tmp_path / "eingang", reply(reminder.data, "Neue Frist: 31.03.2011", sender="loga@luenen.example"))
    from ikz.intake.fetching import fetch

    fetch(deadlines_only, config, now=at("2010-12-01", "10:00"))
    with transaction(deadlines_only) as session:
        entry = accept(session, 1, actor="K", now=at("2010-12-01", "11:00"), today=date(2010, 12, 1))
        follow_up(session, config, entry, now=at("2010-12-01", "11:00"))
    dispatch(deadlines_only, config, now=at("2010-12-01", "11:01"), owner="test")
    messages = received(smtp_server, 1)
    root = root_of(deadlines_only, "1.4")
    check(
        messages["loga@luenen.example"],
        chain=[root],
        topic="1.4 Einkaufsgemeinschaft LOGA",
        list_id=NOTICES,
        answerable=True,
    )
    # The coordinator's notice of the reply: in the same conversation, without a reply token.
    check(
        messages["ikz@kreis-unna.example"],
        chain=[root],
        topic="1.4 Einkaufsgemeinschaft LOGA",
        list_id="ikz-Eingang <eingang.ikz.kreis-unna.example>",
        answerable=False,
    )


def test_the_answer_to_an_unassignable_reply_is_a_reply_to_it(deadlines_only, config, smtp_server, tmp_path):
    run_day(deadlines_only, config, "2010-12-01")
    [reminder] = smtp_server.received
    raw = reply(reminder.data, "Erledigt", sender="fremd@example.org")
    deliver(tmp_path / "eingang", raw)
    from email import message_from_bytes, policy

    from ikz.intake.fetching import fetch

    sent = message_from_bytes(raw, policy=policy.default)
    fetch(deadlines_only, config, now=at("2010-12-01", "10:00"))
    dispatch(deadlines_only, config, now=at("2010-12-01", "10:01"), owner="test")
    answer = received(smtp_server, 1)["fremd@example.org"]
    check(
        answer,
        chain=[*sent["References"].split(), sent["Message-ID"]],
        topic="AW: ikz 1.4 Einkaufsgemeinschaft LOGA – Prüfung",
        list_id="ikz-Eingang <eingang.ikz.kreis-unna.example>",
        answerable=False,
        auto="auto-replied",
    )
    assert answer["References"].split()[-1] == sent["Message-ID"]


def test_a_failure_notice_replies_to_the_failed_message(loaded, config, smtp_server):
    smtp_server.handler.reject.add("loga@luenen.example")
    run_day(loaded, config, "2010-12-01")
    dispatch(loaded, config, now=at("2010-12-01", "07:32"), owner="test")
    with transaction(loaded) as session:
        failed = session.exec(select(OutboxMessage).where(OutboxMessage.status == "failed")).one()
    notice = received(smtp_server)["ikz@kreis-unna.example"]
    assert notice["Subject"] == "Nicht zugestellt: ikz 1.4 Einkaufsgemeinschaft LOGA – Prüfung"
    check(
        notice,
        chain=[root_of(loaded, "1.4"), failed.message_id],
        topic="1.4 Einkaufsgemeinschaft LOGA",
        list_id="ikz-Zustellberichte <zustellung.ikz.kreis-unna.example>",
        answerable=False,
    )


def test_digests_thread_per_recipient_and_unsubscribe_in_one_click(loaded, smtp_server, tmp_path):
    https = settings_module.load(
        environ={},
        mail_transport="smtp",
        mail_host=smtp_server.host,
        mail_port=smtp_server.port,
        mail_security="none",
        mail_timeout=5,
        inbox_token_key=KEY,
        portal_base_url="https://ikz.kreis-unna.example/",
    )
    monthly_tick(loaded, https, now=at("2010-12-01", "07:05"))
    dispatch(loaded, https, now=at("2010-12-01", "07:06"), owner="test")
    digest = received(smtp_server)["loga@luenen.example"]
    check(
        digest,
        chain=[per_recipient("loga@luenen.example", "digest")],
        topic="IKZ-Monatsbericht",
        list_id="IKZ-Monatsbericht <monatsbericht.ikz.kreis-unna.example>",
        answerable=False,
    )
    assert digest["Reply-To"] == "ikz@kreis-unna.example"
    mailto, url = (part.strip(" <>") for part in digest["List-Unsubscribe"].split(","))
    [token] = tokens.found_in(https, [mailto.removeprefix("mailto:").split("?")[0]])
    assert token.purpose == "unsubscribe"
    assert url == f"https://ikz.kreis-unna.example/monatsbericht/abbestellen/u{token.outbox_id}.{token.mac}"
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = digest.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert f"Monatsbericht abbestellen: {url}\n" in text
    assert "Erinnerungen an Fristen der Mandate, die Ihre Stelle federführend betreut, kommen weiterhin: " in text


def test_a_token_is_bound_to_its_message_and_recipient():
    token = tokens.mint(CONFIG, "reply", 42, "<a@kreis-unna.example>", "loga@luenen.example")
    [parsed] = tokens.found_in(CONFIG, [tokens.address(CONFIG, token).upper()])
    assert tokens.verify(CONFIG, parsed, "<a@kreis-unna.example>", "LOGA@luenen.example")
    assert not tokens.verify(CONFIG, parsed, "<a@kreis-unna.example>", "it@kamen.example")
    assert not tokens.verify(CONFIG, parsed, "<b@kreis-unna.example>", "loga@luenen.example")
    other = settings_module.load(environ={}, inbox_token_key="ein-anderer-schluessel-000")
    assert not tokens.verify(other, parsed, "<a@kreis-unna.example>", "loga@luenen.example")
    assert threads.replying_to("<x@y>", ["<a@b>", "kaputt\r\nBcc: x", "<c@d>"], "t").chain == (
        "<a@b>",
        "<c@d>",
        "<x@y>",
    )
