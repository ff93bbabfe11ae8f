// The adaptive master pool target (sql/515_pool_sizing.sql) on constructed assignment histories:
// quiet, rising, bursty, and a burst within a busy hour; clamped to its bounds; switched on and
// off by an admin, and refused for any mode but fixed and adaptive.
import { beforeAll, beforeEach, describe, expect, test } from "vitest";
import { graphql, tokenFor, useTestApp } from "./support/app.ts";
import { useTestDatabase } from "./support/database.ts";

const database = useTestDatabase("pool_sizing");
const server = useTestApp(database, { worker: false });

// A fixed instant (a Wednesday, 09:30 UTC), so that the hours of the day are known.
const AT = "2026-12-02T09:30:00Z";

/** Creations `count` of them, `spacingSeconds` apart from `from` on. */
const creations = (from: string, count: number, spacingSeconds: number) =>
  database.query(
    `insert into app_public.pool_assignments (source, pool_created_at, pool_age, assignment_ms, assigned_at)
     select 'master', t - interval '1 hour', interval '1 hour', 5, t
       from (select $1::timestamptz + make_interval(secs => n * $3::double precision) as t from generate_series(0, $2::int - 1) as n) as times`,
    [from, count, spacingSeconds],
  );
const target = async (at = AT, refillSeconds = 6) =>
  (await database.query<{ target: number }>("select app_private.adaptive_pool_target($1, $2) as target", [at, refillSeconds]))[0]!.target;

beforeAll(async () => {
  await database.query(
    "select app_private.set_setting('pool_min_ready', '2'), app_private.set_setting('pool_target_max', '50'), app_private.set_setting('pool_safety_factor', '1.5')",
  );
});

describe("the adaptive rule", () => {
  beforeEach(() => database.query("delete from app_public.pool_assignments"));

  test("quiet: no history, or a creation now and then, asks for pool_min_ready", async () => {
    expect(await target()).toBe(2);
    await creations("2026-12-01T09:10:00Z", 6, 600);
    expect(await target()).toBe(2);
  });

  test("rising: the busiest refill window of this hour over the week, times the safety factor", async () => {
    await creations("2026-11-28T09:05:00Z", 4, 1);
    await creations("2026-12-01T09:40:00Z", 10, 0.5);
    // Yesterday 10 within 5 s, inside one 6 s refill window: 10 × 1.5.
    expect(await target()).toBe(15);
    // A refill of 2 s covers 5 of them.
    expect(await target(AT, 2)).toBe(8);
  });

  test("burst: a busy next hour raises the target before it starts; other hours and older weeks do not count", async () => {
    await creations("2026-11-30T10:00:00Z", 100, 0.6);
    // 100 within a minute at 10:00 two days ago: 11 in a 6 s window (both ends in), seen from
    // 09:30 because the next hour counts: ceil(11 × 1.5).
    expect(await target()).toBe(17);
    // From 12:30, neither 12:00 nor 13:00 saw it.
    expect(await target("2026-12-02T12:30:00Z")).toBe(2);
    // Six days later it is still in the trailing week; eight days later it is not.
    expect(await target("2026-12-06T09:30:00Z")).toBe(17);
    expect(await target("2026-12-08T09:30:00Z")).toBe(2);
  });

  test("burst in a busy hour: the 99th percentile, not the maximum, so one burst does not hold the pool high all week", async () => {
    // Yesterday 09:00-10:00 a creation every 3 s (3 within a 6 s refill window, both ends in),
    // and once 10 within a second.
    await creations("2026-12-01T09:00:00Z", 1200, 3);
    await creations("2026-12-01T09:20:00.1Z", 10, 0.1);
    expect(await target()).toBe(Math.ceil(3 * 1.5));
    // The same burst in a quiet hour is more than 1 % of it and counts.
    await database.query("delete from app_public.pool_assignments");
    await creations("2026-12-01T09:20:00.1Z", 10, 0.1);
    expect(await target()).toBe(15);
  });

  test("clamped to pool_target_max", async () => {
    await creations("2026-12-01T09:00:00Z", 200, 0.01);
    expect(await target()).toBe(50);
  });
});

describe("pool_target_mode", () => {
  const SET_MODE = `mutation ($mode: String!) { setPoolTargetMode(input: { mode: $mode }) { result } }`;
  let admin: string;
  let user: string;
  beforeAll(async () => {
    admin = await tokenFor(database, "admin@example.com", { admin: true });
    user = await tokenFor(database, "user@example.com");
  });
  const settings = () =>
    database.query("select name, value from app_private.settings where name in ('pool_target_mode', 'pool_adaptive_target') order by name");

  test("adaptive: the monitor's target is the pool's; fixed again: the admin's", async () => {
    await database.query("delete from app_public.pool_assignments");
    await database.query("select app_private.set_setting('pool_target_size', '7')");
    const adaptive = await graphql(server.url, SET_MODE, { token: admin, variables: { mode: "adaptive" } });
    expect(adaptive.errors).toBeUndefined();
    expect(adaptive.data.setPoolTargetMode.result.master).toMatchObject({ target: 2, target_mode: "adaptive" });
    // A week ago, a minute later in the day than now (by the database's clock): this hour or the next.
    const [{ from }] = (await database.query<{ from: string }>(
      "select (now() - interval '7 days' + interval '1 minute')::text as from",
    )) as [{ from: string }];
    await creations(from, 20, 0.1);
    await database.query("select app_private.monitor_pools()");
    expect((await database.query("select app_private.pool_target_size() as target"))[0]).toEqual({ target: 30 });

    const fixed = await graphql(server.url, SET_MODE, { token: admin, variables: { mode: "fixed" } });
    expect(fixed.data.setPoolTargetMode.result.master).toMatchObject({ target: 7, target_mode: "fixed" });
  });

  test("any other mode is refused, naming the two, and nothing changes; only admins may set it", async () => {
    const before = await settings();
    const refused = await graphql(server.url, SET_MODE, { token: admin, variables: { mode: "predictive" } });
    expect(refused.errors?.[0]).toMatchObject({
      message: "pool_target_mode is fixed or adaptive (got 'predictive')",
      extensions: { code: "CE209" },
    });
    for (const token of [user, undefined]) {
      expect((await graphql(server.url, SET_MODE, { token, variables: { mode: "adaptive" } })).errors?.[0]?.extensions).toMatchObject({
        code: "42501",
      });
    }
    expect(await settings()).toEqual(before);
  });
});

describe("pool analytics", () => {
  test("idle campaign-hours per day: each snapshot's waiting campaigns until the next one, for 5 minutes at most", async () => {
    await database.query("delete from app_public.pool_metrics");
    // Yesterday: 60 master and user pool campaigns waiting for a minute, then 6 for two hours
    // without a snapshot (the monitor stopped: 5 minutes count), then none.
    await database.query(
      `insert into app_public.pool_metrics (recorded_at, master_ready, master_target, user_pools, assignments_today, pool_hits_today, replenishments_today)
       select date_trunc('day', now(), 'UTC') - interval '1 day' + interval '1 hour' + at, ready, 60, users, 0, 0, 0
         from (values (interval '0 seconds', 50, 10), (interval '60 seconds', 6, 0), (interval '2 hours 60 seconds', 0, 0)) as s(at, ready, users)`,
    );
    const [{ days }] = (await database.query("select app_private.pool_metrics_daily(2) as days")) as [
      { days: { idle_campaign_hours: number }[] },
    ];
    expect(days.map((day) => day.idle_campaign_hours)).toEqual([1.5]);
  });
});
