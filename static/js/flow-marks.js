// Marks the steps of a drawn flow that a server trace says were taken, with their measured times.

export function markFlow(flowKey, trace) {
  const flow = document.querySelector(`[data-flow="${flowKey}"]`);
  if (!flow || !trace) return;
  const byKey = new Map(trace.steps.map((step) => [step.key, step]));
  for (const item of flow.querySelectorAll("[data-step]")) {
    const step = byKey.get(item.dataset.step);
    item.classList.toggle("done", Boolean(step));
    const measure = item.querySelector("[data-measure]");
    if (measure) {
      const bits = [];
      if (step && typeof step.ms === "number") bits.push(`${step.ms.toFixed(3)} ms`);
      if (step && step.detail) bits.push(step.detail);
      measure.textContent = bits.join(" · ");
    }
  }
}

const plural = (count, word) => `${count} ${word}${count === 1 ? "" : "s"}`;

// One line: "Auth 0.182 ms · no session store lookup · all SQL: 0 reads, 0 writes."
export function describeTrace(trace) {
  if (!trace) return "";
  const { sql, store } = trace;
  const storePart = store.kind
    ? `session store (${store.kind}): ${plural(store.reads, "read")}`
    : "no session store lookup";
  return `Auth ${trace.auth_ms.toFixed(3)} ms · ${storePart} · all SQL, store included: ${plural(sql.reads, "read")}, ${plural(sql.writes, "write")}.`;
}

// The same figures as the session profile's summary list, one <div><dt><dd> per line.
export function fillTraceSummary(list, label, trace) {
  if (!list || !trace) return;
  const { sql, store } = trace;
  const rows = [
    [`${label}: auth cost`, `${trace.auth_ms.toFixed(3)} ms`],
    ["Session store", store.kind ? `${store.kind}: ${plural(store.reads, "read")}` : "none: no lookup"],
    ["All SQL, store included", `${plural(sql.reads, "read")}, ${plural(sql.writes, "write")} (${sql.ms.toFixed(3)} ms)`],
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
