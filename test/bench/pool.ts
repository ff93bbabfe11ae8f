// Campaign pool benchmark: createCampaign through the real app's HTTP GraphQL endpoint (startApp:
// Koa + PostGraphile + the graphile-worker that `npm start` runs), each creation by a fresh user
// (users inserted in SQL, tokens signed here with the app's secret). A fresh user has no user pool
// campaign of their own, so every creation is a hand-over from the master pool or is seeded inline.
// Each creation enqueues replenish_pool jobs (master and the user's own pool) that the app's worker
// runs meanwhile, competing with the requests for the machine, as in production.
//   (a) single      BENCH_SINGLE (default 200) creations one after another; the master pool holds
//                   that many + 10 beforehand;
//   (b) burst       BENCH_BURST (default 100) creations sent at once; the master pool holds as many;
//   (c) inline      the same burst with pools switched off: every campaign is seeded inline;
//   (d) sustained   BENCH_CLIENTS (default 4) clients creating back to back for BENCH_SUSTAIN_S
//                   (default 10) s; master pool target 50, filled first.
//   (e) WAL         BENCH_WAL (default 50) hand-overs one after another with replenishment held
//                   back (its jobs wait and are then removed): the WAL they write, per hand-over;
//   (f) read        one campaign's schticks (643 with the real template) with createdAt and
//                   updatedAt through GraphQL, BENCH_READS (default 50) times: p50 and p99;
//                   alternating with the same read of four plain columns (rowId name category
//                   path) instead: the reference, measured in the same run, that reading two
//                   stored timestamps cost before content times were derived.
// content_bytes_per_campaign: pg_total_relation_size of the content tables over the campaigns.
// Before each part the replenish_pool queue is drained and the master pool trimmed or filled to
// exactly its size (then vacuumed), so the parts do not leak into each other. Latency is the
// client's (request sent → response read); db_* is pool_assignments.assignment_ms (time inside
// create_campaign up to its audit row: without enqueueing and commit); a reference row times an
// authenticated `{ __typename }`: HTTP, authentication and GraphQL without the database function.
// Hit rate: the share of creations not seeded inline; seeded_master / seeded_user: pool campaigns
// the worker seeded during the part. all_done: first request sent → last response read.
// Duplicates: a campaign id returned twice, or a campaign with two pool_assignments rows. GraphQL
// errors count as failures and are printed. The client runs in the app's process, as in tests.
//   npm run bench -- pool
import { type Kysely, sql } from "kysely";
import { signToken } from "../../src/auth/jwt.ts";
import { createKysely, type DB } from "../../src/db/kysely.ts";
import { startBenchApp } from "../support/bench-app.ts";
import { drainReplenishment, fillMasterPool } from "../support/bench-pool.ts";
import { prepareDatabase } from "../support/prepared-database.ts";

const SINGLE = Number(process.env.BENCH_SINGLE || 200);
const BURST = Number(process.env.BENCH_BURST || 100);
const CLIENTS = Number(process.env.BENCH_CLIENTS || 4);
const SUSTAIN_S = Number(process.env.BENCH_SUSTAIN_S || 10);
const SUSTAINED_TARGET = 50;
const WAL_HANDOVERS = Number(process.env.BENCH_WAL || 50);
const READS = Number(process.env.BENCH_READS || 50);
const READ_SCHTICKS = `query ($id: UUID!) { campaignByRowId(rowId: $id) { schticksByCampaignId { totalCount nodes { rowId name createdAt updatedAt } } } }`;
const READ_SCHTICKS_REFERENCE = `query ($id: UUID!) { campaignByRowId(rowId: $id) { schticksByCampaignId { totalCount nodes { rowId name category path } } } }`;
const WARM_UP = 5;
/** Fresh users for the sustained part; more than it can use on this kind of machine. */
const SUSTAINED_USERS = 5_000;
const JWT_SECRET = "bench-secret-that-is-long-enough-for-hs256";
const CREATE = `mutation ($name: String!) { createCampaign(input: {name: $name, description: "bench"}) { result { rowId } } }`;

interface Creation {
  ms: number;
  campaignId?: string;
  error?: string;
}

/** One part's creations, and when it ran by the database's clock. */
interface Part {
  creations: Creation[];
  from: Date;
  to: Date;
}

const percentile = (values: number[], p: number) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const round = (value: number) => Math.round(value * 100) / 100;

async function setSetting(db: Kysely<DB>, name: string, value: string): Promise<void> {
  await sql`select app_private.set_setting(${name}, ${value}::jsonb)`.execute(db);
}

