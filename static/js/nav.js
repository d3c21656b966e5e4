// The sign-in pills in the navigation bar, kept true in every state and in every tab.
//
// JWT: the server cannot know whether this browser holds a token, and a decoded token proves
// nothing, so the pill names someone only once the server has verified the token.
// Session: the server wrote the pill; when another tab signs in or out, this tab hears of it
// (BroadcastChannel, nothing stored) and says that the page is out of date.
import { t } from "./strings.js";
import { credentialKey, onTokenChange, tokenStorage, verifyStoredToken } from "./token.js";

const jwtPill = document.querySelector("[data-jwt-status]");
const jwtLink = document.querySelector("[data-jwt-nav]");
const sessionPill = document.querySelector("[data-session-status]");

function setPill(pill, text, kind, title = "") {
  pill.textContent = text;
  pill.classList.remove("pill-off", "pill-jwt", "pill-session", "pill-refused");
  pill.classList.add(`pill-${kind}`);
  pill.title = title;
}

async function showJwtStatus() {
  if (!jwtPill) return;
  const storage = tokenStorage();
  // Without a token the JWT lab starts at its sign-in page.
  if (jwtLink) jwtLink.href = storage ? "/jwt/profile" : "/jwt/login";
  if (!storage) {
    setPill(jwtPill, t("pill.jwt.none"), "off");
    return;
  }
  setPill(jwtPill, t("pill.jwt.checking"), "off");
  const result = await verifyStoredToken();
  if (result.key !== credentialKey()) return; // changed meanwhile: a newer check is on its way
  if (result.state === "verified") {
    const name = t("pill.jwt.verified", { username: result.body.username });
    setPill(jwtPill, name, "jwt", t("pill.jwt.verified.title"));
  } else if (result.state === "gone") {
    setPill(jwtPill, t("pill.jwt.expired"), "refused", t("pill.jwt.gone.title"));
  } else if (result.state === "refused") {
    const reason = result.body.reason ?? "—";
    setPill(jwtPill, t("pill.jwt.refused"), "refused", t("pill.jwt.refused.title", { reason }));
  } else {
    setPill(jwtPill, t("pill.jwt.unchecked"), "off", t("pill.jwt.unchecked.title"));
  }
}

function followSessionAcrossTabs() {
  if (!sessionPill || !("BroadcastChannel" in window)) return;
  let shown = sessionPill.dataset.sessionStatus ?? "";
  const channel = new BroadcastChannel("session-vs-jwt-lab");
  // A freshly served page says who the server thinks is signed in; older tabs listen.
  channel.postMessage({ session: shown });
  channel.addEventListener("message", (event) => {
    const now = event.data?.session;
    if (typeof now !== "string" || now === shown) return;
    shown = now;
    sessionPill.dataset.sessionStatus = now;
    if (now) setPill(sessionPill, t("pill.session.user", { username: now }), "session");
    else setPill(sessionPill, t("pill.session.none"), "off");
    showSessionChangedNotice(now);
  });
}

function showSessionChangedNotice(username) {
  const main = document.querySelector("main");
  if (!main) return;
  let notice = main.querySelector("[data-session-changed]");
  if (!notice) {
    notice = document.createElement("p");
    notice.className = "notice";
    notice.setAttribute("role", "status");
    notice.dataset.sessionChanged = "";
    main.prepend(notice);
  }
  const state = username ? t("session.changed.in", { username }) : t("session.changed.out");
  const reload = Object.assign(document.createElement("a"), {
    href: window.location.href,
    textContent: t("session.changed.reload"),
  });
  notice.replaceChildren(`${t("session.changed", { state })} `, reload);
}

showJwtStatus();
onTokenChange(showJwtStatus);
followSessionAcrossTabs();
