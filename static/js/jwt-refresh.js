// The JWT profile's refresh card: when the next automatic refresh happens, a "refresh now"
// button, a log of every refresh this page saw, and the refresh family as the server keeps it.
import { duration, plural, t, utcTime } from "./strings.js";
import { fetchFamily, refreshTokens } from "./token.js";

const $ = (selector) => document.querySelector(selector);
const LONGEST_AHEAD_S = 30; // refresh this long before exp, or sooner for very short tokens
let refreshTimer = null;
let countdown = null;
let inFlight = null; // one refresh at a time on this page: a second caller gets the same answer
let pressable = true; // whether "refresh now" can do anything but repeat a known refusal

const nowS = () => Date.now() / 1000;

// How long before expiry to refresh: 30 seconds, or a quarter of what is left if that is less.
function aheadOf(expiresIn) {
  return Math.max(1, Math.min(LONGEST_AHEAD_S, expiresIn / 4));
}

function log(text, kind = "") {
  $("[data-refresh-none]")?.remove();
  const item = Object.assign(document.createElement("li"), { textContent: text });
  if (kind) item.className = kind;
  $("[data-refresh-log]")?.prepend(item);
}

export function stopRefreshSchedule() {
  if (refreshTimer !== null) window.clearTimeout(refreshTimer);
  if (countdown !== null) window.clearInterval(countdown);
  refreshTimer = null;
  countdown = null;
}

function sayNext(text) {
  const line = $("[data-next-refresh]");
  if (line) line.textContent = text;
}

function setPressable(yes) {
  pressable = yes;
  const button = $("[data-refresh-now]");
  if (button) button.disabled = !yes || inFlight !== null;
}

// Refresh shortly before the verified token expires, and say when, live. The wait comes from
// `expiresIn`, the server's count of seconds left, so a browser clock that is off can neither
// start a refresh loop nor let the token lapse; `exp` is only shown.
export function scheduleRefresh(expiresIn, exp) {
  stopRefreshSchedule();
  setPressable(true);
  const ahead = aheadOf(expiresIn);
  const due = Date.now() + (expiresIn - ahead) * 1000;
  const expires = Date.now() + expiresIn * 1000;
  const tick = () => {
    const left = (due - Date.now()) / 1000;
    sayNext(
      t("refresh.next", { duration: duration(Math.max(0, left)), ahead: duration(ahead), time: utcTime(exp) }),
    );
  };
  tick();
  countdown = window.setInterval(tick, 1000);
  refreshTimer = window.setTimeout(() => {
    stopRefreshSchedule();
    // A timer fires late when the computer slept or the tab was in the background: the log
    // says how long before expiry it really was, or that the token had expired meanwhile.
    const left = (expires - Date.now()) / 1000;
    refresh(left <= 0 ? "expired" : "auto", left);
  }, Math.max(0, due - Date.now()));
}

// The token can no longer be refreshed (refused, signed out): say so, and never try by timer.
// "Refresh now" stays usable where pressing it shows something new: not where the server
// would only repeat a refusal the page already shows.
export function noRefresh(reasonKey) {
  stopRefreshSchedule();
  sayNext(t(reasonKey));
  setPressable(reasonKey !== "refresh.impossible");
}

// Spend the refresh token, and log what happened. `how`: "auto", "manual" or "expired".
// Returns the outcome with the family as the server keeps it afterwards. Callers at the same
// moment (the timer, and the page noticing the expiry) share one spend and one log line.
export function refresh(how, ahead = 0) {
  if (inFlight === null) {
    inFlight = spend(how, ahead).finally(() => {
      inFlight = null;
      setPressable(pressable);
    });
    setPressable(pressable);
  }
  return inFlight;
}

