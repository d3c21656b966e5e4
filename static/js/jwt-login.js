// The JWT login form: POST the credentials as JSON, keep the token in localStorage (or let the
// server set it in an HttpOnly cookie), go to the profile. The server's field errors appear
// under their fields, as on the session form.
import { languageHeaders, t } from "./strings.js";
import { keepCookieSignIn, keepToken, signOut, tokenStorage } from "./token.js";

const form = document.querySelector("[data-jwt-login]");
const errorBox = document.querySelector("[data-login-error]");

function showError(message) {
  errorBox.textContent = message;
  errorBox.hidden = false;
}

function showFieldErrors(fields = {}) {
  for (const list of form.querySelectorAll("[data-field-errors]")) {
    const name = list.dataset.fieldErrors;
    const input = form.elements.namedItem(name);
    const messages = fields[name] ?? [];
    list.replaceChildren(
      ...messages.map((text) => Object.assign(document.createElement("li"), { textContent: text })),
    );
    list.hidden = messages.length === 0;
    if (messages.length) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", list.id);
    } else {
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    }
  }
}

async function signIn(event) {
  event.preventDefault();
  errorBox.hidden = true;
  showFieldErrors();
  // No checks here: the server applies the same rules as the session form and says which
  // field breaks which, so both forms answer alike.
  const data = new FormData(form);
  const username = String(data.get("username") || "");
  const password = String(data.get("password") || "");
  const storage = data.get("storage") === "cookie" ? "cookie" : "localStorage";
  // The radios offer only the algorithms the server can sign with; it checks the value anyway.
  const algorithm = data.get("algorithm");
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    // Signing in again ends this browser's previous sign-in first: its refresh cookie is about
    // to be replaced, and a family nobody holds any more must not stay usable by a copy.
    if (tokenStorage()) await signOut();
    const response = await fetch("/jwt/api/token", {
      method: "POST",
      headers: { ...languageHeaders, "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ username, password, storage, ...(algorithm ? { algorithm } : {}) }),
      // The answer's cookies (the refresh token, and with cookie storage the access token)
      // must be kept, which "omit" would not do. The endpoint reads no cookie to sign in.
      credentials: "same-origin",
    });
    const body = await response.json().catch(() => ({}));
    const stored = storage === "cookie" ? body.storage === "cookie" : Boolean(body.access_token);
    if (!response.ok || !stored) {
      if (body.fields) showFieldErrors(body.fields);
      else showError(body.message || t("login.failed", { status: response.status }));
      return;
    }
    if (storage === "cookie") keepCookieSignIn();
    else keepToken(body.access_token);
    window.location.assign("/jwt/profile");
  } catch {
    showError(t("login.unreachable"));
  } finally {
    button.disabled = false;
  }
}

if (form) form.addEventListener("submit", signIn);
