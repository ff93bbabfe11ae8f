// What the lifecycle's cron tasks do (partitions, archive, clean-up, views, recovery sweep) and
// the ops views operators read in psql. Rows that only time could produce (a timer overdue for
// an hour, a log entry from last year) are written with triggers off (session_replication_role).
import pg from "pg";
import { beforeAll, describe, expect, test } from "vitest";
import { createUser, type TestUser } from "./support/as-user.ts";
import { useTestDatabase } from "./support/database.ts";

const database = useTestDatabase("lifecycle_maintenance");

let owner: TestUser;
beforeAll(async () => {
  owner = await createUser(database, "owner@example.com");
});

async function newCampaign(name = "A campaign"): Promise<string> {
  const [row] = await database.query<{ id: string }>("insert into app_public.campaigns (user_id, name) values ($1, $2) returning id", [
    owner.id,
    name,
  ]);
  return row!.id;
}

/** Inserts rows as history would have left them: no triggers, no validation, no jobs. */
async function writeHistory<Row>(statement: string, values: unknown[]): Promise<Row[]> {
  const client = new pg.Client({ connectionString: database.ownerUrl });
  await client.connect();
  try {
    await client.query("set session_replication_role = replica");
    return (await client.query(statement, values)).rows;
  } finally {
    await client.end();
  }
}

const partitionOf = async (campaignId: string) =>
  (
    await database.query<{ partition: string }>(
      "select tableoid::regclass::text as partition from app_public.campaign_state_log where campaign_id = $1",
      [campaignId],
    )
  ).map((row) => row.partition);

describe("state log partitions", () => {
  test("this month and the next three have partitions from the start", async () => {
    const rows = await database.query<{ name: string }>(
      `select app_private.state_log_partition_name((date_trunc('month', now() at time zone 'UTC') + n * interval '1 month')::date) as name
       from generate_series(0, 3) as n
       where to_regclass('app_private.' || app_private.state_log_partition_name((date_trunc('month', now() at time zone 'UTC') + n * interval '1 month')::date)) is not null`,
    );
    expect(rows).toHaveLength(4);
  });

  test("a transition lands in its month's partition", async () => {
    const id = await newCampaign();
    await database.query("select app_private.transition_campaign($1, 'RUNNING', 'test', '{}')", [id]);
    const [{ name }] = (await database.query<{ name: string }>(
      "select app_private.state_log_partition_name((now() at time zone 'UTC')::date) as name",
    )) as [{ name: string }];
    expect(await partitionOf(id)).toEqual([`app_private.${name}`]);
  });

  test("a month without a partition goes to the default one, and creating the month moves its rows there", async () => {
    const id = await newCampaign();
    await database.query(
      "insert into app_public.campaign_state_log (campaign_id, from_state, to_state, trigger_event, created_at) values ($1, 'CREATED', 'RUNNING', 'test', '2031-05-17T12:00:00Z')",
      [id],
    );
    expect(await partitionOf(id)).toEqual(["app_private.campaign_state_log_default"]);
    const [{ created }] = (await database.query<{ created: boolean }>(
      "select app_private.ensure_state_log_partition('2031-05-01') as created",
    )) as [{ created: boolean }];
    expect(created).toBe(true);
    expect(await partitionOf(id)).toEqual(["app_private.campaign_state_log_y2031m05"]);
    const [{ again }] = (await database.query<{ again: boolean }>(
      "select app_private.ensure_state_log_partition('2031-05-09') as again",
    )) as [{ again: boolean }];
    expect(again).toBe(false);
  });

  test("archive_state_log moves entries older than a year to the archive and drops the emptied partitions", async () => {
    const id = await newCampaign();
    await database.query("select app_private.ensure_state_log_partition((now() - interval '14 months')::date)");
    const oldPartition = (
      await database.query<{ name: string }>(
        "select app_private.state_log_partition_name(date_trunc('month', now() - interval '14 months')::date) as name",
      )
    )[0]!.name;
    await database.query(
      `insert into app_public.campaign_state_log (campaign_id, from_state, to_state, trigger_event, created_at) values
         ($1, 'CREATED', 'RUNNING', 'old', now() - interval '14 months'),
         ($1, 'RUNNING', 'CLOSED', 'recent', now() - interval '2 days')`,
      [id],
    );
    const [{ moved }] = (await database.query<{ moved: number }>("select app_private.archive_state_log() as moved")) as [{ moved: number }];
    expect(moved).toBe(1);
    expect(await database.query("select trigger_event from app_public.campaign_state_log where campaign_id = $1", [id])).toEqual([
      { trigger_event: "recent" },
    ]);
    expect(await database.query("select trigger_event from app_private.campaign_state_log_archive where campaign_id = $1", [id])).toEqual([
      { trigger_event: "old" },
    ]);
    expect(await database.query("select to_regclass($1) as partition", [`app_private.${oldPartition}`])).toEqual([{ partition: null }]);
  });
});

