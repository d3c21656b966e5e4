"""How gunicorn serves the site, everywhere: `make run`, `make cluster`, the Procfile, the
Dockerfile, the benchmark and the tests all start `gunicorn --config gunicorn.conf.py wsgi:app`.

Threaded workers (gthread). A sync worker serves one connection at a time, from its first byte
to its last, so a client that announces a body and sends it a byte at a time holds the whole
worker (an attack on this site once froze it with two such clients). In a gthread worker a slow
body holds one thread, not the worker. The kernel may hand all the slow connections to the same
worker, so each worker has threads enough for several: with the defaults below a worker stalls
only once eight slow bodies hold all of its threads at once (tests/test_resilience.py sends
four, and checks that the site keeps answering). A buffering proxy in
front (nginx in `make cluster`, a platform's router that buffers) receives whole requests
before the app sees them, which is the full defence; the threads are the app's own.

The address: `$PORT` on every interface when the platform sets it (gunicorn's own rule), else
`--bind` on the command line (`make run` binds 127.0.0.1:5000). Workers: `WEB_CONCURRENCY`
when the platform sets it, else 2. Threads per worker: `GUNICORN_THREADS`, else 8.
"""

import os

worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2)
threads = int(os.environ.get("GUNICORN_THREADS") or 8)

# How long a worker may go silent before the master replaces it. A threaded worker's main loop
# keeps reporting while its threads work, so this is no limit on one request: the stores have
# their own (Redis: 250 ms per command, app/redis_client.py; SQLite: a 5 s busy timeout).
timeout = 30
graceful_timeout = 10
# One request per connection, as sync workers always did. With keep-alive, the connections a
# client opens at once can all land on one worker and stay there while the other idles: on the
# 2-core Xeon, wrk with 32 connections got about 3,100 req/s or about 1,150, half the runs each.
# Closing after each answer lets every new connection go to whichever worker is free (steadily
# about 2,000 to 2,700 there). A proxy in front keeps its own keep-alive with the browsers.
keepalive = 0

# Which proxy headers to believe is the app's decision alone (PROXY_FIX_HOPS, see
# app/proxies.py), so gunicorn applies none of them itself: otherwise a request from loopback
# could claim https without the app being told to trust anything.
forwarded_allow_ips = ""
secure_scheme_headers: dict[str, str] = {}
