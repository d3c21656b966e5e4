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

export function describeTrace(trace) {
  if (!trace) return "";
  const sql = trace.sql;
  const store = trace.store.kind ? `${trace.store.kind} store: ${trace.store.reads} reads` : "no store lookup";
  return `Auth cost ${trace.auth_ms.toFixed(3)} ms · ${store} · SQL: ${sql.reads} reads, ${sql.writes} writes.`;
}
