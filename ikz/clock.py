"""The one place ikz reads the time: every "now" and "today" comes from here."""

import os
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from ikz.errors import InvalidInput

BERLIN = ZoneInfo("Europe/Berlin")

# Lets a coordinator (and the demo) act as of another moment, e.g. to book a
# decision afterwards; unset it means the real time.
NOW_VARIABLE = "IKZ_NOW"


def now() -> datetime:
    """Return the effective moment of what the user does now (IKZ_NOW books it afterwards), aware (UTC)."""
    fixed = os.environ.get(NOW_VARIABLE)
    if fixed:
        return parse_moment(fixed)
    return datetime.now(UTC)


def recording_now() -> datetime:
    """Return the real moment from the system clock, which no setting changes: when something is recorded."""
    return datetime.now(UTC)


def today() -> date:
    """Return today's date in Kreis Unna (Europe/Berlin)."""
    return local_date(now())


def local_date(moment: datetime) -> date:
    """Return the Berlin calendar date of an aware moment."""
    return moment.astimezone(BERLIN).date()


def parse_moment(text: str) -> datetime:
    """Parse an ISO date or datetime; naive values are Berlin local time."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"Ungültiger Zeitpunkt {text!r}: erlaubt ist JJJJ-MM-TT oder JJJJ-MM-TTTHH:MM.") from None
    if not 1990 <= moment.year <= 2100:
        raise InvalidInput(f"Zeitpunkt {text!r} liegt außerhalb von 1990 bis 2100.")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=BERLIN)
    return moment.astimezone(UTC)
