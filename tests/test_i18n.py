"""The site in Korean and English: the catalogs are whole, every template's words are marked for
translation, each page answers in the language asked for, and choosing one touches no session."""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from sqlalchemy import func, select

from app.extensions import db
from app.i18n import LANG_COOKIE
from app.models import SessionRecord
from harness.actions import SESSION_COOKIE, JwtActions, SessionActions, csrf_token_from
from tests.helpers import forge, good_claims

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = PROJECT_ROOT / "app" / "translations"
HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")

# Words a Korean page keeps in Latin letters: names of technologies, headers, claims, DevTools'
# own menus, and the demo accounts. Anything else in Latin letters is English left untranslated.
TECHNICAL = {
    "jwt", "json", "httponly", "samesite", "secure", "lax", "devtools",
    "application", "storage", "cookies", "local", "console", "network", "headers",
    "timing", "cookie", "path", "null", "denylist",
    "authorization", "bearer", "localstorage", "hmac", "hs256", "base64url", "sql", "redis",
    "csrf", "xss", "api", "db", "exp", "iat", "iss", "aud", "sub", "jti", "scrypt", "flask",
    "ok", "http", "https", "post", "get", "delete", "utc", "alice", "bob",
    "wonderland", "builder", "fetch", "ttl", "kib", "www", "authenticate", "ms",
    "pid", "flask-login", "flask-session", "header", "payload",
    "signature", "nginx", "x-served-by",
    # The token lab's header names and algorithms, as a JWT spells them.
    "alg", "none", "kid", "jwk", "jku", "nbf", "pem", "pyjwt",
    # SQL the trace quotes: the one statement of the data step, on the notes table.
    "select", "notes",
}  # fmt: skip
# Names of several words, kept whole: their words alone would be English left untranslated.
TECHNICAL_PHRASES = (
    "JSON Web Token",
    "Request Headers",
    "SameSite=None",
    "Content-Security-Policy",
)

PAGES = [
    ("/", None),
    ("/", "session"),
    ("/inspect", None),
    ("/inspect", "session"),
    ("/session/login", None),
    ("/session/profile", "session"),
    ("/session/logout", "session"),
    ("/jwt/login", None),
    ("/jwt/profile", None),
    ("/account/signup", None),
    ("/lab/scale", None),
    ("/lab/scale", "session"),
    ("/lab/browser", None),
    ("/lab/browser", "session"),
    ("/lab/browser/attacker", None),
    ("/lab/jwt", None),
    ("/session/devices", "session"),
    ("/account/password", "session"),
    ("/no/such/page", None),
]


class VisibleText(HTMLParser):
    """The text a visitor reads (and the accessible names they hear): no scripts, no code, no
    user-supplied data (<bdi>), no language switch."""

    SKIPPED = {"script", "style", "code", "pre", "bdi"}
    ATTRIBUTES = {"title", "alt", "aria-label", "placeholder", "content"}

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in self.SKIPPED or "data-language-switch" in attributes:
            self.skipping.append(tag)
        if not self.skipping and not (tag == "meta" and attributes.get("name") != "description"):
            self.chunks += [v for k, v in attrs if k in self.ATTRIBUTES and v]

    def handle_endtag(self, tag):
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self.chunks.append(data.strip())


