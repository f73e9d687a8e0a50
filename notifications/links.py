"""Links from mails to the portal: built in this one place from portal.base_url, with the recipient's access."""

from urllib.parse import quote

# Where a digest's per-recipient unsubscribe link goes; the body is rendered once, the link filled in per message.
UNSUBSCRIBE_MARK = "%%IKZ-ABBESTELLEN%%"
# Where the recipient's personal access token goes: the outbox fills it in per message (notifications/outbox.py),
# so a body rendered once (the digest) still carries each recipient's own link.
ACCESS_MARK = "%%IKZ-ZUGANG%%"
# The query parameter that carries a personal access token into the portal.
ACCESS_PARAMETER = "zugang"


def _base(settings) -> str:
    return settings.portal.base_url.rstrip("/")


def _personal(url: str, recipient: str | None) -> str:
    # A link in a mail to someone opens the portal with that person's access (a fresh grant, see outbox.enqueue).
    if not recipient:
        return url
    return f"{url}{'&' if '?' in url else '?'}{ACCESS_PARAMETER}={ACCESS_MARK}"


def mandate_page(settings, code: str, *, recipient: str | None = None) -> str:
    """The portal page of a mandate, e.g. http://127.0.0.1:8000/mandate/1.4 (with the recipient's access)."""
    return _personal(f"{_base(settings)}/mandate/{quote(code, safe='')}", recipient)


def board_page(settings, *, personal: bool = False, **filters: str) -> str:
    """The portal's board, filtered (e.g. ueberfaellig=1); `personal` leaves room for each recipient's access."""
    query = "&".join(f"{name}={quote(value, safe='')}" for name, value in filters.items())
    return _personal(f"{_base(settings)}/" + (f"?{query}" if query else ""), "personal" if personal else None)


def unsubscribe_page(settings, token: str) -> str:
    """The digest's unsubscribe link: the portal confirms on GET and unsubscribes on POST (RFC 8058)."""
    return f"{_base(settings)}/monatsbericht/abbestellen/{quote(token, safe='')}"


def without_access(text: str, settings) -> str:
    """The text with personal links made plain (what is kept or shown instead of a mailed copy)."""
    for joint in ("?", "&amp;", "&"):  # the first parameter, a later one in HTML, a later one in text
        text = text.replace(f"{joint}{ACCESS_PARAMETER}={ACCESS_MARK}", "")
    return text


def overdue_page(settings, *, personal: bool = False) -> str:
    """The board showing only overdue mandates (where a capped list continues)."""
    return board_page(settings, personal=personal, ueberfaellig="1")
