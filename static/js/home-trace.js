// Home page: if this browser holds a token, light the JWT flow with the server's answer about
// it (the same call the navigation pill makes): its measured steps, or the step that refused it.
// Without a token, the follow-ups that open the JWT profile say to get one first.
import { describeTrace, labelTokenStep, markFlow } from "./flow-marks.js";
import { t, tParts } from "./strings.js";
import { jwtProfileLink, onTokenChange, stepName, tokenStorage, verifyStoredToken } from "./token.js";

const note = document.querySelector("[data-home-trace-jwt]");
const invitation = note ? [...note.childNodes].map((node) => node.cloneNode(true)) : [];

function showTokenHints() {
  const none = tokenStorage() === null;
  for (const hint of document.querySelectorAll("[data-needs-token]")) hint.hidden = !none;
}

async function lightJwtFlow() {
  showTokenHints();
  if (!note) return;
  const result = await verifyStoredToken();
  labelTokenStep("jwt-usage", result.storage === "cookie" ? "cookie" : "header");
  if (result.state === "none") {
    note.replaceChildren(...invitation.map((node) => node.cloneNode(true))); // "Get a token…"
    markFlow("jwt-usage", null, "");
  } else if (result.state === "gone") {
    // Signed in with the cookie choice, but the access cookie has expired: nothing was sent.
    note.replaceChildren(...tParts("home.jwt.gone", { profile: jwtProfileLink() }));
    markFlow("jwt-usage", null, "");
  } else if (result.state === "verified") {
    markFlow("jwt-usage", result.body.trace, t("home.jwt.caption"));
    note.textContent = t("home.jwt.measured", { trace: describeTrace(result.body.trace) });
  } else if (result.state === "refused") {
    const step = stepName(result.body.failed_step);
    markFlow("jwt-usage", result.body.trace, t("home.jwt.caption.refused", { step }));
    note.textContent = t("home.jwt.refused", { step, reason: result.body.reason ?? result.body.message });
  } else {
    note.textContent = t("home.jwt.unreachable");
  }
}

onTokenChange(lightJwtFlow);
lightJwtFlow();
