"""The mailboxes replies arrive in: a Maildir (the embedded default) or an IMAP folder (imap-tools).

Both list what waits, hand over each message's bytes (or only its headers when it is too large), and move
a message into the done folder once the intake has committed what it read: never before.
"""

import contextlib
import imaplib
import os
import re
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import ImapToolsError, MailboxMoveError

from ikz.errors import MailboxUnavailable

# Enough of an oversized message's start to read its headers.
HEAD_BYTES = 256 * 1024


@dataclass
class Incoming:
    """One waiting message: where it is, its bytes (headers only when too big), its size."""

    key: str
    raw: bytes
    size: int
    too_big: bool = False


class MaildirBox:
    """A Maildir: new/ and cur/ hold what waits; done messages move into the subfolder .DONE (Maildir++)."""

    def __init__(self, settings):
        inbox = settings.inbox
        self.root = Path(inbox.directory)
        self.done_folder = self.root / f".{inbox.done_folder}"
        self.max_bytes = inbox.max_bytes

    def __enter__(self) -> "MaildirBox":
        try:
            for folder in (self.root, self.done_folder):
                for sub in ("new", "cur", "tmp"):
                    (folder / sub).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MailboxUnavailable(f"Maildir {self.root}: {exc.strerror or exc}") from None
        return self

    def __exit__(self, *exc_info) -> None:
        return None

    def pending(self, limit: int) -> Iterator[Incoming]:
        """The waiting messages, oldest first (Maildir names start with their delivery time)."""
        names = sorted(
            ((entry.name, sub) for sub in ("new", "cur") for entry in os.scandir(self.root / sub) if entry.is_file()),
            key=lambda found: _delivered(found[0]),
        )
        for name, sub in names[:limit]:
            path = self.root / sub / name
            try:
                size = path.stat().st_size
                with path.open("rb") as handle:
                    raw = handle.read(HEAD_BYTES if size > self.max_bytes else size)
            except FileNotFoundError:
                continue  # another fetcher moved it meanwhile
            yield Incoming(f"{sub}/{name}", raw, size, size > self.max_bytes)

    def done(self, key: str) -> None:
        """Move a message into the done folder (a rename: atomic, and harmless if someone else was first)."""
        name = key.split("/", 1)[1]
        target = name if ":2," in name else f"{name}:2,S"
        # A rename is atomic; a message already gone was moved by another fetcher.
        with contextlib.suppress(FileNotFoundError):
            os.rename(self.root / key, self.done_folder / "cur" / target)


class ImapBox:
    """An IMAP folder over TLS (or STARTTLS; plain only for tests on loopback), read without marking seen."""

    def __init__(self, settings):
        self.inbox = settings.inbox
        self.box = None

    def _unavailable(self, exc: BaseException) -> MailboxUnavailable:
        inbox = self.inbox
        reason = str(exc) or type(exc).__name__
        if isinstance(exc, ConnectionRefusedError):
            reason = "Verbindung abgelehnt"
        elif isinstance(exc, TimeoutError):
            reason = f"keine Antwort innerhalb von {inbox.timeout} s"
        elif isinstance(exc, ssl.SSLError):
            reason = f"TLS-Fehler ({exc.reason or exc})"
        if inbox.password:
            reason = reason.replace(inbox.password, "***")
        return MailboxUnavailable(f"Postfach {inbox.user}@{inbox.host}:{inbox.port}: {' '.join(reason.split())[:200]}")

    def __enter__(self) -> "ImapBox":
        inbox = self.inbox
        try:
            if inbox.security == "ssl":
                box = MailBox(inbox.host, inbox.port, timeout=inbox.timeout, ssl_context=ssl.create_default_context())
            elif inbox.security == "starttls":
                box = MailBoxStartTls(
                    inbox.host, inbox.port, timeout=inbox.timeout, ssl_context=ssl.create_default_context()
                )
            else:
                box = MailBoxUnencrypted(inbox.host, inbox.port, timeout=inbox.timeout)
            box.login(inbox.user, inbox.password, initial_folder=inbox.folder)
            if not box.folder.exists(inbox.done_folder):
                box.folder.create(inbox.done_folder)
            box.folder.set(inbox.folder)
        except (OSError, imaplib.IMAP4.error, ImapToolsError) as exc:
            raise self._unavailable(exc) from None
        self.box = box
        return self

    def __exit__(self, *exc_info) -> None:
        box, self.box = self.box, None
        if box is not None:
            with contextlib.suppress(OSError, imaplib.IMAP4.error, ImapToolsError):
                box.logout()

    def pending(self, limit: int) -> Iterator[Incoming]:
        """The waiting messages in UID order; sizes come first, so an oversized body is never downloaded."""
        try:
            heads = list(self.box.fetch("ALL", mark_seen=False, headers_only=True, limit=limit, bulk=True))
        except (OSError, imaplib.IMAP4.error, ImapToolsError) as exc:
            raise self._unavailable(exc) from None
        for head in heads:
            size = head.size_rfc822
            if size > self.inbox.max_bytes:
                yield Incoming(head.uid, head.obj.as_bytes(), size, too_big=True)
                continue
            try:
                status, data = self.box.client.uid("FETCH", head.uid, "(BODY.PEEK[])")
            except (OSError, imaplib.IMAP4.error) as exc:
                raise self._unavailable(exc) from None
            raw = next((item[1] for item in data or [] if isinstance(item, tuple)), None)
            if status != "OK" or raw is None:
                continue  # moved away by another fetcher meanwhile
            yield Incoming(head.uid, raw, size)

    def done(self, key: str) -> None:
        """Move one message into the done folder (IMAP MOVE, or copy and expunge)."""
        try:
            self.box.move(key, self.inbox.done_folder)
        except MailboxMoveError:
            return  # the UID is gone: another fetcher moved it first
        except (OSError, imaplib.IMAP4.error, ImapToolsError) as exc:
            raise self._unavailable(exc) from None


def open_mailbox(settings) -> MaildirBox | ImapBox:
    """The mailbox inbox.source names; use it as a context manager."""
    return ImapBox(settings) if settings.inbox.source == "imap" else MaildirBox(settings)


# Maildir names begin "SECONDS.M<microseconds>…Q<counter>" (Python, Dovecot, Postfix); the numbers are not padded.
_DELIVERY = re.compile(r"(\d+)\.(?:M(\d+))?(?:[^Q:]*Q(\d+))?")


def _delivered(name: str) -> tuple:
    """Sort key for a Maildir name: delivery second, microsecond and counter as numbers, then the name."""
    found = _DELIVERY.match(name)
    if not found:
        return (float("inf"), 0, 0, name)
    seconds, micro, counter = found.groups()
    return (int(seconds), int(micro or 0), int(counter or 0), name)
