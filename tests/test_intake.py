"""Replies by mail: a reminder delivered over real SMTP, answered, fetched from a Maildir, recorded once."""

import base64
import json
from datetime import date, datetime

import pytest
from sqlmodel import select

from ikz import settings as settings_module
from ikz.clock import BERLIN
from ikz.errors import NotFound
from ikz.intake.fetching import fetch
from models import Contact, DigestOptOut, Inbound, Mandate, OutboxMessage, Proposal, TransitionLog
from models.db import transaction
from notifications.delivery import dispatch
from notifications.sweep import sweep
from tests.mailroom import KEY, deliver, done, reply, waiting

LOGA = "loga@luenen.example"


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


def deliver_reminders(engine, config, smtp_server, day: str) -> dict[str, bytes]:
    """Run the sweep and the dispatcher of one morning; what each recipient's server received."""
    start = len(smtp_server.received)
    sweep(engine, config, now=at(day))
    dispatch(engine, config, now=at(day, "07:31"), owner="test")
    return {m.rcpt_tos[0]: m.data for m in smtp_server.received[start:]}


def take(engine, config, day="2010-12-01", time="10:00") -> str:
    return fetch(engine, config, now=at(day, time)).summary()


def history(engine, code: str) -> list[tuple]:
    with transaction(engine) as session:
        mandate = session.exec(select(Mandate).where(Mandate.code == code)).one()
        entries = session.exec(
            select(TransitionLog).where(TransitionLog.mandate_id == mandate.id).order_by(TransitionLog.id)
        ).all()
    return [(e.trigger, e.actor, e.channel, e.note) for e in entries]


def inbound(engine) -> list[tuple]:
    with transaction(engine) as session:
        return [(i.status, i.sender, i.reason, i.codes) for i in session.exec(select(Inbound).order_by(Inbound.id))]


def queued(engine, kind: str) -> list[OutboxMessage]:
    with transaction(engine) as session:
        return list(session.exec(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)))


def plain(row: OutboxMessage) -> str:
    from email import message_from_string, policy

    message = message_from_string(row.raw, policy=policy.default)
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


@pytest.fixture
def reminded(loaded, config, smtp_server):
    """1.4's reminder ten working days before its deadline (15.12.2010), as Lünen's server received it."""
    return deliver_reminders(loaded, config, smtp_server, "2010-12-01")[LOGA]


def test_a_reply_becomes_a_proposal_and_a_note_of_that_contact(loaded, config, reminded, tmp_path):
    text = (
        "Guten Tag,\n\nNeue Frist: 31.03.2011 – Verhandlungen mit dem RZ laufen\n"
        "Der Vertragsentwurf liegt beim RZ.\n\nViele Grüße\nPetra Schulte\nStadt Lünen"
    )
    deliver(tmp_path / "eingang", reply(reminded, text, sender=LOGA, name="Schulte, Petra"))
    assert take(loaded, config) == "1 Antwort übernommen, 0 in Quarantäne, 0 automatische Nachrichten übergangen."
    assert history(loaded, "1.4")[-2:] == [
        (
            "propose",
            "Petra Schulte (Lünen)",
            "E-Mail",
            "Vorschlag 1: neue Frist 31.03.2011 – Verhandlungen mit dem RZ laufen",
        ),
        ("note", "Petra Schulte (Lünen)", "E-Mail", "Der Vertragsentwurf liegt beim RZ."),
    ]
    with transaction(loaded) as session:
        proposal = session.get(Proposal, 1)
        contact = session.exec(select(Contact).where(Contact.email == LOGA)).one()
    assert (proposal.kind, proposal.due_date, proposal.contact_id, proposal.status) == (
        "deadline",
        date(2011, 3, 31),
        contact.id,
        "open",
    )
    assert proposal.source.endswith("@luenen.example>")
    assert inbound(loaded) == [("recorded", LOGA, None, "1.4")]
    # Out of the inbox only now that it is committed.
    assert (waiting(tmp_path / "eingang"), done(tmp_path / "eingang")) == (0, 1)
    [notice] = queued(loaded, "inbox")
    assert notice.recipient == "ikz@kreis-unna.example"
    assert notice.subject == "ikz 1.4 Einkaufsgemeinschaft LOGA – Prüfung"
    assert plain(notice).startswith(
        "Guten Tag,\n\nSchulte, Petra <loga@luenen.example> hat per E-Mail zu 1.4 geantwortet "
        "(„AW: ikz 1.4 Einkaufsgemeinschaft LOGA – Prüfung“).\n"
        "  Vermerk im Verlauf von 1.4.\n"
        "  Vorschlag 1: neue Frist 31.03.2011 – Verhandlungen mit dem RZ laufen\n"
        "    annehmen: ikz proposal accept 1   ablehnen: ikz proposal decline 1 --reason TEXT\n"
    )