describe("clean-up and views", () => {
  test("cleanup_timer_executions deletes executions older than 6 months only", async () => {
    const id = await newCampaign();
    const [timer] = await database.query<{ id: string }>(
      "insert into app_public.campaign_timers (campaign_id, timer_type, scheduled_at) values ($1, 'START_CAMPAIGN', now() + interval '1 day') returning id",
      [id],
    );
    await database.query(
      `insert into app_public.timer_executions (timer_id, campaign_id, status, started_at) values
         ($1, $2, 'FAILED', now() - interval '7 months'), ($1, $2, 'FAILED', now() - interval '5 months')`,
      [timer!.id, id],
    );
    const [{ deleted }] = (await database.query<{ deleted: number }>("select app_private.cleanup_timer_executions() as deleted")) as [
      { deleted: number },
    ];
    expect(deleted).toBe(1);
    expect(await database.query("select count(*)::int as left from app_public.timer_executions where timer_id = $1", [timer!.id])).toEqual([
      { left: 1 },
    ]);
  });

  test("refresh_lifecycle_views refreshes the materialized views concurrently", async () => {
    const id = await newCampaign("Viewed campaign");
    await database.query(
      "insert into app_public.campaign_timers (campaign_id, timer_type, scheduled_at) values ($1, 'START_CAMPAIGN', now() + interval '1 day')",
      [id],
    );
    expect(await database.query("select * from ops.mv_active_campaigns where campaign_id = $1", [id])).toEqual([]);
    await database.query("select app_private.refresh_lifecycle_views()");
    expect(
      await database.query("select name, status, pending_timers::int from ops.mv_active_campaigns where campaign_id = $1", [id]),
    ).toEqual([{ name: "Viewed campaign", status: "CREATED", pending_timers: 1 }]);
    const [pending] = await database.query<{ timers: number }>(
      "select sum(timers)::int as timers from ops.mv_pending_timers where timer_type = 'START_CAMPAIGN'",
    );
    expect(pending!.timers).toBeGreaterThanOrEqual(1);
  });
});

