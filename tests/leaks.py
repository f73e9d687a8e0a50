"""Finding a password in text in any of the forms an SMTP exchange may give it (independent of ikz.redaction)."""

import base64
import binascii
import re
from urllib.parse import quote


def leaks(text: str, user: str, password: str) -> list[str]:
    """Every way the password shows in the text: as typed, URL-encoded, hex, or base64 (alone, in an AUTH blob, cut)."""
    found = [
        form
        for form in {password, " ".join(password.split()), quote(password, safe=""), password.encode().hex()}
        if form.casefold() in text.casefold()
    ]
    for token in re.findall(r"[A-Za-z0-9+/=_-]{4,}", text):
        for start in range(4):
            chunk = token.rstrip("=")[start:]
            chunk = chunk[: len(chunk) - len(chunk) % 4]
            try:
                if password.encode() in base64.b64decode(chunk + "=" * (-len(chunk) % 4)):
                    found.append(token)
            except (binascii.Error, ValueError):
                pass
    return found
