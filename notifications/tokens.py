"""Reply tokens: the per-message Reply-To address ikz+TOKEN@domain and the digest's unsubscribe address.

A token names our outgoing message and carries an HMAC over that message's Message-ID and recipient,
keyed with inbox.token_key (from the environment or the config file, never the database). So a reply
proves which message it answers and to whom that message went; a token cannot be guessed, moved to
another message or recipient, or made without the key.
"""

import hashlib
import hmac
import re
from dataclasses import dataclass

# r: a reply to the message; u: unsubscribe from the digest (List-Unsubscribe).
PURPOSES = {"reply": "r", "unsubscribe": "u"}
MAC_LENGTH = 20
# Lower case only: some mail servers lower-case the local part on the way.
TOKEN = re.compile(r"(?P<purpose>[ru])(?P<outbox_id>[1-9][0-9]{0,11})\.(?P<mac>[0-9a-f]{" + str(MAC_LENGTH) + "})")


@dataclass(frozen=True)
class Token:
    """A token's parts: what it is for, which outbox message it names, the HMAC."""

    purpose: str
    outbox_id: int
    mac: str


def enabled(settings) -> bool:
    """True when replies can be answered by mail: a token key is configured."""
    return bool(settings.inbox.token_key)


def _mac(settings, purpose: str, message_id: str, recipient: str) -> str:
    data = f"{PURPOSES[purpose]}\n{message_id}\n{recipient.casefold()}".encode()
    return hmac.new(settings.inbox.token_key.encode(), data, hashlib.sha256).hexdigest()[:MAC_LENGTH]


def mint(settings, purpose: str, outbox_id: int, message_id: str, recipient: str) -> str:
    """The token for one message to one recipient."""
    return f"{PURPOSES[purpose]}{outbox_id}.{_mac(settings, purpose, message_id, recipient)}"


def address(settings, token: str) -> str:
    """The address that carries a token, e.g. ikz+r42.3f…@kreis-unna.example."""
    local, _, host = settings.inbox.address.partition("@")
    return f"{local}+{token}@{host}"


def found_in(settings, addresses: list[str]) -> list[Token]:
    """The well-formed tokens among the addresses a message was sent to (To, Cc, Delivered-To, …)."""
    local, _, host = settings.inbox.address.casefold().partition("@")
    tokens = []
    for each in addresses:
        name, _, at = each.strip().casefold().rpartition("@")
        if at != host or not name.startswith(local + "+"):
            continue
        match = TOKEN.fullmatch(name.removeprefix(local + "+"))
        if match:
            purpose = next(key for key, letter in PURPOSES.items() if letter == match["purpose"])
            token = Token(purpose, int(match["outbox_id"]), match["mac"])
            if token not in tokens:
                tokens.append(token)
    return tokens


def verify(settings, token: Token, message_id: str, recipient: str) -> bool:
    """True when the token was made with our key for this message and recipient."""
    return hmac.compare_digest(token.mac, _mac(settings, token.purpose, message_id, recipient))
