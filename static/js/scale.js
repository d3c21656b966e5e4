// The multi-instance lab: send a few requests with each scheme and show, for each answer, the
// instance that served it (X-Served-By) and what that instance knew.
import { plural, t } from "./strings.js";
import { authHeaders, requestJson, tokenStorage } from "./token.js";

const ROUNDS = 6;
const $ = (selector) => document.querySelector(selector);

function sessionVerdict(body) {
  const state = body.session?.cookie;
  if (state === "found") return { ok: true, text: t("scale.session.found", { username: body.session.username }) };
  const key = ["unknown", "unchecked", "malformed"].includes(state) ? state : "none";
  return { ok: false, text: t(`scale.session.${key}`) };
}

function jwtVerdict(body) {
  if (body.valid) return { ok: true, text: t("scale.jwt.valid", { username: body.username }) };
  if (!body.present) return { ok: false, text: t("scale.jwt.gone") };
  return { ok: false, text: t("scale.jwt.refused", { reason: body.reason ?? body.message ?? "" }) };
}

// One request: {servedBy, ok, text}. Every answer counts, a failed one too.
async function ask(path, options, verdict) {
  const { response, body } = await requestJson(path, options);
  if (response === null) return { servedBy: null, ok: false, text: t("scale.unreachable") };
  const servedBy = response.headers.get("X-Served-By");
  if (!response.ok) return { servedBy, ok: false, text: t("scale.failed", { status: response.status }) };
  return { servedBy, ...verdict(body) };
}

function askSession() {
  return ask("/lab/scale/api/probe", { credentials: "same-origin" }, sessionVerdict);
}

function askJwt() {
  const storage = tokenStorage();
  if (!storage) return Promise.resolve({ servedBy: null, ok: false, text: t("scale.jwt.none"), skipped: true });
  const credentials = storage === "cookie" ? "same-origin" : "omit";
  return ask("/jwt/api/check", { headers: authHeaders(), credentials }, jwtVerdict);
}

function row(answer) {
  const item = document.createElement("li");
  if (answer.skipped) {
    // Nothing was sent: there is no instance to name.
    item.className = "muted";
    item.textContent = answer.text;
    return item;
  }
  item.className = answer.ok ? "done" : "failed";
  const instance = Object.assign(document.createElement("code"), {
    textContent: answer.servedBy ?? t("scale.unknown_instance"),
  });
  item.append(instance, `: ${answer.text}`);
  return item;
}

function tally(answers) {
  const ok = answers.filter((answer) => answer.ok).length;
  return plural("count.of_requests", ok, { total: answers.length });
}

async function run() {
  const button = $("[data-probe]");
  button.disabled = true;
  const summary = $("[data-probe-summary]");
  summary.textContent = t("scale.sending");
  const lists = { session: $("[data-probe-session]"), jwt: $("[data-probe-jwt]") };
  lists.session.replaceChildren();
  lists.jwt.replaceChildren();
  const answers = { session: [], jwt: [] };
  try {
    // One after the other, so that a round-robin proxy's turns show in order.
    for (const [kind, askOnce] of [["session", askSession], ["jwt", askJwt]]) {
      for (let n = 0; n < ROUNDS; n += 1) {
        const answer = await askOnce();
        answers[kind].push(answer);
        lists[kind].append(row(answer));
        if (answer.skipped) break; // no token: nothing to ask six times
      }
    }
    const instances = new Set([...answers.session, ...answers.jwt].map((a) => a.servedBy).filter(Boolean));
    const noToken = answers.jwt[0]?.skipped;
    summary.textContent = t(noToken ? "scale.summary.no_token" : "scale.summary", {
      instances: plural("count.instances", instances.size),
      session: tally(answers.session),
      jwt: tally(answers.jwt),
    });
  } finally {
    button.disabled = false;
  }
}

// Only this page's script knows whether the browser holds a token: no hint to get one if it does.
const jwtHint = $("[data-jwt-login-link]");
if (jwtHint) jwtHint.hidden = tokenStorage() !== null;
$("[data-probe]")?.addEventListener("click", run);