def test_the_coordinator_accepts_and_the_lead_hears_it_in_the_mandates_thread(
    loaded, config, reminded, tmp_path, cli, db_url, monkeypatch, frozen
):
    deliver(tmp_path / "eingang", reply(reminded, "Neue Frist: 31.03.2011 – Verhandlungen laufen", sender=LOGA))
    take(loaded, config)
    config_file = tmp_path / "ikz.toml"
    config_file.write_text(f'[inbox]\ntoken_key = "{KEY}"\n', encoding="utf-8")
    monkeypatch.setenv("IKZ_CONFIG", str(config_file))
    frozen("2010-12-02T09:00")  # the next morning: after the reply came in
    result = cli("proposal", "accept", "1", "--actor", "Koordinierungsstelle IKZ")
    assert result.stdout == (
        "Vorschlag 1 angenommen: Vorschlag 1: neue Frist 31.03.2011 – Verhandlungen laufen "
        "(von Petra Schulte (Lünen)) angenommen; Frist: 15.12.2010 → 31.03.2011.\n"
    )
    [told] = queued(loaded, "notice")
    assert (told.recipient, told.subject) == (LOGA, "ikz 1.4 Einkaufsgemeinschaft LOGA – Prüfung")
    assert plain(told).startswith(
        "Guten Tag Petra Schulte,\n\ndie Koordinierungsstelle hat Ihren Vorschlag zu 1.4 Einkaufsgemeinschaft LOGA "
        "angenommen:\n\n  Vorschlag 1: neue Frist 31.03.2011 – Verhandlungen laufen\n\n"
        "Die Frist der Stufe ist jetzt der 31. März 2011.\n"
    )
    shown = cli("show", "1.4").stdout
    assert "Petra Schulte (Lünen) [E-Mail]: propose (Änderung) – Vorschlag 1: neue Frist 31.03.2011" in shown


def test_a_message_is_taken_in_once_however_often_it_arrives(loaded, config, reminded, tmp_path):
    raw = reply(reminded, "Stand: Vertragsentwurf liegt dem RZ vor", sender=LOGA)
    deliver(tmp_path / "eingang", raw)
    take(loaded, config)
    assert take(loaded, config) == "Keine neuen Nachrichten."
    deliver(tmp_path / "eingang", raw)  # the server delivers it again, or a second rule copies it
    assert take(loaded, config) == (
        "0 Antworten übernommen, 0 in Quarantäne, 0 automatische Nachrichten übergangen, 1 bereits erfasst."
    )
    assert [entry[0] for entry in history(loaded, "1.4")].count("propose") == 1
    assert len(queued(loaded, "inbox")) == 1
    assert done(tmp_path / "eingang") == 2


@pytest.mark.parametrize(
    ("headers", "subject", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, None, "automatische Nachricht (Auto-Submitted: auto-replied)"),
        ({"X-Autoreply": "yes"}, None, "automatische Antwort (X-Autoreply)"),
        ({"Precedence": "bulk"}, None, "automatische Nachricht (Precedence: bulk)"),
        ({"Precedence": "auto_reply"}, None, "automatische Nachricht (Precedence: auto_reply)"),
        ({}, "Abwesenheitsnotiz: Petra Schulte", "Abwesenheitsnotiz (Betreff „Abwesenheitsnotiz: Petra Schulte“)"),
        ({"Return-Path": "<>"}, None, "Zustellbericht"),
    ],
)
def test_automatic_replies_are_ignored_never_answered_nor_reported(
    loaded, config, reminded, tmp_path, headers, subject, reason
):
    before = history(loaded, "1.4")
    raw = reply(reminded, "Ich bin bis zum 10.12. nicht im Haus.", sender=LOGA, headers=headers)
    if subject:
        raw = raw.replace(b"Subject: AW: ikz 1.4", f"Subject: {subject}\nX-Was: ikz 1.4".encode(), 1)
    deliver(tmp_path / "eingang", raw)
    assert take(loaded, config) == "0 Antworten übernommen, 0 in Quarantäne, 1 automatische Nachricht übergangen."
    assert inbound(loaded) == [("ignored", LOGA, reason, "")]
    assert history(loaded, "1.4") == before
    assert queued(loaded, "unassigned") == queued(loaded, "inbox") == []
    assert done(tmp_path / "eingang") == 1


