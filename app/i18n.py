"""The page's language: Korean or English, chosen by the visitor, never kept in the session.

In order: the visitor's explicit choice (`?lang=ko` on any page, then remembered in the plain
`lang` cookie), then the browser's `Accept-Language`, then English. Choosing a language writes
that one cookie and nothing else, so it can never sign anyone in or out or create a session.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, Response, current_app, g, request
from flask_babel import get_locale

LANGUAGES = {"en": "English", "ko": "한국어"}
DEFAULT_LANGUAGE = "en"
LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600


def requested_language() -> str | None:
    """The language named by `?lang=`, if it is one the site speaks."""
    if not request.query_string:
        return None
    value = request.args.get("lang", "").strip().lower()
    return value if value in LANGUAGES else None


def select_language() -> str:
    """Flask-Babel's locale selector: called once per request, and only if it translates."""
    g.language_chosen = True
    explicit = requested_language()
    if explicit:
        return explicit
    remembered = request.cookies.get(LANG_COOKIE, "").strip().lower()
    if remembered in LANGUAGES:
        return remembered
    return request.accept_languages.best_match(tuple(LANGUAGES)) or DEFAULT_LANGUAGE


def language_url(code: str) -> str:
    """This very page, in language `code`: the path and query kept, `lang` replaced."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return f"{request.path}?{urlencode([*args, ('lang', code)])}"


def current_language() -> str:
    return str(get_locale())


def remember_choice(response: Response) -> Response:
    """After `?lang=`, keep the choice in a plain preference cookie (readable by page scripts).

    Every response with translated words says which language it is in and what chose it, so
    that no cache hands a Korean page to an English reader. A response with none (`/api/ping`,
    static files) stays as it was.
    """
    if g.get("language_chosen"):
        response.headers["Content-Language"] = current_language()
        response.vary.update(("Accept-Language", "Cookie"))
    chosen = requested_language()
    if chosen and request.cookies.get(LANG_COOKIE) != chosen:
        response.set_cookie(
            LANG_COOKIE,
            chosen,
            max_age=LANG_COOKIE_MAX_AGE,
            path="/",
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=False,  # a preference, not a credential: the page may read it
        )
    return response


def init_i18n(app: Flask) -> None:
    app.after_request(remember_choice)
    app.jinja_env.globals.update(languages=LANGUAGES, language_url=language_url)