def visible_text(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.chunks


def english_words_left(chunks: list[str]) -> list[str]:
    text = " ".join(chunks)
    for phrase in TECHNICAL_PHRASES:
        text = text.replace(phrase, " ")
    text = re.sub(r"(?<![\w.])/[\w/.-]+", " ", text)  # URL paths: /jwt/api/check
    text = re.sub(r"\w+_\w+", " ", text)  # identifiers: lab_session, access_token
    words = re.findall(r"[A-Za-z][A-Za-z0-9'-]{2,}", text)

    def technical(word: str) -> bool:
        word = word.lower().strip("'-")
        letters = word.rstrip("0123456789")  # "ID1": a label run into its value
        return word in TECHNICAL or letters in TECHNICAL or len(letters) < 3

    return sorted({w for w in words if not technical(w)})


KOREAN = {"Accept-Language": "ko-KR,ko;q=0.9"}


def assert_korean_page(response, status: int) -> list[str]:
    """The response is a whole Korean page: `lang`, title, headings and the text a visitor
    reads, with no English left and no markup escaped into text. Returns that text."""
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert '<html lang="ko">' in html
    assert not re.search(r"&lt;/?(code|strong|em|a)\b", html), "markup escaped into text"
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert HANGUL.search(title), title
    for heading in re.findall(r"<h[12][^>]*>(.*?)</h[12]>", html, re.S):
        text = re.sub(r"<bdi>.*?</bdi>|<[^>]+>", "", heading)
        assert HANGUL.search(text) or not english_words_left([text]), heading
    chunks = visible_text(html)
    assert english_words_left(chunks) == [], chunks
    korean = sum(len(HANGUL.findall(chunk)) for chunk in chunks)
    assert korean > 30, f"only {korean} Hangul characters"
    return chunks


def fetch(app, path: str, state: str | None, **headers):
    client = app.test_client()
    if state == "session":
        SessionActions(client).login()
    return client.get(path, headers=headers)


@pytest.mark.parametrize(("path", "state"), PAGES, ids=[f"{p} [{s or 'anon'}]" for p, s in PAGES])
def test_every_page_answers_in_korean_when_the_browser_asks_for_it(app, path, state):
    response = fetch(app, path, state, **{"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.5"})
    assert_korean_page(response, 404 if path == "/no/such/page" else 200)


@pytest.mark.parametrize(("path", "state"), PAGES, ids=[f"{p} [{s or 'anon'}]" for p, s in PAGES])
def test_every_page_answers_in_english_when_asked_with_lang_en(app, path, state):
    separator = "&" if "?" in path else "?"
    response = fetch(app, f"{path}{separator}lang=en", state, **{"Accept-Language": "ko"})
    html = response.get_data(as_text=True)
    assert '<html lang="en">' in html
    chunks = visible_text(html)
    assert [chunk for chunk in chunks if HANGUL.search(chunk)] == []
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert re.search("[A-Za-z]{3}", title) and not HANGUL.search(title)


def test_the_language_comes_from_the_choice_then_the_browser_then_english(client):
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)
    asked = client.get("/", headers={"Accept-Language": "ko"})
    assert '<html lang="ko">' in asked.get_data(as_text=True)
    other = client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert '<html lang="en">' in other.get_data(as_text=True)
    chosen = client.get("/inspect?lang=ko", headers={"Accept-Language": "en"})
    assert '<html lang="ko">' in chosen.get_data(as_text=True)
    cookie = next(
        h for h in chosen.headers.getlist("Set-Cookie") if h.startswith(f"{LANG_COOKIE}=")
    )
    assert "HttpOnly" not in cookie and "SameSite=Lax" in cookie and "Max-Age=31536000" in cookie
    # Remembered: the next page, with no ?lang and an English browser, is Korean too.
    later = client.get("/jwt/login", headers={"Accept-Language": "en"})
    assert '<html lang="ko">' in later.get_data(as_text=True)
    assert client.get("/?lang=xx").status_code == 200  # an unknown choice is ignored


def test_the_switch_keeps_the_visitor_on_the_same_page_without_javascript(client):
    html = client.get("/session/login?next=/inspect&lang=en").get_data(as_text=True)
    switch = re.search(r"<nav class=\"language-switch\".*?</nav>", html, re.S).group(0)
    links = dict(re.findall(r'href="([^"]+)" lang="(\w+)"', switch))
    assert set(links.values()) == {"en", "ko"}
    korean = next(url for url, code in links.items() if code == "ko")
    assert korean.replace("&amp;", "&") == "/session/login?next=%2Finspect&lang=ko"
    assert 'lang="ko" hreflang="ko"' in switch and "한국어" in switch and "English" in switch
    assert 'aria-current="true">English' in switch


def test_choosing_a_language_never_touches_the_session(app, client):
    def rows() -> int:
        with app.app_context():
            return db.session.execute(select(func.count(SessionRecord.id))).scalar_one()

    for path in ("/?lang=ko", "/inspect?lang=en", "/session/login?lang=ko"):
        response = client.get(path)
        assert f"{SESSION_COOKIE}=" not in " ".join(response.headers.getlist("Set-Cookie"))
    assert rows() == 0
    SessionActions(client).login()
    before = client.get_cookie(SESSION_COOKIE).value
    response = client.get("/session/profile?lang=en")
    assert response.status_code == 200
    assert client.get_cookie(SESSION_COOKIE).value == before  # still signed in, same session
    assert f"{SESSION_COOKIE}=" not in " ".join(response.headers.getlist("Set-Cookie"))
    assert rows() == 1


def test_inspect_explains_the_language_cookie_honestly(client):
    html = client.get("/inspect?lang=en").get_data(as_text=True)
    # The page's script explains each cookie it finds in document.cookie (the browser test
    # checks which); the words for the language cookie come with the page.
    assert 'data-lang-cookie="lang"' in html
    assert "your language choice, a preference" in html and "not an authentication cookie" in html
    html = client.get("/inspect").get_data(as_text=True)
    assert "Not an authentication cookie" in html  # its note in the list of received cookies


