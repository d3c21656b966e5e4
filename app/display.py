"""How values are shown on the pages: secrets masked (enough to recognise a value, never enough
to use it), times in one format, durations exactly and in the page's language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from babel.units import format_unit
from flask_babel import format_datetime, get_locale, gettext, ngettext


def mask_secret(value: str | None, keep: int = 6) -> str:
    """Show the first few characters and the length: `abcdef… (43 chars)`."""
    if value is None:
        return ""
    length = ngettext("(%(num)d char)", "(%(num)d chars)", len(value))
    shown = value[:keep] if len(value) > keep else ""
    return f"{shown}… {length}"


def describe_cookie(value: str | None) -> dict:
    """What the server received for a cookie, masked."""
    if value is None:
        return {"present": False}
    return {"present": True, "masked": mask_secret(value)}


def describe_authorization(header: str | None) -> dict:
    """What the server received in the Authorization header, masked."""
    if not header:
        return {"present": False}
    scheme, _, credentials = header.partition(" ")
    return {
        "present": True,
        "scheme": scheme[:20],
        "masked": mask_secret(credentials.strip(), keep=10),
        "parts": credentials.count(".") + 1 if credentials else 0,
    }


def utc_time(value: datetime | str | None) -> str:
    """Every time the pages show, in UTC, formatted for the page's language by Flask-Babel:
    `Nov 27, 2026, 12:44:02 PM UTC`, `2026. 11. 27. 오후 12:44:02 UTC`."""
    if value is None or value == "":
        return gettext("unknown")
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # the database keeps naive UTC
    return f"{format_datetime(value.astimezone(UTC), 'medium')} UTC"


def format_duration(value: timedelta | int | float) -> str:
    """An exact duration in the largest unit that divides it: "20 seconds", "15 minutes".

    The unit's name and plural come from the locale's CLDR data, never from an "s" added by hand.
    """
    seconds = int(value.total_seconds() if isinstance(value, timedelta) else value)
    for unit, size in (("duration-day", 86400), ("duration-hour", 3600), ("duration-minute", 60)):
        if seconds and seconds % size == 0:
            return format_unit(seconds // size, unit, length="long", locale=get_locale())
    return format_unit(seconds, "duration-second", length="long", locale=get_locale())
