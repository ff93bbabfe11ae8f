// The campaign pool in SQL, as the API's visitor role runs it: hand-over, inline fallback,
// replenishment, the monitor, limits and the admin operations.
import pg from "pg";
import { beforeAll, beforeEach, describe, expect, test } from "vitest";
import { asUser, createUser, type TestUser } from "./support/as-user.ts";
import { backdateByAWeek } from "./support/backdate.ts";
import { masterTemplateId, rowCounts } from "./support/content.ts";
import { useTestDatabase } from "./support/database.ts";

const database = useTestDatabase("pool");

interface Campaign {
  id: string;
  user_id: string;
  marketer_id: string | null;
  name: string;
  is_pool: boolean;
  pool_type: string | null;
  created_at: Date;
  updated_at: Date;
  activated_at: Date | null;
  pool_created_at: Date;
}

let alice: TestUser, bob: TestUser, admin: TestUser, templateCounts: Record<string, number>;

beforeAll(async () => {
  alice = await createUser(database, "alice@example.com");
  bob = await createUser(database, "bob@example.com");
  admin = await createUser(database, "admin@example.com", { admin: true });
  templateCounts = await rowCounts(database, await masterTemplateId(database));
});

// Every test starts with empty pools, default settings and no history.
beforeEach(async () => {
  await database.query(`
    delete from app_public.campaigns where is_pool or pool_type is not null;
    delete from app_public.pool_assignments;
    delete from app_public.pool_metrics;
    delete from app_public.alerts;
    delete from app_private.settings;
    delete from graphile_worker._private_jobs;
  `);
});

const createCampaign = async (user: TestUser, name = "My campaign", description = "", marketerId: string | null = null) =>
  (await asUser<Campaign>(database, user, "select * from app_public.create_campaign($1, $2, $3)", [name, description, marketerId]))[0]!;

const setSetting = (name: string, value: unknown) =>
  database.query("select app_private.set_setting($1, $2::jsonb)", [name, JSON.stringify(value)]);

/** Fills the master pool to `size` ready campaigns, as the replenish_pool task does. */
async function fillMasterPool(size: number): Promise<string[]> {
  await setSetting("pool_target_size", size);
  for (;;) {
    const [row] = await database.query<{ id: string | null }>("select app_private.add_pool_campaign('master') as id");
    if (!row!.id) break;
  }
  return poolIds("master");
}

const poolIds = async (poolType: string) =>
  (
    await database.query<{ id: string }>("select id from app_public.campaigns where is_pool and pool_type = $1 order by pool_created_at", [
      poolType,
    ])
  ).map((row) => row.id);

const assignments = () =>
  database.query<{ campaign_id: string; user_id: string; source: string }>(
    "select campaign_id, user_id, source from app_public.pool_assignments order by assigned_at",
  );

const errorOf = (promise: Promise<unknown>): Promise<{ code?: string; message?: string }> =>
  promise.then(
    () => ({}),
    (error: { code?: string; message: string }) => ({ code: error.code, message: error.message }),
  );

/** The database's clock: timestamps the database wrote are compared with it, never with this process's. */
const databaseNow = async () => (await database.query<{ now: Date }>("select now()"))[0]!.now;

