"""Data leaving and entering ikz: JSON backup, CSV for spreadsheets, iCalendar and OParl 1.1."""

from datetime import datetime

from ikz.clock import local_date

FORMATS = ("json", "csv", "ics", "oparl")


def export(session, fmt: str, write, *, now: datetime, lead: str | None = None, base_url: str | None = None) -> str:
    """Write the database in one of FORMATS through `write` as it is read; return a German summary.

    `lead` only for ics, `base_url` only for oparl.
    """
    # Each format's module is imported when asked for: `ikz export --help` loads this package and must stay fast.
    today = local_date(now)
    if fmt == "json":
        from ikz.exchange.backup import write_backup  # lazy, see above

        return write_backup(session, write, now=now)
    if fmt == "csv":
        from ikz.exchange.spreadsheet import write_csv  # lazy, see above

        return write_csv(session, write, today=today)
    if fmt == "ics":
        from ikz.exchange.calendar_export import write_ics  # lazy, see above

        return write_ics(session, write, now=now, lead=lead)
    if fmt == "oparl":
        from ikz.exchange.oparl import DEFAULT_BASE_URL, write_oparl  # lazy, see above

        return write_oparl(session, write, now=now, base_url=base_url or DEFAULT_BASE_URL)
    raise ValueError(f"unknown export format: {fmt}")