def forge_token(raw: bytes) -> bytes:
    start = raw.index(b"ikz+r")
    end = raw.index(b"@", start)
    token = raw[start:end]
    return raw.replace(token, token[:-4] + (b"0000" if not token.endswith(b"0000") else b"1111"))


@pytest.mark.parametrize(
    ("case", "reason", "answered"),
    [
        (
            "bad token",
            "Antwortkennzeichen ungültig (verändert, zu einer anderen Nachricht oder mit anderem Schlüssel)",
            True,
        ),
        (
            "unknown sender",
            "unbekannter Absender fremd@example.org (kein Kontakt der federführenden Stellen: Lünen)",
            True,
        ),
        (
            "stolen token",
            "Absender it@kamen.example gehört nicht zu den federführenden Stellen (Lünen); "
            "die Nachricht ging an loga@luenen.example",
            False,
        ),
        ("forged sender", "Absender loga@luenen.example nicht bestätigt (DMARC fehlgeschlagen)", False),
        ("closed mandate", "Mandat 1.4 ist zurückgezogen", True),
        ("no reference", "keine Antwort auf eine Nachricht von ikz (kein Antwortkennzeichen, kein Bezug)", False),
    ],
)
def test_what_cannot_be_assigned_goes_to_the_quarantine(loaded, config, reminded, tmp_path, case, reason, answered):
    sender = {"unknown sender": "fremd@example.org", "stolen token": "it@kamen.example"}.get(case, LOGA)
    headers = {"Authentication-Results": "mx.kreis-unna.example; dmarc=fail header.from=luenen.example"}
    raw = reply(reminded, "Erledigt", sender=sender, headers=headers if case == "forged sender" else None)
    if case == "bad token":
        raw = forge_token(raw)
    if case == "no reference":
        raw = reply(reminded, "Erledigt", sender=sender, to="ikz@kreis-unna.example")
        raw = raw.replace(b"In-Reply-To:", b"X-In-Reply-To:").replace(b"References:", b"X-References:")
    if case == "closed mandate":
        with transaction(loaded) as session:
            mandate = session.exec(select(Mandate).where(Mandate.code == "1.4")).one()
            mandate.state = "withdrawn"
            session.add(mandate)
    before = history(loaded, "1.4")
    deliver(tmp_path / "eingang", raw)
    assert take(loaded, config) == "0 Antworten übernommen, 1 in Quarantäne, 0 automatische Nachrichten übergangen."
    assert inbound(loaded) == [("quarantined", sender, reason, "")]
    assert history(loaded, "1.4") == before
    answers = queued(loaded, "unassigned")
    assert [a.recipient for a in answers] == ([sender] if answered else [])
    [notice] = queued(loaded, "inbox")
    assert f"liegt in der Quarantäne (Nr. 1):\n  Grund: {reason}\n" in plain(notice)
    assert done(tmp_path / "eingang") == 1


def test_the_sender_gets_one_answer_a_day_as_an_automatic_reply(loaded, config, reminded, tmp_path):
    for text in ("Erledigt", "Doch nicht erledigt"):
        deliver(tmp_path / "eingang", reply(reminded, text, sender="fremd@example.org", name="Fremd"))
    take(loaded, config)
    [answer] = queued(loaded, "unassigned")
    from email import message_from_string, policy

    message = message_from_string(answer.raw, policy=policy.default)
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["Subject"] == "AW: ikz 1.4 Einkaufsgemeinschaft LOGA – Prüfung"
    with transaction(loaded) as session:
        first = session.get(Inbound, 1)
    assert message["In-Reply-To"] == first.message_id
    assert message["References"].endswith(first.message_id)
    assert plain(answer).startswith(
        "Guten Tag,\n\nIhre Nachricht „AW: ikz 1.4 Einkaufsgemeinschaft LOGA – Prüfung“ ist am 1. Dezember 2010 "
        "bei ikz eingegangen, konnte aber keinem Mandat zugeordnet werden.\n"
    )
    assert len(queued(loaded, "inbox")) == 2  # the coordinator hears of each


