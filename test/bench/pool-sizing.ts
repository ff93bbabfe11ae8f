// Pool sizing benchmark: a synthetic week of creations replayed against a model of the master pool,
// with fixed targets 3, 10 and 30 and with the adaptive target (sql/515_pool_sizing.sql), which the
// model asks the real SQL rule for every simulated minute, as the pool monitor does.
//   week      creations as a Poisson process: a day-night curve peaking at 20:00 UTC with
//             BENCH_PEAK_PER_MINUTE (default 30) and a night of a thirtieth of that, Saturday
//             twice as busy (the weekly peak), and three unannounced bursts of 100 within a
//             minute (Tuesday 03:17, Thursday 13:42, Sunday 21:05);
//   history   the week before, the same curve without the bursts, as pool_assignments rows;
//   refill    as replenish_pool does it: a creation enqueues one job pool_replenish_delay_seconds
//             later unless one is waiting; the job seeds one campaign after another until the pool
//             holds its target; the monitor refills at once every minute when the pool is short.
//             One seeding takes the time measured in this run: BENCH_SEEDINGS (default 20) real
//             app_private.add_pool_campaign calls, whose seeding_duration_ms also feed the rule's
//             refill time (app_private.pool_refill_seconds);
//   measured  hit_rate: the share of the week's creations served from the pool (the rest are
//             seeded inline); idle_campaign_hours: seeded campaigns waiting, integrated over the
//             week.
// Target: adaptive serves at least 99 % from the pool, with fewer idle campaign-hours than the
// smallest fixed target that also reaches 99 %.
//   npm run bench -- pool-sizing
import pg from "pg";
import { prepareDatabase } from "../support/prepared-database.ts";
import { seededRandom } from "../support/random.ts";

const PEAK_PER_MINUTE = Number(process.env.BENCH_PEAK_PER_MINUTE || 30);
const SEEDINGS = Number(process.env.BENCH_SEEDINGS || 20);
const FIXED_TARGETS = [3, 10, 30];
const MINUTE = 60;
const HOUR = 3600;
const DAY = 86_400;
const WEEK = 7 * DAY;
/** The replayed week starts on a Monday, 00:00 UTC; the history is the week before. */
const WEEK_START = Date.parse("2026-11-02T00:00:00Z") / 1000;
const BURSTS = [
  { day: 1, at: "03:17" },
  { day: 3, at: "13:42" },
  { day: 6, at: "21:05" },
];
const BURST_SIZE = 100;

/** Creations per second at `t` (seconds since the epoch). */
function rate(t: number) {
  const hour = (((t % DAY) + DAY) % DAY) / HOUR;
  const evening = ((1 + Math.cos((2 * Math.PI * (hour - 20)) / 24)) / 2) ** 3;
  const night = PEAK_PER_MINUTE / 30;
  const saturday = Math.floor((t - WEEK_START + 2 * WEEK) / DAY) % 7 === 5 ? 2 : 1;
  return ((night + (PEAK_PER_MINUTE - night) * evening) * saturday) / MINUTE;
}

/** A Poisson process of `rate` over [from, until), by thinning. */
function creationsBetween(from: number, until: number, next: () => number) {
  const maxRate = (2 * PEAK_PER_MINUTE) / MINUTE;
  const times: number[] = [];
  const gap = () => -Math.log(1 - next()) / maxRate;
  for (let t = from + gap(); t < until; t += gap()) {
    if (next() < rate(t) / maxRate) times.push(t);
  }
  return times;
}

function burstTimes() {
  return BURSTS.flatMap(({ day, at }) => {
    const [hours, minutes] = at.split(":").map(Number);
    const start = WEEK_START + day * DAY + hours! * HOUR + minutes! * MINUTE;
    return Array.from({ length: BURST_SIZE }, (_, i) => start + (i * MINUTE) / BURST_SIZE);
  });
}

interface Outcome {
  hit_rate: number;
  idle_campaign_hours: number;
}

/**
 * The master pool through the week: creations take a ready campaign or are seeded inline, and
 * replenish_pool refills it, one seeding at a time. `targetAt` is asked every minute (the
 * monitor) with the refills pending then.
 */
async function replay(
  creations: number[],
  { delaySeconds, seedSeconds }: { delaySeconds: number; seedSeconds: number },
  targetAt: (t: number, pending: number) => Promise<number>,
): Promise<Outcome> {
  const end = WEEK_START + WEEK;
  let target = await targetAt(WEEK_START, 0);
  let ready = target;
  let waitingJobAt: number | null = null;
  let seedingDoneAt: number | null = null;
  let hits = 0;
  let idleSeconds = 0;
  let now = WEEK_START;
  let nextTick = WEEK_START + MINUTE;
  let next = 0;

  const startSeeding = (t: number) => {
    seedingDoneAt = ready < target ? t + seedSeconds : null;
  };
  for (;;) {
    const jobStart: number | null = seedingDoneAt === null ? waitingJobAt : null;
    const at = Math.min(creations[next] ?? Infinity, nextTick, jobStart ?? Infinity, seedingDoneAt ?? Infinity);
    if (at >= end) break;
    idleSeconds += ready * (at - now);
    now = at;
    if (at === seedingDoneAt) {
      ready += 1;
      startSeeding(at);
    } else if (at === jobStart) {
      waitingJobAt = null;
      startSeeding(at);
    } else if (at === creations[next]) {
      next += 1;
      if (ready > 0) {
        ready -= 1;
        hits += 1;
      }
      waitingJobAt ??= at + delaySeconds;
    } else {
      target = await targetAt(at, target - ready);
      if (ready < target) waitingJobAt = at;
      nextTick += MINUTE;
    }
  }
  idleSeconds += ready * (end - now);
  return { hit_rate: Math.round((hits / creations.length) * 10_000) / 10_000, idle_campaign_hours: Math.round(idleSeconds / HOUR) };
}

