"""PROXY_FIX_HOPS: the X-Forwarded-* headers are believed from exactly that many proxies."""

from __future__ import annotations

import pytest
from flask import jsonify, request

FORWARDED = {
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "lab.example.org",
}


def seen_by(app, headers, remote="10.0.0.2"):
    """What the app believes about the request: scheme, client address, host."""
    app.add_url_rule(
        "/_seen",
        "seen",
        lambda: jsonify(scheme=request.scheme, remote=request.remote_addr, host=request.host),
    )
    client = app.test_client()
    return client.get("/_seen", headers=headers, environ_base={"REMOTE_ADDR": remote}).get_json()


def test_without_a_proxy_nothing_a_client_claims_is_believed(make_app):
    assert seen_by(make_app(), FORWARDED) == {
        "scheme": "http",
        "remote": "10.0.0.2",
        "host": "localhost",
    }


def test_behind_one_proxy_its_address_and_scheme_are_believed_not_a_forwarded_host(make_app):
    assert seen_by(make_app(PROXY_FIX_HOPS=1), FORWARDED) == {
        "scheme": "https",
        "remote": "203.0.113.7",
        "host": "localhost",  # the Host header itself: X-Forwarded-Host may be the client's
    }


def test_one_hop_believes_only_the_address_the_proxy_itself_added(make_app):
    # The client sent its own X-Forwarded-For; the proxy appended the real address.
    headers = {**FORWARDED, "X-Forwarded-For": "6.6.6.6, 203.0.113.7"}
    assert seen_by(make_app(PROXY_FIX_HOPS=1), headers)["remote"] == "203.0.113.7"


@pytest.mark.parametrize("value", ["-1", "one", "1.5"])
def test_a_hop_count_that_is_no_whole_number_refuses_to_start(monkeypatch, make_app, value):
    from app.config import ConfigurationError

    monkeypatch.setenv("PROXY_FIX_HOPS", value)
    with pytest.raises(ConfigurationError, match="PROXY_FIX_HOPS"):
        make_app()
