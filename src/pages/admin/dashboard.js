// The admin dashboard in the browser. Live without polling: it listens to /admin/events first,
// and on `ready` (first connection and every reconnect) and on every pool or timers event it
// reads /admin/data again (one read at a time; events arriving meanwhile cause one more read).
// Quick actions are the GraphQL admin mutations, sent with the session cookie.
/* global uPlot */
import { coalescedReads } from "./coalesced-reads.js";

const $ = (selector) => document.querySelector(selector);

// ---- formatting -----------------------------------------------------------------------------

function duration(seconds) {
  if (seconds == null) return "–";
  const units = [
    ["d", 86_400],
    ["h", 3_600],
    ["min", 60],
    ["s", 1],
  ];
  const parts = [];
  let rest = Math.max(0, Math.round(seconds));
  for (const [unit, size] of units) {
    if (rest >= size || (unit === "s" && parts.length === 0)) {
      parts.push(`${Math.floor(rest / size)} ${unit}`);
      rest %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(" ");
}

const time = (iso) => (iso ? new Date(iso).toLocaleString() : "–");
const secondsSince = (iso) => (Date.now() - Date.parse(iso)) / 1000;

function row(cells, className = "") {
  const tr = document.createElement("tr");
  if (className) tr.className = className;
  for (const cell of cells) {
    const td = document.createElement("td");
    td.textContent = cell ?? "–";
    tr.append(td);
  }
  return tr;
}

function fillTable(selector, rows, empty) {
  if (!rows.length) {
    const td = document.createElement("td");
    td.colSpan = document.querySelectorAll(`${selector} thead th`).length;
    td.textContent = empty;
    const tr = document.createElement("tr");
    tr.append(td);
    rows = [tr];
  }
  $(`${selector} tbody`).replaceChildren(...rows);
}

// ---- charts (uPlot) -------------------------------------------------------------------------

const charts = new Map();

const DAY = 86_400;

/** The chart's time axis always spans its whole window (`days`), however few points there are. */
function chart(id, days, series, { bars = false, percent = false } = {}) {
  const element = document.getElementById(id);
  const options = {
    width: element.clientWidth || 320,
    height: 180,
    legend: { live: false },
    scales: {
      x: {
        time: true,
        range: () => {
          const now = Date.now() / 1000;
          return [days === 1 ? now - DAY : Math.floor(now / DAY) * DAY - (days - 1) * DAY, now + (bars ? DAY / 2 : 0)];
        },
      },
      // Counts start at zero; shares span 0–100 %.
      ...(bars ? { y: { range: (_plot, _min, max) => [0, Math.max(1, max)] } } : {}),
      ...(percent ? { y: { range: [0, 100] } } : {}),
    },
    series: [
      {},
      ...series.map(([label, stroke]) => ({
        label,
        stroke,
        width: 2,
        ...(bars ? { fill: `${stroke}99`, paths: uPlot.paths.bars({ size: [0.6, 40] }) } : {}),
      })),
    ],
    axes: [{}, { size: 50 }],
  };
  const plot = new uPlot(options, [[], ...series.map(() => [])], element);
  new ResizeObserver(() => plot.setSize({ width: element.clientWidth, height: 180 })).observe(element);
  charts.set(id, plot);
  return plot;
}

const seconds = (iso) => Date.parse(iso) / 1000;

function drawCharts(data) {
  const assignments24h = data.last_24h.assignments;
  charts
    .get("chart-assignments-24h")
    .setData([assignments24h.map((b) => seconds(b.at)), assignments24h.map((b) => b.p50_ms), assignments24h.map((b) => b.p99_ms)]);
  const pool24h = data.last_24h.pool;
  charts
    .get("chart-pool-24h")
    .setData([pool24h.map((b) => seconds(b.at)), pool24h.map((b) => b.master_ready), pool24h.map((b) => b.master_target)]);
  charts
    .get("chart-pool-share-24h")
    .setData([assignments24h.map((b) => seconds(b.at)), assignments24h.map((b) => Math.round((100 * b.pool_hits) / b.assignments))]);
  // Both 30-day charts share the days of pool_metrics and of the audit rows.
  const days = [...new Set([...data.last_30d.days.map((d) => d.day), ...data.last_30d.assignments.map((d) => d.at)].map(seconds))].sort(
    (a, b) => a - b,
  );
  const byDay = (list, key) => new Map(list.map((item) => [seconds(item[key]), item]));
  const metrics = byDay(data.last_30d.days, "day");
  const audit = byDay(data.last_30d.assignments, "at");
  charts
    .get("chart-times-30d")
    .setData([
      days,
      days.map((d) => audit.get(d)?.p50_ms ?? null),
      days.map((d) => audit.get(d)?.p99_ms ?? null),
      days.map((d) => metrics.get(d)?.avg_seeding_ms ?? null),
    ]);
  charts
    .get("chart-counts-30d")
    .setData([
      days,
      days.map((d) => audit.get(d)?.assignments ?? metrics.get(d)?.assignments ?? 0),
      days.map((d) => metrics.get(d)?.replenishments ?? 0),
    ]);
  charts.get("chart-idle-30d").setData([days, days.map((d) => metrics.get(d)?.idle_campaign_hours ?? 0)]);
}

// ---- rendering ------------------------------------------------------------------------------

function render(data) {
  const { master, user_pools: userPools, health, enabled, target_max: targetMax, template_version: version } = data.pool;
  $("#master-ready").textContent = String(master.ready);
  $("#master-target").textContent = `of a target of ${master.target}${master.target_mode === "adaptive" ? " (adaptive)" : ""}`;
  $("#template-version").textContent = version == null ? "–" : `v${version}`;
  $("#template-current").textContent = `${master.on_current_version} of ${master.ready} ready carry it`;
  $("#being-created").textContent = String(master.being_created);
  $("#oldest-age").textContent = duration(master.oldest_age_seconds);
  $("#user-pools").textContent = String(userPools.users);
  $("#user-pools-total").textContent = `users with a pool (${userPools.total} campaigns)`;
  $("#health").textContent = health.status;
  $("#health-reason").textContent = health.reason;
  $("#health-card").dataset.status = health.status;
  const input = $("#target-input");
  input.max = String(targetMax);
  if (document.activeElement !== input) input.value = String(master.target);
  const toggle = $("#toggle-pools");
  toggle.textContent = enabled ? "Switch pools off" : "Switch pools on";
  toggle.dataset.enabled = String(enabled);

  const days = data.last_30d.assignments;
  const total = days.reduce((sum, d) => sum + d.assignments, 0);
  const hits = days.reduce((sum, d) => sum + d.pool_hits, 0);
  $("#pool-share").textContent = total ? `${Math.round((100 * hits) / total)} %` : "–";
  $("#pool-share-detail").textContent = `${hits} of ${total} creations; ${total - hits} seeded inline`;
  const today = data.last_30d.days.at(-1);
  const isToday = today && seconds(data.generated_at) - seconds(today.day) < DAY;
  $("#idle-today").textContent = isToday ? `${today.idle_campaign_hours} h` : "–";

  fillTable(
    "#assignments",
    data.recent_assignments.map((a) =>
      row([
        a.campaign_name ?? "(deleted)",
        a.source,
        time(a.pool_created_at),
        time(a.activated_at),
        a.source === "inline" ? "–" : duration(a.waited_seconds),
        `${Number(a.assignment_ms).toFixed(1)} ms`,
      ]),
    ),
    "No campaign created yet.",
  );

  const timers = data.timers;
  $("#timer-counts").textContent =
    `${timers.pending} pending · ${timers.overdue} overdue · ${timers.running} running · ${timers.failed} failed`;
  fillTable(
    "#timers",
    [
      ...timers.stuck_list.map((t) =>
        row(
          [
            t.type,
            t.campaign_id,
            t.status === "PENDING" ? "overdue" : "stuck running",
            `${duration(t.overdue_seconds)} late`,
            t.retries,
            t.last_error,
          ],
          "stuck",
        ),
      ),
      ...timers.failed_list.map((t) => row([t.type, t.campaign_name, "failed", time(t.scheduled_at), t.retries, t.last_error], "failed")),
    ],
    "No overdue or failed timer.",
  );

  fillTable(
    "#alerts",
    data.alerts.map((a) =>
      row(
        [a.severity, a.kind, a.message, duration(secondsSince(a.raised_at)), a.resolved_at ? `resolved ${time(a.resolved_at)}` : "open"],
        a.resolved_at ? "resolved" : `open ${a.severity.toLowerCase()}`,
      ),
    ),
    "No alert.",
  );

  drawCharts(data);
}

// ---- live data ------------------------------------------------------------------------------

const refresh = coalescedReads(async () => {
  const response = await fetch("/admin/data", { cache: "no-store" });
  if (response.status === 401 || response.status === 403) return location.reload();
  if (!response.ok) throw new Error(`/admin/data answered ${response.status}`);
  render(await response.json());
});

function setLive(state, text) {
  $("#live").dataset.state = state;
  $("#live").textContent = text;
}

function listen() {
  const events = new EventSource("/admin/events");
  // `ready` comes once the server listens: read the snapshot now, and after every reconnect.
  events.addEventListener("ready", () => {
    refresh().then(
      () => setLive("live", "live"),
      (error) => setLive("error", error.message),
    );
  });
  for (const channel of ["pool", "timers"]) events.addEventListener(channel, () => refresh().catch(() => {}));
  events.addEventListener("error", () => setLive("connecting", "reconnecting…"));
  // The server ended the stream for good (admin rights withdrawn, token expired): say why, stop.
  events.addEventListener("end", (message) => {
    events.close();
    setLive("error", JSON.parse(message.data).message);
  });
}

// ---- quick actions --------------------------------------------------------------------------

async function mutate(query, variables, done) {
  const message = $("#action-message");
  message.textContent = "…";
  message.dataset.kind = "pending";
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json, application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors?.length) {
    message.textContent = body.errors[0].message;
    message.dataset.kind = "error";
    return;
  }
  message.textContent = done;
  message.dataset.kind = "ok";
}

function wireActions() {
  $("#replenish").addEventListener("click", () =>
    mutate("mutation { replenishPools(input: {}) { result } }", {}, "Replenishment started."),
  );
  $("#target-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const size = Number($("#target-input").value);
    mutate("mutation ($size: Int!) { setPoolTarget(input: { size: $size }) { result } }", { size }, `Target set to ${size}.`);
  });
  $("#toggle-pools").addEventListener("click", () => {
    const enable = $("#toggle-pools").dataset.enabled !== "true";
    const question = enable
      ? "Switch pools on? Creations will be served from the pools again."
      : "Switch pools off? Every campaign will be seeded inline until they are switched on again.";
    if (!confirm(question)) return;
    mutate(
      "mutation ($enabled: Boolean!) { setPoolsEnabled(input: { enabled: $enabled }) { result } }",
      { enabled: enable },
      enable ? "Pools switched on." : "Pools switched off.",
    );
  });
  $("#recover-timers").addEventListener("click", () => mutate("mutation { recoverTimers(input: {}) { result } }", {}, "Timers recovered."));
  $("#sign-out").addEventListener("click", async () => {
    await fetch("/admin/session", { method: "DELETE" });
    location.reload();
  });
}

chart("chart-assignments-24h", 1, [
  ["p50", "#2563eb"],
  ["p99", "#dc2626"],
]);
chart("chart-pool-24h", 1, [
  ["ready", "#16a34a"],
  ["target", "#9ca3af"],
]);
chart("chart-times-30d", 30, [
  ["assignment p50", "#2563eb"],
  ["assignment p99", "#dc2626"],
  ["seeding avg", "#d97706"],
]);
chart(
  "chart-counts-30d",
  30,
  [
    ["assignments", "#2563eb"],
    ["replenishments", "#16a34a"],
  ],
  { bars: true },
);
chart("chart-pool-share-24h", 1, [["from a pool", "#16a34a"]], { percent: true });
chart("chart-idle-30d", 30, [["campaign-hours", "#d97706"]], { bars: true });
wireActions();
listen();
