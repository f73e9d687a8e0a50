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


# German forms people type, besides ISO 8601 (2011-03-18, 2011-03-18T07:30, 2011-03-18 07:30+01:00).
GERMAN_MOMENTS = ("%d.%m.%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y, %H:%M", "%d.%m.%Y %H:%M:%S")
MOMENT_FORMATS = "TT.MM.JJJJ [HH:MM] oder JJJJ-MM-TT[THH:MM], z. B. 18.03.2011 07:30 oder 2011-03-18T07:30"


def read_moment(text: str) -> datetime | None:
    """The moment as typed, ISO (2011-03-18T07:30) or German (18.03.2011 07:30), naive or not; None if neither."""
    text = text.strip()
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for pattern in GERMAN_MOMENTS:
        try:
            return datetime.strptime(" ".join(text.split()), pattern)
        except ValueError:
            continue
    return None


def as_utc(moment: datetime) -> datetime:
    """An aware UTC moment; a naive one is Berlin time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=BERLIN)
    return moment.astimezone(UTC)


def parse_moment(text: str) -> datetime:
    """Parse a date or moment as ISO or German (see read_moment); naive ones are Berlin time."""
    moment = read_moment(text)
    if moment is None:
        raise InvalidInput(f"Ungültiger Zeitpunkt {text.strip()!r}: erlaubt ist {MOMENT_FORMATS}.")
    # Before converting: the year 1 in Berlin lies before the first moment a datetime holds in UTC.
    if not 1990 <= moment.year <= 2100:
        raise InvalidInput(f"Zeitpunkt {text.strip()!r} liegt außerhalb von 1990 bis 2100.")
    return as_utc(moment)
