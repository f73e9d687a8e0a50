"""One fetch: every waiting reply is committed first and moved to the done folder after, one at a time.

A crash between the two leaves the mail in the mailbox; the next fetch finds its Message-ID recorded and
only moves it. Two fetchers at once race for the unique Message-ID; the loser moves the mail as a double.
"""

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from ikz import failpoints
from ikz.errors import ConcurrentChange, ConfigError
from ikz.intake.mailboxes import open_mailbox
from ikz.intake.parsing import parse
from ikz.intake.taking import take_in
from models import Inbound
from models.db import transaction
from notifications import tokens
from workflow.text import plural


@dataclass
class FetchReport:
    """What one fetch did with the waiting mail."""

    recorded: int = 0
    quarantined: int = 0
    ignored: int = 0
    unsubscribed: int = 0
    duplicate: int = 0
    postponed: int = 0

    def count(self, status: str) -> None:
        setattr(self, status, getattr(self, status) + 1)

    def summary(self) -> str:
        """One German line, e.g. "1 Antwort übernommen, 0 in Quarantäne, 1 automatische Nachricht übergangen."."""
        if not any(vars(self).values()):
            return "Keine neuen Nachrichten."
        parts = [
            f"{plural(self.recorded, 'Antwort', 'Antworten')} übernommen",
            f"{self.quarantined} in Quarantäne",
            f"{plural(self.ignored, 'automatische Nachricht', 'automatische Nachrichten')} übergangen",
        ]
        if self.unsubscribed:
            parts.append(f"{plural(self.unsubscribed, 'Abbestellung', 'Abbestellungen')}")
        if self.duplicate:
            parts.append(f"{self.duplicate} bereits erfasst")
        if self.postponed:
            parts.append(f"{self.postponed} zurückgestellt")
        return ", ".join(parts) + "."


def fetch(engine: Engine, settings, *, now, mailbox=None) -> FetchReport:
    """Take in what waits in the mailbox (at most inbox.batch messages)."""
    if not tokens.enabled(settings):
        raise ConfigError(
            f"{settings.source}: Antworten per E-Mail sind aus; dafür inbox.token_key setzen "
            "(am besten über $IKZ_TOKEN_KEY)."
        )
    report = FetchReport()
    with mailbox or open_mailbox(settings) as box:
        for item in box.pending(settings.inbox.batch):
            failpoints.hit("intake:read")
            status = _take(engine, settings, item, now=now)
            if status is None:
                report.postponed += 1
                continue
            failpoints.hit("intake:after-commit")
            box.done(item.key)
            failpoints.hit("intake:after-move")
            report.count(status)
    return report


def _take(engine: Engine, settings, item, *, now) -> str | None:
    """Commit one message; its status, or None when it must wait for the next fetch."""
    try:
        with transaction(engine) as session:
            outcome = take_in(session, settings, item.raw, now=now, too_big=item.too_big, size=item.size)
            failpoints.hit("intake:before-commit")
        return outcome.status
    except ConcurrentChange:
        # The coordinator changed the mandate meanwhile (or SQLite was busy): the mail stays for the next fetch.
        return None
    except IntegrityError:
        # Another fetcher committed the same Message-ID first; anything else that clashed is retried later.
        message_id = parse(item.raw, headers_only=True).message_id
        with transaction(engine) as session:
            known = session.exec(select(Inbound.id).where(Inbound.message_id == message_id)).first()
        return "duplicate" if known is not None else None
