// Real-time benchmark: BENCH_SUBSCRIBERS (default 1,000; or `npm run bench -- realtime <subscribers>
// [<events>]`) clients follow one marketer's campaigns over the campaigns manager's event stream
// (server-sent events from the app's single LISTEN connection), as many browsers would; then
// BENCH_EVENTS (default 50) changes are committed, one every 100 ms, each to another campaign of
// the marketer. The clients run in BENCH_CLIENT_PROCESSES processes of their own (default one per
// 5,000), so they share neither the server's event loop nor its file descriptors; their CPU time
// is reported. Latency is commit → client: from just before COMMIT is sent to the moment a client
// has read the event (one machine, one clock). Delivered: events read / events expected
// (subscribers × changes). Server memory per stream: the growth of this process's RSS (the
// server's) while the streams opened, divided by the streams. Pools are switched off, so that no
// seeding competes. Also times the stats a page re-reads on each event
// (app_public.marketer_campaigns for 100 campaigns, as a member: row-level security applies).
//   npm run bench -- realtime [subscribers] [events]
import { type ChildProcess, fork } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { signToken } from "../../src/auth/jwt.ts";
import { actAs } from "../../src/auth/pg-settings.ts";
import { startBenchApp } from "../support/bench-app.ts";
import { prepareDatabase } from "../support/prepared-database.ts";

const SUBSCRIBERS = Number(process.argv[3] || process.env.BENCH_SUBSCRIBERS || 1_000);
const EVENTS = Number(process.argv[4] || process.env.BENCH_EVENTS || 50);
const CLIENT_PROCESSES = Number(process.env.BENCH_CLIENT_PROCESSES || Math.max(1, Math.ceil(SUBSCRIBERS / 5_000)));
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

const CLIENTS_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "support", "event-stream-clients.ts");
const maxOf = (values: number[]) => values.reduce((max, value) => Math.max(max, value), Number.NEGATIVE_INFINITY);

/** The next message of `type` from a client process (an error message rejects). */
const messageOf = (child: ChildProcess, type: string) =>
  new Promise<any>((resolve, reject) => {
    const onMessage = (message: any) => {
      if (message.type !== type) return;
      child.off("message", onMessage);
      resolve(message);
    };
    child.on("message", onMessage);
    child.once("exit", (code) => reject(new Error(`an event stream client process exited (${code})`)));
  });

console.info = () => {};
const prepared = await prepareDatabase("campaign_engine_bench_realtime", "bench");
const owner = new pg.Client({ connectionString: prepared.url });
await owner.connect();
// Pools off: seeding pool campaigns as the app starts would compete with what is measured here.
await owner.query("select app_private.set_setting('pools_enabled', 'false')");
const app = await startBenchApp(prepared.url, JWT_SECRET);
const clients: ChildProcess[] = [];
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

  console.log(`${SUBSCRIBERS} subscribers connecting, from ${CLIENT_PROCESSES} client processes...`);
  // After a full collection when the runner exposes it (npm run bench does): what the streams hold,
  // not the garbage their opening left.
  const collect = () => (globalThis as { gc?: () => void }).gc?.();
  collect();
  const { rss: rssBefore, heapUsed: heapBefore } = process.memoryUsage();
  const url = `${app.url}/campaigns/events?marketerId=${marketer!.id}`;
  const connectStarted = performance.now();
  for (let i = 0; i < CLIENT_PROCESSES; i++) {
    const count = Math.floor(SUBSCRIBERS / CLIENT_PROCESSES) + (i < SUBSCRIBERS % CLIENT_PROCESSES ? 1 : 0);
    const child = fork(CLIENTS_SCRIPT, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    clients.push(child);
    child.send({ type: "start", url, token, count });
  }
  const settled = await Promise.all(clients.map((child) => messageOf(child, "ready")));
  const connectMs = performance.now() - connectStarted;
  const refused = settled.reduce((sum, client) => sum + client.refused, 0);
  const open = settled.reduce((sum, client) => sum + client.open, 0);
  if (refused > 0) console.log(`refused: ${JSON.stringify(settled.map((client) => client.refusedStatuses))}`);
  collect();
  const { rss: rssAfter, heapUsed: heapAfter } = process.memoryUsage();
  const rssPerStreamKb = open > 0 ? (rssAfter - rssBefore) / 1024 / open : Number.NaN;
  const heapPerStreamKb = open > 0 ? (heapAfter - heapBefore) / 1024 / open : Number.NaN;

  console.log(`${EVENTS} changes, one every 100 ms...`);
  const committedAt: Record<string, number> = {};
  for (let i = 0; i < EVENTS; i++) {
    const campaignId = campaigns[i % CAMPAIGNS]!.id;
    await owner.query("begin");
    await owner.query("update app_public.campaigns set description = $2 where id = $1", [campaignId, `change ${i}`]);
    committedAt[campaignId] = now();
    await owner.query("commit");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const reports = await Promise.all(
    clients.map((child) => {
      const report = messageOf(child, "report");
      child.send({ type: "report", committedAt });
      return report;
    }),
  );
  const latencies = reports.flatMap((report) => report.latencies as number[]);
  const clientCpuMs = reports.reduce((sum, report) => sum + report.cpuMs, 0);

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
      max_ms: round(maxOf(latencies)),
      all_connected_ms: round(connectMs),
      refused,
      server_rss_per_stream_kb: round(rssPerStreamKb),
      server_heap_per_stream_kb: round(heapPerStreamKb),
      client_processes: CLIENT_PROCESSES,
      client_cpu_ms: round(clientCpuMs),
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
      refused,
      server_rss_per_stream_kb: round(rssPerStreamKb),
      client_cpu_ms: round(clientCpuMs),
      stats_100_campaigns_p50_ms: round(percentile(statsMs, 50)),
      stats_100_campaigns_p99_ms: round(percentile(statsMs, 99)),
      postgres: prepared.embedded ? "embedded" : "server",
    }),
  );
} finally {
  for (const child of clients) child.kill();
  await app.stop();
  await owner.end();
  await prepared.close();
}