def test_every_store_has_one_korean_name_everywhere_it_is_shown(make_app):
    """The profile, its trace and /inspect name the store the same way, in the page's language."""
    app = make_app(SESSION_STORE="memory")
    client = app.test_client()
    SessionActions(client).login()
    profile = " ".join(assert_korean_page(client.get("/session/profile", headers=KOREAN), 200))
    assert "인메모리" in profile and "memory" not in profile
    inspect = " ".join(assert_korean_page(client.get("/inspect", headers=KOREAN), 200))
    assert "인메모리" in inspect and "memory" not in inspect
    fetched = client.get("/inspect/api/request", headers=KOREAN).get_json()
    assert fetched["session"]["store"] == "memory"  # the API keeps the configuration's word
    assert fetched["trace"]["store"] == {**fetched["trace"]["store"], "name": "인메모리"}
    assert client.get("/session/api/me").get_json()["store"] == "memory"


def test_flashes_and_form_errors_are_korean(client):
    page = client.get("/account/signup", headers=KOREAN)
    token = csrf_token_from(page.get_data(as_text=True))
    short = client.post(
        "/account/signup",
        data={"username": "김민수", "password": "short", "csrf_token": token},
        headers=KOREAN,
    )
    assert re.search(
        r"비밀번호는 \d+자 이상이어야 합니다\.", " ".join(assert_korean_page(short, 400))
    )
    created = client.post(
        "/account/signup",
        data={"username": "김민수", "password": "a-long-enough-password", "csrf_token": token},
        headers=KOREAN,
        follow_redirects=True,
    )
    assert "계정을 만들었습니다" in " ".join(assert_korean_page(created, 200))
    wrong = SessionActions(client).login("김민수", "not-the-password", headers=KOREAN)
    assert "아이디나 비밀번호가 틀렸습니다." in " ".join(assert_korean_page(wrong, 401))
    stale = client.post(
        "/session/login",
        data={"username": "김민수", "password": "x", "csrf_token": "stale"},
        headers=KOREAN,
    )
    assert "이 폼은 만료되었습니다" in " ".join(assert_korean_page(stale, 400))
    SessionActions(client).login("김민수", "a-long-enough-password")
    page = client.get("/session/profile", headers=KOREAN)
    out = client.post(
        "/session/logout",
        data={"csrf_token": csrf_token_from(page.get_data(as_text=True))},
        headers=KOREAN,
        follow_redirects=True,
    )
    assert "로그아웃했습니다." in " ".join(assert_korean_page(out, 200))


