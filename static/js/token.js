// The token in this browser: reading it (no key needed, which is the point), and asking the
// server about it (only the server, holding the key, can tell whether it is genuine).
import { base64UrlToBytes } from "./jws.js";
import { languageHeaders, plural, t } from "./strings.js";

export const TOKEN_KEY = "access_token";
// What became of the token this browser last signed out, so the signed-out notice can say how
// long a copy of it stays usable: JSON {exp (as the server verified it), refused, revoked,
// storage}. Not a credential.
export const SIGNED_OUT_KEY = "lab:signed_out_token";
// "cookie" while the visitor keeps the token in the HttpOnly lab_access cookie, which no script
// can read: pages then ask the server, and the browser sends the cookie by itself. A marker,
// not a credential.
export const STORAGE_KEY = "lab:token_storage";
// When any tab last refreshed the tokens, so the other tabs do not spend the refresh token too.
const REFRESHED_KEY = "lab:refreshed_at";

export function storedToken() {
  try {
    return window.localStorage.getItem(TOKEN_KEY);
  } catch {
    return null; // storage disabled by the browser
  }
}

// "localStorage", "cookie" or null: where this browser keeps its access token, if anywhere.
export function tokenStorage() {
  try {
    if (window.localStorage.getItem(TOKEN_KEY)) return "localStorage";
    return window.localStorage.getItem(STORAGE_KEY) === "cookie" ? "cookie" : null;
  } catch {
    return null;
  }
}

// What identifies this browser's credential for "did it change meanwhile?": the token itself,
// or the marker of the cookie (and when it was last renewed).
export function credentialKey() {
  const storage = tokenStorage();
  if (storage === "cookie") return `cookie:${window.localStorage.getItem(REFRESHED_KEY) ?? ""}`;
  return storage === null ? null : storedToken();
}

export function keepToken(token) {
  window.localStorage.setItem(TOKEN_KEY, token);
  window.localStorage.removeItem(STORAGE_KEY);
  window.localStorage.removeItem(SIGNED_OUT_KEY);
  announceTokenChange();
}

// Signed in with cookie storage: the token is in the HttpOnly cookie; keep only the marker.
export function keepCookieSignIn() {
  window.localStorage.removeItem(TOKEN_KEY);
  window.localStorage.setItem(STORAGE_KEY, "cookie");
  window.localStorage.setItem(REFRESHED_KEY, String(Date.now()));
  window.localStorage.removeItem(SIGNED_OUT_KEY);
  announceTokenChange();
}

// Forget the token, saying what the server did at sign-out (`outcome`, from its answer, or
// null if it could not be asked). The notice may only call a copy usable if the server said
// so: what the payload claims about its own exp proves nothing.
export function forgetToken(outcome = null) {
  const storage = tokenStorage();
  const verdict = lastVerdict?.key === credentialKey() ? lastVerdict : null;
  const record = { storage, server: outcome?.server ?? "unreachable" };
  record.revoked = Boolean(outcome?.access_token_revoked);
  record.familyRevoked = Boolean(outcome?.refresh_family_revoked);
  if (verdict?.state === "verified" && typeof verdict.body.expires_at === "number") {
    record.exp = verdict.body.expires_at;
    record.skew = verdict.skew;
  } else if (verdict?.state === "refused") {
    record.refused = true;
  }
  if (storage === null) window.localStorage.removeItem(SIGNED_OUT_KEY);
  else window.localStorage.setItem(SIGNED_OUT_KEY, JSON.stringify(record));
  window.localStorage.removeItem(TOKEN_KEY);
  window.localStorage.removeItem(STORAGE_KEY);
  announceTokenChange();
}

// What the last sign-out left: {exp, skew, refused, revoked, familyRevoked, server, storage}, or
// null. `skew` is how far the server's clock was ahead of this browser's, so that "still valid
// for…" counts by the server's clock, which is the one that decides.
// `server` is "ok" (it answered the sign-out), "refused" or "unreachable".
export function signedOutToken() {
  try {
    const value = JSON.parse(window.localStorage.getItem(SIGNED_OUT_KEY) ?? "null");
    if (!value || typeof value !== "object") return null;
    const exp = Number(value.exp);
    const skew = Number(value.skew);
    return {
      exp: Number.isFinite(exp) && exp > 0 ? exp : null,
      skew: Number.isFinite(skew) ? skew : 0,
      refused: value.refused === true,
      revoked: value.revoked === true,
      familyRevoked: value.familyRevoked === true,
      server: ["ok", "refused"].includes(value.server) ? value.server : "unreachable",
      storage: value.storage === "cookie" ? "cookie" : "localStorage",
    };
  } catch {
    return null;
  }
}

