"""Tests that need a real program (Chromium, redis-server, PostgreSQL) and what happens without it.

On a developer machine a missing program skips the tests that need it; with CI set they fail, so
CI can never pass without having run them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.servers import find_binary, find_postgres_bin


def require_installed(found, what: str, package: str):
    """Return `found`; if it is None, skip on a developer machine and fail when CI is set."""
    if found is None:
        message = f"{what} is not installed (apt-get install {package})"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI must run these tests", pytrace=False)
        pytest.skip(message)
    return found


def require_binary(name: str, package: str) -> str:
    return require_installed(find_binary(name), name, package)


def require_postgres_bin() -> Path:
    return require_installed(find_postgres_bin(), "PostgreSQL", "postgresql")
