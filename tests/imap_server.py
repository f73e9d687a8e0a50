"""A real IMAP server for tests: Dovecot on 127.0.0.1 with a private configuration, one user per test.

Runs as root's fixture the way LIBRARIES.md describes (first_valid_uid = 100, a passwd-file, a static userdb
with the dovecot user, no TLS on loopback). `.ci/run` installs the package `dovecot-imapd`.
"""

import imaplib
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.smtp_server import free_port

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
_users = itertools.count(1)
# Accounts prepared at start (one per IMAP test) and their password.
USERS = 50
PASSWORD = "geheim-imap"

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
info_log_path = {base}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 100
mail_location = maildir:{base}/mail/%u
mail_privileged_group =
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/users
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={base}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


@dataclass
class ImapServer:
    host: str
    port: int
    base: Path

    def add_user(self) -> tuple[str, str]:
        """A fresh mailbox for one test: (user, password), from the accounts made at start.

        Dovecot re-reads its passwd-file only when the file's mtime (in seconds) changes: an account added
        within the same second as the previous one would not be found, so all are written up front.
        """
        number = next(_users)
        assert number <= USERS, "more IMAP tests than prepared accounts: raise USERS"
        return f"ikz{number}", PASSWORD

    def client(self, user: str, password: str) -> imaplib.IMAP4:
        connection = imaplib.IMAP4(self.host, self.port, timeout=10)
        connection.login(user, password)
        return connection

    def deliver(self, user: str, password: str, raw: bytes, folder: str = "INBOX") -> None:
        """Put a message into a folder as the mail server's delivery would (IMAP APPEND)."""
        with self.client(user, password) as connection:
            status, _ = connection.append(folder, None, None, raw)
            assert status == "OK"

    def count(self, user: str, password: str, folder: str) -> int:
        with self.client(user, password) as connection:
            status, data = connection.select(f'"{folder}"', readonly=True)
            return int(data[0]) if status == "OK" else -1


@pytest.fixture(scope="session")
def imap_server():
    """Dovecot listening on a free loopback port for the whole session."""
    if DOVECOT is None:
        if os.environ.get("CI"):
            pytest.fail("dovecot fehlt: .ci/run installiert das Paket dovecot-imapd")
        pytest.skip("dovecot ist nicht installiert (apt-get install dovecot-imapd)")
    # Dovecot's own processes run as the dovecot user: pytest's 0700 temp folders are closed to them.
    base = Path(tempfile.mkdtemp(prefix="ikz-dovecot-"))
    base.chmod(0o755)
    dovecot = pwd.getpwnam("dovecot")
    for sub in ("run", "state", "mail"):
        (base / sub).mkdir()
    os.chown(base / "mail", dovecot.pw_uid, dovecot.pw_gid)
    accounts = "".join(f"ikz{n}:{{PLAIN}}{PASSWORD}\n" for n in range(1, USERS + 1))
    (base / "users").write_text(accounts, encoding="utf-8")
    port = free_port()
    config = base / "dovecot.conf"
    config.write_text(CONFIG.format(base=base, port=port), encoding="utf-8")
    # The daemon keeps inherited pipes open: every stream goes to a file.
    with (base / "start.log").open("wb") as log:
        started = subprocess.run(
            [DOVECOT, "-c", str(config)], stdin=subprocess.DEVNULL, stdout=log, stderr=log, timeout=30
        )
    assert started.returncode == 0, (base / "start.log").read_text()
    deadline = time.monotonic() + 20
    while True:
        try:
            imaplib.IMAP4("127.0.0.1", port, timeout=2).logout()
            break
        except OSError:
            if time.monotonic() > deadline:
                log = base / "dovecot.log"
                raise AssertionError(log.read_text() if log.exists() else "dovecot did not start") from None
            time.sleep(0.1)
    try:
        yield ImapServer("127.0.0.1", port, base)
    finally:
        subprocess.run(
            [DOVECOT, "-c", str(config), "stop"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=30,
        )
        shutil.rmtree(base, ignore_errors=True)
