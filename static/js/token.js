// The token in this browser: reading it (no key needed, which is the point), and asking the
// server about it (only the server, holding the key, can tell whether it is genuine).
import { languageHeaders, plural, t } from "./strings.js";

export const TOKEN_KEY = "access_token";
// What became of the token this browser last forgot on purpose, so the signed-out notice can say
// how long a copy of it stays usable: its exp as the server verified it, or "refused". Not a
// credential.
export const SIGNED_OUT_KEY = "lab:signed_out_token_exp";

export function storedToken() {
  try {
    return window.localStorage.getItem(TOKEN_KEY);
  } catch {
    return null; // storage disabled by the browser
  }
}

export function keepToken(token) {
  window.localStorage.setItem(TOKEN_KEY, token);
  window.localStorage.removeItem(SIGNED_OUT_KEY);
  announceTokenChange();
}

// Forget the token. The signed-out notice may only call it usable if the server said so: what
// the payload claims about its own exp proves nothing.
export function forgetToken() {
  const token = storedToken();
  const verdict = lastVerdict?.token === token ? lastVerdict : null;
  if (verdict?.state === "verified" && typeof verdict.body.expires_at === "number") {
    window.localStorage.setItem(SIGNED_OUT_KEY, String(verdict.body.expires_at));
  } else if (verdict?.state === "refused") {
    window.localStorage.setItem(SIGNED_OUT_KEY, "refused");
  } else {
    window.localStorage.removeItem(SIGNED_OUT_KEY);
  }
  window.localStorage.removeItem(TOKEN_KEY);
  announceTokenChange();
}

// {exp} for a token the server had verified, {refused: true} for one it had refused, or null.
export function signedOutToken() {
  const value = window.localStorage.getItem(SIGNED_OUT_KEY);
  if (value === "refused") return { refused: true };
  const exp = Number(value);
  return value !== null && Number.isFinite(exp) && exp > 0 ? { exp } : null;
}

function base64UrlToText(part) {
  const base64 = part.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
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
    verification = askServer(storedToken()).then((result) => {
      lastVerdict = result;
      watchExpiry(result);
      return result;
    });
  }
  return verification;
}

// Ask again: the token changed, or its time ran out while the page was open.
export function forgetVerification() {
  verification = null;
  if (expiryTimer !== null) window.clearTimeout(expiryTimer);
  expiryTimer = null;
}

// A verified token stops being good at its exp, whether or not anyone acts: at that moment
// every module of the page is told, asks the server again, and says what it answered.
function watchExpiry(result) {
  if (result.state !== "verified" || typeof result.body.expires_at !== "number") return;
  const wait = result.body.expires_at * 1000 - Date.now() + 250;
  expiryTimer = window.setTimeout(announceTokenChange, Math.min(Math.max(wait, 0), LONGEST_WAIT_MS));
}

async function askServer(token) {
  if (!token) return { token, state: "none" };
  try {
    const response = await fetch("/jwt/api/check?trace=1", {
      headers: { ...languageHeaders, Authorization: `Bearer ${sendable(token)}`, Accept: "application/json" },
      credentials: "omit", // no cookie: the token alone must be enough
    });
    if (!response.ok) return { token, state: "unreachable" };
    const body = await response.json();
    return { token, state: body.valid ? "verified" : "refused", body };
  } catch {
    return { token, state: "unreachable" };
  }
}

// Call `callback` whenever the stored token changes: in another tab (the storage event) or in
// this one.
export function onTokenChange(callback) {
  window.addEventListener("storage", (event) => {
    if (event.key === TOKEN_KEY || event.key === null) {
      forgetVerification();
      callback({ elsewhere: true });
    }
  });
  window.addEventListener("lab:token-change", () => callback({ elsewhere: false }));
}

function announceTokenChange() {
  forgetVerification();
  window.dispatchEvent(new Event("lab:token-change"));
}

// The step of the JWT flow a refusal names, in words: "step 2b (the claims)".
export function stepName(key) {
  return t(`step.${key}`);
}