def test_the_coordinator_lists_releases_and_drops_the_quarantine(
    loaded, config, reminded, tmp_path, cli, frozen, monkeypatch
):
    monkeypatch.setenv("IKZ_TOKEN_KEY", KEY)
    deliver(tmp_path / "eingang", reply(reminded, "Stand: Angebot liegt vor", sender="fremd@example.org", name="Fremd"))
    no_ref = reply(reminded, "Hallo, eine Frage", sender="x@example.org", to="ikz@kreis-unna.example")
    deliver(tmp_path / "eingang", no_ref.replace(b"In-Reply-To:", b"X-1:").replace(b"References:", b"X-2:"))
    take(loaded, config)
    frozen("2010-12-01T11:00")
    listing = cli("inbox", "quarantine").stdout.splitlines()
    assert listing[0].split() == ["Nr.", "Eingang", "Status", "Absender", "Betreff", "Grund/Mandate"]
    assert listing[2].startswith("1    01.12.2010 10:00  in Quarantäne  fremd@example.org")
    unnamed = cli("inbox", "release", "2")
    assert (unnamed.exit_code, unnamed.stderr) == (
        1,
        "Fehler: Nachricht 2 ist keinem Mandat zugeordnet; bitte angeben: ikz inbox release 2 --mandate CODE\n",
    )
    released = cli("inbox", "release", "1", "--actor", "Koordination")
    assert (released.exit_code, released.stdout) == (0, "Nachricht 1 übernommen: Vorschlag 1.\n")
    assert history(loaded, "1.4")[-1] == (
        "propose",
        "Fremd <fremd@example.org>",
        "E-Mail",
        "Vorschlag 1: Stand – Angebot liegt vor",
    )
    assert cli("inbox", "release", "2", "--mandate", "1.4", "--actor", "K").stdout == (
        "Nachricht 2 übernommen: Vermerk zu 1.4.\n"
    )
    assert history(loaded, "1.4")[-1] == ("note", "x@example.org", "E-Mail", "Hallo, eine Frage")
    assert cli("inbox", "drop", "2").stderr == (
        "Fehler: Nachricht 2 ist nicht in Quarantäne, sondern freigegeben (01.12.2010, K).\n"
    )
    again = cli("inbox", "release", "1")
    assert (
        again.stderr == "Fehler: Nachricht 1 ist nicht in Quarantäne, sondern freigegeben (01.12.2010, Koordination).\n"
    )
    assert cli("inbox", "quarantine").stdout == "Keine Nachricht in Quarantäne.\n"
    rows = json.loads(cli("inbox", "quarantine", "--all", "--json").stdout)
    assert [(r["id"], r["status"], r["codes"]) for r in rows] == [(1, "released", "1.4"), (2, "released", "1.4")]
    with transaction(loaded) as session:
        assert session.get(Inbound, 1).raw is None  # no longer kept once decided


def test_dropping_deletes_the_content_and_keeps_the_record(loaded, config, reminded, tmp_path, cli):
    deliver(tmp_path / "eingang", reply(reminded, "Werbung", sender="spam@example.org"))
    take(loaded, config)
    assert cli("inbox", "drop", "1", "--actor", "Koordination").stdout == "Nachricht 1 verworfen.\n"
    assert inbound(loaded)[0][0] == "dropped"
    with transaction(loaded) as session:
        assert session.get(Inbound, 1).raw is None
    unknown = cli("inbox", "drop", "7")
    assert unknown.stderr == "Fehler: Eine Nachricht 7 gibt es im Eingang nicht. In Quarantäne: keine.\n"


def test_html_only_charset_chaos_and_attachments(loaded, config, reminded, tmp_path):
    html = "<html><body><p>Stand: Vertr&auml;ge &amp; Preise liegen vor</p><blockquote>altes Zitat</blockquote></body></html>"
    deliver(
        tmp_path / "eingang",
        reply(reminded, "", sender=LOGA, html=html, quote=False).replace(
            b"Content-Type: text/plain", b"Content-Type: text/x-ignored"
        ),
    )
    latin = reply(reminded, "Der Vertrag für Lünen ist unterschrieben.", sender=LOGA, quote=False)
    # UTF-8 bytes declared as Latin-1, as some gateways do.
    latin = latin.replace(b'charset="utf-8"', b'charset="iso-8859-1"')
    deliver(tmp_path / "eingang", latin)
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"], message["To"] = (
        LOGA,
        str(__import__("email").message_from_bytes(reminded, policy=__import__("email").policy.default)["Reply-To"]),
    )
    message["Subject"], message["Message-ID"] = "AW: Anlage", "<anlage@luenen.example>"
    message.set_content("Anbei der Entwurf.")
    message.add_attachment(b"%PDF-1.4 " * 1000, maintype="application", subtype="pdf", filename="vertrag.pdf")
    deliver(tmp_path / "eingang", message.as_bytes())
    assert take(loaded, config) == "3 Antworten übernommen, 0 in Quarantäne, 0 automatische Nachrichten übergangen."
    notes = [entry[3] for entry in history(loaded, "1.4")[-3:]]
    assert notes == [
        "Vorschlag 1: Stand – Verträge & Preise liegen vor",
        "Der Vertrag für Lünen ist unterschrieben.",
        "Anbei der Entwurf.\n\nAnhänge (nicht gespeichert): vertrag.pdf (0,0 MB)",
    ]


