// Pages benchmark: how long the two pages take to load with a realistic history behind them,
// through the real app (startApp: Koa, PostGraphile and the worker, as `npm start` runs them).
//   admin      /admin and /admin/data together, as the browser asks for them, with a year of pool
//              metrics (one snapshot a minute: 525,600 rows) and 36,500 assignments (100 a day);
//   campaigns  /campaigns and its GraphQL read (marketerCampaigns) together, for a member of a
//              marketer with 100 campaigns.
// Each is loaded BENCH_LOADS (default 30) times one after the other, after 3 loads to warm up;
// latency is the client's, from the first request sent to the last body read. The client runs in
// the app's process, as in tests. Target: p99 under 500 ms for both.
//   npm run bench -- pages
import { sql } from "kysely";
import { signToken } from "../../src/auth/jwt.ts";
import { createKysely } from "../../src/db/kysely.ts";
import { startBenchApp } from "../support/bench-app.ts";
import { writeYearOfPoolHistory } from "../support/pool-history.ts";
import { prepareDatabase } from "../support/prepared-database.ts";

const LOADS = Number(process.env.BENCH_LOADS || 30);
const WARM_UP = 3;
const TARGET_P99_MS = 500;
const JWT_SECRET = "pages-bench-secret-that-is-long-enough-for-hs256";

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const round = (value: number) => Math.round(value * 100) / 100;

/** `load` LOADS times after WARM_UP; each load checks what it read, so a failure is not timed as a success. */
async function timed(load: () => Promise<void>): Promise<number[]> {
  for (let i = 0; i < WARM_UP; i++) await load();
  const ms: number[] = [];
  for (let i = 0; i < LOADS; i++) {
    const started = performance.now();
    await load();
    ms.push(performance.now() - started);
  }
  return ms;
}

function check(condition: boolean, what: string) {
  if (!condition) throw new Error(`the page did not load as it should: ${what}`);
}

const prepared = await prepareDatabase("campaign_engine_bench_pages", "bench");
const db = createKysely(prepared.url);
const app = await startBenchApp(prepared.url, JWT_SECRET);
try {
  const {
    rows: [admin, member],
  } = await sql<{ id: string }>`
    insert into app_public.users (email, is_admin) values ('admin@bench.localhost', true), ('member@bench.localhost', false)
    returning id`.execute(db);
  const adminCookie = `campaign_engine_token=${await signToken({ sub: admin!.id, is_admin: true }, JWT_SECRET, "1h")}`;
  const memberToken = await signToken({ sub: member!.id, is_admin: false }, JWT_SECRET, "1h");

  console.log("seeding a year of pool metrics, 36,500 assignments and a marketer with 100 campaigns...");
  await writeYearOfPoolHistory((statement) => sql.raw(statement).execute(db));
  const {
    rows: [marketer],
  } = await sql<{ id: string }>`insert into app_public.marketers (name) values ('Bench Co') returning id`.execute(db);
  await sql`insert into app_public.marketer_members (marketer_id, user_id) values (${marketer!.id}, ${member!.id})`.execute(db);
  await sql`
    insert into app_public.campaigns (user_id, marketer_id, name)
    select ${member!.id}, ${marketer!.id}, 'Campaign ' || n from generate_series(1, 100) as n`.execute(db);
  await sql`analyze app_public.campaigns`.execute(db);

  const adminMs = await timed(async () => {
    const [page, data] = await Promise.all([
      fetch(`${app.url}/admin`, { headers: { cookie: adminCookie } }),
      fetch(`${app.url}/admin/data`, { headers: { cookie: adminCookie } }),
    ]);
    const [html, body] = await Promise.all([page.text(), data.json() as Promise<{ last_30d?: { days?: unknown[] } }>]);
    check(page.status === 200 && html.length > 0, `/admin answered ${page.status}`);
    check((body.last_30d?.days?.length ?? 0) >= 30, "/admin/data has fewer than 30 days");
  });
  const campaignsMs = await timed(async () => {
    const [page, data] = await Promise.all([
      fetch(`${app.url}/campaigns`, { headers: { cookie: `campaign_engine_token=${memberToken}` } }),
      fetch(`${app.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${memberToken}` },
        body: JSON.stringify({ query: "query ($id: UUID!) { marketerCampaigns(marketerId: $id) }", variables: { id: marketer!.id } }),
      }),
    ]);
    const [html, body] = await Promise.all([page.text(), data.json() as Promise<{ data?: { marketerCampaigns?: unknown[] } }>]);
    check(page.status === 200 && html.includes('<table id="campaigns">'), `/campaigns answered ${page.status}`);
    check(body.data?.marketerCampaigns?.length === 100, "marketerCampaigns did not list the 100 campaigns");
  });

  const result = {
    bench: "pages",
    loads: LOADS,
    admin_year_p50_ms: round(percentile(adminMs, 50)),
    admin_year_p99_ms: round(percentile(adminMs, 99)),
    campaigns_100_p50_ms: round(percentile(campaignsMs, 50)),
    campaigns_100_p99_ms: round(percentile(campaignsMs, 99)),
    postgres: prepared.embedded ? "embedded" : "server",
  };
  console.table({
    "admin, a year of metrics": { p50_ms: result.admin_year_p50_ms, p99_ms: result.admin_year_p99_ms },
    "campaigns, 100 campaigns": { p50_ms: result.campaigns_100_p50_ms, p99_ms: result.campaigns_100_p99_ms },
  });
  const missed = [
    ...(result.admin_year_p99_ms < TARGET_P99_MS ? [] : [`admin p99 ${result.admin_year_p99_ms} ms is not under ${TARGET_P99_MS} ms`]),
    ...(result.campaigns_100_p99_ms < TARGET_P99_MS
      ? []
      : [`campaigns p99 ${result.campaigns_100_p99_ms} ms is not under ${TARGET_P99_MS} ms`]),
  ];
  console.log(missed.length ? `targets missed:\n  ${missed.join("\n  ")}` : "all targets met");
  console.log(JSON.stringify(result));
} finally {
  await app.stop();
  await db.destroy();
  await prepared.close();
}
