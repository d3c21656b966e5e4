// The JWT profile: read the token from localStorage, show its parts, decode it, and let the
// server say whether it is any good. What the page says follows the server's answer: a
// refused token is shown as refused, at the step that refused it, and its countdown stops.
import { clearFlow, failedStep, fillTraceSummary, markAllDone, markFlow } from "./flow-marks.js";
import { duration, languageHeaders, t, tParts, utcTime } from "./strings.js";
import {
  decodeToken,
  forgetToken,
  forgetVerification,
  onTokenChange,
  pretty,
  sendable,
  signedOutToken,
  stepName,
  storedToken,
  verifyStoredToken,
} from "./token.js";

const $ = (selector) => document.querySelector(selector);
const RAW_SHOWN = 600; // characters of a junk value shown on the page
let timer = null;

function everySecond(tick) {
  stopTimer();
  if (tick() === false) return;
  timer = window.setInterval(() => {
    if (tick() === false) stopTimer();
  }, 1000);
}

function stopTimer() {
  if (timer !== null) window.clearInterval(timer);
  timer = null;
}

function secondsUntil(exp) {
  return exp - Date.now() / 1000;
}

// No token: and if this browser signed one out, how long a copy of it stays usable, live.
function showNoToken({ elsewhere = false } = {}) {
  $("[data-has-token]").hidden = true;
  $("[data-no-token]").hidden = false;
  const last = signedOutToken();
  const notice = $("[data-signed-out-notice]");
  notice.hidden = last === null;
  const where = $("[data-signed-out-elsewhere]");
  where.hidden = !elsewhere;
  where.textContent = elsewhere ? t("profile.signed_out.elsewhere") : "";
  if (last === null) return;
  const validity = $("[data-signed-out-validity]");
  if (last.refused) {
    validity.textContent = t("profile.signed_out.refused");
    return;
  }
  const { exp } = last;
  everySecond(() => {
    const left = secondsUntil(exp);
    if (left > 0) {
      validity.textContent = t("profile.signed_out.valid", {
        duration: duration(left),
        time: utcTime(exp),
      });
      return true;
    }
    validity.textContent = t("profile.signed_out.expired", { time: utcTime(exp) });
    return false;
  });
}

function renderParts(parts) {
  const box = $("[data-token-parts]");
  box.replaceChildren();
  ["header", "payload", "signature"].forEach((name, index) => {
    if (index > 0) box.append(".");
    box.append(Object.assign(document.createElement("span"), {
      className: `part-${name}`,
      textContent: parts[index],
    }));
  });
}

// A token that decodes is shown in its three parts; anything else is shown as it is.
const tokenHeading = document.querySelector("[data-token-heading]")?.textContent;
const signoutExplained = [...(document.querySelector("[data-signout-explained]")?.childNodes ?? [])];

function renderToken(token, decoded, problem) {
  $("[data-token-heading]").textContent = decoded ? tokenHeading : t("profile.heading.junk");
  $("[data-token-shape]").hidden = decoded === null;
  $("[data-decoded]").hidden = decoded === null;
  $("[data-token-junk]").hidden = decoded !== null;
  if (decoded === null) {
    $("[data-token-junk-problem]").textContent = t("profile.junk", { problem });
    const raw = String(token);
    $("[data-token-raw]").textContent = raw.length > RAW_SHOWN ? `${raw.slice(0, RAW_SHOWN)}…` : raw;
    return;
  }
  const { parts, header, payload } = decoded;
  renderParts(parts);
  $("[data-decoded-header]").textContent = pretty(header);
  $("[data-decoded-payload]").textContent = pretty(payload);
  $("[data-iat]").textContent = utcTime(payload.iat);
  $("[data-exp]").textContent = utcTime(payload.exp);
  $("[data-countdown]").textContent = "…";
}

function resetResults() {
  $("[data-refusal]").hidden = true;
  $("[data-signout-explained]").replaceChildren(...signoutExplained.map((node) => node.cloneNode(true)));
  $("[data-api-line]").textContent = "…";
  $("[data-me-body]").textContent = "";
  $("[data-send-anyway]").hidden = true;
  $("[data-measured]").hidden = true;
  $("[data-trace-summary]").replaceChildren();
  setNotes([{ text: "…", muted: true }]);
  clearFlow("jwt-usage");
  clearFlow("jwt-creation");
}

const codeNode = (text) => Object.assign(document.createElement("code"), { textContent: text });
const strongNode = (text) => Object.assign(document.createElement("strong"), { textContent: text });

// "Request: GET /jwt/api/me with Authorization: Bearer <token>. Response status: 200 OK."
function showApiLine(key, path, extra) {
  const parts = tParts(key, {
    request: codeNode(`GET ${path}`),
    header: codeNode("Authorization: Bearer <token>"),
    ...extra,
  });
  $("[data-api-line]").replaceChildren(...parts);
}

function showBody(body) {
  const shown = { ...body };
  delete shown.trace;
  $("[data-me-body]").textContent = pretty(shown);
}

// A note's title and body are the user's own words, not the site's: isolated in <bdi>.
const bdi = (text) => Object.assign(document.createElement("bdi"), { textContent: text });

function setNotes(items) {
  $("[data-notes]").replaceChildren(
    ...items.map(({ title, text, muted, userData }) => {
      const li = document.createElement("li");
      if (muted) li.className = "muted";
      if (title !== undefined) {
        const strong = document.createElement("strong");
        strong.append(bdi(title));
        li.append(strong, " — ");
      }
      li.append(userData ? bdi(text) : text);
      return li;
    }),
  );
}

