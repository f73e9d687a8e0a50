"""A local SMTP server that stores what it receives as .eml files (for the demo and trials)."""

import socket
from collections import Counter
from pathlib import Path

from aiosmtpd.controller import Controller


class _Store:
    """aiosmtpd handler writing each accepted message to a numbered .eml file."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0
        self.per_recipient: Counter = Counter()
        # The newest message each recipient got, as received (the demo's leads answer it).
        self.latest: dict[str, bytes] = {}

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        data = envelope.original_content or envelope.content
        (self.folder / f"{self.count:04d}.eml").write_bytes(data)
        self.per_recipient.update(envelope.rcpt_tos)
        self.latest.update(dict.fromkeys(envelope.rcpt_tos, data))
        return "250 Message accepted for delivery"


class MailSink:
    """An in-process SMTP server on 127.0.0.1 that keeps every message in a folder."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.store = _Store(folder)
        self.folder = folder
        self.controller = Controller(self.store, hostname="127.0.0.1", port=_free_port())

    def __enter__(self) -> "MailSink":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    @property
    def port(self) -> int:
        return self.controller.port

    @property
    def per_recipient(self) -> Counter:
        return self.store.per_recipient

    def latest(self, recipient: str) -> bytes:
        """The newest message this recipient received."""
        return self.store.latest[recipient]


def _free_port() -> int:
    # aiosmtpd cannot bind port 0 itself (aiosmtpd#388), so ask the OS for a free one first.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
