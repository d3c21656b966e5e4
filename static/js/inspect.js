// The inspect page: what this page's JavaScript can read, what a fetch() really sends, and what
// the server made of it, in whatever state this browser is: no token, a good one, a refused one.
import { describeTrace, markFlow } from "./flow-marks.js";
import { ms, plural, t } from "./strings.js";
import { decodeToken, onTokenChange, pretty, sendable, stepName, storedToken } from "./token.js";

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
    verdict.replaceChildren(
      t("inspect.cookie.hidden.before", { name: cookieName }),
      strong(t("inspect.cookie.hidden.word")),
      t("inspect.cookie.hidden.after"),
    );
  } else {
    verdict.textContent = t("inspect.cookie.none", { name: cookieName });
  }
}

function showToken(token) {
  const verdict = $("[data-token-verdict]");
  const payloadBox = $("[data-token-payload]");
  if (!token) {
    verdict.textContent = t("inspect.token.null");
    payloadBox.textContent = "null";
    return;
  }
  const characters = plural("count.characters", token.length);
  try {
    const { payload } = decodeToken(token);
    verdict.replaceChildren(
      t("inspect.token.present.before"),
      strong(t("inspect.token.present.word")),
      t("inspect.token.present.after", { characters }),
    );
    payloadBox.textContent = pretty(payload);
  } catch (error) {
    verdict.textContent = t("inspect.token.junk", { characters, problem: error.message });
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
    const item = listItem("Cookie ", code(cookie.name), " = ", code(cookie.masked));
    if (cookie.name === cookieName) item.className = "sends-session";
    list.append(item);
  }
  if (body.authorization.present) {
    const item = listItem(`Authorization: ${body.authorization.scheme} `, code(body.authorization.masked));
    item.className = "sends-jwt";
    list.append(item);
  } else {
    list.append(listItem(t("inspect.authorization.none")));
  }
}

// What the fetch carried, said only once the server has told us what it received.
function showWhatWasSent(token, body) {
  const names = body.cookies.map((cookie) => cookie.name);
  const withToken = t(token ? "inspect.fetch.with_token" : "inspect.fetch.without_token");
  const cookies = names.length
    ? t("inspect.fetch.cookies", { names: names.join(", ") })
    : t("inspect.fetch.no_cookies");
  $("[data-fetch-auth-note]").textContent = `${withToken}${cookies}`;
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
  $("[data-fetch-auth-note]").textContent = t("inspect.fetch.pending");
  const headers = { Accept: "application/json" };
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
  $("[data-fetch-pid]").textContent = String(body.worker_pid);
  const sessionVerdict = {
    found: "inspect.session.found",
    unknown: "inspect.session.unknown_cookie",
    unchecked: "inspect.session.store_down",
  }[body.session.cookie] ?? "inspect.session.unknown";
  $("[data-fetch-session-verdict]").textContent = t(sessionVerdict);
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

function render() {
  const token = storedToken();
  const hint = $("[data-jwt-login-link]");
  if (hint) hint.hidden = Boolean(token);
  showToken(token);
  showFetch(token);
}

showDocumentCookie();
onTokenChange(render);
render();