describe("recovery sweep and ops views", () => {
  test("recover_timers re-drives an overdue PENDING timer that has no job; ops.stuck_timers shows it until then", async () => {
    const id = await newCampaign();
    const [{ id: timerId }] = (await writeHistory<{ id: string }>(
      "insert into app_public.campaign_timers (campaign_id, timer_type, scheduled_at) values ($1, 'START_CAMPAIGN', now() - interval '1 hour') returning id",
      [id],
    )) as [{ id: string }];
    expect(await database.query("select timer_id, job_id from ops.stuck_timers where campaign_id = $1", [id])).toEqual([
      { timer_id: timerId, job_id: null },
    ]);
    const [{ result }] = (await database.query<{ result: { stranded: number } }>("select app_private.recover_timers() as result")) as [
      { result: { stranded: number } },
    ];
    expect(result.stranded).toBeGreaterThanOrEqual(1);
    const jobs = await database.query<{ due: boolean }>("select run_at <= now() as due from graphile_worker.jobs where key = $1", [
      timerId,
    ]);
    expect(jobs).toEqual([{ due: true }]);
  });

  test("a timer is due at the later of its schedule and its retry; recovery checks it after 10 s, ops.stuck_timers after a minute", async () => {
    const id = await newCampaign();
    const [late, retrying] = await writeHistory<{ id: string }>(
      `insert into app_public.campaign_timers (campaign_id, timer_type, scheduled_at, next_attempt_at)
       values ($1, 'START_CAMPAIGN', now() - interval '30 seconds', null),
              ($1, 'CLOSE_CAMPAIGN', now() - interval '1 hour', now() + interval '1 hour')
       returning id`,
      [id],
    );
    expect(await database.query("select timer_id from ops.stuck_timers where campaign_id = $1", [id])).toEqual([]);
    await database.query("select app_private.recover_timers()");
    const jobs = await database.query<{ key: string }>("select key from graphile_worker.jobs where key = any($1)", [
      [late!.id, retrying!.id],
    ]);
    expect(jobs).toEqual([{ key: late!.id }]);
  });

  test("the due-time rule is inlined, so the pending-due index serves the overdue lists and recovery", async () => {
    const client = new pg.Client({ connectionString: database.ownerUrl });
    await client.connect();
    try {
      await client.query("set enable_seqscan = off");
      for (const rule of ["timer_is_overdue", "timer_may_be_stranded"]) {
        const plan = await client.query<{ "QUERY PLAN": string }>(
          `explain (costs off) select id from app_public.campaign_timers
            where status = 'PENDING' and app_private.${rule}(app_private.timer_due_at(scheduled_at, next_attempt_at))`,
        );
        expect(plan.rows.map((row) => row["QUERY PLAN"]).join("\n")).toMatch(/Index Cond: \(GREATEST\(scheduled_at, next_attempt_at\) </);
      }
    } finally {
      await client.end();
    }
  });

  test("ops.failed_timers lists FAILED timers with their error", async () => {
    const id = await newCampaign("Failing campaign");
    await writeHistory(
      "insert into app_public.campaign_timers (campaign_id, timer_type, scheduled_at, status, retry_count, last_error) values ($1, 'CLOSE_CAMPAIGN', now() - interval '1 hour', 'FAILED', 5, 'boom')",
      [id],
    );
    expect(
      await database.query("select campaign_name, timer_type, retry_count, last_error from ops.failed_timers where campaign_id = $1", [id]),
    ).toEqual([{ campaign_name: "Failing campaign", timer_type: "CLOSE_CAMPAIGN", retry_count: 5, last_error: "boom" }]);
  });

  test("ops.campaign_state_distribution counts campaigns per state, every state listed", async () => {
    const before = await database.query<{ status: string; campaigns: string }>(
      "select status, campaigns from ops.campaign_state_distribution",
    );
    expect(before.map((row) => row.status)).toEqual(["CREATED", "RUNNING", "CLOSED", "REWARD_CLAIM", "EXPIRED"]);
    const id = await newCampaign();
    await database.query("select app_private.transition_campaign($1, 'EXPIRED', 'test', '{}')", [id]);
    const after = await database.query<{ status: string; campaigns: string }>(
      "select status, campaigns from ops.campaign_state_distribution",
    );
    const count = (rows: typeof before, status: string) => Number(rows.find((row) => row.status === status)!.campaigns);
    expect(count(after, "EXPIRED")).toBe(count(before, "EXPIRED") + 1);
  });

  test("ops.timer_performance_24h summarises the last day's executions per type", async () => {
    const id = await newCampaign();
    const [timer] = await database.query<{ id: string }>(
      "insert into app_public.campaign_timers (campaign_id, timer_type, scheduled_at) values ($1, 'REWARD_REMINDER', now()) returning id",
      [id],
    );
    await database.query(
      `insert into app_public.timer_executions (timer_id, campaign_id, status, execution_time_ms, started_at) values
         ($1, $2, 'COMPLETED', 10, now()), ($1, $2, 'FAILED', 30, now()), ($1, $2, 'COMPLETED', 99, now() - interval '2 days')`,
      [timer!.id, id],
    );
    expect(
      await database.query(
        "select executions::int, completed::int, failed::int, avg_ms::float8, max_ms::float8 from ops.timer_performance_24h where timer_type = 'REWARD_REMINDER'",
      ),
    ).toEqual([{ executions: 2, completed: 1, failed: 1, avg_ms: 20, max_ms: 30 }]);
  });

  test("ops.lifecycle_table_sizes lists the lifecycle tables, partitions counted in", async () => {
    const rows = await database.query<{ name: string; total_bytes: string }>("select name, total_bytes from ops.lifecycle_table_sizes");
    expect(rows.map((row) => row.name).sort()).toEqual([
      "app_private.campaign_state_log_archive",
      "app_public.campaign_metrics",
      "app_public.campaign_state_log",
      "app_public.campaign_timers",
      "app_public.timer_executions",
    ]);
    expect(Number(rows.find((row) => row.name === "app_public.campaign_state_log")!.total_bytes)).toBeGreaterThan(0);
  });
});
