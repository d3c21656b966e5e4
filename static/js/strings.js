// The words this page's JavaScript writes, as the page provides them (app/page_strings.py),
// and the number, time and duration formats of the page's language.

const block = document.getElementById("page-strings");
const strings = block ? JSON.parse(block.textContent) : {};
export const lang = document.documentElement.lang || "en";
const plurals = new Intl.PluralRules(lang);

function fill(template, params) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

// t("pill.jwt.verified", { username: "alice" }) → "JWT: alice"
export function t(key, params = {}) {
  const value = strings[key];
  if (typeof value !== "string") return key;
  return fill(value, params);
}

// tParts("x", { path: codeNode }) → ["Request: ", codeNode, "."]: placeholders may be DOM nodes.
// A node named twice is copied, since one node can stand in one place only.
export function tParts(key, params = {}) {
  const value = strings[key];
  if (typeof value !== "string") return [key];
  const used = new Set();
  return value
    .split(/(\{\w+\})/)
    .filter((piece) => piece !== "")
    .map((piece) => {
      const name = piece.match(/^\{(\w+)\}$/)?.[1];
      if (!name || !(name in params)) return piece;
      const part = params[name];
      if (!(part instanceof Node)) return part;
      const placed = used.has(name) ? part.cloneNode(true) : part;
      used.add(name);
      return placed;
    });
}

// plural("count.reads", 2) → "2 reads", with the plural rules of the page's language.
export function plural(key, n, params = {}) {
  const forms = strings[key];
  if (!forms || typeof forms !== "object") return `${n}`;
  const form = forms[plurals.select(n)] ?? forms.other;
  return fill(form, { ...params, n });
}

// duration(899) → "14 minutes, 59 seconds"
export function duration(totalSeconds) {
  const seconds = Math.max(0, Math.round(totalSeconds));
  const parts = {
    hours: Math.floor(seconds / 3600),
    minutes: Math.floor((seconds % 3600) / 60),
    seconds: seconds % 60,
  };
  if (typeof Intl.DurationFormat === "function") {
    return new Intl.DurationFormat(lang, { style: "long" }).format(parts);
  }
  const unit = (value, name) =>
    new Intl.NumberFormat(lang, { style: "unit", unit: name, unitDisplay: "long" }).format(value);
  const shown = [];
  if (parts.hours) shown.push(unit(parts.hours, "hour"));
  if (parts.minutes) shown.push(unit(parts.minutes, "minute"));
  if (parts.seconds || shown.length === 0) shown.push(unit(parts.seconds, "second"));
  // Joined as the language joins units: "14 minutes, 59 seconds", "14분 59초".
  return new Intl.ListFormat(lang, { type: "unit", style: "long" }).format(shown);
}

// Every time the pages show, in UTC and in the page's language, as the server writes them.
const timeFormat = new Intl.DateTimeFormat(lang, {
  dateStyle: "medium",
  timeStyle: "medium",
  timeZone: "UTC",
});

export function utcTime(seconds) {
  if (typeof seconds !== "number" || !Number.isFinite(seconds)) return "—";
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime())) return "—";
  return `${timeFormat.format(date)} UTC`;
}

// Sent with every fetch, so the server answers in the page's language even where no cookie
// goes along (the JWT calls omit them on purpose).
export const languageHeaders = { "Accept-Language": lang };

export function ms(value) {
  return typeof value === "number" ? value.toFixed(3) : "?";
}