describe("handing over a pool campaign", () => {
  test("a pool campaign created a week ago looks new once assigned, and keeps its real age", async () => {
    const [poolId] = await fillMasterPool(1);
    // Age it by a week: the campaign and its content.
    await backdateByAWeek(database, poolId!, ["campaigns", "schticks", "weapons"]);
    // pool_created_at never changes (a trigger refuses it): the test steps around that trigger.
    await database.query("alter table app_public.campaigns disable trigger _110_keep_pool_created_at");
    await database.query("update app_public.campaigns set pool_created_at = now() - interval '7 days' where id = $1", [poolId]);
    await database.query("alter table app_public.campaigns enable trigger _110_keep_pool_created_at");

    const before = await databaseNow();
    const campaign = await createCampaign(alice, "Fresh");
    const after = await databaseNow();
    expect(campaign.id).toBe(poolId);
    // Stamped at the hand-over, by the database's clock.
    expect(campaign.created_at.getTime()).toBeGreaterThanOrEqual(before.getTime());
    expect(campaign.created_at.getTime()).toBeLessThanOrEqual(after.getTime());
    expect(campaign.updated_at).toEqual(campaign.created_at);
    expect(campaign.activated_at).toEqual(campaign.created_at);
    expect(before.getTime() - campaign.pool_created_at.getTime()).toBeGreaterThanOrEqual(7 * 24 * 3600 * 1000);

    // No content row was rewritten: each keeps the time it was written, and shows the hand-over.
    const stamps = await database.query<{ table: string; written: Date; shown_created: Date; shown_updated: Date }>(
      `select 'schticks' as table, max(s.created_at) as written,
              max(app_public.schticks_created_at(s)) as shown_created, max(app_public.schticks_updated_at(s)) as shown_updated
         from app_public.schticks s where s.campaign_id = $1
       union all
       select 'weapons', max(w.created_at), max(app_public.weapons_created_at(w)), max(app_public.weapons_updated_at(w))
         from app_public.weapons w where w.campaign_id = $1`,
      [campaign.id],
    );
    for (const row of stamps) {
      expect(before.getTime() - row.written.getTime(), row.table).toBeGreaterThanOrEqual(7 * 24 * 3600 * 1000);
      expect([row.shown_created, row.shown_updated], row.table).toEqual([campaign.activated_at, campaign.activated_at]);
    }
  });

  test("ownership moves from the master owner to the caller, with the marketer they belong to, and the content is complete", async () => {
    const [marketer] = await database.query<{ id: string }>(
      `with m as (insert into app_public.marketers (name) values ('Acme') returning id)
       insert into app_public.marketer_members (marketer_id, user_id) select id, $1 from m returning marketer_id as id`,
      [alice.id],
    );
    const [poolId] = await fillMasterPool(1);
    const [before] = await database.query<{ user_id: string }>("select user_id from app_public.campaigns where id = $1", [poolId]);
    expect(before!.user_id).not.toBe(alice.id);

    const campaign = await createCampaign(alice, "Night market", "Neon and noodles", marketer!.id);
    expect(campaign).toMatchObject({
      id: poolId,
      user_id: alice.id,
      marketer_id: marketer!.id,
      name: "Night market",
      is_pool: false,
      pool_type: "master",
    });
    expect(await rowCounts(database, campaign.id)).toEqual(templateCounts);
    expect(await assignments()).toEqual([{ campaign_id: poolId, user_id: alice.id, source: "master" }]);
    // The caller sees it; the other user does not.
    expect(await asUser(database, alice, "select name from app_public.campaigns where id = $1", [poolId])).toEqual([
      { name: "Night market" },
    ]);
    expect(await asUser(database, bob, "select name from app_public.campaigns where id = $1", [poolId])).toEqual([]);
  });

  test("the caller's own pool comes before the master pool, and nobody sees a pool campaign before it is theirs", async () => {
    const [masterId] = await fillMasterPool(1);
    const [userPoolRow] = await database.query<{ id: string }>("select app_private.add_pool_campaign('user', $1) as id", [alice.id]);
    const userPoolId = userPoolRow!.id;
    expect(await asUser(database, alice, "select id from app_public.campaigns where is_pool")).toEqual([]);
    expect(
      await asUser(database, alice, "select count(*)::int as n from app_public.schticks where campaign_id = $1", [userPoolId]),
    ).toEqual([{ n: 0 }]);

    expect((await createCampaign(alice)).id).toBe(userPoolId);
    expect((await createCampaign(alice)).id).toBe(masterId);
    expect((await assignments()).map((row) => row.source)).toEqual(["user", "master"]);
  });

  test("creation enqueues replenishment with job keys, so a burst is one job per pool", async () => {
    await fillMasterPool(3);
    await createCampaign(alice);
    await createCampaign(alice);
    await createCampaign(bob);
    const jobs = await database.query<{ key: string }>(
      "select key from graphile_worker.jobs where task_identifier = 'replenish_pool' order by key",
    );
    expect(jobs.map((job) => job.key)).toEqual(
      ["replenish_pool:master", `replenish_pool:user:${alice.id}`, `replenish_pool:user:${bob.id}`].sort(),
    );
  });

  test("with the pools empty, the campaign is seeded inline, complete, and replenishment is still scheduled", async () => {
    const campaign = await createCampaign(alice, "Inline");
    expect(campaign).toMatchObject({ user_id: alice.id, is_pool: false, pool_type: null, name: "Inline" });
    expect(await rowCounts(database, campaign.id)).toEqual(templateCounts);
    expect((await assignments()).map((row) => row.source)).toEqual(["inline"]);
    expect(await database.query("select count(*)::int as n from graphile_worker.jobs where task_identifier = 'replenish_pool'")).toEqual([
      { n: 2 },
    ]);
  });

  test("100 concurrent creations get 100 distinct complete campaigns; no pool campaign is handed over twice", async () => {
    const pool = await fillMasterPool(60); // 40 of them fall back to inline seeding
    const users = await Promise.all(Array.from({ length: 100 }, (_, n) => createUser(database, `burst${n}@example.com`)));
    const campaigns = await Promise.all(users.map((user, n) => createCampaign(user, `Burst ${n}`)));

    const ids = campaigns.map((campaign) => campaign.id);
    expect(new Set(ids).size).toBe(100);
    expect(campaigns.every((campaign, n) => campaign.user_id === users[n]!.id)).toBe(true);
    const sources = await database.query<{ source: string; n: number; distinct_campaigns: number }>(
      "select source, count(*)::int as n, count(distinct campaign_id)::int as distinct_campaigns from app_public.pool_assignments group by source order by source",
    );
    expect(sources).toEqual([
      { source: "master", n: 60, distinct_campaigns: 60 },
      { source: "inline", n: 40, distinct_campaigns: 40 },
    ]);
    expect(ids.filter((id) => pool.includes(id)).length).toBe(60);
    const complete = await database.query<{ n: number }>(
      `select count(*)::int as n from unnest($1::uuid[]) as c(id)
        where (select count(*) from app_public.schticks s where s.campaign_id = c.id) = $2
          and (select count(*) from app_public.carries s where s.campaign_id = c.id) = $3`,
      [ids, templateCounts.schticks, templateCounts.carries],
    );
    expect(complete).toEqual([{ n: 100 }]);
  });
});