/** `count` new users, each with a token; none has a pool campaign of their own yet. */
async function freshUsers(db: Kysely<DB>, label: string, count: number): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    insert into app_public.users (email)
    select ${label} || '-' || n || '@bench.localhost' from generate_series(1, ${count}::int) as n
    returning id
  `.execute(db);
  return Promise.all(rows.map((row) => signToken({ sub: row.id, is_admin: false }, JWT_SECRET, "1h")));
}

async function post(url: string, token: string, query: string, variables?: Record<string, unknown>) {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/graphql-response+json, application/json",
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: { message: string }[] } };
}

async function createCampaign(url: string, token: string, name: string): Promise<Creation> {
  const started = performance.now();
  try {
    const { status, body } = await post(url, token, CREATE, { name });
    const ms = performance.now() - started;
    const campaignId: string | undefined = body.data?.createCampaign?.result?.rowId;
    if (body.errors?.length || !campaignId) {
      return { ms, error: `HTTP ${status}: ${body.errors?.map((error) => error.message).join("; ") || "no rowId in the response"}` };
    }
    return { ms, campaignId };
  } catch (error) {
    return { ms: performance.now() - started, error: (error as Error).message };
  }
}

async function databaseNow(db: Kysely<DB>): Promise<Date> {
  const {
    rows: [now],
  } = await sql<{ now: Date }>`select clock_timestamp() as now`.execute(db);
  return now!.now;
}

/** Runs one part's creations, noting its time window for summarise. */
async function part(db: Kysely<DB>, create: () => Promise<Creation[]>): Promise<Part> {
  const from = await databaseNow(db);
  const creations = await create();
  return { creations, from, to: await databaseNow(db) };
}

/**
 * Distribution and hit rate of one part's creations (`pool_assignments` supplies db time and
 * source), and how many pool campaigns the worker seeded meanwhile, per pool.
 */
async function summarise(db: Kysely<DB>, { creations, from, to }: Part) {
  const ids = creations.flatMap((creation) => (creation.campaignId ? [creation.campaignId] : []));
  const { rows: assignments } = await sql<{ source: string; assignment_ms: string }>`
    select source, assignment_ms from app_public.pool_assignments where campaign_id = any(${ids}::uuid[])
  `.execute(db);
  const {
    rows: [seeded],
  } = await sql<{ master: number; user: number }>`
    select (count(*) filter (where pool_type = 'master'))::int as master, (count(*) filter (where pool_type = 'user'))::int as user
      from app_public.campaigns where pool_created_at between ${from} and ${to}
  `.execute(db);
  const ms = creations.map((creation) => creation.ms);
  const dbMs = assignments.map((row) => Number(row.assignment_ms));
  const hits = assignments.filter((row) => row.source !== "inline").length;
  return {
    creations: creations.length,
    failures: creations.filter((creation) => creation.error).length,
    p50_ms: round(percentile(ms, 50)),
    p90_ms: round(percentile(ms, 90)),
    p99_ms: round(percentile(ms, 99)),
    max_ms: round(Math.max(...ms)),
    db_p50_ms: round(percentile(dbMs, 50)),
    db_p99_ms: round(percentile(dbMs, 99)),
    hit_rate: round(hits / Math.max(1, assignments.length)),
    hits,
    seeded_master: seeded!.master,
    seeded_user: seeded!.user,
  };
}

async function burst(db: Kysely<DB>, url: string, tokens: string[], label: string) {
  let allDoneMs = 0;
  const result = await part(db, async () => {
    const started = performance.now();
    const creations = await Promise.all(tokens.map((token, i) => createCampaign(url, token, `${label} ${i}`)));
    allDoneMs = performance.now() - started;
    return creations;
  });
  return { ...result, allDoneMs };
}

async function sustained(db: Kysely<DB>, url: string, tokens: string[]) {
  let seconds = 0;
  const result = await part(db, async () => {
    const creations: Creation[] = [];
    let next = 0;
    const started = performance.now();
    const deadline = started + SUSTAIN_S * 1000;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (performance.now() < deadline && next < tokens.length) {
          const i = next++;
          creations.push(await createCampaign(url, tokens[i]!, `sustained ${i}`));
        }
      }),
    );
    seconds = (performance.now() - started) / 1000;
    return creations;
  });
  return { ...result, perSecond: result.creations.filter((creation) => creation.campaignId).length / seconds };
}

/** WAL written by `count` hand-overs one after another, with no refill running meanwhile. */
async function walPerHandover(db: Kysely<DB>, url: string, count: number): Promise<number> {
  await fillMasterPool(db, count);
  const tokens = await freshUsers(db, "wal", count);
  // Target 0: the pool monitor's minute finds nothing missing; creations' own refills wait an hour.
  await setSetting(db, "pool_target_size", "0");
  await setSetting(db, "pool_replenish_delay_seconds", "3600");
  const {
    rows: [before],
  } = await sql<{ lsn: string }>`select pg_current_wal_lsn()::text as lsn`.execute(db);
  for (const [i, token] of tokens.entries()) {
    const creation = await createCampaign(url, token, `wal ${i}`);
    if (creation.error) throw new Error(`hand-over for the WAL part failed: ${creation.error}`);
  }
  const {
    rows: [written],
  } = await sql<{ bytes: string }>`select pg_wal_lsn_diff(pg_current_wal_lsn(), ${before!.lsn}::pg_lsn)::bigint as bytes`.execute(db);
  // Back to the default, whatever the database says it is: "a missing row is the default".
  await sql`delete from app_private.settings where name = 'pool_replenish_delay_seconds'`.execute(db);
  // The refills held back are not part of any measurement: gone, and the next part fills its pool.
  await sql`select graphile_worker.remove_job(key) from graphile_worker.jobs where task_identifier = 'replenish_pool' and locked_at is null`.execute(
    db,
  );
  return Number(written!.bytes) / count;
}

/**
 * Reads one campaign's schticks through GraphQL `count` times with their times and `count` times
 * with the reference's columns, alternately (after one unmeasured read of each), so that both see
 * the same machine.
 */
async function readSchticks(url: string, token: string, campaignId: string, count: number) {
  const times = { shown: [] as number[], reference: [] as number[] };
  let schticks = 0;
  for (let i = 0; i <= count; i++) {
    for (const [kind, query] of [
      ["shown", READ_SCHTICKS],
      ["reference", READ_SCHTICKS_REFERENCE],
    ] as const) {
      const started = performance.now();
      const { body } = await post(url, token, query, { id: campaignId });
      if (body.errors?.length) throw new Error(`reading schticks failed: ${body.errors.map((error) => error.message).join("; ")}`);
      if (i > 0) times[kind].push(performance.now() - started);
      schticks = body.data.campaignByRowId.schticksByCampaignId.totalCount;
    }
  }
  return {
    schticks,
    p50_ms: round(percentile(times.shown, 50)),
    p99_ms: round(percentile(times.shown, 99)),
    reference_p50_ms: round(percentile(times.reference, 50)),
  };
}

/** On-disk size of the content tables (with indexes and TOAST), per campaign. */
async function contentBytesPerCampaign(db: Kysely<DB>): Promise<number> {
  const {
    rows: [size],
  } = await sql<{ bytes: string; campaigns: number }>`
    select (select sum(pg_total_relation_size(('app_public.' || quote_ident(name))::regclass)) from unnest(app_private.content_tables()) as name)::bigint as bytes,
           (select count(*)::int from app_public.campaigns) as campaigns
  `.execute(db);
  return Math.round(Number(size!.bytes) / size!.campaigns);
}

// graphile-worker logs every completed job at INFO (console.info): thousands of lines would bury
// the tables. Warnings and errors still show.
console.info = () => {};

const prepared = await prepareDatabase("campaign_engine_bench_pool", "bench");
const db = createKysely(prepared.url);
const app = await startBenchApp(prepared.url, JWT_SECRET);
let appRunning = true;
try {
  await setSetting(db, "campaign_rate_limit", "100000");
  await setSetting(db, "pools_enabled", "true");

  console.log(`(a) ${SINGLE} creations one at a time, master pool filled to ${SINGLE + 10}...`);
  // Warm-up: PostGraphile plans the operation and the connections open (not measured).
  const warmUp: Creation[] = [];
  for (const [i, token] of (await freshUsers(db, "warm-up", WARM_UP)).entries())
    warmUp.push(await createCampaign(app.url, token, `warm-up ${i}`));
  const referenceToken = (await freshUsers(db, "reference", 1))[0]!;
  const reference: number[] = [];
  for (let i = 0; i < SINGLE; i++) {
    const started = performance.now();
    await post(app.url, referenceToken, "{ __typename }");
    reference.push(performance.now() - started);
  }
  await fillMasterPool(db, SINGLE + 10);
  const singleTokens = await freshUsers(db, "single", SINGLE);
  const single = await part(db, async () => {
    const creations: Creation[] = [];
    for (const [i, token] of singleTokens.entries()) creations.push(await createCampaign(app.url, token, `single ${i}`));
    return creations;
  });

  console.log(`(b) a burst of ${BURST} simultaneous creations, master pool filled to ${BURST}...`);
  const burstTokens = await freshUsers(db, "burst", BURST);
  await fillMasterPool(db, BURST);
  const pooledBurst = await burst(db, app.url, burstTokens, "burst");

  console.log(`(c) the same burst with pools switched off (seeded inline)...`);
  const inlineTokens = await freshUsers(db, "inline", BURST);
  await drainReplenishment(db);
  await setSetting(db, "pools_enabled", "false");
  const inlineBurst = await burst(db, app.url, inlineTokens, "inline");
  await setSetting(db, "pools_enabled", "true");

  console.log(`(d) ${CLIENTS} clients creating back to back for ${SUSTAIN_S} s, master pool target ${SUSTAINED_TARGET}...`);
  const sustainedTokens = await freshUsers(db, "sustained", SUSTAINED_USERS);
  await fillMasterPool(db, SUSTAINED_TARGET);
  const steady = await sustained(db, app.url, sustainedTokens);

  console.log(`(e) ${WAL_HANDOVERS} hand-overs one at a time with replenishment held back: their WAL...`);
  const walBytes = await walPerHandover(db, app.url, WAL_HANDOVERS);

  console.log(`(f) one campaign's schticks with createdAt and updatedAt through GraphQL, ${READS} times...`);
  const read = await readSchticks(app.url, singleTokens[0]!, single.creations[0]!.campaignId!, READS);
  // Stopped before the report, so that the JSON line stays the last one.
  appRunning = false;
  await app.stop();

  const parts = {
    "(a) single": await summarise(db, single),
    "(b) burst, pooled": { ...(await summarise(db, pooledBurst)), all_done_ms: round(pooledBurst.allDoneMs) },
    "(c) burst, inline": { ...(await summarise(db, inlineBurst)), all_done_ms: round(inlineBurst.allDoneMs) },
    "(d) sustained": { ...(await summarise(db, steady)), per_s: round(steady.perSecond) },
    "reference: { __typename }": {
      creations: reference.length,
      p50_ms: round(percentile(reference, 50)),
      p90_ms: round(percentile(reference, 90)),
      p99_ms: round(percentile(reference, 99)),
      max_ms: round(Math.max(...reference)),
    },
  };
  console.table(parts);

  const all = [...warmUp, ...single.creations, ...pooledBurst.creations, ...inlineBurst.creations, ...steady.creations];
  const errors = new Map<string, number>();
  for (const { error } of all) if (error) errors.set(error, (errors.get(error) ?? 0) + 1);
  for (const [message, count] of errors) console.log(`failed ${count}×: ${message}`);

  const ids = all.flatMap((creation) => (creation.campaignId ? [creation.campaignId] : []));
  const returnedTwice = ids.length - new Set(ids).size;
  const {
    rows: [assignedTwice],
  } = await sql<{ campaigns: number }>`
    select count(*)::int as campaigns from (
      select campaign_id from app_public.pool_assignments group by campaign_id having count(*) > 1) as twice
  `.execute(db);
  if (returnedTwice + assignedTwice!.campaigns > 0) {
    console.log(`duplicates: ${returnedTwice} campaign ids returned twice, ${assignedTwice!.campaigns} campaigns assigned twice`);
  }

  const pooled = [parts["(a) single"], parts["(b) burst, pooled"], parts["(d) sustained"]];
  console.log(
    JSON.stringify({
      bench: "pool",
      single_p50_ms: parts["(a) single"].p50_ms,
      single_p99_ms: parts["(a) single"].p99_ms,
      burst: BURST,
      burst_p99_ms: parts["(b) burst, pooled"].p99_ms,
      burst_all_done_ms: parts["(b) burst, pooled"].all_done_ms,
      inline_burst_all_done_ms: parts["(c) burst, inline"].all_done_ms,
      per_s: parts["(d) sustained"].per_s,
      pool_hit_rate: round(
        pooled.reduce((sum, part) => sum + part.hits, 0) / pooled.reduce((sum, part) => sum + part.creations - part.failures, 0),
      ),
      duplicates: returnedTwice + assignedTwice!.campaigns,
      wal_bytes_per_assignment: Math.round(walBytes),
      content_bytes_per_campaign: await contentBytesPerCampaign(db),
      schticks_read: read.schticks,
      schticks_read_p50_ms: read.p50_ms,
      schticks_read_p99_ms: read.p99_ms,
      schticks_read_reference_p50_ms: read.reference_p50_ms,
      postgres: prepared.embedded ? "embedded" : "server",
    }),
  );
} finally {
  if (appRunning) await app.stop();
  await db.destroy();
  await prepared.close();
}