def test_an_oversized_message_is_quarantined_unread(loaded, tmp_path, reminded, smtp_server):
    small = settings_module.load(
        environ={}, inbox_token_key=KEY, inbox_directory=str(tmp_path / "eingang"), inbox_max_bytes=20_000
    )
    deliver(tmp_path / "eingang", reply(reminded, "Anbei\n" + "x" * 30_000, sender=LOGA))
    assert take(loaded, small) == "0 Antworten übernommen, 1 in Quarantäne, 0 automatische Nachrichten übergangen."
    [(_status, _sender, reason, _codes)] = inbound(loaded)
    assert reason.startswith("Nachricht zu groß (0,0 MB; erlaubt sind 0,0 MB)") or reason.startswith(
        "Nachricht zu groß ("
    )
    with transaction(loaded) as session:
        kept = base64.b64decode(session.get(Inbound, 1).raw)
    assert b"x" * 1000 not in kept  # only the headers were read


def test_a_reply_to_a_grouped_reminder_names_its_mandates(loaded, config, smtp_server, tmp_path):
    grouped = deliver_reminders(loaded, config, smtp_server, "2011-06-16")["ak-kaemmerer@kreis-unna.example"]
    assert b"Subject: ikz: Ihre Fristen" in grouped
    deliver(tmp_path / "eingang", reply(grouped, "Wir melden uns.", sender="ak-kaemmerer@kreis-unna.example"))
    text = "Guten Tag,\n\n2.1: Stand: Detailkonzept im Entwurf\n5.1 – Erledigt\n7.1\nBestandsaufnahme läuft"
    deliver(tmp_path / "eingang", reply(grouped, text, sender="ak-kaemmerer@kreis-unna.example"))
    assert take(loaded, config, "2011-06-16") == (
        "1 Antwort übernommen, 1 in Quarantäne, 0 automatische Nachrichten übergangen."
    )
    assert inbound(loaded)[0][2] == "Antwort auf eine Nachricht zu mehreren Mandaten nennt keine Mandatsnummer"
    assert history(loaded, "2.1")[-1][3] == "Vorschlag 1: Stand – Detailkonzept im Entwurf"
    assert history(loaded, "5.1")[-1][3] == "Vorschlag 2: erledigt"
    assert history(loaded, "7.1")[-1][3] == "Bestandsaufnahme läuft"


def test_a_past_date_stays_in_the_note_and_the_coordinator_is_told(loaded, config, reminded, tmp_path):
    deliver(tmp_path / "eingang", reply(reminded, "Neue Frist: 30.11.2010\nNeue Frist: 31.02.2011", sender=LOGA))
    take(loaded, config)
    assert history(loaded, "1.4")[-1][3] == "Neue Frist: 30.11.2010\nNeue Frist: 31.02.2011"
    text = plain(queued(loaded, "inbox")[0])
    assert (
        "  Hinweis: „Neue Frist: 30.11.2010“ nicht als Vorschlag übernommen: Die vorgeschlagene Frist 30.11.2010 "
        "liegt in der Vergangenheit; erlaubt ist heute (01.12.2010) oder später.\n"
    ) in text
    assert "  Hinweis: „Neue Frist: 31.02.2011“ nicht als Vorschlag übernommen: kein gültiges Datum\n" in text


