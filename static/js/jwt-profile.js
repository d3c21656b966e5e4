// The JWT profile: read the token from localStorage, show its parts, decode it, call the API with it.
import { fillTraceSummary, markFlow } from "./flow-marks.js";
import { decodeToken, forgetToken, pretty, readableTime, storedToken, timeLeft } from "./token.js";

const $ = (selector) => document.querySelector(selector);
const LOGGED_OUT_KEY = "lab:last_token_exp";

function showNoToken() {
  $("[data-has-token]").hidden = true;
  $("[data-no-token]").hidden = false;
  const oldExp = Number(window.sessionStorage.getItem(LOGGED_OUT_KEY));
  if (oldExp) {
    $("[data-old-exp]").textContent = readableTime(oldExp);
    $("[data-logged-out-notice]").hidden = false;
  }
}

function renderParts(parts) {
  const box = $("[data-token-parts]");
  box.replaceChildren();
  ["header", "payload", "signature"].forEach((name, index) => {
    if (index > 0) box.append(".");
    const span = document.createElement("span");
    span.className = `part-${name}`;
    span.textContent = parts[index];
    box.append(span);
  });
}

function startCountdown(exp) {
  const target = $("[data-countdown]");
  const tick = () => {
    const left = timeLeft(exp);
    target.textContent = left.expired ? "expired: the server will now refuse this token" : left.text;
    return left.expired;
  };
  if (!tick()) {
    const timer = window.setInterval(() => {
      if (tick()) window.clearInterval(timer);
    }, 1000);
  }
}

async function callApi(path, token) {
  const response = await fetch(path, {
    headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
    credentials: "omit", // no cookie: the token alone must be enough
  });
  const body = await response.json().catch(() => ({ error: "not_json" }));
  return { response, body };
}

function renderNotes(result) {
  const list = $("[data-notes]");
  list.replaceChildren();
  if (!result.response.ok) {
    const li = document.createElement("li");
    li.textContent = result.body.message || `HTTP ${result.response.status}`;
    list.append(li);
    return;
  }
  if (result.body.notes.length === 0) {
    const li = document.createElement("li");
    li.className = "muted";
    li.textContent = "No notes yet.";
    list.append(li);
  }
  for (const note of result.body.notes) {
    const li = document.createElement("li");
    const title = document.createElement("strong");
    title.textContent = note.title;
    li.append(title, ` — ${note.body}`);
    list.append(li);
  }
}

async function main() {
  document.querySelector("[data-loading]")?.remove();
  const token = storedToken();
  if (!token) {
    showNoToken();
    return;
  }
  $("[data-no-token]").hidden = true;
  $("[data-has-token]").hidden = false;
  renderParts(token.split("."));
  try {
    const { header, payload } = decodeToken(token);
    $("[data-decoded-header]").textContent = pretty(header);
    $("[data-decoded-payload]").textContent = pretty(payload);
    $("[data-iat]").textContent = readableTime(payload.iat);
    $("[data-exp]").textContent = readableTime(payload.exp);
    if (typeof payload.exp === "number") startCountdown(payload.exp);
  } catch (error) {
    $("[data-decoded-payload]").textContent = `Cannot decode: ${error.message}`;
  }

  const me = await callApi("/jwt/api/me?trace=1", token);
  $("[data-me-status]").textContent = `${me.response.status} ${me.response.ok ? "OK" : "rejected"}`;
  const shown = { ...me.body };
  delete shown.trace;
  $("[data-me-body]").textContent = pretty(shown);
  if (me.response.ok) {
    const notes = await callApi("/jwt/api/notes?trace=1", token);
    renderNotes(notes);
    markFlow("jwt-usage", notes.body.trace);
    const summary = $("[data-trace-summary]");
    summary.replaceChildren();
    fillTraceSummary(summary, "GET /jwt/api/me", me.body.trace);
    fillTraceSummary(summary, "GET /jwt/api/notes", notes.body.trace);
  } else {
    renderNotes(me);
  }
}

document.querySelector("[data-jwt-logout]")?.addEventListener("click", () => {
  const token = storedToken();
  try {
    const { payload } = decodeToken(token);
    window.sessionStorage.setItem(LOGGED_OUT_KEY, String(payload.exp));
  } catch {
    window.sessionStorage.removeItem(LOGGED_OUT_KEY);
  }
  forgetToken();
  showNoToken();
  const pill = document.querySelector("[data-jwt-status]");
  if (pill) {
    pill.textContent = "JWT: none";
    pill.classList.replace("pill-jwt", "pill-off");
  }
});

main();
