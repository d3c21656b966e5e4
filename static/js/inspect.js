// The inspect page: what this page's JavaScript can read, what a fetch() really sends, and what
// the server made of it, in whatever state this browser is: no token, a good one, a refused one.
import { describeTrace, labelTokenStep, markFlow } from "./flow-marks.js";
import { lang, languageHeaders, ms, plural, t, tParts } from "./strings.js";
import { decodeToken, jwtProfileLink, onTokenChange, pretty, sendable, stepName, storedToken, tokenStorage } from "./token.js";

const $ = (selector) => document.querySelector(selector);
const cookieCard = $("[data-cookie-name]")?.dataset ?? {};
const cookieName = cookieCard.cookieName ?? "lab_session";
// The cookies this site sets without HttpOnly, each with why it may be readable.
const readableKeys = {
  [cookieCard.langCookie ?? "lang"]: "inspect.readable.lang",
  [cookieCard.accessCsrfCookie ?? "lab_access_csrf"]: "inspect.readable.access_csrf",
};

function strong(text) {
  return Object.assign(document.createElement("strong"), { textContent: text });
}

function code(text) {
  return Object.assign(document.createElement("code"), { textContent: text });
}

function listItem(...children) {
  const li = document.createElement("li");
  li.append(...children);
  return li;
}

// Read afresh at each render: another tab's sign-in or sign-out adds or removes cookies.
function showDocumentCookie() {
  const visible = document.cookie;
  $("[data-document-cookie]").textContent =
    visible === "" ? t("inspect.document_cookie.empty") : JSON.stringify(visible);
  const names = visible.split(";").map((c) => c.trim().split("=")[0]).filter(Boolean);
  showReadableCookies(names.filter((name) => name !== cookieName));
  const verdict = $("[data-session-cookie-verdict]");
  const serverGotIt = [...document.querySelectorAll("[data-nav-cookies] code:first-child")].some(
    (node) => node.textContent === cookieName,
  );
  if (names.includes(cookieName)) {
    verdict.textContent = t("inspect.cookie.readable", { name: cookieName });
  } else if (serverGotIt) {
    const absent = strong(t("inspect.cookie.hidden.word"));
    verdict.replaceChildren(...tParts("inspect.cookie.hidden", { name: cookieName, absent }));
  } else {
    verdict.textContent = t("inspect.cookie.none", { name: cookieName });
  }
}

// Why each cookie scripts can see here is readable (the session cookie's verdict is above).
function showReadableCookies(names) {
  const list = $("[data-readable-cookies]");
  list.replaceChildren();
  for (const name of names) {
    const key = readableKeys[name] ?? "inspect.readable.other";
    const params = { name: code(name), header: code("X-CSRF-Token"), token: code("lab_access") };
    const item = listItem(...tParts(key, params));
    item.dataset.readableCookie = name;
    list.append(item);
  }
}

// localStorage.getItem("access_token"), breakable only after its parenthesis.
function getItemExpression() {
  const expression = code("localStorage.getItem(");
  expression.className = "expression";
  expression.append(document.createElement("wbr"), '"access_token")');
  return expression;
}

function showToken(token) {
  const verdict = $("[data-token-verdict]");
  const payloadBox = $("[data-token-payload]");
  if (!token) {
    verdict.replaceChildren(...tParts("inspect.token.null", { expression: getItemExpression() }));
    payloadBox.textContent = "null";
    return;
  }
  const characters = plural("count.characters", token.length);
  try {
    const { payload } = decodeToken(token);
    const present = strong(t("inspect.token.present.word"));
    verdict.replaceChildren(
      ...tParts("inspect.token.present", { expression: getItemExpression(), present, characters }),
    );
    payloadBox.textContent = pretty(payload);
  } catch (error) {
    verdict.replaceChildren(
      ...tParts("inspect.token.junk", { expression: getItemExpression(), characters, problem: error.message }),
    );
    payloadBox.textContent = "";
  }
}

function showReceived(body) {
  const list = $("[data-fetch-received]");
  list.replaceChildren();
  if (body.cookies.length === 0) list.append(listItem(t("inspect.cookie_header.none")));
  for (const cookie of body.cookies) {
    const item = listItem(code(cookie.name), " = ", code(cookie.masked));
    if (cookie.note) {
      const note = document.createElement("span");
      note.className = "muted";
      note.textContent = ` (${cookie.note})`;
      item.append(note);
    }
    if (cookie.name === cookieName) item.className = "sends-session";
    list.append(item);
  }
  if (body.authorization.present) {
    const { scheme, masked } = body.authorization;
    const item = listItem(code("Authorization"), ": ", code(`${scheme} ${masked}`));
    item.className = "sends-jwt";
    list.append(item);
  } else {
    list.append(listItem(t("inspect.authorization.none")));
  }
}

