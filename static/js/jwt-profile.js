// The JWT profile: read the token from localStorage, show its parts, decode it, and let the
// server say whether it is any good. What the page says follows the server's answer: a
// refused token is shown as refused, at the step that refused it, and its countdown stops.
// With cookie storage the page can read nothing, and says so; the browser sends the cookie.
import { clearFlow, failedStep, fillTraceSummary, labelTokenStep, markAllDone, markFlow } from "./flow-marks.js";
import {
  canRefresh,
  followFamily,
  noRefresh,
  refresh,
  scheduleRefresh,
  showFamily,
  stopRefreshSchedule,
  whyNoRefresh,
} from "./jwt-refresh.js";
import { signOutAndReplay } from "./jwt-replay.js";
import "./jwt-thief.js";
import { checkSignatureHere } from "./signature-check.js";
import { duration, t, tParts, utcTime } from "./strings.js";
import {
  authHeaders,
  credentialKey,
  decodeToken,
  askAgain,
  onTokenChange,
  pretty,
  requestJson,
  signOut,
  signedOutToken,
  stepName,
  storedToken,
  tokenStorage,
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

// Seconds until `exp` by the server's clock, which decides: `skew` is how far it is ahead of
// this browser's, which may be off by minutes.
function secondsUntil(exp, skew = 0) {
  return exp - (Date.now() / 1000 + skew);
}

// What the server did at the last sign-out, in words.
function signedOutWhat(last) {
  if (last.server === "unreachable") return "profile.signed_out.unreachable";
  if (last.revoked && last.familyRevoked) return "profile.signed_out.revoked";
  if (last.revoked) return "profile.signed_out.denied";
  if (last.familyRevoked) return "profile.signed_out.family";
  return "profile.signed_out.nothing";
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
  $("[data-signed-out-what]").textContent = t(signedOutWhat(last));
  const validity = $("[data-signed-out-validity]");
  if (last.refused || last.exp === null) {
    validity.textContent = last.refused ? t("profile.signed_out.refused") : "";
    return;
  }
  const { exp, skew } = last;
  const key = last.revoked ? "profile.signed_out.valid_stateless" : "profile.signed_out.valid";
  everySecond(() => {
    const left = secondsUntil(exp, skew);
    if (left > 0) {
      validity.textContent = t(key, { duration: duration(left), time: utcTime(exp) });
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

// Cookie storage: nothing to show of the token itself, and the page says why.
function renderCookieToken() {
  $("[data-lede-local]").hidden = true;
  $("[data-lede-cookie]").hidden = false;
  $("[data-token-heading]").textContent = t("profile.heading.cookie");
  $("[data-token-cookie]").hidden = false;
  $("[data-token-shape]").hidden = true;
  $("[data-decoded]").hidden = true;
  $("[data-token-junk]").hidden = true;
}

function renderToken(token, decoded, problem) {
  $("[data-lede-local]").hidden = false;
  $("[data-lede-cookie]").hidden = true;
  $("[data-token-heading]").textContent = decoded ? tokenHeading : t("profile.heading.junk");
  $("[data-token-cookie]").hidden = true;
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
  checkSignatureHere(token, header, $("[data-signature-check]"));
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
  const sent = tokenStorage() === "cookie" ? "Cookie: lab_access=<token>" : "Authorization: Bearer <token>";
  const parts = tParts(key, {
    request: codeNode(`GET ${path}`),
    header: codeNode(sent),
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
function callApi(path) {
  return requestJson(path, {
    headers: authHeaders(),
    // localStorage: no cookie, the token alone must be enough. Cookie storage: the cookie is
    // the token.
    credentials: tokenStorage() === "cookie" ? "same-origin" : "omit",
  });
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
    // Expired by the server's verdict, not by this browser's clock.
    const expired = verdict.code === "token_expired";
    $("[data-countdown]").textContent = t(expired ? "token.expired" : "token.refused_countdown");
  }
}

// Asked for by the visitor: the real API's answer to a refused token, a 401.
async function sendToApi() {
  if (!tokenStorage()) return;
  const { response, body } = await callApi("/jwt/api/me?trace=1");
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

async function showVerified(key, decoded, verdict, skew) {
  const exp = decoded?.payload.exp ?? verdict.expires_at;
  markAllDone("jwt-creation", t("flow.note.issued"), t("profile.caption.issued"));
  if (typeof exp === "number") {
    // At exp, token.js tells every module of the page, which asks the server again.
    everySecond(() => {
      const left = secondsUntil(exp, skew);
      $("[data-countdown]").textContent =
        left > 0 ? t("token.left", { duration: duration(left) }) : t("token.expired");
      return left > 0;
    });
  }
  const me = await callApi("/jwt/api/me?trace=1");
  if (key !== credentialKey()) return;
  const notes = me.response?.ok ? await callApi("/jwt/api/notes?trace=1") : me;
  if (key !== credentialKey()) return;
  if (me.response?.status === 401 || notes.response?.status === 401) {
    // Refused between the check and these calls (it expired): every module of the page, the
    // pill too, asks again and shows that.
    askAgain();
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

// Whether the refusal is the token's age and nothing else, so a refresh may mend it: the
// server says so (by its own clock), or the browser dropped the expired cookie.
function expiredOnly(result) {
  return result.state === "gone" || result.body?.code === "token_expired";
}

let refreshedAfterExpiry = null; // the credential a refresh was tried for, so it is tried once

async function render(change = {}) {
  stopTimer();
  document.querySelector("[data-loading]")?.remove();
  const storage = tokenStorage();
  if (!storage) {
    stopRefreshSchedule();
    showNoToken(change);
    return;
  }
  $("[data-no-token]").hidden = true;
  $("[data-replay]").hidden = true; // signed in again: the replay of the last sign-out is history
  $("[data-has-token]").hidden = false;
  const token = storedToken();
  const key = credentialKey();
  let decoded = null;
  labelTokenStep("jwt-usage", storage === "cookie" ? "cookie" : "header");
  if (storage === "cookie") {
    renderCookieToken();
  } else {
    let problem = "";
    try {
      decoded = decodeToken(token);
    } catch (error) {
      problem = error.message;
    }
    renderToken(token, decoded, problem);
  }
  resetResults();
  const result = await verifyStoredToken();
  if (result.key !== credentialKey()) return; // the token changed meanwhile: a newer render runs
  if (result.state === "unreachable") {
    noRefresh("refresh.unreachable");
    showRefusal(t("profile.unreachable"));
    $("[data-api-line]").textContent = t("profile.unreachable");
    setNotes([{ text: t("profile.unreachable"), muted: true }]);
    return;
  }
  if (result.state === "verified") {
    // A timer for a refresh only where one can work: a token planted by hand, say, has no
    // refresh token beside it, and the page never sends a request it knows will be refused.
    showFamily().then((found) => {
      if (key !== credentialKey() || found.stale) return;
      if (canRefresh(found.family)) scheduleRefresh(result.body.expires_in, result.body.expires_at);
      else noRefresh(whyNoRefresh(found));
    });
    await showVerified(key, decoded, result.body, result.skew);
    return;
  }
  const found = await showFamily();
  const { family } = found;
  if (key !== credentialKey()) return;
  if (expiredOnly(result) && canRefresh(family) && refreshedAfterExpiry !== key) {
    // The access token ran out while nobody was here: the refresh token is what it is for.
    refreshedAfterExpiry = key;
    const refreshed = await refresh("expired");
    if (refreshed.state === "refreshed" || refreshed.state === "elsewhere") return; // re-rendered
    // Refused or unreachable: refresh() has said so, and why.
  } else {
    noRefresh(canRefresh(family) ? "refresh.paused" : whyNoRefresh(found));
  }
  if (result.state === "gone") showGone();
  else showRefused(decoded, result.body);
}

// Cookie storage, but the browser sent no cookie: it expired (its Max-Age is the token's life).
function showGone() {
  showRefusal(t("profile.gone"));
  $("[data-api-line]").textContent = t("profile.gone");
  setNotes([{ text: t("profile.notes.skipped"), muted: true }]);
}

async function signOutHere() {
  stopRefreshSchedule();
  const out = await signOut();
  if (out.failed) showSignOutFailed(out);
}

// Cookie storage: only the server can remove the HttpOnly cookies, and it did not. The page
// shows the browser as it still is, signed in, and says why.
async function showSignOutFailed(out) {
  await render();
  const reason = out.body?.reason ?? out.body?.message ?? "";
  showRefusal(
    out.response
      ? t("profile.signout_refused", { status: out.response.status, reason })
      : t("profile.signout_unreachable"),
  );
}

document.querySelector("[data-send-me]")?.addEventListener("click", sendToApi);
document.querySelector("[data-jwt-logout]")?.addEventListener("click", signOutHere);
document.querySelector("[data-jwt-replay]")?.addEventListener("click", async () => {
  stopRefreshSchedule();
  const out = await signOutAndReplay();
  if (out.failed) showSignOutFailed(out);
});
document.querySelector("[data-refresh-now]")?.addEventListener("click", () => refresh("manual"));
// Back to this tab: the family may have changed meanwhile (a thief, another tab's sign-out), so
// the drawing, and whether this page may refresh by itself, are read again.
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && tokenStorage()) followFamily();
});
onTokenChange(render);
render();