describe("bad input consumes nothing", () => {
  test.each([
    ["an empty name", "  ", "", "CE202", "name must not be empty or blank"],
    [
      "a name of Unicode blanks (no-break, em and ideographic spaces, a zero-width space)",
      "\u00a0\u2003\u3000\u200b",
      "",
      "CE202",
      "name must not be empty or blank",
    ],
    ["a name over 200 characters", "x".repeat(201), "", "CE202", "name is 201 characters long; at most 200 are allowed"],
    [
      "a description over 10,000 characters",
      "Fine",
      "y".repeat(10_001),
      "CE202",
      "description is 10001 characters long; at most 10000 are allowed",
    ],
  ])("%s is refused with a message naming it", async (_label, name, description, code, message) => {
    const pool = await fillMasterPool(1);
    expect(await errorOf(createCampaign(alice, name, description))).toEqual({ code, message });
    expect(await poolIds("master")).toEqual(pool);
    expect(await assignments()).toEqual([]);
  });

  test("a marketer the caller is not a member of is refused", async () => {
    const pool = await fillMasterPool(1);
    const [marketer] = await database.query<{ id: string }>("insert into app_public.marketers (name) values ('Not yours') returning id");
    expect(await errorOf(createCampaign(bob, "Mine", "", marketer!.id))).toEqual({
      code: "CE203",
      message: `you are not a member of marketer ${marketer!.id}`,
    });
    expect(await poolIds("master")).toEqual(pool);
  });

  test("an anonymous caller cannot create campaigns", async () => {
    await fillMasterPool(1);
    expect(await errorOf(createCampaign({ id: "" }))).toEqual({ code: "CE201", message: "sign in to create a campaign" });
    expect(await assignments()).toEqual([]);
  });

  test("past the hourly limit, creation is refused with the limit and when to retry, and the pool is untouched", async () => {
    await setSetting("campaign_rate_limit", 2);
    await fillMasterPool(3);
    await createCampaign(alice);
    await createCampaign(alice);
    const pool = await poolIds("master");
    const refused = await errorOf(createCampaign(alice));
    expect(refused).toMatchObject({ code: "CE204" });
    expect(refused.message).toMatch(/^you may create at most 2 campaigns an hour; try again after \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const retryAt = new Date(refused.message!.split("after ")[1]!);
    expect(retryAt.getTime() - (await databaseNow()).getTime()).toBeGreaterThan(59 * 60 * 1000);
    expect(await poolIds("master")).toEqual(pool);
    // Another user is not limited by alice's creations.
    expect((await createCampaign(bob)).user_id).toBe(bob.id);
  });

  test("pool_created_at never changes", async () => {
    const [poolId] = await fillMasterPool(1);
    expect(
      await errorOf(database.query("update app_public.campaigns set pool_created_at = now() - interval '1 day' where id = $1", [poolId])),
    ).toEqual({
      code: "CE206",
      message: `pool_created_at never changes (campaign ${poolId})`,
    });
  });
});

describe("replenishment", () => {
  test("concurrent replenishers converge on the target without overshooting it", async () => {
    await setSetting("pool_target_size", 5);
    const replenisher = async () => {
      const client = new pg.Client({ connectionString: database.ownerUrl });
      await client.connect();
      let added = 0;
      try {
        while ((await client.query("select app_private.add_pool_campaign('master') as id")).rows[0].id) added += 1;
      } finally {
        await client.end();
      }
      return added;
    };
    const added = await Promise.all([replenisher(), replenisher(), replenisher(), replenisher()]);
    expect(added.reduce((sum, n) => sum + n, 0)).toBe(5);
    expect((await poolIds("master")).length).toBe(5);
    // Every pool campaign is complete and records its seeding time.
    const [check] = await database.query<{ seeded: number; timed: number }>(
      "select count(*) filter (where seeded_at is not null)::int as seeded, count(*) filter (where seeding_duration_ms >= 0)::int as timed from app_public.campaigns where is_pool",
    );
    expect(check).toEqual({ seeded: 5, timed: 5 });
  });

  test("a user gets at most one pool campaign", async () => {
    const first = await database.query<{ id: string | null }>("select app_private.add_pool_campaign('user', $1) as id", [alice.id]);
    const second = await database.query<{ id: string | null }>("select app_private.add_pool_campaign('user', $1) as id", [alice.id]);
    expect(first[0]!.id).not.toBeNull();
    expect(second[0]!.id).toBeNull();
    expect(await poolIds("user")).toEqual([first[0]!.id]);
  });

  test("a failed seeding leaves no half-made pool campaign", async () => {
    await setSetting("pool_target_size", 1);
    const [template] = await database.query<{ id: string }>(
      "update app_public.campaigns set is_master_template = false where is_master_template returning id",
    );
    try {
      expect(await errorOf(database.query("select app_private.add_pool_campaign('master')"))).toMatchObject({ code: "CE101" });
      expect(await poolIds("master")).toEqual([]);
    } finally {
      await database.query("update app_public.campaigns set is_master_template = true where id = $1", [template!.id]);
    }
  });
});

describe("the rollback switch", () => {
  test("with pools off, campaigns are seeded inline and pools are not refilled; back on, the pool serves again", async () => {
    const [poolId] = await fillMasterPool(1);
    const status = await asUser<{ status: { enabled: boolean } }>(database, admin, "select app_public.set_pools_enabled(false) as status");
    expect(status[0]!.status.enabled).toBe(false);

    const inline = await createCampaign(alice);
    expect(inline.id).not.toBe(poolId);
    expect(inline.pool_type).toBeNull();
    expect(await database.query("select app_private.add_pool_campaign('master') as id")).toEqual([{ id: null }]);
    expect(await poolIds("master")).toEqual([poolId]);

    await asUser(database, admin, "select app_public.set_pools_enabled(true)");
    expect((await createCampaign(alice)).id).toBe(poolId);
  });
});

describe("admin operations", () => {
  test("pool_status tells ready, target, user pools and health", async () => {
    await fillMasterPool(2);
    await database.query("select app_private.add_pool_campaign('user', $1)", [bob.id]);
    await setSetting("pool_target_size", 3);
    const [{ status }] = (await asUser<{ status: Record<string, any> }>(database, admin, "select app_public.pool_status() as status")) as [
      { status: any },
    ];
    expect(status).toMatchObject({
      enabled: true,
      master: { ready: 2, target: 3, being_created: 0 },
      user_pools: { users: 1, total: 1 },
      health: { status: "warning", reason: "the master pool has 2 ready, below its target of 3" },
    });
    expect(status.master.oldest_age_seconds).toBeGreaterThanOrEqual(0);
  });

  test("being_created counts the pools a replenish job is refilling right now", async () => {
    const beingCreated = async () =>
      (await asUser<{ status: any }>(database, admin, "select app_public.pool_status() as status"))[0]!.status.master.being_created;
    // A replenisher's connection, as the task holds it while it runs.
    const replenisher = new pg.Client({ connectionString: database.ownerUrl });
    await replenisher.connect();
    try {
      await replenisher.query("select app_private.start_replenishing('master')");
      await replenisher.query("select app_private.start_replenishing('user', $1)", [bob.id]);
      expect(await beingCreated()).toBe(2);
      await replenisher.query("select app_private.finish_replenishing('master')");
      expect(await beingCreated()).toBe(1);
      await replenisher.query("select app_private.finish_replenishing('master')"); // twice: harmless
    } finally {
      await replenisher.end();
    }
    // A connection that goes away (a crashed worker) takes its mark with it.
    expect(await beingCreated()).toBe(0);
  });

  test("set_pool_target accepts 0 to the maximum and enqueues a refill; anything else is refused", async () => {
    const [{ status }] = (await asUser<{ status: any }>(database, admin, "select app_public.set_pool_target(7) as status")) as [
      { status: any },
    ];
    expect(status.master.target).toBe(7);
    expect(await database.query("select key from graphile_worker.jobs where task_identifier = 'replenish_pool'")).toEqual([
      { key: "replenish_pool:master" },
    ]);
    for (const size of [-1, 51]) {
      expect(await errorOf(asUser(database, admin, "select app_public.set_pool_target($1)", [size]))).toEqual({
        code: "CE205",
        message: `the master pool target must be between 0 and 50 (got ${size})`,
      });
    }
  });

  test("set_pools_enabled takes true or false, not null (CE208)", async () => {
    expect(await errorOf(asUser(database, admin, "select app_public.set_pools_enabled(null)"))).toEqual({
      code: "CE208",
      message: "enabled must be true or false",
    });
  });

  test("replenish_pools twice is still one job", async () => {
    await asUser(database, admin, "select app_public.replenish_pools()");
    await asUser(database, admin, "select app_public.replenish_pools()");
    expect(await database.query("select count(*)::int as n from graphile_worker.jobs where task_identifier = 'replenish_pool'")).toEqual([
      { n: 1 },
    ]);
  });

  test.each(["pool_status()", "replenish_pools()", "set_pool_target(3)", "set_pools_enabled(false)"])(
    "a non-admin calling %s is refused",
    async (call) => {
      expect(await errorOf(asUser(database, alice, `select app_public.${call}`))).toEqual({
        code: "42501",
        message: "only admins may do this",
      });
    },
  );

  test("an operator in psql (the owner, no API role) may run them", async () => {
    const [row] = await database.query<{ status: { master: { target: number } } }>("select app_public.set_pool_target(4) as status");
    expect(row!.status.master.target).toBe(4);
  });
});

describe("the pool monitor", () => {
  const monitor = () => database.query("select app_private.monitor_pools()");
  const openAlerts = () =>
    database.query<{ kind: string; severity: string; message: string }>(
      "select kind, severity, message from app_public.alerts where resolved_at is null order by kind",
    );

  test("records metrics, raises a CRITICAL alert once while the master pool is low, and resolves it when refilled", async () => {
    await setSetting("pool_target_size", 3);
    await database.query("select app_private.add_pool_campaign('master')");
    await createCampaign(alice); // from the pool: it is empty again
    await monitor();
    expect(await openAlerts()).toEqual([
      { kind: "pool_low", severity: "CRITICAL", message: "The master pool has 0 ready campaigns (at least 2 wanted, target 3)." },
    ]);
    await monitor();
    expect(await database.query("select count(*)::int as n from app_public.alerts where kind = 'pool_low'")).toEqual([{ n: 1 }]);
    // It asked for a refill.
    expect(await database.query("select key from graphile_worker.jobs where key = 'replenish_pool:master'")).toEqual([
      { key: "replenish_pool:master" },
    ]);

    await fillMasterPool(3);
    await monitor();
    expect(await openAlerts()).toEqual([]);
    expect(await database.query("select kind, resolved_at is not null as resolved from app_public.alerts")).toEqual([
      { kind: "pool_low", resolved: true },
    ]);

    const metrics = await database.query(
      "select master_ready, master_target, user_pools, assignments_today, pool_hits_today, replenishments_today from app_public.pool_metrics order by id",
    );
    expect(metrics).toEqual([
      { master_ready: 0, master_target: 3, user_pools: 0, assignments_today: 1, pool_hits_today: 1, replenishments_today: 1 },
      { master_ready: 0, master_target: 3, user_pools: 0, assignments_today: 1, pool_hits_today: 1, replenishments_today: 1 },
      { master_ready: 3, master_target: 3, user_pools: 0, assignments_today: 1, pool_hits_today: 1, replenishments_today: 4 },
    ]);
  });

  test("warns when seeding was slow", async () => {
    const [poolId] = await fillMasterPool(2);
    await database.query("update app_public.campaigns set seeding_duration_ms = 6000 where id = $1", [poolId]);
    await monitor();
    expect(await openAlerts()).toEqual([
      { kind: "pool_slow_seeding", severity: "WARNING", message: "Seeding a pool campaign took 6000 ms in the last hour (over 5000 ms)." },
    ]);
  });

  test("deletes pool campaigns nobody took for 6 months, content included, images kept, and warns", async () => {
    const [stale, fresh] = await fillMasterPool(2);
    await database.query("alter table app_public.campaigns disable trigger _110_keep_pool_created_at");
    await database.query("update app_public.campaigns set pool_created_at = now() - interval '7 months' where id = $1", [stale]);
    await database.query("alter table app_public.campaigns enable trigger _110_keep_pool_created_at");
    const [images] = await database.query<{ n: number }>("select count(*)::int as n from app_public.images");

    await monitor();
    expect(await poolIds("master")).toEqual([fresh]);
    expect(await database.query("select count(*)::int as n from app_public.schticks where campaign_id = $1", [stale])).toEqual([{ n: 0 }]);
    expect(await database.query("select count(*)::int as n from app_public.images")).toEqual([images]);
    expect(await openAlerts()).toContainEqual({
      kind: "pool_stale",
      severity: "WARNING",
      message: "Deleted 1 pool campaigns older than 6 months.",
    });
  });
});