const request = () => code("GET /inspect/api/request");

// Cookie names as code, separated as the page's language lists things: "a, b and c".
function codeList(names) {
  const span = document.createElement("span");
  const listed = new Intl.ListFormat(lang, { type: "conjunction" });
  for (const part of listed.formatToParts(names)) {
    span.append(part.type === "element" ? code(part.value) : part.value);
  }
  return span;
}

// What the fetch carried, said only once the server has told us what it received.
function showWhatWasSent(token, body) {
  const names = body.cookies.map((cookie) => cookie.name);
  const key = `inspect.fetch.${token ? "token" : "no_token"}.${names.length ? "cookies" : "no_cookies"}`;
  $("[data-fetch-sentence]").replaceChildren(
    ...tParts(key, { request: request(), names: codeList(names) }),
  );
}

// GET /inspect/api/request, with the stored token in an Authorization header if there is one.
// Section 2 says what it carried; returns the server's answer, or null if there is none.
async function showFetch(token, current) {
  $("[data-fetch-sentence]").replaceChildren(...tParts("inspect.fetch.pending", { request: request() }));
  const headers = { ...languageHeaders, Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${sendable(token)}`;
  let body = null;
  try {
    const response = await fetch("/inspect/api/request", { headers });
    body = await response.json();
  } catch {
    body = null;
  }
  if (!current()) return null;
  if (body === null) {
    $("[data-fetch-received]").replaceChildren(listItem(t("inspect.failed")));
    return null;
  }
  showWhatWasSent(token, body);
  showReceived(body);
  const worker = { found: "found", unknown: "unknown", unchecked: "unchecked" }[body.session.cookie];
  $("[data-fetch-worker]").textContent = t(`inspect.worker.${worker ?? "none"}`, {
    pid: body.worker_pid,
  });
  return body;
}

// The third place to keep a token: ask /jwt/api/check with no Authorization header, so that
// whatever the server finds came in a cookie the browser added by itself. Returns the server's
// verdict on that cookie's token ({present: false} if none came), or null if there is none.
async function showCookieJwt(token, current) {
  // Nodes, made afresh for each sentence: one node can stand in one place only.
  const request = () => code("GET /jwt/api/check");
  const name = () => code("lab_access");
  let verdict = null;
  try {
    const response = await fetch("/jwt/api/check?trace=1", {
      headers: { ...languageHeaders, Accept: "application/json" },
      credentials: "same-origin",
    });
    verdict = response.ok ? await response.json() : null;
  } catch {
    verdict = null;
  }
  if (!current()) return null;
  const readsLine = $("[data-cookie-jwt-verdict]");
  const sentLine = $("[data-cookie-jwt-sent]");
  const elsewhere = $("[data-token-elsewhere]");
  elsewhere.hidden = true;
  if (verdict === null) {
    readsLine.textContent = t("inspect.failed");
    sentLine.textContent = t("inspect.failed");
    return null;
  }
  if (!verdict.present || verdict.source !== "cookie") {
    if (tokenStorage() === "cookie") {
      // Signed in with the cookie choice, yet no cookie came: the browser drops an expired
      // one, while the refresh cookie, on its own path, may live on.
      readsLine.replaceChildren(
        ...tParts("inspect.cookie_jwt.lapsed", { name: name(), profile: jwtProfileLink() }),
      );
      sentLine.replaceChildren(
        ...tParts("inspect.cookie_jwt.not_sent.lapsed", { request: request(), name: name() }),
      );
    } else {
      readsLine.textContent = t("inspect.cookie_jwt.none");
      sentLine.replaceChildren(...tParts("inspect.cookie_jwt.not_sent", { request: request(), name: name() }));
    }
    return { present: false };
  }
  const absent = strong(t("inspect.cookie.hidden.word"));
  readsLine.replaceChildren(
    ...tParts("inspect.cookie_jwt.held", {
      name: name(),
      csrf: code("lab_access_csrf"),
      absent,
      expression: code("document.cookie"),
    }),
  );
  if (!token) {
    elsewhere.replaceChildren(...tParts("inspect.token.in_cookie", { name: name() }));
    elsewhere.hidden = false;
  }
  const said = verdict.valid
    ? t("inspect.cookie_jwt.valid", { username: verdict.username })
    : t("inspect.cookie_jwt.refused", { reason: verdict.reason ?? "" });
  sentLine.replaceChildren(
    ...tParts("inspect.cookie_jwt.sent", { request: request(), name: name(), verdict: strong(said) }),
  );
  return verdict;
}

// The words for each way a token can come: in the Authorization header of the first fetch, or
// in the lab_access cookie of the second.
const SOURCES = {
  header: {
    verified: "inspect.jwt.verified",
    refused: "inspect.jwt.refused",
    none: "inspect.jwt.none",
    caption: "inspect.caption.verified",
    captionRefused: "inspect.caption.refused",
    cost: "inspect.cost.token",
    costRefused: "inspect.cost.refused",
  },
  cookie: {
    verified: "inspect.jwt.cookie_verified",
    refused: "inspect.jwt.cookie_refused",
    none: "inspect.jwt.cookie_none",
    caption: "inspect.caption.cookie_verified",
    captionRefused: "inspect.caption.cookie_refused",
    cost: "inspect.cost.cookie_token",
    costRefused: "inspect.cost.cookie_refused",
  },
};

// Section 3: what the server made of the token each fetch brought, if any (null: no answer).
function showVerdict(line, check, words) {
  if (check === null) {
    line.textContent = t("inspect.failed");
  } else if (!check.present) {
    line.textContent = t(words.none);
  } else if (check.valid) {
    line.textContent = t(words.verified, { username: check.username });
  } else {
    line.textContent = t(words.refused, { step: stepName(check.failed_step), reason: check.reason });
  }
}

// Section 4's JWT flow draws one request: the header's, if a token came in one, else the
// cookie's. Its step 1 says how the token travels, or, unlit, how this browser would send it.
function lightJwtFlow(header, cookie) {
  const source = header?.present ? "header" : cookie?.present ? "cookie" : null;
  labelTokenStep("jwt-usage", source ?? (tokenStorage() === "cookie" ? "cookie" : "header"));
  if (source === null) {
    markFlow("jwt-usage", null, "");
    return;
  }
  const check = source === "header" ? header : cookie;
  const words = SOURCES[source];
  const caption = check.valid
    ? t(words.caption)
    : t(words.captionRefused, { step: stepName(check.failed_step) });
  markFlow("jwt-usage", check.trace, caption);
}

function tokenCost(check, words) {
  if (!check?.present) return null;
  if (check.valid) return t(words.cost, { trace: describeTrace(check.trace) });
  const step = stepName(check.failed_step);
  return t(words.costRefused, { step, reason: check.reason, ms: ms(check.trace?.auth_ms) });
}

// Section 4's measured line: the session, and each token, as the two fetches found them.
function showCosts(body, cookie) {
  const line = $("[data-fetch-trace]");
  if (body === null || cookie === null) {
    line.textContent = t("inspect.failed");
    return;
  }
  const sessionPart = {
    found: () => t("inspect.cost.session", { trace: describeTrace(body.trace) }),
    unknown: () => t("inspect.cost.unknown_cookie", { trace: describeTrace(body.trace) }),
    malformed: () => t("inspect.cost.malformed_cookie"),
    unchecked: () => t("inspect.cost.store_down"),
  }[body.session.cookie];
  const parts = [
    sessionPart ? sessionPart() : null,
    tokenCost(body.jwt, SOURCES.header),
    tokenCost(cookie, SOURCES.cookie),
  ].filter(Boolean);
  line.textContent = parts.length
    ? `${t("inspect.cost.intro")} ${parts.join(" ")}`
    : t("inspect.cost.nothing");
}

let renders = 0; // a newer render may start before an older one's fetches answer

async function render() {
  const mine = ++renders;
  const current = () => mine === renders;
  const token = storedToken();
  const hint = $("[data-jwt-login-link]");
  if (hint) hint.hidden = Boolean(tokenStorage());
  showDocumentCookie();
  showToken(token);
  const [body, cookie] = await Promise.all([showFetch(token, current), showCookieJwt(token, current)]);
  if (!current()) return;
  showVerdict($("[data-server-jwt-verdict]"), body === null ? null : body.jwt, SOURCES.header);
  showVerdict($("[data-server-cookie-jwt-verdict]"), cookie, SOURCES.cookie);
  lightJwtFlow(body?.jwt, cookie);
  showCosts(body, cookie);
}

onTokenChange(render);
render();