async function insertHistory(client: pg.Client, times: number[]) {
  for (let i = 0; i < times.length; i += 50_000) {
    await client.query(
      `insert into app_public.pool_assignments (source, pool_created_at, pool_age, assignment_ms, assigned_at)
       select 'master', to_timestamp(t) - interval '1 minute', interval '1 minute', 5, to_timestamp(t) from unnest($1::float8[]) as t`,
      [times.slice(i, i + 50_000)],
    );
  }
  await client.query("vacuum analyze app_public.pool_assignments");
}

const prepared = await prepareDatabase("campaign_engine_bench_pool_sizing", "bench");
const client = new pg.Client({ connectionString: prepared.url });
await client.connect();
try {
  console.log(`seeding ${SEEDINGS} pool campaigns to measure the seeding time...`);
  await client.query(`select app_private.set_setting('pool_target_size', to_jsonb($1::int))`, [SEEDINGS]);
  for (let i = 0; i < SEEDINGS; i++) await client.query("select app_private.add_pool_campaign('master')");
  const {
    rows: [measured],
  } = await client.query<{ seed_ms: number; delay_s: number; min_ready: number; max: number; safety: number }>(
    `select avg(seeding_duration_ms)::float8 as seed_ms, app_private.setting('pool_replenish_delay_seconds', '5')::float8 as delay_s,
            app_private.pool_min_ready() as min_ready, app_private.pool_target_max() as max,
            app_private.setting('pool_safety_factor', '1.5')::float8 as safety
       from app_public.campaigns where is_pool`,
  );
  const model = { delaySeconds: measured!.delay_s, seedSeconds: measured!.seed_ms / 1000 };

  const next = seededRandom(2026);
  const history = creationsBetween(WEEK_START - WEEK, WEEK_START, next);
  const week = [...creationsBetween(WEEK_START, WEEK_START + WEEK, next), ...burstTimes()].sort((a, b) => a - b);
  console.log(
    `a week of ${week.length} creations (${history.length} the week before), seeding ${measured!.seed_ms.toFixed(1)} ms, ` +
      `refill delay ${model.delaySeconds} s; adaptive: min ${measured!.min_ready}, max ${measured!.max}, safety ${measured!.safety}`,
  );
  await insertHistory(client, [...history, ...week]);

  const fixed: (Outcome & { target: number })[] = [];
  for (const target of FIXED_TARGETS) fixed.push({ target, ...(await replay(week, model, async () => target)) });

  const adaptiveTargets: number[] = [];
  let sqlMs = 0;
  const adaptive = await replay(week, model, async (t, pending) => {
    const started = performance.now();
    const { rows } = await client.query<{ target: number }>(
      "select app_private.adaptive_pool_target(to_timestamp($1), app_private.pool_refill_seconds($2)) as target",
      [t, Math.max(0, pending)],
    );
    sqlMs += performance.now() - started;
    adaptiveTargets.push(rows[0]!.target);
    return rows[0]!.target;
  });
  const sortedTargets = adaptiveTargets.toSorted((a, b) => a - b);

  console.table({
    ...Object.fromEntries(fixed.map(({ target, ...outcome }) => [`fixed ${target}`, outcome])),
    adaptive: {
      ...adaptive,
      target_min: sortedTargets[0],
      target_median: sortedTargets[Math.floor(sortedTargets.length / 2)],
      target_max: sortedTargets.at(-1),
    },
  });
  console.log(`the adaptive rule took ${(sqlMs / adaptiveTargets.length).toFixed(2)} ms a call (${adaptiveTargets.length} calls)`);
  const smallestFixedAt99 = fixed.find((outcome) => outcome.hit_rate >= 0.99);
  const met = adaptive.hit_rate >= 0.99 && (!smallestFixedAt99 || adaptive.idle_campaign_hours < smallestFixedAt99.idle_campaign_hours);
  console.log(
    `target ${met ? "met" : "NOT met"}: adaptive ${(adaptive.hit_rate * 100).toFixed(2)} % from the pool, ${adaptive.idle_campaign_hours} idle campaign-hours` +
      (smallestFixedAt99
        ? `; fixed ${smallestFixedAt99.target}: ${smallestFixedAt99.idle_campaign_hours}`
        : "; no fixed target reaches 99 %"),
  );
  console.log(
    JSON.stringify({
      bench: "pool-sizing",
      creations: week.length,
      seeding_ms: Math.round(measured!.seed_ms * 100) / 100,
      fixed,
      adaptive,
      adaptive_rule_ms: Math.round((sqlMs / adaptiveTargets.length) * 100) / 100,
    }),
  );
} finally {
  await client.end();
  await prepared.close();
}
