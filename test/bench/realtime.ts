// Real-time benchmark: BENCH_SUBSCRIBERS (default 1,000) clients follow one marketer's campaigns
// over the campaigns manager's event stream (server-sent events from the app's single LISTEN
// connection), as many browsers would; then BENCH_EVENTS (default 50) changes are committed, one
// every 100 ms, each to another campaign of the marketer. Latency is commit → client: from just
// before COMMIT is sent to the moment a client has read the event (both clocks are this process's:
// the clients run in a worker thread, the app in the main one). Delivered: events read / events
// expected (subscribers × changes). Pools are switched off, so that no seeding competes. Also
// times the stats a page re-reads on each event (app_public.marketer_campaigns for 100
// campaigns, as a member: row-level security applies).
//   npm run bench -- realtime
import { Worker } from "node:worker_threads";
import pg from "pg";
import { signToken } from "../../src/auth/jwt.ts";
import { actAs } from "../../src/auth/pg-settings.ts";
import { startBenchApp } from "../support/bench-app.ts";
import { prepareDatabase } from "../support/prepared-database.ts";

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS || 1_000);
const EVENTS = Number(process.env.BENCH_EVENTS || 50);
const CAMPAIGNS = 100;
const STATS_RUNS = 100;
const JWT_SECRET = "bench-secret-that-is-long-enough-for-hs256";
// Every subscriber is the same member: the per-user cap on open streams must let them all in.
process.env.STREAMS_PER_USER ??= String(SUBSCRIBERS);

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
};
const round = (value: number) => Math.round(value * 100) / 100;
const now = () => performance.timeOrigin + performance.now();

// The subscribers: each opens the stream, waits for `ready`, and notes when it reads each event.
// Plain node:http, as lean as a browser's EventSource, so the clients' own cost stays small.
const SUBSCRIBERS_SOURCE = `
const http = require("node:http");
const { parentPort, workerData } = require("node:worker_threads");
const { url, token, count } = workerData;
const now = () => performance.timeOrigin + performance.now();
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
const received = [];
let ready = 0;
function follow() {
  http.get(url, { agent, headers: { authorization: "Bearer " + token } }, (response) => {
    if (response.statusCode !== 200) return parentPort.postMessage({ type: "error", message: "event stream answered " + response.statusCode });
    response.setEncoding("utf8");
    let buffer = "";
    response.on("data", (chunk) => {
      const at = now();
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf("\\n\\n")) !== -1) {
        // Stored events come with their cursor as a first line, "id: <cursor>".
        const block = buffer.slice(0, end);
        const message = block.startsWith("id: ") ? block.slice(block.indexOf("\\n") + 1) : block;
        buffer = buffer.slice(end + 2);
        if (message.startsWith("event: ready")) {
          if (++ready === count) parentPort.postMessage({ type: "ready" });
        } else if (message.startsWith("event: marketer:")) {
          const id = message.slice(message.indexOf('"campaign_id":"') + 15, message.indexOf('"campaign_id":"') + 51);
          received.push([id, at]);
        }
      }
    });
  }).on("error", (error) => parentPort.postMessage({ type: "error", message: error.message }));
}
for (let i = 0; i < count; i++) follow();
parentPort.on("message", (message) => { if (message === "report") parentPort.postMessage({ type: "report", received }); });
`;

