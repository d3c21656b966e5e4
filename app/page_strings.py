"""The words the page's JavaScript writes, handed to it by the page itself.

Every page carries them as a JSON data block (`<script type="application/json">`, which browsers
never run, so the Content-Security-Policy is untouched). static/js/strings.js reads them. The
modules hold no sentences of their own, so the pages' language is decided in one place.

A value is a string with `{name}` placeholders, or, where it counts something, the plural forms
of the page's language ({"one": ..., "other": ...}), chosen in the browser by Intl.PluralRules.
"""

from __future__ import annotations


def page_strings() -> dict:
    return {
        # The sign-in status pills in the navigation bar.
        "pill.jwt.none": "JWT: none",
        "pill.jwt.checking": "JWT: checking…",
        "pill.jwt.verified": "JWT: {username}",
        "pill.jwt.verified.title": "The server verified this browser's token just now",
        "pill.jwt.refused": "JWT: refused",
        "pill.jwt.refused.title": "The server refused this browser's token: {reason}",
        "pill.jwt.unchecked": "JWT: not checked",
        "pill.jwt.unchecked.title": "The server could not be reached to check the token",
        "pill.session.none": "Session: none",
        "pill.session.user": "Session: {username}",
        "session.changed": (
            "In another tab, a page the server sent just now shows {state}. This page still shows "
            "how things were when it loaded."
        ),
        "session.changed.out": "no session",
        "session.changed.in": "a session for {username}",
        "session.changed.reload": "Reload this page",
        # Steps of the JWT usage flow, as the refusals name them.
        "step.token": "step 1 (the token sent)",
        "step.signature": "step 2a (the signature)",
        "step.claims": "step 2b (the claims)",
        "flow.note.taken": "(this request took this step)",
        "flow.note.refused": "(refused at this step)",
        "flow.note.issued": "(done when the server issued this token, not on this page)",
        # Figures of a trace.
        "count.reads": {"one": "{n} read", "other": "{n} reads"},
        "count.writes": {"one": "{n} write", "other": "{n} writes"},
        "count.parts": {"one": "{n} part", "other": "{n} parts"},
        "count.characters": {"one": "{n} character", "other": "{n} characters"},
        "trace.line": "Auth {ms} ms · {store} · all SQL, store included: {reads}, {writes}.",
        "trace.store": "session store ({kind}): {reads}",
        "trace.no_store": "no session store lookup",
        "summary.auth": "{request}: auth cost",
        "summary.auth.refused": "{request}: auth cost of refusing it",
        "summary.store": "Session store",
        "summary.store.none": "none: no lookup",
        "summary.sql": "All SQL, store included",
        # Reading a token in the browser.
        "token.not_jwt": "a JWT has 3 dot-separated parts; this has {parts}",
        "token.not_json": "its header or payload is not base64url-encoded JSON",
        "token.left": "{duration} left",
        "token.expired": "expired: the server now refuses this token",
        "token.refused_countdown": "stopped: the server refused this token",
        # The JWT login form.
        "login.failed": "Sign-in failed (HTTP {status}).",
        "login.unreachable": (
            "The server could not be reached. Check your connection and try again."
        ),
        # The JWT profile.
        "profile.refused": "The server refused this token at {step}: {reason}.",
        "profile.unreachable": "The server could not be reached to check this token.",
        "profile.junk": (
            "This is not a JWT: {problem}. It is shown as it is stored; the server was asked "
            "about it anyway, and refused it."
        ),
        "profile.heading.junk": "What is stored as the token",
        "profile.signout.refused": (
            "The server refused this token, so it opens nothing anyway. Signing out deletes it "
            "from this browser's localStorage."
        ),
        "profile.caption.ok": "· marked steps happened on GET /jwt/api/notes, measured",
        "profile.caption.refused": "· GET /jwt/api/check, refused at {step}, measured",
        "profile.line.ok": "Request: {request} with {header}. Response status: {status}.",
        "profile.line.refused": "Request: {request} with {header}. Verdict: {verdict}.",
        "profile.line.sent": (
            "Request: {request} with {header}. Response status: {status}. {challenge}"
        ),
        "profile.verdict.refused": "refused at {step}",
        "profile.caption.issued": "· when the server issued this token",
        "profile.notes.skipped": (
            "Not fetched: the server refused the token, so no data was asked for."
        ),
        "profile.notes.none": "No notes yet.",
        "profile.status.ok": "{status} OK",
        "profile.status.refused": "{status} refused",
        "profile.signed_out.valid": (
            "It is still valid for {duration}, until its exp ({time}): the server keeps no list "
            "of tokens, so anyone who copied it can use it until then."
        ),
        "profile.signed_out.expired": (
            "It expired at {time}. Until then anyone who had copied it could use it; "
            "now nobody can."
        ),
        "profile.signed_out.elsewhere": "The token was removed from this browser in another tab.",
        "profile.signed_out.refused": (
            "The server had refused that token, so it opened nothing, then or now."
        ),
        "profile.api_failed": "The API answered {status}: {message}",
        "profile.notes.unavailable": "Not fetched: the API could not answer just now.",
        # The inspect page.
        "inspect.cookie.readable": (
            'The session cookie "{name}" is readable here: it is not HttpOnly!'
        ),
        "inspect.cookie.hidden.before": 'The session cookie "{name}" is ',
        "inspect.cookie.hidden.word": "absent",
        "inspect.cookie.hidden.after": (
            " here, although the server received it with this very page load: it exists, but "
            "JavaScript cannot read it."
        ),
        "inspect.cookie.none": (
            'No session cookie "{name}" here, and the server did not receive one either: you '
            "are not signed in with a session."
        ),
        "inspect.token.null": (
            'localStorage.getItem("access_token") is null: no token in this browser.'
        ),
        "inspect.token.present.before": 'localStorage.getItem("access_token") is ',
        "inspect.token.present.word": "present",
        "inspect.token.present.after": " ({characters}), and its payload decodes without any key:",
        "inspect.token.junk": (
            'localStorage.getItem("access_token") holds {characters}, but it is not a JWT: '
            "{problem}."
        ),
        "inspect.fetch.with_token": "with the token added to an Authorization header by the script",
        "inspect.fetch.without_token": "with no token to add",
        "inspect.fetch.cookies": "; the browser added {names} by itself",
        "inspect.fetch.no_cookies": "; the browser had no cookie for this site to add",
        "inspect.fetch.pending": "(sending…)",
        "inspect.cookie_header.none": "Cookie header: none",
        "inspect.document_cookie.empty": '"" (empty string)',
        "inspect.caption.verified": "· lit by the fetch in section 2, measured",
        "inspect.caption.refused": "· the fetch in section 2, refused at {step}",
        "inspect.authorization.none": "Authorization: none",
        "inspect.jwt.verified": (
            "The server just verified your token for {username} using only its key."
        ),
        "inspect.jwt.refused": "The server refused the token at {step}: {reason}.",
        "inspect.jwt.none": "No token was sent, so there was nothing to verify.",
        "inspect.session.found": ", which found your session too",
        "inspect.session.unknown": ", which knows no signed-in session for this browser",
        "inspect.cost.session": "Session lookup: {trace}",
        "inspect.cost.unknown_cookie": (
            "Session: the cookie that came along names no session in the store, which was "
            "asked once and answered no ({trace})"
        ),
        "inspect.cost.malformed_cookie": (
            "Session: the cookie that came along cannot be a session ID, so the store was not "
            "even asked."
        ),
        "inspect.cost.store_down": (
            "Session: the store could not be reached, so nothing was checked."
        ),
        "inspect.session.unknown_cookie": (
            ", which knows no session under the cookie this browser sent"
        ),
        "inspect.session.store_down": ", which could not reach the session store",
        "inspect.cost.token": "Token check: {trace}",
        "inspect.cost.refused": (
            "Token check: refused at {step} ({reason}). Refusing it still cost {ms} ms of "
            "auth work, and no store lookup."
        ),
        "inspect.cost.intro": "The fetch in section 2, measured per scheme.",
        "inspect.cost.nothing": (
            "The fetch in section 2 carried neither a session nor a token, so there was "
            "nothing to check."
        ),
        "inspect.failed": "The request failed; reload the page to try again.",
        # The home page.
        "home.jwt.refused": "Your stored token was refused at {step}: {reason}.",
        "home.jwt.measured": "Your token, just now on /jwt/api/check: {trace}",
        "home.jwt.caption": (
            "· lit by a call to /jwt/api/check with your token, measured; it needs no data, so "
            "the DB steps stay unlit"
        ),
        "home.jwt.caption.refused": "· a call to /jwt/api/check with your token, refused at {step}",
        "home.jwt.unreachable": "The API could not be reached to measure your token.",
    }
