// The JWT profile's signature check, in this browser: an ES256 token is checked with WebCrypto
// and the public key the site publishes; for an HS256 token the page says why it cannot be.
import { fetchJwks, verifyEs256 } from "./jws.js";
import { t } from "./strings.js";

let checking = 0;

// Fill `target` with what this browser can tell about the signature of `token`.
export async function checkSignatureHere(token, header, target) {
  const ticket = ++checking;
  const say = (state, key, params = {}) => {
    if (ticket !== checking) return; // a newer token is being checked
    target.dataset.signatureState = state;
    target.textContent = t(key, params);
  };
  const jwksUrl = target.dataset.jwksUrl;
  if (header.alg === "HS256") return say("hs256", "signature.hs256");
  if (header.alg !== "ES256") return say("other", "signature.other", { alg: JSON.stringify(header.alg ?? null) });
  say("checking", "signature.checking");
  let jwks;
  try {
    jwks = await fetchJwks(jwksUrl);
  } catch (error) {
    return say("unreachable", "signature.jwks_failed", { path: jwksUrl, error: error.message });
  }
  try {
    let result = await verifyEs256(token, header, jwks);
    if (!result.found) {
      // The key set is cached for minutes: a key added since may be missing from the copy.
      result = await verifyEs256(token, header, await fetchJwks(jwksUrl, { cache: "no-cache" }));
    }
    if (!result.found) {
      return say("unknown-key", "signature.unknown_key", { kid: JSON.stringify(header.kid ?? null), path: jwksUrl });
    }
    return say(result.valid ? "valid" : "invalid", result.valid ? "signature.valid" : "signature.invalid", {
      kid: result.kid, path: jwksUrl,
    });
  } catch (error) {
    // A key WebCrypto cannot import, or no WebCrypto at all (a plain-HTTP page off loopback).
    return say("failed", "signature.failed", { error: error.message });
  }
}
