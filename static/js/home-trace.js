// Home page: if this browser holds a token, call the API with it and light up the JWT flow
// with that call's measured steps.
import { describeTrace, markFlow } from "./flow-marks.js";
import { storedToken } from "./token.js";

async function lightJwtFlow() {
  const token = storedToken();
  const note = document.querySelector("[data-home-trace-jwt]");
  if (!token || !note) return;
  try {
    const response = await fetch("/jwt/api/me?trace=1", {
      headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
      credentials: "omit",
    });
    const body = await response.json();
    if (!response.ok) {
      note.textContent = `Your stored token was refused: ${body.message}`;
      return;
    }
    markFlow("jwt-usage", body.trace);
    const caption = document.querySelector('[data-flow="jwt-usage"] figcaption');
    if (caption && !caption.querySelector(".muted")) {
      const span = Object.assign(document.createElement("span"), {
        className: "muted",
        textContent: " · lit by a call to /jwt/api/me with your token, measured; it needs no data, so the DB steps stay unlit",
      });
      caption.append(span);
    }
    note.textContent = `Your token, just now on /jwt/api/me: ${describeTrace(body.trace)}`;
  } catch {
    note.textContent = "The API could not be reached to measure your token.";
  }
}

lightJwtFlow();
