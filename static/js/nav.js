// The JWT pill in the navigation bar: the server cannot know whether this browser holds a token,
// so the page reads localStorage itself and says so.
import { decodeToken, storedToken } from "./token.js";

function showJwtStatus() {
  const pill = document.querySelector("[data-jwt-status]");
  if (!pill) return;
  const token = storedToken();
  if (!token) {
    // No token to show yet: the JWT lab starts at its sign-in page.
    const link = document.querySelector("[data-jwt-nav]");
    if (link) link.href = "/jwt/login";
    return;
  }
  try {
    const { payload } = decodeToken(token);
    const expired = typeof payload.exp === "number" && payload.exp * 1000 <= Date.now();
    pill.textContent = `JWT: ${payload.username ?? "?"}${expired ? " (expired)" : ""}`;
    pill.classList.replace("pill-off", "pill-jwt");
    pill.title = "A token is in this browser's localStorage";
  } catch {
    pill.textContent = "JWT: unreadable token";
  }
}

showJwtStatus();