def test_error_pages_are_korean(make_app, client):
    assert_korean_page(client.put("/", headers=KOREAN), 405)
    too_big = client.post("/session/login", data={"username": "x" * 70_000}, headers=KOREAN)
    assert "한도는 64 KiB입니다" in " ".join(assert_korean_page(too_big, 413))
    from harness.servers import free_port

    down = make_app(SESSION_STORE="redis", REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    browser = down.test_client()
    browser.set_cookie(SESSION_COOKIE, "A" * 43)
    assert_korean_page(browser.get("/session/profile", headers=KOREAN), 503)


def test_masked_values_give_their_length_in_the_pages_language(client):
    SessionActions(client).login()
    korean = client.get("/session/profile?lang=ko").get_data(as_text=True)
    english = client.get("/session/profile?lang=en").get_data(as_text=True)
    assert re.search(r"… \(\d+자\)", korean) and "chars)" not in korean
    assert re.search(r"… \(\d+ chars\)", english)


def test_a_refusal_never_quotes_pyjwt_in_english(app, client):
    key = app.config["JWT_SECRET_KEY"]
    for claims in (good_claims(sub=1), good_claims(jti=7)):
        body = client.get(
            "/jwt/api/check", headers={"Authorization": f"Bearer {forge(claims, key)}", **KOREAN}
        ).get_json()
        assert body["valid"] is False and HANGUL.search(body["reason"]), body
        assert english_words_left([body["reason"]]) == [], body["reason"]


def test_each_translated_response_names_its_language_for_caches(client):
    korean = client.get("/", headers=KOREAN)
    assert korean.headers["Content-Language"] == "ko"
    assert {"Accept-Language", "Cookie"} <= set(korean.vary)
    assert client.get("/?lang=en").headers["Content-Language"] == "en"
    assert "Content-Language" not in client.get("/api/ping").headers  # nothing translated


def test_times_are_written_for_the_pages_language(client):
    SessionActions(client).login()
    korean = client.get("/session/profile?lang=ko").get_data(as_text=True)
    english = client.get("/session/profile?lang=en").get_data(as_text=True)
    signed_in = r"<dt>{}</dt><dd>(.*?)</dd>"
    ko_time = re.search(signed_in.format("로그인한 시각"), korean).group(1)
    en_time = re.search(signed_in.format("Signed in at"), english).group(1)
    assert re.search(r"\d{4}\. \d{1,2}\. \d{1,2}\. (오전|오후)", ko_time), ko_time
    assert re.search(r"[A-Z][a-z]{2} \d{1,2}, \d{4}", en_time), en_time
    assert ko_time.endswith("UTC") and en_time.endswith("UTC")


def test_api_error_codes_stay_english_while_messages_follow_the_language(client):
    forged = JwtActions(client).token()[:-3] + "AAA"
    refused = client.get(
        "/jwt/api/me", headers={"Authorization": f"Bearer {forged}", "Accept-Language": "ko"}
    )
    body = refused.get_json()
    assert body["error"] == "invalid_token" and body["failed_step"] == "signature"
    assert HANGUL.search(body["message"]) and HANGUL.search(body["reason"])
    challenge = refused.headers["WWW-Authenticate"]
    assert challenge.isascii() and "signature does not match" in challenge
    wrong = client.post(
        "/jwt/api/token",
        json={"username": "alice", "password": "nope-nope"},
        headers={"Accept-Language": "ko"},
    ).get_json()
    assert (
        wrong["error"] == "invalid_credentials"
        and wrong["message"] == "아이디나 비밀번호가 틀렸습니다."
    )


def catalog(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle)


def test_every_message_is_translated_and_none_is_fuzzy():
    ko = catalog("ko")
    untranslated = [
        m.id
        for m in ko
        if m.id and not all(m.string if isinstance(m.string, tuple) else [m.string])
    ]
    fuzzy = [m.id for m in ko if m.id and m.fuzzy]
    assert (untranslated, fuzzy) == ([], [])


def test_the_catalog_holds_exactly_the_messages_the_code_and_templates_use(tmp_path):
    """Extract afresh: nothing new is left out of the catalog, and nothing stale stays in it."""
    out = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
            "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2", "-k", "lazy_pgettext:1c,2",
            "-k", "plural:1,2",
            "--omit-header", "-o", str(out), ".",
        ],
        cwd=PROJECT_ROOT, check=True, capture_output=True,
    )  # fmt: skip

    def keys(messages) -> set:
        return {
            (m.context, m.id if isinstance(m.id, str) else tuple(m.id)) for m in messages if m.id
        }

    with open(out, "rb") as handle:
        extracted = keys(read_po(handle))
    translated = keys(catalog("ko"))
    assert extracted - translated == set(), "run `make messages` and translate the new messages"
    assert translated - extracted == set(), "run `make messages` to drop stale messages"


def test_the_compiled_catalog_matches_its_source():
    with open(TRANSLATIONS / "ko" / "LC_MESSAGES" / "messages.mo", "rb") as handle:
        compiled = read_mo(BytesIO(handle.read()))
    source = catalog("ko")

    def as_dict(messages) -> dict:
        return {
            (m.context, m.id if isinstance(m.id, str) else tuple(m.id)): (
                m.string if isinstance(m.string, str) else tuple(m.string)
            )
            for m in messages
            if m.id
        }

    assert as_dict(compiled) == as_dict(source), "run `make messages` to compile the catalog"


# Template text that is not a sentence: numbers, punctuation, arrows, and these few symbols.
NOT_WORDS = re.compile(r"[\s\d.,:;·…→|/()\[\]=\"'<>*%-]*")


def unmarked_text(source: str) -> list[str]:
    source = re.sub(r"\{#.*?#\}", "", source, flags=re.S)
    source = re.sub(r"\{%-?\s*trans\b.*?%\}.*?\{%-?\s*endtrans\s*-?%\}", "", source, flags=re.S)
    source = re.sub(r"\{\{.*?\}\}", "", source, flags=re.S)
    source = re.sub(r"\{%.*?%\}", "", source, flags=re.S)
    source = re.sub(r"<(code|pre|script|style|title)\b.*?</\1>", "", source, flags=re.S)
    texts = re.findall(r">([^<]+)<", source)
    attributes = re.findall(r'\b(?:title|alt|aria-label|placeholder)="([^"{]+)"', source)
    found = [re.sub(r"\bms\b", "", t).strip() for t in texts + attributes]  # the unit, not a word
    return [t for t in found if not NOT_WORDS.fullmatch(t) and re.search(r"[A-Za-z]{2}", t)]


@pytest.mark.parametrize(
    "template", sorted((PROJECT_ROOT / "templates").rglob("*.html")), ids=lambda p: p.name
)
def test_every_template_marks_its_words_for_translation(template):
    # Names a page shows as they are, in every language.
    as_is = {"header", "payload", "signature", "HttpOnly", "SameSite", "Secure", "Path", "JSON:"}
    leftovers = [t for t in unmarked_text(template.read_text()) if t not in as_is]
    assert leftovers == []
