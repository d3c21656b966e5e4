// The inspect page: what this page's JavaScript can read, what a fetch() really sends, and what
// the server made of it, in whatever state this browser is: no token, a good one, a refused one.
import { describeTrace, markFlow } from "./flow-marks.js";
import { lang, languageHeaders, ms, plural, t, tParts } from "./strings.js";
import { decodeToken, onTokenChange, pretty, sendable, stepName, storedToken, tokenStorage } from "./token.js";

const $ = (selector) => document.querySelector(selector);
const cookieName = $("[data-cookie-name]")?.dataset.cookieName ?? "lab_session";

function strong(text) {
  return Object.assign(document.createElement("strong"), { textContent: text });
}

function code(text) {
  return Object.assign(document.createElement("code"), { textContent: text });
}

function showDocumentCookie() {
  const visible = document.cookie;
  $("[data-document-cookie]").textContent =
    visible === "" ? t("inspect.document_cookie.empty") : JSON.stringify(visible);
  const names = visible.split(";").map((c) => c.trim().split("=")[0]).filter(Boolean);
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

function showToken(token) {
  const verdict = $("[data-token-verdict]");
  const payloadBox = $("[data-token-payload]");
  const expression = () => code('localStorage.getItem("access_token")');
  if (!token) {
    verdict.replaceChildren(...tParts("inspect.token.null", { expression: expression() }));
    payloadBox.textContent = "null";
    return;
  }
  const characters = plural("count.characters", token.length);
  try {
    const { payload } = decodeToken(token);
    const present = strong(t("inspect.token.present.word"));
    verdict.replaceChildren(
      ...tParts("inspect.token.present", { expression: expression(), present, characters }),
    );
    payloadBox.textContent = pretty(payload);
  } catch (error) {
    verdict.replaceChildren(
      ...tParts("inspect.token.junk", { expression: expression(), characters, problem: error.message }),
    );
    payloadBox.textContent = "";
  }
}

function listItem(...children) {
  const li = document.createElement("li");
  li.append(...children);
  return li;
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

function showTokenCheck(jwt) {
  const verdict = $("[data-server-jwt-verdict]");
  if (!jwt.present) {
    verdict.textContent = t("inspect.jwt.none");
    markFlow("jwt-usage", null, "");
    return null;
  }
  if (jwt.valid) {
    verdict.textContent = t("inspect.jwt.verified", { username: jwt.username });
    markFlow("jwt-usage", jwt.trace, t("inspect.caption.verified"));
    return t("inspect.cost.token", { trace: describeTrace(jwt.trace) });
  }
  const step = stepName(jwt.failed_step);
  verdict.textContent = t("inspect.jwt.refused", { step, reason: jwt.reason });
  markFlow("jwt-usage", jwt.trace, t("inspect.caption.refused", { step }));
  return t("inspect.cost.refused", { step, reason: jwt.reason, ms: ms(jwt.trace?.auth_ms) });
}

async function showFetch(token) {
  $("[data-fetch-sentence]").replaceChildren(...tParts("inspect.fetch.pending", { request: request() }));
  const headers = { ...languageHeaders, Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${sendable(token)}`;
  let body;
  try {
    const response = await fetch("/inspect/api/request", { headers });
    body = await response.json();
  } catch {
    $("[data-fetch-received]").replaceChildren(listItem(t("inspect.failed")));
    return;
  }
  if (token !== storedToken()) return; // the token changed meanwhile: a newer fetch runs
  showWhatWasSent(token, body);
  showReceived(body);
  const worker = { found: "found", unknown: "unknown", unchecked: "unchecked" }[body.session.cookie];
  $("[data-fetch-worker]").textContent = t(`inspect.worker.${worker ?? "none"}`, {
    pid: body.worker_pid,
  });
  const parts = [];
  const sessionPart = {
    found: () => t("inspect.cost.session", { trace: describeTrace(body.trace) }),
    unknown: () => t("inspect.cost.unknown_cookie", { trace: describeTrace(body.trace) }),
    malformed: () => t("inspect.cost.malformed_cookie"),
    unchecked: () => t("inspect.cost.store_down"),
  }[body.session.cookie];
  if (sessionPart) parts.push(sessionPart());
  const tokenPart = showTokenCheck(body.jwt);
  if (tokenPart) parts.push(tokenPart);
  $("[data-fetch-trace]").textContent = parts.length
    ? `${t("inspect.cost.intro")} ${parts.join(" ")}`
    : t("inspect.cost.nothing");
}

// The third place to keep a token: ask /jwt/api/check with no Authorization header, so that
// whatever the server finds came in a cookie the browser added by itself.
let cookieChecks = 0; // a newer check may start before an older one answers

async function showCookieJwt() {
  const mine = ++cookieChecks;
  // Nodes, made afresh for each sentence: one node can stand in one place only.
  const request = () => code("GET /jwt/api/check");
  const name = () => code("lab_access");
  let verdict = null;
  try {
    const response = await fetch("/jwt/api/check", {
      headers: { ...languageHeaders, Accept: "application/json" },
      credentials: "same-origin",
    });
    verdict = response.ok ? await response.json() : null;
  } catch {
    verdict = null;
  }
  if (mine !== cookieChecks) return;
  const readsLine = $("[data-cookie-jwt-verdict]");
  const sentLine = $("[data-cookie-jwt-sent]");
  if (verdict === null) {
    readsLine.textContent = t("inspect.failed");
    sentLine.textContent = t("inspect.failed");
    return;
  }
  if (!verdict.present || verdict.source !== "cookie") {
    readsLine.textContent = t("inspect.cookie_jwt.none");
    sentLine.replaceChildren(...tParts("inspect.cookie_jwt.not_sent", { request: request(), name: name() }));
    return;
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
  const said = verdict.valid
    ? t("inspect.cookie_jwt.valid", { username: verdict.username })
    : t("inspect.cookie_jwt.refused", { reason: verdict.reason ?? "" });
  sentLine.replaceChildren(
    ...tParts("inspect.cookie_jwt.sent", { request: request(), name: name(), verdict: strong(said) }),
  );
}

function render() {
  const token = storedToken();
  const hint = $("[data-jwt-login-link]");
  if (hint) hint.hidden = Boolean(tokenStorage());
  showToken(token);
  showFetch(token);
  showCookieJwt();
}

showDocumentCookie();
onTokenChange(render);
render();
