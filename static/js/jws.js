// Making and checking JWS signatures in the browser, with WebCrypto only: HMAC-SHA256 with a
// key the visitor has, a fresh ES256 key pair of the page's own, and ES256 verification with a
// published public key. No key of this site's ever reaches this module.

const encoder = new TextEncoder();

export function bytesToBase64Url(bytes) {
  let binary = "";
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function base64UrlToBytes(text) {
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (ch) => ch.charCodeAt(0));
}

export function encodePart(value) {
  return bytesToBase64Url(encoder.encode(JSON.stringify(value)));
}

// The signing input of a header and a payload: "base64url(header).base64url(payload)".
export function signingInput(header, payload) {
  return `${encodePart(header)}.${encodePart(payload)}`;
}

function keyBytes(key) {
  const bytes = typeof key === "string" ? encoder.encode(key) : new Uint8Array(key);
  // WebCrypto refuses an empty HMAC key. HMAC pads every key with zero bytes to its block size,
  // so the one-byte key 0x00 gives exactly the signatures of the empty key.
  return bytes.length === 0 ? new Uint8Array([0]) : bytes;
}

// base64url(HMAC-SHA256(key, data)): `key` is text or bytes.
export async function hmacSha256(key, data) {
  const cryptoKey = await crypto.subtle.importKey(
    "raw", keyBytes(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"],
  );
  return bytesToBase64Url(await crypto.subtle.sign("HMAC", cryptoKey, encoder.encode(data)));
}

// Whether the HS256 signature `signature` (base64url) is HMAC-SHA256(word, data), for each word
// in turn; the word that matches, or null. `onProgress(tried)` is called now and then.
export async function crackHs256(data, signature, words, onProgress = () => {}) {
  for (let i = 0; i < words.length; i += 1) {
    if ((await hmacSha256(words[i], data)) === signature) return { word: words[i], tried: i + 1 };
    if (i % 50 === 0) onProgress(i + 1);
  }
  return { word: null, tried: words.length };
}

// A fresh P-256 key pair made by this page: {privateKey, publicJwk}.
export async function newEs256KeyPair() {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
  const { kty, crv, x, y } = await crypto.subtle.exportKey("jwk", pair.publicKey);
  return { privateKey: pair.privateKey, publicJwk: { kty, crv, x, y } };
}

// base64url of an ES256 signature: WebCrypto's ECDSA gives r||s, which is what JWS uses.
export async function es256Sign(privateKey, data) {
  const signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, privateKey, encoder.encode(data));
  return bytesToBase64Url(signature);
}

function importPublicJwk(jwk) {
  const { kty, crv, x, y } = jwk;
  return crypto.subtle.importKey("jwk", { kty, crv, x, y }, { name: "ECDSA", namedCurve: "P-256" }, true, ["verify"]);
}

// A public JWK as the PEM text a server would hold (SubjectPublicKeyInfo, 64-character lines).
export async function publicPem(jwk) {
  const der = new Uint8Array(await crypto.subtle.exportKey("spki", await importPublicJwk(jwk)));
  const lines = btoa(String.fromCharCode(...der)).match(/.{1,64}/g).join("\n");
  return `-----BEGIN PUBLIC KEY-----\n${lines}\n-----END PUBLIC KEY-----\n`;
}

// The key set published at `url`: {keys: [...]}, or throws.
export async function fetchJwks(url, { cache = "default" } = {}) {
  const response = await fetch(url, { cache, credentials: "omit", headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const body = await response.json();
  if (!body || !Array.isArray(body.keys)) throw new Error("not a JWKS");
  return body;
}

// Check an ES256 token's signature with the key its kid names in `jwks`:
// {found: false} when the set has no such key, else {found: true, valid, kid}.
export async function verifyEs256(token, header, jwks) {
  const jwk = jwks.keys.find((key) => key.kid === header.kid && key.kty === "EC");
  if (!jwk) return { found: false, kid: header.kid };
  const [head, payload, signature] = token.split(".");
  const key = await importPublicJwk(jwk);
  let valid = false;
  try {
    valid = await crypto.subtle.verify(
      { name: "ECDSA", hash: "SHA-256" }, key, base64UrlToBytes(signature), encoder.encode(`${head}.${payload}`),
    );
  } catch {
    valid = false; // a signature that is not base64url at all
  }
  return { found: true, valid, kid: jwk.kid };
}