console.info = () => {};
const prepared = await prepareDatabase("campaign_engine_bench_realtime", "bench");
const owner = new pg.Client({ connectionString: prepared.url });
await owner.connect();
// Pools off: seeding pool campaigns as the app starts would compete with what is measured here.
await owner.query("select app_private.set_setting('pools_enabled', 'false')");
const app = await startBenchApp(prepared.url, JWT_SECRET);
let subscribers: Worker | undefined;
try {
  const {
    rows: [member],
  } = await owner.query<{ id: string }>("insert into app_public.users (email) values ('member@bench.localhost') returning id");
  const {
    rows: [marketer],
  } = await owner.query<{ id: string }>("insert into app_public.marketers (name) values ('Bench marketer') returning id");
  await owner.query("insert into app_public.marketer_members (marketer_id, user_id) values ($1, $2)", [marketer!.id, member!.id]);
  const { rows: campaigns } = await owner.query<{ id: string }>(
    `insert into app_public.campaigns (user_id, marketer_id, name)
     select $1, $2, 'Campaign ' || n from generate_series(1, ${CAMPAIGNS}) as n returning id`,
    [member!.id, marketer!.id],
  );
  const token = await signToken({ sub: member!.id, is_admin: false }, JWT_SECRET, "1h");

  console.log(`${SUBSCRIBERS} subscribers connecting...`);
  subscribers = new Worker(SUBSCRIBERS_SOURCE, {
    eval: true,
    workerData: { url: `${app.url}/campaigns/events?marketerId=${marketer!.id}`, token, count: SUBSCRIBERS },
  });
  const fromSubscribers = (type: string) =>
    new Promise<any>((resolve, reject) => {
      const onMessage = (message: any) => {
        if (message.type === "error") reject(new Error(message.message));
        else if (message.type === type) {
          subscribers!.off("message", onMessage);
          resolve(message);
        }
      };
      subscribers!.on("message", onMessage);
    });
  const connectStarted = performance.now();
  await fromSubscribers("ready");
  const connectMs = performance.now() - connectStarted;

  console.log(`${EVENTS} changes, one every 100 ms...`);
  const committedAt = new Map<string, number>();
  for (let i = 0; i < EVENTS; i++) {
    const campaignId = campaigns[i % CAMPAIGNS]!.id;
    await owner.query("begin");
    await owner.query("update app_public.campaigns set description = $2 where id = $1", [campaignId, `change ${i}`]);
    committedAt.set(campaignId, now());
    await owner.query("commit");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  subscribers.postMessage("report");
  const { received } = (await fromSubscribers("report")) as { received: [string, number][] };
  const latencies = received.filter(([id]) => committedAt.has(id)).map(([id, at]) => at - committedAt.get(id)!);

  // The stats a page re-reads on each event, as a member.
  const statsMs: number[] = [];
  await owner.query("begin");
  await actAs(owner, { sub: member!.id, is_admin: false });
  for (let i = 0; i < STATS_RUNS; i++) {
    const started = performance.now();
    const {
      rows: [row],
    } = await owner.query<{ campaigns: unknown[] }>("select app_public.marketer_campaigns($1) as campaigns", [marketer!.id]);
    statsMs.push(performance.now() - started);
    if (row!.campaigns.length !== CAMPAIGNS) throw new Error(`the member sees ${row!.campaigns.length} campaigns, not ${CAMPAIGNS}`);
  }
  await owner.query("rollback");

  const expected = SUBSCRIBERS * Math.min(EVENTS, CAMPAIGNS);
  console.table({
    "commit → client": {
      subscribers: SUBSCRIBERS,
      events: EVENTS,
      delivered: latencies.length,
      expected,
      p50_ms: round(percentile(latencies, 50)),
      p90_ms: round(percentile(latencies, 90)),
      p99_ms: round(percentile(latencies, 99)),
      max_ms: round(Math.max(...latencies)),
      all_connected_ms: round(connectMs),
    },
    [`stats of ${CAMPAIGNS} campaigns`]: {
      events: STATS_RUNS,
      p50_ms: round(percentile(statsMs, 50)),
      p90_ms: round(percentile(statsMs, 90)),
      p99_ms: round(percentile(statsMs, 99)),
    },
  });
  console.log(
    JSON.stringify({
      bench: "realtime",
      subscribers: SUBSCRIBERS,
      p50_ms: round(percentile(latencies, 50)),
      p99_ms: round(percentile(latencies, 99)),
      delivered_ratio: round(latencies.length / expected),
      events: EVENTS,
      stats_100_campaigns_p50_ms: round(percentile(statsMs, 50)),
      stats_100_campaigns_p99_ms: round(percentile(statsMs, 99)),
      postgres: prepared.embedded ? "embedded" : "server",
    }),
  );
} finally {
  await subscribers?.terminate();
  await app.stop();
  await owner.end();
  await prepared.close();
}
