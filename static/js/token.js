// Reading a JWT in the browser: no key needed, which is the whole point of this module.
// Decoding is not verifying: only the server, holding the key, can tell whether a token is genuine.

export const TOKEN_KEY = "access_token";

export function storedToken() {
  try {
    return window.localStorage.getItem(TOKEN_KEY);
  } catch {
    return null; // storage disabled by the browser
  }
}

export function forgetToken() {
  window.localStorage.removeItem(TOKEN_KEY);
}

function base64UrlToText(part) {
  const base64 = part.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
}

// Returns {parts, header, payload} or throws an Error saying what is wrong with the token.
export function decodeToken(token) {
  const parts = String(token).split(".");
  if (parts.length !== 3) {
    throw new Error(`a JWT has 3 dot-separated parts; this has ${parts.length}`);
  }
  let header;
  let payload;
  try {
    header = JSON.parse(base64UrlToText(parts[0]));
    payload = JSON.parse(base64UrlToText(parts[1]));
  } catch {
    throw new Error("the header or payload is not base64url-encoded JSON");
  }
  return { parts, header, payload };
}

export function readableTime(seconds) {
  if (typeof seconds !== "number") return "—";
  return new Date(seconds * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

export function timeLeft(expSeconds, nowMs = Date.now()) {
  const left = Math.round(expSeconds - nowMs / 1000);
  if (left <= 0) return { expired: true, text: "expired" };
  const minutes = Math.floor(left / 60);
  const seconds = left % 60;
  return { expired: false, text: minutes > 0 ? `${minutes} min ${seconds} s left` : `${seconds} s left` };
}

export function pretty(value) {
  return JSON.stringify(value, null, 2);
}
