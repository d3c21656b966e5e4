"""How values are shown on the pages: secrets masked (enough to recognise a value, never enough
to use it), times in one format, durations exactly and in the page's language, a browser by
name and an address by its network."""

from __future__ import annotations

import ipaddress
import re
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


# Which browser and system a User-Agent names, most specific first (Edge and Opera also say
# "Chrome", Chrome also says "Safari"). Enough for a person to recognise their own device.
BROWSERS = (
    ("Edge", re.compile(r"Edg(?:e|A|iOS)?/(\d+)")),
    ("Opera", re.compile(r"OPR/(\d+)")),
    ("Firefox", re.compile(r"(?:Firefox|FxiOS)/(\d+)")),
    ("Chrome", re.compile(r"(?:Chrome|CriOS|Chromium)/(\d+)")),
    ("Safari", re.compile(r"Version/(\d+)[.\d]* (?:Mobile/\S+ )?Safari/")),
    ("curl", re.compile(r"^curl/(\d+)")),
    ("Python", re.compile(r"^python-(?:requests|httpx|urllib)[^/]*/(\d+)")),
)
SYSTEMS = (
    ("Android", re.compile(r"Android")),
    ("iOS", re.compile(r"iPhone|iPad|iPod")),
    ("Windows", re.compile(r"Windows")),
    ("ChromeOS", re.compile(r"CrOS")),
    ("macOS", re.compile(r"Mac OS X|Macintosh")),
    ("Linux", re.compile(r"Linux|X11")),
)


def describe_browser(user_agent: str) -> str:
    """ "Chrome 150 on Linux", from a User-Agent header; a plain phrase when it names nothing."""
    browser = next(
        (
            f"{name} {found.group(1)}"
            for name, pattern in BROWSERS
            if (found := pattern.search(user_agent))
        ),
        None,
    )
    system = next((name for name, pattern in SYSTEMS if pattern.search(user_agent)), None)
    if browser and "HeadlessChrome" in user_agent:
        browser = gettext("%(browser)s (headless)", browser=browser)
    if browser and system:
        return gettext("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or gettext("an unrecognised browser")


def mask_ip(address: object) -> str:
    """The network an address belongs to, not the address: `203.0.113.0/24`, `2001:db8:1::/48`.
    Enough to tell "my office" from "another country", not enough to find the machine."""
    try:
        parsed = ipaddress.ip_address(str(address))
    except ValueError:
        return gettext("unknown")
    prefix = 24 if parsed.version == 4 else 48
    return str(ipaddress.ip_network(f"{parsed}/{prefix}", strict=False))
