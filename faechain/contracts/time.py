"""Time units of block time, defined once.

Contracts see time only as the block's time (`ctx.time`, whole seconds since the Unix
epoch, UTC; `ctx.time_ms` in milliseconds); deadlines are counted in these units.
"""

from __future__ import annotations

from datetime import UTC, datetime

MINUTE = 60
HOUR = 3_600
DAY = 86_400
YEAR_DAYS = 365  # the day count of yields and waterfalls: actual days over a 365-day year


def date_time(t: int) -> str:
    """A block time (whole seconds since the epoch) as a person reads it in a message:
    ISO 8601 in UTC, "2028-05-10T06:00:00Z" (a pure function of `t`: no clock, no time zone
    of the node). A time beyond the years 1..9999 (only an argument can be that far off)
    is written as what it is."""
    if not _FIRST <= t <= _LAST:
        return f"{t} seconds from 1970-01-01T00:00:00Z"
    return datetime.fromtimestamp(t, tz=UTC).isoformat().replace("+00:00", "Z")


_FIRST = -62_135_596_800  # 0001-01-01T00:00:00Z
_LAST = 253_402_300_799  # 9999-12-31T23:59:59Z
