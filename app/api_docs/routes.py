"""`GET /api/openapi.json`: the OpenAPI 3.1 document of the JSON API."""

from __future__ import annotations

from flask import Blueprint, jsonify

from app.api_docs.openapi import build_openapi_document
from app.sessionless import declare_sessionless

bp = Blueprint("api_docs", __name__)
# The document is the same for every visitor: a session cookie must not cost a store lookup here.
declare_sessionless(bp, "/api/openapi.json")


@bp.get("/api/openapi.json")
def openapi_document():
    """Every route under /jwt/api/, /session/api/ and /inspect/api/, as OpenAPI 3.1 JSON."""
    response = jsonify(build_openapi_document())
    # Public and identical for everyone, unlike every other API answer (no-store by default);
    # five minutes keeps a new deploy's document from being hidden for long.
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
