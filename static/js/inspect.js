// The inspect page: what this page's JavaScript can read, and what a fetch() actually sends.
import { describeTrace, markFlow } from "./flow-marks.js";
import { decodeToken, pretty, storedToken } from "./token.js";

const $ = (selector) => document.querySelector(selector);
const cookieName = document.querySelector("[data-cookie-name]")?.dataset.cookieName ?? "lab_session";

function showDocumentCookie() {
  const visible = document.cookie;
  $("[data-document-cookie]").textContent = visible === "" ? '"" (empty string)' : JSON.stringify(visible);
  const names = visible.split(";").map((c) => c.trim().split("=")[0]).filter(Boolean);
  const verdict = $("[data-session-cookie-verdict]");
  const navCookies = $("[data-nav-cookies]")?.textContent ?? "";
  const serverGotIt = navCookies.includes(cookieName);
  if (names.includes(cookieName)) {
    verdict.textContent = `The session cookie "${cookieName}" is readable here: it is not HttpOnly!`;
  } else if (serverGotIt) {
    verdict.replaceChildren(
      `The session cookie "${cookieName}" is `,
      Object.assign(document.createElement("strong"), { textContent: "absent" }),
      " here, although the server received it with this very page load: it exists, but JavaScript cannot read it.",
    );
  } else {
    verdict.textContent = `No session cookie "${cookieName}" here, and the server did not receive one either: you are not signed in with a session.`;
  }
}

function showToken(token) {
  const verdict = $("[data-token-verdict]");
  const payloadBox = $("[data-token-payload]");
  if (!token) {
    verdict.textContent = 'localStorage.getItem("access_token") is null: no token in this browser.';
    payloadBox.textContent = "null";
    return;
  }
  try {
    const { payload } = decodeToken(token);
    verdict.replaceChildren(
      'localStorage.getItem("access_token") is ',
      Object.assign(document.createElement("strong"), { textContent: "present" }),
      ` (${token.length} characters), and its payload decodes without any key:`,
    );
    payloadBox.textContent = pretty(payload);
  } catch (error) {
    verdict.textContent = `A token is present but cannot be decoded: ${error.message}.`;
    payloadBox.textContent = "";
  }
}

function listItem(text, code, className) {
  const li = document.createElement("li");
  if (className) li.className = className;
  li.append(text);
  if (code !== undefined) li.append(Object.assign(document.createElement("code"), { textContent: code }));
  return li;
}

async function showFetch(token) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  $("[data-fetch-auth-note]").textContent = token
    ? "with the token added to an Authorization header by the script (the browser added the cookie by itself)"
    : "with no token to add (the browser added any cookie by itself)";
  const list = $("[data-fetch-received]");
  try {
    const response = await fetch("/inspect/api/request", { headers });
    const body = await response.json();
    list.replaceChildren();
    if (body.cookies.length === 0) list.append(listItem("Cookie header: none"));
    for (const c of body.cookies) {
      const item = listItem("Cookie ", undefined, c.name === cookieName ? "sends-session" : "");
      item.append(
        Object.assign(document.createElement("code"), { textContent: c.name }),
        " = ",
        Object.assign(document.createElement("code"), { textContent: c.masked }),
      );
      list.append(item);
    }
    list.append(
      body.authorization.present
        ? listItem(`Authorization: ${body.authorization.scheme} `, body.authorization.masked, "sends-jwt")
        : listItem("Authorization: none"),
    );
    const jwtVerdict = $("[data-server-jwt-verdict]");
    if (body.jwt.present) {
      jwtVerdict.textContent = body.jwt.valid
        ? `The server just verified your token for ${body.jwt.username} using only its key.`
        : `The server rejected the token: ${body.jwt.reason}.`;
    } else {
      jwtVerdict.textContent = "No token was sent, so there was nothing to verify.";
    }
    $("[data-fetch-pid]").textContent = String(body.worker_pid);
    $("[data-fetch-session-verdict]").textContent = body.session.authenticated
      ? ", which found your session too"
      : ", which knows no signed-in session for this browser";
    const parts = [];
    if (body.session.authenticated) parts.push(`Session lookup: ${describeTrace(body.trace)}`);
    if (body.jwt.trace) {
      markFlow("jwt-usage", body.jwt.trace);
      parts.push(`Token check: ${describeTrace(body.jwt.trace)}`);
    }
    $("[data-fetch-trace]").textContent = parts.length
      ? `The fetch in section 2, measured per scheme. ${parts.join(" ")}`
      : "The fetch in section 2 carried neither a session nor a token, so there was nothing to check.";
  } catch {
    list.replaceChildren(listItem("The request failed; reload the page to try again."));
  }
}

const token = storedToken();
if (token) document.querySelector("[data-jwt-login-link]")?.remove();
showDocumentCookie();
showToken(token);
showFetch(token);
