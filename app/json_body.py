"""Reading a JSON request body, shared by every JSON route that takes one."""

from __future__ import annotations

import json

from flask import request


def read_json_object() -> dict | None:
    """The request body as a JSON object, or None for anything else (bad JSON, nesting bombs)."""
    if not request.is_json:
        return None
    try:
        body = json.loads(request.get_data(cache=False))
    except (ValueError, RecursionError):
        return None
    return body if isinstance(body, dict) else None
