"""The words the page's JavaScript writes, handed to it by the page itself.

Every page carries them as a JSON data block (`<script type="application/json">`, which browsers
never run, so the Content-Security-Policy is untouched). static/js/strings.js reads them. The
modules hold no sentences of their own, so the pages' language is decided in one place.

A value is a string with `{name}` placeholders, or, where it counts something, the plural forms
of the page's language ({"one": ..., "other": ...}), chosen in the browser by Intl.PluralRules.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext, pgettext


def plural(singular: str, plural_form: str) -> dict[str, str]:
    """The plural forms of a counted phrase, for Intl.PluralRules to choose from in the browser.

    English needs "one" and "other"; a language with a single form (Korean) gives both the same.
    """
    return {"one": ngettext(singular, plural_form, 1), "other": ngettext(singular, plural_form, 2)}


def page_strings() -> dict:
    return {
        # The sign-in status pills in the navigation bar.
        "pill.jwt.none": _("JWT: none"),
        "pill.jwt.checking": _("JWT: checking…"),
        "pill.jwt.verified": _("JWT: {username}"),
        "pill.jwt.verified.title": _("The server verified this browser's token just now"),
        "pill.jwt.refused": _("JWT: refused"),
        "pill.jwt.refused.title": _("The server refused this browser's token: {reason}"),
        "pill.jwt.expired": _("JWT: expired"),
        "pill.jwt.gone.title": _(
            "The lab_access cookie has expired: the browser no longer sends a token"
        ),
        "pill.jwt.unchecked": _("JWT: not checked"),
        "pill.jwt.unchecked.title": _("The server could not be reached to check the token"),
        "pill.session.none": _("Session: none"),
        "pill.session.user": _("Session: {username}"),
        "session.changed": _(
            "In another tab, a page the server sent just now shows {state}. This page still "
            "shows how things were when it loaded."
        ),
        "session.changed.out": _("no session"),
        "session.changed.in": _("a session for {username}"),
        "session.changed.reload": _("Reload this page"),
        # Steps of the JWT usage flow, as the refusals name them.
        "step.token": _("step 1 (the token sent)"),
        "step.signature": _("step 2a (the signature)"),
        "step.claims": _("step 2b (the claims)"),
        "step.denylist": _("the denylist lookup"),
        "flow.token.cookie": _("The browser sends the token in its cookie, by itself"),
        "flow.note.taken": _("(this request took this step)"),
        "flow.note.refused": _("(refused at this step)"),
        "flow.note.issued": _("(done when the server issued this token, not on this page)"),
        # Figures of a trace.
        "count.reads": plural("{n} read", "{n} reads"),
        "count.writes": plural("{n} write", "{n} writes"),
        "count.parts": plural("{n} part", "{n} parts"),
        "count.characters": plural("{n} character", "{n} characters"),
        "count.refresh_tokens": plural("{n} refresh token issued", "{n} refresh tokens issued"),
        "trace.line": _("Auth {ms} ms · {store} · all SQL, store included: {reads}, {writes}."),
        "trace.store": _("session store ({kind}): {reads}"),
        "trace.no_store": _("no session store lookup"),
        "summary.auth": _("{request}: auth cost"),
        "summary.auth.refused": _("{request}: auth cost of refusing it"),
        "summary.store": _("Session store"),
        "summary.store.none": _("none: no lookup"),
        "summary.sql": _("All SQL, store included"),
        # Reading a token in the browser.
        "token.not_jwt": _("a JWT has 3 dot-separated parts; this has {parts}"),
        "token.not_json": _("its header or payload is not base64url-encoded JSON"),
        "token.left": _("{duration} left"),
        "token.expired": _("expired: the server now refuses this token"),
        "token.refused_countdown": _("stopped: the server refused this token"),
        # The JWT login form.
        "login.failed": _("Sign-in failed (HTTP {status})."),
        "login.unreachable": _(
            "The server could not be reached. Check your connection and try again."
        ),
        # The JWT profile.
        "profile.refused": _("The server refused this token at {step}: {reason}."),
        "profile.unreachable": _("The server could not be reached to check this token."),
        "profile.junk": _(
            "This is not a JWT: {problem}. It is shown as it is stored; the server was asked "
            "about it anyway, and refused it."
        ),
        "profile.heading.junk": _("What is stored as the token"),
        "profile.signout.refused": _(
            "The server refused this token, so it opens nothing anyway. Signing out forgets it "
            "in this browser and revokes the refresh token, if this browser still holds one."
        ),
        "profile.heading.cookie": _("The token, in an HttpOnly cookie"),
        "profile.gone": _(
            "The browser sent no lab_access cookie: it expired with the access token, and "
            "the refresh token could not replace it."
        ),
        "profile.caption.ok": _("· marked steps happened on GET /jwt/api/notes, measured"),
        "profile.caption.refused": _("· GET /jwt/api/check, refused at {step}, measured"),
        "profile.line.ok": _("Request: {request} with {header}. Response status: {status}."),
        "profile.line.refused": _("Request: {request} with {header}. Verdict: {verdict}."),
        "profile.line.sent": _(
            "Request: {request} with {header}. Response status: {status}. {challenge}"
        ),
        "profile.verdict.refused": _("refused at {step}"),
        "profile.caption.issued": _("· when the server issued this token"),
        "profile.notes.skipped": _(
            "Not fetched: the server refused the token, so no data was asked for."
        ),
        "profile.notes.none": _("No notes yet."),
        "profile.status.ok": _("{status} OK"),
        "profile.status.refused": _("{status} refused"),
        "profile.signed_out.valid": _(
            "It is still valid for {duration}, until its exp ({time}): the server never heard "
            "of the sign-out, so anyone who copied it can use it until then, on every route."
        ),
        "profile.signed_out.revoked": _(
            "Signing out revoked this sign-in's refresh token and put the access token on the "
            "server's denylist."
        ),
        "profile.signed_out.denied": _(
            "Signing out put the access token on the server's denylist; there was no live "
            "refresh token left to revoke."
        ),
        "profile.signout_refused": _(
            "The server did not sign this browser out ({status}: {reason}). The HttpOnly "
            "cookies are still here, and still sign it in; only the server can remove them."
        ),
        "profile.signout_unreachable": _(
            "The server could not be reached to sign out. The HttpOnly cookies are still here, "
            "and still sign this browser in; only the server can remove them."
        ),
        "profile.signed_out.family": _(
            "Signing out revoked this sign-in's refresh token. The server had not accepted the "
            "access token, so it had nothing to put on the denylist."
        ),
        "profile.signed_out.nothing": _(
            "Signing out deleted the token from this browser; the server had nothing of it to "
            "revoke."
        ),
        "profile.signed_out.unreachable": _(
            "The server could not be reached, so signing out only deleted the token from this "
            "browser."
        ),
        "profile.signed_out.valid_stateless": _(
            "A copy of the access token is still accepted by the stateless GET /jwt/api/me for "
            "{duration}, until its exp ({time}); GET /jwt/api/checked/me refuses it."
        ),
        "profile.signed_out.expired": _(
            "It expired at {time}. Until then anyone who had copied it could use it; now nobody "
            "can."
        ),
        "profile.signed_out.elsewhere": _(
            "The token was removed from this browser in another tab."
        ),
        "profile.signed_out.refused": _(
            "The server had refused that token, so it opened nothing, then or now."
        ),
        "profile.api_failed": _("The API answered {status}: {message}"),
        # The refresh card of the JWT profile.
        "refresh.next": _(
            "Next automatic refresh in {duration}: {ahead} before the access token expires "
            "({time})."
        ),
        "refresh.unreachable": _("No automatic refresh: the server could not be reached."),
        "refresh.paused": _(
            "No automatic refresh: the server refused this access token for a reason a new "
            "one would not mend."
        ),
        "refresh.impossible": _(
            "No automatic refresh: this browser holds no refresh token the server would accept."
        ),
        "refresh.spent_elsewhere": _(
            "No automatic refresh: the refresh token in this browser's cookie was already spent, "
            "by another party or by a refresh whose answer never arrived. Sending it again is "
            'reuse, which revokes this sign-in: "Refresh now" does just that.'
        ),
        "refresh.try_again": _(
            "No automatic refresh for now: the server could not refresh just then (see the log). "
            '"Refresh now" tries again.'
        ),
        "refresh.log.auto": _(
            "{time}: refreshed automatically, {ahead} before expiry. The new access token is "
            "valid for {valid}."
        ),
        "refresh.log.manual": _(
            "{time}: refreshed on request. The new access token is valid for {valid}."
        ),
        "refresh.log.expired": _(
            "{time}: the access token had expired, so the refresh token replaced it. The new "
            "one is valid for {valid}."
        ),
        "refresh.log.elsewhere": _(
            "{time}: another tab changed the token first (a refresh, a sign-in or a sign-out), "
            "so this tab spent nothing."
        ),
        "refresh.log.refused": _("{time}: refresh refused ({status}): {reason}."),
        "refresh.log.unreachable": _("{time}: the server could not be reached to refresh."),
        "family.none": _(
            "This browser sent no refresh token the server knows: none was set here, or it "
            "expired with its sign-in."
        ),
        "family.unavailable": _("The server could not be asked about the refresh family."),
        "family.summary": _("Signed in {time}, keeping the access token in {storage}; {issued}."),
        "family.storage.cookie": _("an HttpOnly cookie"),
        "family.storage.local": _("localStorage"),
        "family.revoked": _("Revoked {time}: {reason}."),
        "family.revoked.access_lives": _(
            "That stops refreshes only: the access tokens it already issued are not revoked "
            "with it, and still work until their exp."
        ),
        "family.more": _("The newest {shown} are shown."),
        "family.number": _("#{n}"),
        "family.issued": _("issued {time}"),
        "family.used": _("used {time}"),
        "family.expires": _("expires {time}"),
        "family.current": _("(the one in your cookie)"),
        "family.state.active": pgettext("refresh token", "active"),
        "family.state.spent": pgettext("refresh token", "spent"),
        "family.state.revoked": pgettext("refresh token", "revoked"),
        "family.state.expired": pgettext("refresh token", "expired"),
        # The replay after sign-out.
        "replay.copy.access": _("Access token (copied from localStorage)"),
        "replay.copy.access_cookie": _("Access token (copy of the lab_access cookie)"),
        "replay.copy.refresh": _("Refresh token (copy of the lab_refresh cookie)"),
        "replay.accepted": _("{status} accepted"),
        "replay.refused": _("{status} refused"),
        "replay.reason": _("({reason})"),
        "replay.why.accepted": _("(the copy still works)"),
        "replay.why.stateless": _(
            "(this route checks only the signature and the claims, and never the denylist)"
        ),
        "replay.unreachable": _("no answer: the server could not be reached"),
        "replay.store_reads": _("· store: {reads}"),
        "replay.via": _("{replay}, which runs the checks of {route} on the copy"),
        "replay.signout_refused": _(
            "The server did not sign out ({status}: {reason}), so it kept no copies, and nothing "
            "was replayed."
        ),
        "replay.lesson.revocation": _(
            "A signed-out access token keeps working wherever the server does not look it up. "
            "Keep access tokens short, and use the checked route where a sign-out must take "
            "effect at once."
        ),
        "replay.lesson.none": _("Every copy was refused."),
        "replay.nothing": _("This browser held no copy to send."),
        "replay.signout_failed": _(
            "The sign-out did not reach the server, so there was nothing to replay."
        ),
        # The reuse lab: playing the thief of a refresh token.
        "thief.unreachable": _("The server could not be reached."),
        "thief.copy_refused": _("Nothing to copy: {reason}."),
        "thief.copied": _(
            "The thief holds a copy of refresh token #{n}, set for 10 minutes in an HttpOnly "
            "cookie that only the thief's routes receive."
        ),
        "thief.first": _(
            "The thief spent the copy first: the server issued the family's next token to it "
            "(this lab drops it). The token in this browser is now spent: its next use is reuse, "
            "and revokes the whole family."
        ),
        "thief.refused": _("The thief's copy was refused: {reason}."),
        "replay.session.unreachable": _("The server could not be reached to send the copy."),
        "replay.session.no_copy": _(
            "There is no copy to send: it is kept for 10 minutes after a sign-out made with "
            "the replay button, and only then."
        ),
        "replay.session.accepted": _("The copy was accepted: the session record still exists."),
        "replay.session.refused": _(
            "Refused at once ({status}): the {store} store has no session under that ID any "
            "more, because the sign-out deleted it."
        ),
        "profile.notes.unavailable": _("Not fetched: the API could not answer just now."),
        # The inspect page.
        "inspect.cookie.readable": _(
            'The session cookie "{name}" is readable here: it is not HttpOnly!'
        ),
        "inspect.cookie.hidden": _(
            'The session cookie "{name}" is {absent} here, although the server received it with '
            "this very page load: it exists, but JavaScript cannot read it."
        ),
        "inspect.cookie.hidden.word": pgettext("not visible to scripts", "absent"),
        "inspect.cookie.none": _(
            'No session cookie "{name}" here, and the server did not receive one either: you are '
            "not signed in with a session."
        ),
        "inspect.cookie_jwt.none": _(
            "This browser holds no token in a cookie. Sign in to the JWT lab with the HttpOnly "
            "cookie choice to fill this column."
        ),
        "inspect.cookie_jwt.held": _(
            "This browser holds a token in {name}, yet {expression} lists {csrf} and no {name}: "
            "for scripts, the token is {absent}."
        ),
        "inspect.cookie_jwt.not_sent": _(
            "No {name} cookie went with {request}: this browser holds none."
        ),
        # Signed in with the cookie choice, but the access cookie is gone: it expires with its
        # token, and the browser sends nothing in its place. The refresh cookie may still live.
        "inspect.cookie_jwt.lapsed": _(
            "This browser signed in with the HttpOnly cookie choice, but holds no {name} cookie "
            "now: it expired with its access token, or was deleted. While the sign-in lasts, "
            "{profile} gets a new one with the refresh token."
        ),
        "inspect.cookie_jwt.not_sent.lapsed": _(
            "No {name} cookie went with {request}: a browser drops an expired cookie and sends "
            "nothing in its place."
        ),
        "inspect.cookie_jwt.sent": _(
            "The server received {name} with {request}, although this script added no header: "
            "the browser sent the cookie by itself. Its verdict: {verdict}."
        ),
        "inspect.cookie_jwt.valid": _("verified, the token of {username}"),
        "inspect.cookie_jwt.refused": _("refused: {reason}"),
        "inspect.token.null": _("{expression} is null: there is no token in localStorage."),
        "inspect.token.in_cookie": _(
            "This browser keeps its token in the HttpOnly {name} cookie instead, out of every "
            "script's reach: see the third column."
        ),
        # Each cookie that page scripts can read, and why it may be readable.
        "inspect.readable.lang": _(
            "{name}: your language choice, a preference, deliberately not HttpOnly. It is not an "
            "authentication cookie: reading it tells a script nothing about who you are."
        ),
        "inspect.readable.access_csrf": _(
            "{name}: the double-submit value of a JWT kept in a cookie, deliberately not "
            "HttpOnly, so that this site's script can repeat it in the {header} header. On its "
            "own it opens nothing: the token itself is in the HttpOnly {token} cookie."
        ),
        "inspect.readable.other": _(
            "{name}: not a cookie this lab sets, and not HttpOnly, so scripts see it. Cookies "
            "keep to a host, not to a port: another site served from this host may have set it."
        ),
        "inspect.token.present": _(
            "{expression} is {present} ({characters}), and its payload decodes without any key:"
        ),
        "inspect.token.present.word": pgettext("kept in the browser", "present"),
        "inspect.token.junk": _("{expression} holds {characters}, but it is not a JWT: {problem}."),
        "inspect.fetch.pending": _("The script is calling {request}…"),
        "inspect.fetch.token.cookies": _(
            "The script called {request}, adding the token to an Authorization header itself; the "
            "browser added {names} by itself. The server received:"
        ),
        "inspect.fetch.token.no_cookies": _(
            "The script called {request}, adding the token to an Authorization header itself; the "
            "browser had no cookie for this site to add. The server received:"
        ),
        "inspect.fetch.no_token.cookies": _(
            "The script called {request} with no token to add; the browser added {names} by "
            "itself. The server received:"
        ),
        "inspect.fetch.no_token.no_cookies": _(
            "The script called {request} with no token to add; the browser had no cookie for this "
            "site to add. The server received:"
        ),
        "inspect.cookie_header.none": _("Cookie header: none"),
        "inspect.document_cookie.empty": _('"" (empty string)'),
        "inspect.caption.verified": _(
            "· lit by the token sent in the Authorization header with GET /inspect/api/request, "
            "measured"
        ),
        "inspect.caption.refused": _(
            "· the token sent in the Authorization header with GET /inspect/api/request, refused "
            "at {step}"
        ),
        "inspect.caption.cookie_verified": _(
            "· lit by the token sent in the lab_access cookie with GET /jwt/api/check, measured"
        ),
        "inspect.caption.cookie_refused": _(
            "· the token sent in the lab_access cookie with GET /jwt/api/check, refused at {step}"
        ),
        "inspect.authorization.none": _("Authorization: none"),
        "inspect.jwt.verified": _(
            "The server just verified your token for {username} using only its key."
        ),
        "inspect.jwt.refused": _("The server refused the token at {step}: {reason}."),
        "inspect.jwt.none": _(
            "The fetch to GET /inspect/api/request carried no Authorization header, so it brought "
            "no token to verify."
        ),
        "inspect.jwt.cookie_verified": _(
            "The server just verified the token in your lab_access cookie, for {username}, using "
            "only its key."
        ),
        "inspect.jwt.cookie_refused": _(
            "The server refused the token in your lab_access cookie at {step}: {reason}."
        ),
        "inspect.jwt.cookie_none": _(
            "No lab_access cookie came with the fetch to GET /jwt/api/check, so it brought no "
            "token to verify."
        ),
        "inspect.worker.found": _(
            "The fetch above was served by worker process {pid}, which found your session too."
        ),
        "inspect.worker.none": _(
            "The fetch above was served by worker process {pid}, which knows no signed-in session "
            "for this browser."
        ),
        "inspect.cost.session": _("Session lookup: {trace}"),
        "inspect.cost.unknown_cookie": _(
            "Session: the cookie that came along names no session in the store, which was asked "
            "once and answered no ({trace})"
        ),
        "inspect.cost.malformed_cookie": _(
            "Session: the cookie that came along cannot be a session ID, so the store was not "
            "even asked."
        ),
        "inspect.cost.store_down": _(
            "Session: the store could not be reached, so nothing was checked."
        ),
        "inspect.worker.unknown": _(
            "The fetch above was served by worker process {pid}, which knows no session under the "
            "cookie this browser sent."
        ),
        "inspect.worker.unchecked": _(
            "The fetch above was served by worker process {pid}, which could not reach the session "
            "store."
        ),
        "inspect.cost.token": _("Token check (Authorization header): {trace}"),
        "inspect.cost.refused": _(
            "Token check (Authorization header): refused at {step} ({reason}). Refusing it still "
            "cost {ms} ms of auth work, and no store lookup."
        ),
        "inspect.cost.cookie_token": _("Token check (lab_access cookie): {trace}"),
        "inspect.cost.cookie_refused": _(
            "Token check (lab_access cookie): refused at {step} ({reason}). Refusing it still "
            "cost {ms} ms of auth work, and no store lookup."
        ),
        "inspect.cost.intro": _("The fetches in section 2, measured per scheme."),
        "inspect.cost.nothing": _(
            "Neither fetch in section 2 carried a session or a token, so there was nothing to "
            "check."
        ),
        "inspect.failed": _("The request failed; reload the page to try again."),
        # The home page.
        "home.jwt.refused": _("Your stored token was refused at {step}: {reason}."),
        "home.jwt.measured": _("Your token, just now on /jwt/api/check: {trace}"),
        "home.jwt.caption": _(
            "· lit by a call to /jwt/api/check with your token, measured; it needs no data, so "
            "the DB steps stay unlit"
        ),
        "home.jwt.caption.refused": _(
            "· a call to /jwt/api/check with your token, refused at {step}"
        ),
        "home.jwt.unreachable": _("The API could not be reached to measure your token."),
        "home.jwt.gone": _(
            "This browser signed in with the HttpOnly cookie choice, but sent no lab_access "
            "cookie: it expired with its access token, or was deleted, so there was no token to "
            "measure. While the sign-in lasts, {profile} gets a new one with the refresh token."
        ),
        "jwt.profile_link": _("the JWT profile"),
        # The multi-instance lab (/lab/scale).
        "scale.sending": _("Sending…"),
        "scale.unknown_instance": _("an instance that did not say which"),
        "scale.session.found": _("found your session ({username})"),
        "scale.session.unknown": _("does not know your session"),
        "scale.session.unchecked": _("could not reach its session store"),
        "scale.session.malformed": _("ignored a malformed session cookie"),
        "scale.session.none": _("received no session cookie"),
        "scale.jwt.valid": _("accepted your token ({username})"),
        "scale.jwt.refused": _("refused your token: {reason}"),
        "scale.jwt.none": _("no token: this browser holds none"),
        "scale.jwt.gone": _("received no token: the cookie holding it has expired"),
        "scale.failed": _("no answer ({status})"),
        "scale.unreachable": _("the server could not be reached"),
        "scale.summary": _(
            "{instances} answered. The session was found in {session}; the token was accepted "
            "in {jwt}."
        ),
        "scale.summary.no_token": _(
            "{instances} answered. The session was found in {session}; there was no token to send."
        ),
        "count.instances": plural("{n} instance", "{n} instances"),
        "count.of_requests": plural("{n} of {total} request", "{n} of {total} requests"),
        # The browser lab (/lab/browser): what the injected script reports.
        "xss.running": _("The injected script is running…"),
        "xss.token.found": _("Read the access token from localStorage: yes, {length} characters."),
        "xss.token.none": _(
            "Read an access token from localStorage: there is none. Get a token at the JWT lab "
            "(kept in localStorage) and run the script again."
        ),
        "xss.sink": _(
            "Sent it to the attacker's server (the sink at {path}, which keeps nothing): it "
            "received {length} characters, {preview}."
        ),
        "xss.sink.failed": _("Tried to send it to the attacker's server: no answer ({status})."),
        "xss.elsewhere.ok": _(
            "Used the copy from another machine (a request carrying no cookie at all): "
            "{status}, signed in as {username}."
        ),
        "xss.elsewhere.refused": _(
            "Used the copy from another machine (a request carrying no cookie at all): "
            "refused ({status}): {reason}"
        ),
        "xss.cookies.none": _(
            "Read the session cookie: no. document.cookie shows no cookie at all; {name} is "
            "HttpOnly, so scripts never see it."
        ),
        "xss.cookies.some": _(
            "Read the session cookie: no. document.cookie shows only {names}; {name} is "
            "HttpOnly, so scripts never see it."
        ),
        "xss.cookie_jwt.held": _(
            "Read your JWT from its cookie (lab_access): no. It is HttpOnly too; only the "
            "readable lab_access_csrf half is visible, and it opens nothing by itself."
        ),
        "xss.cookie_jwt.other": _(
            "Had you kept the JWT in the HttpOnly cookie (the JWT lab's other storage), the "
            "script could not have read it either."
        ),
        "xss.ride.ok": _(
            "Rode the session: its request to /session/api/me came back {status} for "
            "{username}. The browser attached the cookie the script cannot read."
        ),
        "xss.ride.none": _(
            "Rode the session: nothing to ride, this browser has no session ({status}). Sign "
            "in at the session lab and run the script again."
        ),
        "xss.failed": _("The script could not reach the server; reload the page to try again."),
        "fixation.none": _(
            "This browser holds no planted ID: plant one first (signed out of the session lab)."
        ),
        "fixation.refused": _(
            "The planted ID {planted}… sent to the store now: refused, no session has it. Your "
            "session's ID is {current}…: the sign-in did not adopt the planted one."
        ),
        "fixation.refused.signed_out": _(
            "The planted ID {planted}… sent to the store now: refused, no session has it."
        ),
        "fixation.accepted": _("The planted ID {planted}… opened a session: fixation worked."),
        "fixation.failed": _("The server could not check the planted ID; try again in a moment."),
        # The JWT profile's signature check in the browser (static/js/signature-check.js).
        "signature.hs256": _(
            "This token is HS256: its signature is meant to be an HMAC made with the server's "
            "secret key. Checking it takes that same secret, and whoever holds it could make "
            "tokens too, so the server never publishes it: this browser cannot check this "
            "signature."
        ),
        "signature.other": _(
            "The header names the algorithm {alg}, which this site never signs with; this "
            "browser does not check it."
        ),
        "signature.checking": _("Checking the signature in this browser…"),
        "signature.failed": _("This browser could not check the signature ({error})."),
        "signature.jwks_failed": _("The public keys at {path} could not be fetched ({error})."),
        "signature.unknown_key": _(
            "The header names the key {kid}, which is not among the public keys at {path} "
            "(retired, or never this site's): this browser cannot check the signature."
        ),
        "signature.valid": _(
            "Checked in this browser, with WebCrypto: the signature matches the public key {kid} "
            "from {path}. So the holder of the private key, this server, made this token, and "
            "nothing in it has changed since. The browser can check a token but cannot make "
            "one: the published key has no private part."
        ),
        "signature.invalid": _(
            "Checked in this browser, with WebCrypto: the signature does not match the public "
            "key {kid} from {path}. The token was changed, or not signed by this server."
        ),
        # The token lab (/lab/jwt).
        "lab.verifier.naive": _("The naive verifier (deliberately broken)"),
        "lab.verifier.real": _("This site's /jwt/api/me"),
        "lab.accepted": _("Accepted (HTTP {status})"),
        "lab.refused": _("Refused (HTTP {status})"),
        "lab.unreachable": _("It could not be reached."),
        "lab.reason": _("Reason: {reason}"),
        "lab.believes.admin": _("It believes this is {username}, and an admin."),
        "lab.believes.user": _("It believes this is {username}, not an admin."),
        "lab.how": _("How: {how}"),
        "lab.real.ok": _("Accepted as {username}: the signature is genuine and its claims hold."),
        "lab.failed": _("The attack could not be run in this browser ({error})."),
        "lab.sending": _("Sending…"),
        "lab.sent": _("Sent to both: the token whose header is {header}."),
        "lab.need_token": _(
            "This attack starts from your own token, and this browser holds none: sign in "
            "under JWT first."
        ),
        "lab.need_token.cookie": _(
            "Your token is in an HttpOnly cookie, which this page cannot read: that is the "
            "cookie's point. Sign in with localStorage storage to try this on it."
        ),
        "lab.mine.loaded": _("Your token is in the editor."),
        "lab.mine.none": _("This browser holds no token: sign in under JWT first."),
        "lab.weak.loaded": _("The weak sample token is in the editor. Its key is a word."),
        "lab.weak.failed": _("The sample token could not be fetched (HTTP {status})."),
        "lab.words.failed": _("The word list could not be fetched."),
        "lab.crack.trying": _("Trying words: {tried} of {total}…"),
        "lab.crack.found": _(
            'Found the key "{word}" after {tried} of {total} words, in {ms} ms. The editor now '
            "signs with it, and the payload says role admin."
        ),
        "lab.crack.missed": _("None of the {total} words matched."),
        "lab.jwks.failed": _("The key set could not be fetched ({error})."),
        "lab.jwks.empty": _("The key set holds no public key."),
        "lab.samples.failed": _("The server made no samples (HTTP {status}): {reason}"),
        "lab.json.header": _("The header is not a JSON object: {error}"),
        "lab.json.payload": _("The payload is not a JSON object: {error}"),
        "lab.json.object": _("it must be an object, in braces"),
        "lab.claim.absent": _("not in this token"),
        "lab.claim.in": _("in {duration}"),
        "lab.claim.ago": _("{duration} ago"),
        "lab.send.empty": _("Paste or take a token first."),
    }