function showSummary(calls) {
  const list = $("[data-trace-summary]");
  list.replaceChildren();
  for (const [request, trace] of calls) fillTraceSummary(list, request, trace);
  $("[data-measured]").hidden = list.children.length === 0;
}

function showRefusal(message) {
  const box = $("[data-refusal]");
  box.textContent = message;
  box.hidden = false;
}

// {response, body}, or {response: null} when the server could not be reached at all.
async function callApi(path, token) {
  try {
    const response = await fetch(path, {
      headers: { ...languageHeaders, Authorization: `Bearer ${sendable(token)}`, Accept: "application/json" },
      credentials: "omit", // no cookie: the token alone must be enough
    });
    const body = await response.json().catch(() => ({}));
    return { response, body };
  } catch {
    return { response: null, body: {} };
  }
}

function statusText(response) {
  const key = response.ok ? "profile.status.ok" : "profile.status.refused";
  return t(key, { status: response.status });
}

// The check refused the token: say where and why, at the top, and stop everything that
// assumed a good token. The flow shows the check's own steps, the failed one marked.
function showRefused(decoded, verdict) {
  const step = stepName(verdict.failed_step ?? failedStep(verdict.trace)?.key ?? "token");
  showRefusal(t("profile.refused", { step, reason: verdict.reason ?? verdict.message }));
  showApiLine("profile.line.refused", "/jwt/api/check", {
    verdict: strongNode(t("profile.verdict.refused", { step })),
  });
  showBody(verdict);
  $("[data-send-anyway]").hidden = false;
  $("[data-signout-explained]").textContent = t("profile.signout.refused");
  markFlow("jwt-usage", verdict.trace, t("profile.caption.refused", { step }));
  showSummary([["GET /jwt/api/check", verdict.trace]]);
  setNotes([{ text: t("profile.notes.skipped"), muted: true }]);
  if (decoded) {
    const exp = decoded.payload.exp;
    const expired = typeof exp === "number" && secondsUntil(exp) <= 0;
    $("[data-countdown]").textContent = t(expired ? "token.expired" : "token.refused_countdown");
  }
}

// Asked for by the visitor: the real API's answer to a refused token, a 401.
async function sendToApi() {
  const token = storedToken();
  if (!token) return;
  const { response, body } = await callApi("/jwt/api/me?trace=1", token);
  if (response === null) {
    $("[data-api-line]").textContent = t("profile.unreachable");
    return;
  }
  showApiLine("profile.line.sent", "/jwt/api/me", {
    status: strongNode(statusText(response)),
    challenge: codeNode(`WWW-Authenticate: ${response.headers.get("WWW-Authenticate") ?? "—"}`),
  });
  showBody(body);
}

async function showVerified(token, decoded) {
  const exp = decoded?.payload.exp;
  markAllDone("jwt-creation", t("flow.note.issued"), t("profile.caption.issued"));
  if (typeof exp === "number") {
    // At exp, token.js tells every module of the page, which asks the server again.
    everySecond(() => {
      const left = secondsUntil(exp);
      $("[data-countdown]").textContent =
        left > 0 ? t("token.left", { duration: duration(left) }) : t("token.expired");
      return left > 0;
    });
  }
  const me = await callApi("/jwt/api/me?trace=1", token);
  if (token !== storedToken()) return;
  const notes = me.response?.ok ? await callApi("/jwt/api/notes?trace=1", token) : me;
  if (token !== storedToken()) return;
  if (me.response?.status === 401 || notes.response?.status === 401) {
    // Refused between the check and these calls (it expired): ask again, and show that.
    forgetVerification();
    render();
    return;
  }
  if (!me.response?.ok || !notes.response?.ok) {
    // Not the token's fault (the database is down, say): say so, and ask nothing more.
    const failed = notes.response ?? me.response;
    $("[data-api-line]").textContent = failed
      ? t("profile.api_failed", { status: failed.status, message: failed.body?.message ?? "" })
      : t("profile.unreachable");
    setNotes([{ text: t("profile.notes.unavailable"), muted: true }]);
    return;
  }
  showApiLine("profile.line.ok", "/jwt/api/me", { status: strongNode(statusText(me.response)) });
  showBody(me.body);
  markFlow("jwt-usage", notes.body.trace, t("profile.caption.ok"));
  showSummary([
    ["GET /jwt/api/me", me.body.trace],
    ["GET /jwt/api/notes", notes.body.trace],
  ]);
  const list = notes.body.notes;
  setNotes(
    list.length
      ? list.map((note) => ({ title: note.title, text: note.body, userData: true }))
      : [{ text: t("profile.notes.none"), muted: true }],
  );
}

async function render(change = {}) {
  stopTimer();
  document.querySelector("[data-loading]")?.remove();
  const token = storedToken();
  if (!token) {
    showNoToken(change);
    return;
  }
  $("[data-no-token]").hidden = true;
  $("[data-has-token]").hidden = false;
  let decoded = null;
  let problem = "";
  try {
    decoded = decodeToken(token);
  } catch (error) {
    problem = error.message;
  }
  renderToken(token, decoded, problem);
  resetResults();
  const result = await verifyStoredToken();
  if (result.token !== storedToken()) return; // the token changed meanwhile: a newer render runs
  if (result.state === "unreachable") {
    showRefusal(t("profile.unreachable"));
    $("[data-api-line]").textContent = t("profile.unreachable");
    setNotes([{ text: t("profile.unreachable"), muted: true }]);
    return;
  }
  if (result.state === "verified") await showVerified(token, decoded);
  else showRefused(decoded, result.body);
}

document.querySelector("[data-send-me]")?.addEventListener("click", sendToApi);
document.querySelector("[data-jwt-logout]")?.addEventListener("click", () => forgetToken());
onTokenChange(render);
render();
