// The reuse lab on the JWT profile: play a thief who copied the refresh token. Both hold the
// same token; whoever spends it second is reuse, and the server revokes the whole family. No
// script can read the HttpOnly cookie, so the server keeps the thief's copy (in a cookie only
// /jwt/api/auth/thief/* receives) and spends it at the real refresh logic.
import { followFamily } from "./jwt-refresh.js";
import { t } from "./strings.js";
import { postJson } from "./token.js";

const $ = (selector) => document.querySelector(selector);

function say(text, kind = "") {
  const line = $("[data-thief-result]");
  line.textContent = text;
  line.className = kind;
}

async function copy() {
  const { response, body } = await postJson("/jwt/api/auth/thief/copy");
  if (response === null) return say(t("thief.unreachable"), "failed");
  if (!response.ok) return say(t("thief.copy_refused", { reason: body.reason ?? body.message ?? "" }), "failed");
  $("[data-thief-use]").disabled = false;
  say(t("thief.copied", { n: body.number }), "done");
}

async function use() {
  const { response, body } = await postJson("/jwt/api/auth/thief/use");
  if (response === null) return say(t("thief.unreachable"), "failed");
  if (!response.ok) {
    $("[data-thief-use]").disabled = true;
    return say(body.message ?? "", "failed");
  }
  $("[data-thief-use]").disabled = true; // spent or refused, the server deleted the copy
  if (body.status === 200) say(t("thief.first"), "done");
  else say(t("thief.refused", { reason: body.body?.reason ?? "" }), "failed");
  // The family as it is now, and whether this page may still refresh by itself.
  await followFamily();
}

$("[data-thief-copy]")?.addEventListener("click", copy);
$("[data-thief-use]")?.addEventListener("click", use);