def test_unsubscribing_from_the_digest_by_mail(loaded, config, smtp_server, tmp_path):
    from notifications.monthly import monthly_tick

    monthly_tick(loaded, config, now=at("2010-12-01", "07:05"))
    dispatch(loaded, config, now=at("2010-12-01", "07:06"), owner="test")
    digest = next(m for m in smtp_server.received if m.rcpt_tos == [LOGA]).message
    mailto = digest["List-Unsubscribe"].split(",")[0].strip("<> ")
    assert mailto.startswith("mailto:ikz+u") and mailto.endswith("@kreis-unna.example?subject=Abbestellen")
    assert digest["Reply-To"] == "ikz@kreis-unna.example"
    text = digest.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Monatsbericht abbestellen: http://127.0.0.1:8000/monatsbericht/abbestellen/u" in text
    from email.message import EmailMessage

    request = EmailMessage()
    request["From"], request["To"] = LOGA, mailto.removeprefix("mailto:").split("?")[0]
    request["Subject"], request["Message-ID"] = "Abbestellen", "<abbestellen@luenen.example>"
    request.set_content("")
    deliver(tmp_path / "eingang", request.as_bytes())
    assert take(loaded, config) == (
        "0 Antworten übernommen, 0 in Quarantäne, 0 automatische Nachrichten übergangen, 1 Abbestellung."
    )
    with transaction(loaded) as session:
        assert [o.email for o in session.exec(select(DigestOptOut)).all()] == [LOGA]
    monthly_tick(loaded, config, now=at("2011-01-03", "07:05"))
    january = {r.recipient for r in queued(loaded, "digest") if r.created_at >= at("2011-01-03", "07:00")}
    assert LOGA not in january and "ikz@kreis-unna.example" in january
    # Reminders for what Lünen leads still come.
    assert LOGA in deliver_reminders(loaded, config, smtp_server, "2011-01-03")


def test_fetching_without_a_token_key_is_one_german_line(cli, tmp_path, monkeypatch):
    cli("init")
    result = cli("inbox", "fetch")
    assert (result.exit_code, result.stderr) == (
        1,
        "Fehler: Vorgaben: Antworten per E-Mail sind aus; dafür inbox.token_key setzen (am besten über $IKZ_TOKEN_KEY).\n",
    )


def test_the_coordinator_sees_and_takes_back_opt_outs_and_the_portal_link_works(loaded, config, cli, frozen):
    from notifications import tokens
    from notifications.optout import unsubscribe_by_token

    assert cli("optout", "list").stdout == "Niemand hat den Monatsbericht abbestellt.\n"
    assert (
        cli("optout", "add", "Kaemmerei@Unna.example").stdout == "Kaemmerei@Unna.example: Monatsbericht abbestellt.\n"
    )
    with transaction(loaded) as session:
        digest = OutboxMessage(
            message_id="<d@kreis-unna.example>",
            kind="digest",
            recipient=LOGA,
            subject="IKZ-Monatsbericht",
            raw="",
            next_attempt_at=at("2010-12-01"),
            created_at=at("2010-12-01"),
        )
        session.add(digest)
        session.flush()
        token = tokens.mint(config, "unsubscribe", digest.id, digest.message_id, LOGA)
        assert unsubscribe_by_token(session, config, token, now=at("2010-12-02"), channel="Portal") == LOGA
        with pytest.raises(NotFound, match=r"^Dieser Abbestell-Link ist ungültig\.$"):
            unsubscribe_by_token(session, config, token[:-1] + "0", now=at("2010-12-02"), channel="Portal")
    listing = cli("optout", "list").stdout.splitlines()
    assert [line.split() for line in listing[2:]] == [
        ["kaemmerei@unna.example", "02.11.2010", "CLI"],
        ["loga@luenen.example", "02.12.2010", "Portal"],
    ]
    assert cli("optout", "remove", LOGA).stdout == "loga@luenen.example bekommt den Monatsbericht wieder.\n"
    again = cli("optout", "remove", LOGA)
    assert (again.exit_code, again.stderr) == (
        1,
        "Fehler: loga@luenen.example hat den Monatsbericht nicht abbestellt.\n",
    )


def test_the_maildir_is_read_in_delivery_order_though_its_numbers_are_not_padded(tmp_path):
    from ikz.intake.mailboxes import MaildirBox

    config = settings_module.load(environ={}, inbox_directory=str(tmp_path / "eingang"))
    # Python's mailbox writes microseconds unpadded: as text, M12345 (later) sorts before M5 of the same second.
    names = ["1291280000.M12345P7Q2.host", "1291280000.M5P7Q1.host", "1291280001.M5P7Q3.host"]
    with MaildirBox(config) as box:
        for name in names:
            (tmp_path / "eingang" / "new" / name).write_bytes(b"Subject: x\n\n")
        assert [item.key for item in box.pending(10)] == [
            "new/1291280000.M5P7Q1.host",
            "new/1291280000.M12345P7Q2.host",
            "new/1291280001.M5P7Q3.host",
        ]
