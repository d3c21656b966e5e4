// The session replay page: send the copy of the old session ID the server kept at sign-out,
// and say what the store made of it.
import { languageHeaders, t } from "./strings.js";

const line = document.querySelector("[data-replay-result]");

async function replay() {
  let report;
  try {
    const response = await fetch("/session/api/replay?trace=1", {
      headers: { ...languageHeaders, Accept: "application/json" },
    });
    report = response.ok ? await response.json() : null;
  } catch {
    report = null;
  }
  if (report === null) {
    line.textContent = t("replay.session.unreachable");
  } else if (!report.copy) {
    line.textContent = t("replay.session.no_copy");
  } else if (report.status === 200) {
    document.querySelector("[data-replay-explained]").hidden = false;
    line.textContent = t("replay.session.accepted");
  } else {
    document.querySelector("[data-replay-explained]").hidden = false;
    const store = report.trace?.store?.name ?? "";
    line.textContent = t("replay.session.refused", { status: report.status, store });
  }
}

replay();
