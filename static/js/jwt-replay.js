// The replay: keep a copy of each credential, sign out, send every copy again, and show what
// the server answered. The access token in localStorage is copied here and sent to the real
// routes; HttpOnly cookies cannot be copied by a script, so the server keeps their copies at
// sign-out in a cookie only POST /jwt/api/auth/replay receives, and that route sends them on.
import { plural, t, tParts } from "./strings.js";
import { postJson, requestJson, sendable, signOut } from "./token.js";

const $ = (selector) => document.querySelector(selector);

async function sendCopy(path, token) {
  const { response, body } = await requestJson(`${path}?trace=1`, {
    headers: { Authorization: `Bearer ${sendable(token)}` },
    credentials: "omit", // the copy alone, as it would come from another machine
  });
  return { status: response?.status ?? null, body, store_reads: body?.trace?.store?.reads };
}

function cell(content) {
  const td = document.createElement("td");
  td.append(content);
  return td;
}

function code(text) {
  return Object.assign(document.createElement("code"), { textContent: text });
}

function answer(result) {
  const span = document.createElement("span");
  if (result.status === null) {
    span.textContent = t("replay.unreachable");
    return span;
  }
  const ok = result.status >= 200 && result.status < 300;
  const verdict = Object.assign(document.createElement("strong"), {
    className: ok ? "verdict-ok" : "verdict-refused",
    textContent: t(ok ? "replay.accepted" : "replay.refused", { status: result.status }),
  });
  span.append(verdict);
  const reason = result.body?.reason ?? result.body?.message;
  if (!ok && reason) span.append(` ${t("replay.reason", { reason })}`);
  if (ok) span.append(` ${t(result.why ?? "replay.why.accepted")}`);
  // What honouring a sign-out costs, measured: the checked route's one store read.
  if (typeof result.store_reads === "number") {
    span.append(" ", Object.assign(document.createElement("span"), {
      className: "muted",
      textContent: t("replay.store_reads", { reads: plural("count.reads", result.store_reads) }),
    }));
  }
  return span;
}

// Where a copy went: a route of its own, or (a copy of a cookie) the replay route, which runs
// that route's checks on it in the server.
function target(row) {
  if (!row.via) return code(row.target);
  const span = document.createElement("span");
  span.append(...tParts("replay.via", { replay: code("POST /jwt/api/auth/replay"), route: code(row.target) }));
  return span;
}

function showRows(rows) {
  // On a phone the header row is hidden and each cell names its column instead.
  const labels = [...document.querySelectorAll("[data-replay-table] thead th")].map((th) => th.textContent);
  $("[data-replay-rows]").replaceChildren(
    ...rows.map((row) => {
      const tr = document.createElement("tr");
      tr.dataset.replayRow = row.id;
      const cells = [cell(t(row.copy)), cell(target(row)), cell(answer(row.result))];
      cells.forEach((td, index) => {
        td.dataset.label = labels[index] ?? "";
      });
      tr.append(...cells);
      return tr;
    }),
  );
  $("[data-replay-table]").hidden = rows.length === 0;
  $("[data-replay-sent]").hidden = rows.length === 0;
  const byId = Object.fromEntries(rows.map((row) => [row.id, row.result.status]));
  const refusedAll = rows.length > 0 && rows.every((row) => row.result.status === 401);
  let lesson = "";
  if (byId.stateless === 200 && byId.checked === 401) lesson = t("replay.lesson.revocation");
  else if (refusedAll) lesson = t("replay.lesson.none");
  else if (rows.length === 0) lesson = t("replay.nothing");
  $("[data-replay-lesson]").textContent = lesson;
}

export async function signOutAndReplay() {
  const box = $("[data-replay]");
  const out = await signOut({ keepCopy: true });
  if (out.failed) return out; // still signed in: the profile says why
  // No copies were kept when the sign-out failed: the paragraph saying what was kept goes too.
  $("[data-replay-intro]").hidden = !out.response?.ok;
  $("[data-replay-local-copy]").hidden = !out.copy;
  if (!out.response?.ok) {
    box.hidden = false;
    showRows([]);
    const reason = out.body?.reason ?? out.body?.message ?? "";
    $("[data-replay-lesson]").textContent = out.response
      ? t("replay.signout_refused", { status: out.response.status, reason })
      : t("replay.signout_failed");
    return out;
  }
  const rows = [];
  if (out.copy) {
    const stateless = await sendCopy("/jwt/api/me", out.copy);
    const checked = await sendCopy("/jwt/api/checked/me", out.copy);
    rows.push({ id: "stateless", copy: "replay.copy.access", target: "GET /jwt/api/me", result: { ...stateless, why: "replay.why.stateless" } });
    rows.push({ id: "checked", copy: "replay.copy.access", target: "GET /jwt/api/checked/me", result: checked });
  }
  const { response, body } = await postJson("/jwt/api/auth/replay");
  if (response?.ok && body.access_token) {
    const { stateless, checked } = body.access_token;
    rows.push({ id: "stateless", copy: "replay.copy.access_cookie", target: "GET /jwt/api/me", via: true, result: { ...stateless, why: "replay.why.stateless" } });
    rows.push({ id: "checked", copy: "replay.copy.access_cookie", target: "GET /jwt/api/checked/me", via: true, result: checked });
  }
  if (response?.ok && body.refresh_token) {
    rows.push({ id: "refresh", copy: "replay.copy.refresh", target: "POST /jwt/api/auth/refresh", via: true, result: body.refresh_token });
  }
  box.hidden = false;
  showRows(rows);
  box.scrollIntoView({ block: "start" });
  return out;
}