async function spend(how, ahead) {
  const result = await refreshTokens();
  const time = utcTime(nowS());
  if (result.state === "refreshed") {
    const valid = duration(result.body.expires_in);
    const key = { auto: "refresh.log.auto", manual: "refresh.log.manual", expired: "refresh.log.expired" }[how];
    log(t(key, { time, ahead: duration(ahead), valid }), "done");
  } else if (result.state === "elsewhere") {
    log(t("refresh.log.elsewhere", { time }));
  } else if (result.state === "refused") {
    const reason = result.body.reason ?? result.body.message ?? "";
    log(t("refresh.log.refused", { time, status: result.status, reason }), "failed");
  } else {
    log(t("refresh.log.unreachable", { time }), "failed");
  }
  const found = await showFamily();
  // Only a 401 is about the refresh token; a 429 or a 503 says to try again later.
  if (result.state === "refused") noRefresh(result.status === 401 ? whyNoRefresh(found) : "refresh.try_again");
  if (result.state === "unreachable") noRefresh("refresh.unreachable");
  return { ...result, family: found.family };
}

function familyItem(token) {
  const item = document.createElement("li");
  if (token.current) item.className = "current";
  const state = Object.assign(document.createElement("span"), {
    className: `state state-${token.state}`,
    textContent: t(`family.state.${token.state}`),
  });
  const parts = [
    Object.assign(document.createElement("strong"), { textContent: t("family.number", { n: token.number }) }),
    state,
    t("family.issued", { time: utcTime(token.issued_at) }),
    token.used_at === null
      ? t("family.expires", { time: utcTime(token.expires_at) })
      : t("family.used", { time: utcTime(token.used_at) }),
  ];
  if (token.current) parts.push(t("family.current"));
  for (const part of parts) {
    item.append(typeof part === "string" ? Object.assign(document.createElement("span"), { textContent: part }) : part);
  }
  return item;
}

// The family as the server keeps it, read with the refresh cookie (which no script can read).
// Returns {family, failed, stale}, so the profile can decide whether a refresh can work before
// it tries one. Reads may answer out of order: only the newest one is drawn, and an older one
// comes back `stale`, for its caller to ignore.
let familyReads = 0;

export async function showFamily() {
  const mine = ++familyReads;
  const found = await fetchFamily();
  if (mine !== familyReads) return { ...found, stale: true };
  const { family, failed } = found;
  const summary = $("[data-family-summary]");
  const list = $("[data-family]");
  if (!summary || !list) return found;
  if (!family) {
    summary.textContent = t(failed ? "family.unavailable" : "family.none");
    list.replaceChildren();
    return found;
  }
  const texts = [
    t("family.summary", {
      time: utcTime(family.created_at),
      storage: t(`family.storage.${family.storage === "cookie" ? "cookie" : "local"}`),
      issued: plural("count.refresh_tokens", family.token_count),
    }),
  ];
  if (family.revoked_at !== null) {
    texts.push(t("family.revoked", { time: utcTime(family.revoked_at), reason: family.revoked_reason ?? "" }));
    texts.push(t("family.revoked.access_lives"));
  }
  if (family.tokens.length < family.token_count) {
    texts.push(t("family.more", { shown: family.tokens.length }));
  }
  summary.textContent = texts.join(" ");
  list.replaceChildren(...family.tokens.map(familyItem));
  return found;
}

// Whether the refresh cookie holds a token the server would still accept: asked without
// spending it, so that a page never sends a refresh it knows will be refused.
export function canRefresh(family) {
  return Boolean(family && family.revoked_at === null && family.tokens.some((token) => token.current && token.state === "active"));
}

// Read the family again (another party may have changed it) and draw it; if it can no longer be
// refreshed, stop the timer and say why. A read that failed or was overtaken changes nothing.
export async function followFamily() {
  const found = await showFamily();
  if (!found.stale && !found.failed && !canRefresh(found.family)) noRefresh(whyNoRefresh(found));
  return found;
}

// Why no refresh will be tried, for a family that cannot be refreshed (see canRefresh).
export function whyNoRefresh({ family, failed }) {
  if (failed) return "refresh.unreachable";
  const current = family?.tokens.find((token) => token.current);
  // Spent by someone else (the thief of the reuse lab): sending it again is reuse, which the
  // visitor may do on purpose with "refresh now", never the page by itself.
  if (family?.revoked_at === null && current?.state === "spent") return "refresh.spent_elsewhere";
  return "refresh.impossible";
}
