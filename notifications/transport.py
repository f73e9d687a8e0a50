"""Handing rendered messages to a mail server (SMTP) or a local Maildir; opened once per batch."""

import mailbox
import smtplib
import socket
import ssl
from collections.abc import Callable
from pathlib import Path

from ikz.settings import Settings


class SendFailed(Exception):
    """A message was not accepted; the text is German, short and free of secrets."""

    def __init__(self, reason: str, *, permanent: bool = False, unreachable: bool = False):
        super().__init__(reason)
        self.reason = reason
        # 5xx: trying again cannot help.
        self.permanent = permanent
        # No session with the server at all: the rest of the batch would fail the same way.
        self.unreachable = unreachable


class SmtpTransport:
    """One SMTP connection for a whole batch, opened on the first message and reopened after a drop."""

    def __init__(self, settings: Settings):
        self.mail = settings.mail
        self.redact = settings.redact
        self._smtp: smtplib.SMTP | None = None
        # Called after a message's content went out and before the "." that ends it (see delivery.dispatch).
        self.before_end: Callable[[], None] | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self) -> None:
        """Say QUIT if the server still listens, then forget the connection."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()

    def send(self, raw: str, recipient: str, sender: str) -> None:
        """Deliver one message; raise SendFailed unless the server accepted it."""
        try:
            self._attempt(raw, recipient, sender)
        except SendFailed as failure:
            # The one way out for a reason: server replies are not ours to trust, and some echo the AUTH exchange.
            # No reply may carry the password, in any encoding, into the database, a mail or a log.
            raise SendFailed(
                self.redact(failure.reason), permanent=failure.permanent, unreachable=failure.unreachable
            ) from None

    def _attempt(self, raw: str, recipient: str, sender: str) -> None:
        try:
            self._deliver(raw, recipient, sender)
        except SendFailed:
            raise
        except smtplib.SMTPResponseException as exc:
            self._after_refusal(exc.smtp_code)
            raise self._refused(exc.smtp_code, exc.smtp_error) from None
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            self._after_refusal(code)
            raise self._refused(code, reply) from None
        except smtplib.SMTPServerDisconnected:
            self._smtp = None
            raise SendFailed("Verbindung vom Server getrennt") from None
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise SendFailed(_describe(exc, self.mail.timeout)) from None

    def _deliver(self, raw: str, recipient: str, sender: str) -> None:
        reused = self._smtp is not None
        smtp = self._connection()
        try:
            code, reply = smtp.mail(sender)
        except smtplib.SMTPServerDisconnected:
            if not reused:
                raise
            code, reply = 421, b""
        if code == 421 and reused:
            # The server closed the connection while it sat idle (silently or with 421): nothing of
            # this message went out yet, so one fresh connection is safe.
            self.close()
            smtp = self._connection()
            code, reply = smtp.mail(sender)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        code, reply = smtp.rcpt(recipient)
        if code not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
        code, reply = self._data(smtp, raw)
        if code != 250:
            raise smtplib.SMTPDataError(code, reply)

    def _data(self, smtp: smtplib.SMTP, raw: str) -> tuple[int, bytes]:
        """smtplib's DATA, split before its final "." so that before_end runs while the server waits for it."""
        code, reply = smtp.docmd("data")
        if code != 354:
            return code, reply
        content = smtplib._quote_periods(smtplib._fix_eols(raw).encode("ascii"))
        smtp.send(content if content.endswith(b"\r\n") else content + b"\r\n")
        if self.before_end is not None:
            try:
                self.before_end()
            except BaseException:
                # Never end this message now: drop the connection, and the server discards what it got.
                self._smtp = None
                smtp.close()
                raise
        smtp.send(b".\r\n")
        return smtp.getreply()

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            self._smtp = self._connect()
        return self._smtp

    def _connect(self) -> smtplib.SMTP:
        mail = self.mail
        where = f"{mail.host}:{mail.port}"
        smtp = None
        try:
            if mail.security == "ssl":
                smtp = smtplib.SMTP_SSL(
                    mail.host, mail.port, timeout=mail.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(mail.host, mail.port, timeout=mail.timeout)
            # The "." that ends a message goes out on its own (see _data): Nagle's algorithm would hold it back
            # until the server's delayed ACK, some 40 ms per message.
            smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            smtp.ehlo_or_helo_if_needed()
            if mail.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo_or_helo_if_needed()
            if mail.user:
                smtp.login(mail.user, mail.password)
            return smtp
        except smtplib.SMTPAuthenticationError as exc:
            _discard(smtp)
            reason = f"Anmeldung als {mail.user} an {where} abgelehnt ({exc.smtp_code} {_text(exc.smtp_error)})"
        except smtplib.SMTPNotSupportedError:
            _discard(smtp)
            reason = f"Anmeldung an {where} nicht möglich: der Server bietet sie nicht an"
        except smtplib.SMTPResponseException as exc:
            _discard(smtp)
            reason = f"{where} verweigert die Sitzung ({exc.smtp_code} {_text(exc.smtp_error)})"
        except (smtplib.SMTPException, OSError) as exc:
            _discard(smtp)
            reason = f"{where}: {_describe(exc, mail.timeout)}"
        raise SendFailed(reason, unreachable=True)

    def _after_refusal(self, code: int) -> None:
        # 421 means the server is closing the channel; anything else leaves it usable after RSET.
        if code == 421 or self._smtp is None:
            self.close()
            return
        try:
            self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self.close()

    def _refused(self, code: int, reply) -> SendFailed:
        return SendFailed(f"Server antwortet {code} {_text(reply)}", permanent=500 <= code < 600)


class FileTransport:
    """Writes each message as one file into a Maildir: the default, no mail server needed."""

    def __init__(self, settings: Settings):
        self.directory = Path(settings.mail.directory)
        self._maildir: mailbox.Maildir | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._maildir = None

    def send(self, raw: str, recipient: str, sender: str) -> None:
        """Store one message; raise SendFailed if the folder cannot be written."""
        try:
            if self._maildir is None:
                self._maildir = mailbox.Maildir(self.directory, create=True)
            self._maildir.add(raw)
        except OSError as exc:
            raise SendFailed(f"Maildir {self.directory}: {exc.strerror or exc}", unreachable=True) from None


def open_transport(settings: Settings) -> SmtpTransport | FileTransport:
    """The transport that settings.mail.transport names; use it as a context manager."""
    return SmtpTransport(settings) if settings.mail.transport == "smtp" else FileTransport(settings)


def _describe(exc: BaseException, timeout: int) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "Verbindung abgelehnt (läuft dort ein Mailserver?)"
    if isinstance(exc, TimeoutError):
        return f"keine Antwort innerhalb von {timeout} s"
    if isinstance(exc, ssl.SSLError):
        return f"TLS-Fehler ({exc.reason or exc})"
    if isinstance(exc, OSError) and exc.strerror:
        return f"Netzwerkfehler ({exc.strerror})"
    return f"SMTP-Fehler ({_text(str(exc))})"


def _text(reply) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    # One line without control characters: a reply may hold anything, a NUL too, which PostgreSQL cannot store.
    return " ".join("".join(char if char.isprintable() else " " for char in text).split())


def _discard(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        smtp.close()
