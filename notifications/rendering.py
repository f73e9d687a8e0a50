"""The mail templates: German text and HTML parts rendered from the same context."""

from pathlib import Path

from ikz.templating import environment

TEMPLATES = Path(__file__).resolve().parent / "templates"


def render(name: str, **context) -> str:
    """Render one mail template by file name."""
    return environment(TEMPLATES).get_template(name).render(**context)


def render_pair(stem: str, **context) -> tuple[str, str]:
    """Render `stem.txt.j2` and `stem.html.j2` with the same context."""
    return render(f"{stem}.txt.j2", **context), render(f"{stem}.html.j2", **context)


def office(settings) -> dict:
    """The coordination office as mails sign with it."""
    coordinator = settings.coordinator
    return {
        "name": coordinator.name,
        "organisation": coordinator.organisation,
        "address": coordinator.address,
        "phone": coordinator.phone,
        "email": coordinator.email,
    }


def answer_mode(settings, *, to_coordinator: bool = False) -> str:
    """How a mail tells its reader to answer: "reply" (by mail, replies enabled), "office", or "none"."""
    if to_coordinator:
        return "none"
    return "reply" if settings.inbox.token_key else "office"
