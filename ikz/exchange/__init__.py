"""Data leaving and entering ikz: JSON backup, CSV for spreadsheets, iCalendar and OParl 1.1."""

from dataclasses import dataclass
from datetime import datetime

from ikz.clock import local_date

FORMATS = ("json", "csv", "ics", "oparl")


@dataclass
class Export:
    """One rendered export: the document and a German summary of what it holds."""

    text: str
    summary: str


def export(session, fmt: str, *, now: datetime, lead: str | None = None, base_url: str | None = None) -> Export:
    """Render the database in one of FORMATS (lead only for ics, base_url only for oparl)."""
    # Each format's module is imported when asked for: `ikz export --help` loads this package and must stay fast.
    today = local_date(now)
    if fmt == "json":
        from ikz.exchange.backup import export_backup  # lazy, see above

        return export_backup(session, now=now)
    if fmt == "csv":
        from ikz.exchange.spreadsheet import export_csv  # lazy, see above

        return export_csv(session, today=today)
    if fmt == "ics":
        from ikz.exchange.calendar_export import export_ics  # lazy, see above

        return export_ics(session, now=now, lead=lead)
    if fmt == "oparl":
        from ikz.exchange.oparl import DEFAULT_BASE_URL, export_oparl  # lazy, see above

        return export_oparl(session, now=now, base_url=base_url or DEFAULT_BASE_URL)
    raise ValueError(f"unknown export format: {fmt}")
