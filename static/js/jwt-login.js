// The JWT login form: POST the credentials as JSON, keep the token in localStorage, go to the profile.
import { TOKEN_KEY } from "./token.js";

const form = document.querySelector("[data-jwt-login]");
const errorBox = document.querySelector("[data-login-error]");

function showError(message) {
  errorBox.textContent = message;
  errorBox.hidden = false;
}

async function signIn(event) {
  event.preventDefault();
  errorBox.hidden = true;
  const data = new FormData(form);
  const username = String(data.get("username") || "").trim();
  const password = String(data.get("password") || "");
  if (!username || !password) {
    showError("Enter both a username and a password.");
    return;
  }
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const response = await fetch("/jwt/api/token", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ username, password }),
      credentials: "omit", // the token endpoint needs no cookie: show that it works without one
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok || !body.access_token) {
      showError(body.message || `Sign-in failed (HTTP ${response.status}).`);
      return;
    }
    window.localStorage.setItem(TOKEN_KEY, body.access_token);
    window.location.assign("/jwt/profile");
  } catch {
    showError("The server could not be reached. Check your connection and try again.");
  } finally {
    button.disabled = false;
  }
}

if (form) form.addEventListener("submit", signIn);
