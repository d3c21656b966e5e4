"""Log lines the operator can read: one line per failure, with its reason and no traceback.

A store or database outage under load fails every request; a traceback each time would bury the
log (15 seconds of a Redis outage once wrote 26 MB). The reason fits on one line.
"""

from __future__ import annotations


def one_line(exc: BaseException) -> str:
    """`ConnectionError: Error 111 connecting to 127.0.0.1:6379. Connection refused.`"""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    return f"{exc.__class__.__name__}: {first[:200]}"
