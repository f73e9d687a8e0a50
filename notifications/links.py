"""Links from mails to the portal (issue 12): built in this one place from portal.base_url."""

from urllib.parse import quote

# Where a digest's per-recipient unsubscribe link goes; the body is rendered once, the link filled in per message.
UNSUBSCRIBE_MARK = "%%IKZ-ABBESTELLEN%%"


def _base(settings) -> str:
    return settings.portal.base_url.rstrip("/")


def _personal(url: str, recipient: str | None) -> str:
    # The seam for personal access: the portal (issue 12) appends the recipient's access token here.
    return url


def mandate_page(settings, code: str, *, recipient: str | None = None) -> str:
    """The portal page of a mandate, e.g. http://127.0.0.1:8000/mandate/1.4."""
    return _personal(f"{_base(settings)}/mandate/{quote(code, safe='')}", recipient)


def unsubscribe_page(settings, token: str) -> str:
    """The digest's unsubscribe link: the portal confirms on GET and unsubscribes on POST (RFC 8058)."""
    return f"{_base(settings)}/monatsbericht/abbestellen/{quote(token, safe='')}"


def board_page(settings, **filters: str) -> str:
    """The portal's board of mandates, filtered, e.g. http://127.0.0.1:8000/?ueberfaellig=1 (the rest of a list)."""
    query = "&".join(f"{name}={quote(value, safe='')}" for name, value in filters.items())
    return f"{_base(settings)}/" + (f"?{query}" if query else "")


def overdue_page(settings) -> str:
    """The board showing only overdue mandates."""
    return board_page(settings, ueberfaellig="1")
