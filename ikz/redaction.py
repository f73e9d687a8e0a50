"""Masking a password in text in every form a server may echo it: as typed, URL-encoded, hex, base64, in AUTH blobs."""

import base64
import binascii
import re
from urllib.parse import quote, quote_plus

MASK = "***"
# A run of the base64 alphabets (standard and URL-safe) long enough to carry at least one byte.
_BLOB = re.compile(r"[A-Za-z0-9+/_-]{2,}={0,2}")


def redact(text: str, secret: str, *, user: str = "") -> str:
    """Return the text with the secret masked, also encoded as an SMTP login sends it (AUTH PLAIN and LOGIN)."""
    if not secret or not text:
        return text
    # Longest first, so that no shorter form leaves a tail of a longer one behind.
    for form in sorted(_typed(secret), key=len, reverse=True):
        # Case-insensitive: %2f and %2F are the same byte, and masking too much is the safe side.
        text = re.sub(re.escape(form), MASK, text, flags=re.IGNORECASE)
    for form in sorted(_encoded(secret, user), key=len, reverse=True):
        text = text.replace(form, MASK)
    # Any other base64 run that decodes to something holding the secret: a blob of another shape, or cut elsewhere.
    return _BLOB.sub(lambda match: MASK if _reveals(match.group(), secret.encode()) else match.group(), text)


def _typed(secret: str) -> set[str]:
    return {
        secret,
        # Replies are shown with their whitespace collapsed.
        " ".join(secret.split()),
        quote(secret),
        quote(secret, safe=""),
        quote_plus(secret),
        secret.encode().hex(),
    } - {""}


def _encoded(secret: str, user: str) -> set[str]:
    # AUTH PLAIN sends base64("authzid\0user\0password") (smtplib leaves authzid empty), AUTH LOGIN base64(user),
    # then base64(password). The user's own blob stays: the name is no secret, messages name it on purpose.
    blobs = [secret, f"\0{user}\0{secret}", f"{user}\0{user}\0{secret}"]
    forms = set()
    for blob in blobs:
        encoded = base64.b64encode(blob.encode())
        forms |= {encoded.decode(), encoded.rstrip(b"=").decode(), base64.urlsafe_b64encode(blob.encode()).decode()}
    return forms


def _reveals(token: str, secret: bytes) -> bool:
    body = token.rstrip("=")
    # A run cut out of a longer blob may start anywhere within a group of four characters.
    for start in range(4):
        chunk = body[start:]
        chunk = chunk[: len(chunk) - (len(chunk) % 4 == 1)]
        padded = chunk + "=" * (-len(chunk) % 4)
        for altchars in (b"+/", b"-_"):
            try:
                if secret in base64.b64decode(padded, altchars=altchars):
                    return True
            except (binascii.Error, ValueError):
                continue
    return False
