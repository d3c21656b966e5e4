"""Behind a proxy: which of its X-Forwarded-* headers the app believes.

A PaaS router (or `make cluster`'s nginx) ends TLS and talks plain HTTP to the app, saying in
X-Forwarded-Proto that the visitor used https and in X-Forwarded-For who the visitor is.
Werkzeug's ProxyFix applies those two, from exactly PROXY_FIX_HOPS proxies (each one that
appends to X-Forwarded-For counts): then the app knows it is served over https and sees the
client's address, not the proxy's. With 0, the default, nothing is believed: a client talking
to the app directly could otherwise claim any address or scheme.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def trust_proxies(app: Flask) -> None:
    hops = app.config["PROXY_FIX_HOPS"]
    if hops:
        # The client's address and the scheme only. The Host header reaches the app as the
        # visitor sent it; a router that does not set X-Forwarded-Host (Heroku's does not)
        # would otherwise pass on whatever the client put there.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0)
