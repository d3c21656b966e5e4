// The browser lab: runs the injected script on request and says what it obtained, and sends the
// planted session ID to the server again.
import { t } from "./strings.js";
import { requestJson, tokenStorage } from "./token.js";

const $ = (selector) => document.querySelector(selector);
const SESSION_COOKIE = $("[data-session-cookie-name]")?.dataset.sessionCookieName ?? "lab_session";

function item(text) {
  const li = document.createElement("li");
  li.textContent = text;
  return li;
}

function describe(report) {
  const items = [];
  if (report.token) {
    const found = item(t("xss.token.found", { length: report.token.length }));
    found.dataset.finding = "token";
    items.push(found);
    const sink = report.sink;
    items.push(
      sink.status === 200
        ? item(t("xss.sink", { path: "/lab/browser/api/sink", length: sink.body.length, preview: sink.body.preview }))
        : item(t("xss.sink.failed", { status: sink.status })),
    );
    const elsewhere = report.elsewhere;
    const used = elsewhere.status === 200
      ? item(t("xss.elsewhere.ok", { status: elsewhere.status, username: elsewhere.body.username }))
      : item(t("xss.elsewhere.refused", { status: elsewhere.status, reason: elsewhere.body.reason ?? elsewhere.body.message ?? "" }));
    used.dataset.finding = elsewhere.status === 200 ? "token-used" : "token-refused";
    items.push(used);
  } else {
    const none = item(t("xss.token.none"));
    none.dataset.finding = "no-token";
    items.push(none);
  }
  const names = report.cookieNames;
  const cookies = names.length
    ? item(t("xss.cookies.some", { names: names.join(", "), name: SESSION_COOKIE }))
    : item(t("xss.cookies.none", { name: SESSION_COOKIE }));
  cookies.dataset.finding = names.includes(SESSION_COOKIE) ? "session-cookie-read" : "session-cookie-hidden";
  items.push(cookies);
  items.push(item(tokenStorage() === "cookie" ? t("xss.cookie_jwt.held") : t("xss.cookie_jwt.other")));
  const ride = report.ride;
  const rode = ride.status === 200
    ? item(t("xss.ride.ok", { status: ride.status, username: ride.body.username }))
    : item(t("xss.ride.none", { status: ride.status }));
  rode.dataset.finding = ride.status === 200 ? "session-ridden" : "no-session";
  items.push(rode);
  return items;
}

async function runInjected(button) {
  const list = $("[data-injected-findings]");
  button.disabled = true;
  list.replaceChildren(item(t("xss.running")));
  try {
    // The attacker's file is loaded only now, on request, from this site (the CSP allows nothing else).
    const { run } = await import("./injected-script.js");
    list.replaceChildren(...describe(await run()));
  } catch {
    list.replaceChildren(item(t("xss.failed")));
  } finally {
    button.disabled = false;
  }
}

async function checkPlanted(button) {
  const out = $("[data-planted-result]");
  button.disabled = true;
  const { response, body } = await requestJson("/lab/browser/api/fixation", { credentials: "same-origin" });
  button.disabled = false;
  if (response === null || !response.ok) {
    out.textContent = t("fixation.failed");
    return;
  }
  out.dataset.planted = body.planted === null ? "none" : body.accepted ? "accepted" : "refused";
  if (body.planted === null) out.textContent = t("fixation.none");
  else if (body.accepted) out.textContent = t("fixation.accepted", { planted: body.planted });
  else if (body.current) out.textContent = t("fixation.refused", { planted: body.planted, current: body.current });
  else out.textContent = t("fixation.refused.signed_out", { planted: body.planted });
}

$("[data-run-injected]")?.addEventListener("click", (event) => runInjected(event.currentTarget));
$("[data-check-planted]")?.addEventListener("click", (event) => checkPlanted(event.currentTarget));