// The double-submit value the server set beside the lab_access cookie: readable on purpose.
export function accessCsrf() {
  const found = document.cookie.split(";").map((c) => c.trim()).find((c) => c.startsWith("lab_access_csrf="));
  return found ? decodeURIComponent(found.slice("lab_access_csrf=".length)) : "";
}

// The headers that authenticate a call with this browser's access token: the Bearer header, or
// (cookie storage) nothing but the double-submit header; the browser adds the cookie itself.
export function authHeaders(method = "GET") {
  if (tokenStorage() === "localStorage") return { Authorization: `Bearer ${sendable(storedToken())}` };
  if (tokenStorage() === "cookie" && method !== "GET") return { "X-CSRF-Token": accessCsrf() };
  return {};
}

// {response, body} for a JSON call, or {response: null, body: {}} when the server could not be
// reached at all. `options` are fetch's; the page's language and Accept are added.
export async function requestJson(path, { headers = {}, ...options } = {}) {
  try {
    const response = await fetch(path, {
      ...options,
      headers: { ...languageHeaders, ...headers, Accept: "application/json" },
    });
    return { response, body: await response.json().catch(() => ({})) };
  } catch {
    return { response: null, body: {} };
  }
}

// A state-changing call of the JWT lab, made by this site's script (X-Requested-With).
export function postJson(path, body, headers = {}) {
  return requestJson(path, {
    method: "POST",
    headers: {
      ...headers,
      "X-Requested-With": "fetch",
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin", // the refresh cookie reaches only /jwt/api/auth/*
  });
}

// One thing at a time with the refresh token, across this browser's tabs (Web Locks, where the
// browser has them: every current one, on HTTPS or localhost).
function withRefreshLock(task) {
  if (navigator.locks?.request) return navigator.locks.request("lab:refresh", task);
  return task();
}

// Spend the refresh token for a new access token. A tab that finds, once its turn comes, that
// the token changed meanwhile (another tab refreshed, signed in or signed out) spends nothing:
// a second spend of the same refresh token would look like reuse, and revoke the sign-in.
export async function refreshTokens() {
  const before = credentialKey();
  return withRefreshLock(async () => {
    if (credentialKey() !== before) return { state: "elsewhere" };
    const { response, body } = await postJson("/jwt/api/auth/refresh?trace=1");
    if (response === null) return { state: "unreachable", body };
    if (!response.ok) return { state: "refused", status: response.status, body };
    if (body.access_token) {
      window.localStorage.setItem(REFRESHED_KEY, String(Date.now()));
      keepToken(body.access_token);
    } else {
      keepCookieSignIn();
    }
    return { state: "refreshed", status: response.status, body };
  });
}

// Sign out on the server: revoke the refresh family and deny the access token until its exp.
// With `keepCopy`, the server keeps copies of the HttpOnly cookies for the replay. Taken in
// turn with refreshes, so that no refresh in flight signs this browser back in afterwards.
// A token in localStorage is forgotten whatever the server said; cookies only the server can
// remove, so with cookie storage a failed sign-out leaves the browser signed in, and says so.
export async function signOut({ keepCopy = false } = {}) {
  return withRefreshLock(async () => {
    const copy = storedToken();
    const storage = tokenStorage();
    const result = await postJson("/jwt/api/auth/logout?trace=1", { keep_copy: keepCopy }, authHeaders("POST"));
    const server = result.response === null ? "unreachable" : result.response.ok ? "ok" : "refused";
    if (storage === "cookie" && server !== "ok") return { ...result, copy, failed: true };
    forgetToken({ ...(result.response?.ok ? result.body : {}), server });
    return { ...result, copy, failed: false };
  });
}

// {family} as the server keeps it (null: no refresh token in this browser), or {failed: true}.
export function fetchFamily() {
  return fetch("/jwt/api/auth/family", {
    headers: { ...languageHeaders, Accept: "application/json" },
    credentials: "same-origin",
  })
    .then((response) => (response.ok ? response.json() : { family: null, failed: true }))
    .catch(() => ({ family: null, failed: true }));
}

function base64UrlToText(part) {
  return new TextDecoder("utf-8", { fatal: true }).decode(base64UrlToBytes(part));
}

// Returns {parts, header, payload}, or throws an Error saying, in words, why this is no JWT.
export function decodeToken(token) {
  const parts = String(token).split(".");
  if (parts.length !== 3) {
    throw new Error(t("token.not_jwt", { parts: plural("count.parts", parts.length) }));
  }
  let header;
  let payload;
  try {
    header = JSON.parse(base64UrlToText(parts[0]));
    payload = JSON.parse(base64UrlToText(parts[1]));
  } catch {
    throw new Error(t("token.not_json"));
  }
  if (!header || typeof header !== "object" || !payload || typeof payload !== "object") {
    throw new Error(t("token.not_json"));
  }
  return { parts, header, payload };
}

export function pretty(value) {
  return JSON.stringify(value, null, 2);
}

// A header value may only hold visible ASCII here; anything else the browser refuses to send.
// Junk is still sent, in a form the header can carry, so the answer shown is the server's.
export function sendable(token) {
  return /^[\x21-\x7e]+$/.test(token) ? token : encodeURIComponent(token);
}

let verification = null;
let lastVerdict = null;
let expiryTimer = null;
// setTimeout's longest delay; a token living longer is checked again at that point.
const LONGEST_WAIT_MS = 2 ** 31 - 1;

// What the server says about the stored token, asked once per page state and shared by every
// module of the page: {token, state: "none" | "verified" | "refused" | "unreachable", body}.
// It asks GET /jwt/api/check, which verifies exactly as the API does but answers a refusal
// with a 200 verdict: a refused token is a fact to show, not a failed request.
export function verifyStoredToken() {
  if (verification === null) {
    verification = askServer(storedToken(), tokenStorage(), credentialKey()).then((result) => {
      lastVerdict = result;
      watchExpiry(result);
      return result;
    });
  }
  return verification;
}

// Ask again: the token changed, or its time ran out while the page was open.
function forgetVerification() {
  verification = null;
  if (expiryTimer !== null) window.clearTimeout(expiryTimer);
  expiryTimer = null;
}

// A verified token stops being good at its exp, whether or not anyone acts: at that moment
// every module of the page is told, asks the server again, and says what it answered.
function watchExpiry(result) {
  if (result.state !== "verified" || typeof result.body.expires_in !== "number") return;
  // By the server's clock (expires_in), so that a browser whose clock is off neither asks
  // again in a loop nor misses the moment. expires_in is whole seconds, rounded down: the
  // token may live up to a second more, and a check within that second would still pass.
  const wait = (result.body.expires_in + 1) * 1000 + 250;
  expiryTimer = window.setTimeout(announceTokenChange, Math.min(Math.max(wait, 0), LONGEST_WAIT_MS));
}

async function askServer(token, storage, key) {
  if (storage === null) return { token, key, storage, state: "none" };
  const headers = { ...languageHeaders, Accept: "application/json" };
  if (storage === "localStorage") headers.Authorization = `Bearer ${sendable(token)}`;
  try {
    const response = await fetch("/jwt/api/check?trace=1", {
      headers,
      // localStorage: no cookie, the token alone must be enough. Cookie storage: the cookie is
      // the token, and the browser sends it by itself.
      credentials: storage === "cookie" ? "same-origin" : "omit",
    });
    if (!response.ok) return { token, key, storage, state: "unreachable" };
    const body = await response.json();
    // A cookie that has expired is gone from the browser: the server received no token.
    const state = body.valid ? "verified" : body.present ? "refused" : "gone";
    return { token, key, storage, state, body, skew: serverSkew(body) };
  } catch {
    return { token, key, storage, state: "unreachable" };
  }
}

// How many seconds the server's clock is ahead of this browser's, from a verdict that says both
// when the token expires and how long that is from now by the server's clock. `expires_in` is
// rounded down, so this is good to a second only: a browser clock within two seconds of the
// server's is taken as right, and only one that is really off is corrected.
const TRUSTED_SKEW_S = 2;

function serverSkew(body) {
  // 0 left can mean inside the configured leeway, past exp: no measure of the clocks then.
  if (typeof body.expires_at !== "number" || !(body.expires_in > 0)) return 0;
  const skew = body.expires_at - body.expires_in - 0.5 - Date.now() / 1000;
  return Math.abs(skew) < TRUSTED_SKEW_S ? 0 : skew;
}

// A link to the JWT profile, which refreshes a lapsed access token while the sign-in lasts.
export function jwtProfileLink() {
  return Object.assign(document.createElement("a"), { href: "/jwt/profile", textContent: t("jwt.profile_link") });
}

// Call `callback` whenever the stored token changes: in another tab (the storage event) or in
// this one.
export function onTokenChange(callback) {
  window.addEventListener("storage", (event) => {
    if ([TOKEN_KEY, STORAGE_KEY, REFRESHED_KEY, null].includes(event.key)) {
      forgetVerification();
      callback({ elsewhere: true });
    }
  });
  window.addEventListener("lab:token-change", () => callback({ elsewhere: false }));
}

// The server refused what it verified a moment ago (it expired in between): every module of
// the page asks again and shows the new answer.
export function askAgain() {
  announceTokenChange();
}

function announceTokenChange() {
  forgetVerification();
  window.dispatchEvent(new Event("lab:token-change"));
}

// The step of the JWT flow a refusal names, in words: "step 2b (the claims)".
export function stepName(key) {
  return t(`step.${key}`);
}
