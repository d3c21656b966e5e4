// Marks the steps of a drawn flow that a server trace says were taken (or refused), with their
// measured times and the note screen readers hear, and writes the figures of a trace.
import { ms, plural, t } from "./strings.js";

export function markFlow(flowKey, trace, caption) {
  const flow = document.querySelector(`[data-flow="${flowKey}"]`);
  if (!flow) return;
  const byKey = new Map((trace?.steps ?? []).map((step) => [step.key, step]));
  for (const item of flow.querySelectorAll("[data-step]")) {
    const step = byKey.get(item.dataset.step);
    item.classList.toggle("done", Boolean(step) && !step.failed);
    item.classList.toggle("failed", Boolean(step?.failed));
    const measure = item.querySelector("[data-measure]");
    if (measure) {
      const bits = [];
      if (step && typeof step.ms === "number") bits.push(`${ms(step.ms)} ms`);
      if (step?.detail) bits.push(step.detail);
      measure.textContent = bits.join(" · ");
    }
    const note = item.querySelector("[data-step-note]");
    if (note) note.textContent = step?.failed ? t("flow.note.refused") : step ? t("flow.note.taken") : "";
  }
  setCaption(flowKey, caption);
}

// Mark every step of a flow as done before this page: the token's issuing, for instance.
export function markAllDone(flowKey, note, caption) {
  const flow = document.querySelector(`[data-flow="${flowKey}"]`);
  if (!flow) return;
  for (const item of flow.querySelectorAll("[data-step]")) {
    item.classList.add("done");
    const target = item.querySelector("[data-step-note]");
    if (target) target.textContent = note;
  }
  setCaption(flowKey, caption);
}

// Step 1 of the JWT flow names the Authorization header, as the study note does. A token kept
// in the HttpOnly cookie travels otherwise, and the step says so while it does.
const headerLabels = new Map();

export function labelTokenStep(flowKey, source) {
  const label = document.querySelector(`[data-flow="${flowKey}"] [data-step="token"] .step-label`);
  if (!label) return;
  if (!headerLabels.has(label)) headerLabels.set(label, label.textContent);
  label.textContent = source === "cookie" ? t("flow.token.cookie") : headerLabels.get(label);
}

export function clearFlow(flowKey, caption = "") {
  markFlow(flowKey, null, caption);
}

function setCaption(flowKey, caption) {
  if (caption === undefined) return;
  const target = document.querySelector(`[data-flow="${flowKey}"] [data-flow-caption]`);
  if (target) target.textContent = caption;
}

export function failedStep(trace) {
  return (trace?.steps ?? []).find((step) => step.failed) ?? null;
}

// One line: "Auth 0.182 ms · no session store lookup · all SQL, store included: 0 reads, 0 writes."
export function describeTrace(trace) {
  if (!trace) return "";
  const { sql, store } = trace;
  return t("trace.line", {
    ms: ms(trace.auth_ms),
    store: store.kind
      ? t("trace.store", { kind: store.name, reads: plural("count.reads", store.reads) })
      : t("trace.no_store"),
    reads: plural("count.reads", sql.reads),
    writes: plural("count.writes", sql.writes),
  });
}

// The same figures as the session profile's summary list, one <div><dt><dd> per line.
export function fillTraceSummary(list, request, trace) {
  if (!list || !trace) return;
  const { sql, store } = trace;
  const auth = trace.authenticated ? "summary.auth" : "summary.auth.refused";
  const rows = [
    [t(auth, { request }), `${ms(trace.auth_ms)} ms`],
    [
      t("summary.store"),
      store.kind ? `${store.name}: ${plural("count.reads", store.reads)}` : t("summary.store.none"),
    ],
    [
      t("summary.sql"),
      `${plural("count.reads", sql.reads)}, ${plural("count.writes", sql.writes)} (${ms(sql.ms)} ms)`,
    ],
  ];
  for (const [term, value] of rows) {
    const div = document.createElement("div");
    div.append(
      Object.assign(document.createElement("dt"), { textContent: term }),
      Object.assign(document.createElement("dd"), { textContent: value }),
    );
    list.append(div);
  }
}
