// No job waits on a dead worker: a worker process killed with SIGKILL while it holds a job is
// presumed dead once its heartbeat is silent for long enough (ops views say so), and a live
// worker unlocks and runs its job within a minute; the jobs of live workers, of workers that never
// beat and of workers only health_ping beats for are left alone.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { type RunningWorker, startWorker } from "../src/worker.ts";
import { createUser, type TestUser } from "./support/as-user.ts";
import { useTestDatabase } from "./support/database.ts";
import { startWorkerProcess } from "./support/process.ts";
import { waitFor } from "./support/wait.ts";

const database = useTestDatabase("dead_worker");
let dataDir: string | undefined;
let inProcess: RunningWorker | undefined;
let alice: TestUser, bob: TestUser;

beforeAll(async () => {
  alice = await createUser(database, "alice@example.com");
  bob = await createUser(database, "bob@example.com");
  // No master pool to fill and no pool_low alert: the only refills are the user pools' below.
  await database.query(`select app_private.set_setting('pool_target_size', '0'), app_private.set_setting('pool_min_ready', '0')`);
});
afterAll(async () => {
  await inProcess?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** The worker of this test process (src/worker.ts, as `npm start` runs it), started once. */
async function startInProcessWorker(): Promise<void> {
  inProcess ??= await startWorker(database.ownerUrl);
}

/** A connection that takes the lock add_pool_campaign takes for a user's pool, and keeps it until released. */
async function holdPoolLock(user: TestUser): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: database.ownerUrl });
  await client.connect();
  await client.query("begin");
  await client.query("select pg_advisory_xact_lock(hashtextextended('pool:user:' || $1, 0))", [user.id]);
  return {
    async release() {
      await client.query("rollback");
      await client.end();
    },
  };
}

/** Enqueues refilling the user's own pool now, and waits until a worker has taken the job. */
async function refillJobTaken(user: TestUser): Promise<{ id: string; locked_by: string }> {
  await database.query("select app_private.enqueue_pool_refill('user', $1, refill_now => true)", [user.id]);
  const [job] = await waitFor(
    () =>
      database.query<{ id: string; locked_by: string | null }>("select id, locked_by from graphile_worker.jobs where key = $1", [
        `replenish_pool:user:${user.id}`,
      ]),
    (rows) => rows.length === 1 && rows[0]!.locked_by !== null,
    30_000,
  );
  return job as { id: string; locked_by: string };
}

/** Sessions waiting for an advisory lock: a worker's job blocked on a held pool lock. */
const lockWaiters = async () =>
  (await database.query<{ n: number }>("select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted"))[0]!.n;

const heartbeatOf = async (workerId: string) =>
  (
    await database.query<{ dead_after_seconds: number | null; abandoned: boolean }>(
      "select extract(epoch from dead_after)::int as dead_after_seconds, abandoned from ops.worker_heartbeats where worker_id = $1",
      [workerId],
    )
  )[0];

const refillQueue = async () =>
  (
    await database.query<{ running: number; abandoned: number }>(
      "select running::int, abandoned::int from ops.job_queue where task_identifier = 'replenish_pool'",
    )
  )[0];

const masterRefillJobs = async () =>
  (await database.query<{ n: number }>("select count(*)::int as n from graphile_worker.jobs where key = 'replenish_pool:master'"))[0]!.n;

const jobLockedBy = async (id: string) =>
  (await database.query<{ locked_by: string | null }>("select locked_by from graphile_worker.jobs where id = $1", [id]))[0]?.locked_by;

const userPoolCampaigns = async (user: TestUser) =>
  (
    await database.query<{ n: number }>(
      "select count(*)::int as n from app_public.campaigns where is_pool and pool_type = 'user' and user_id = $1",
      [user.id],
    )
  )[0]!.n;

test("a worker killed with SIGKILL mid-job: its job shows as abandoned, then a live worker unlocks and runs it within a minute", async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "campaign-engine-dead-worker-"));
  const poolLock = await holdPoolLock(alice);
  const jobRow = new pg.Client({ connectionString: database.ownerUrl });
  const doomed = startWorkerProcess({
    DATABASE_URL: database.ownerUrl,
    DATA_DIR: dataDir,
    AUTHENTICATOR_PASSWORD: inject("authenticatorPassword"),
  });
  try {
    await waitFor(
      async () => doomed.output(),
      (output) => output.includes("worker running"),
      60_000,
    );
    const job = await refillJobTaken(alice);
    await waitFor(lockWaiters, (n) => n === 1); // the job is inside add_pool_campaign, waiting
    expect(await heartbeatOf(job.locked_by)).toEqual({ dead_after_seconds: 30, abandoned: false });
    expect(await refillQueue()).toEqual({ running: 1, abandoned: 0 });

    // A live worker, started before the death as in any deployment with more than one.
    await startInProcessWorker();
    // Its start enqueues a master refill (a no-op at target 0): let it finish first, or the
    // doomed worker may take it and die holding two jobs.
    await waitFor(masterRefillJobs, (n) => n === 0, 30_000);
    // The test holds the job's row, so the live worker cannot unlock it before the test has seen
    // it abandoned; it waits and unlocks it as soon as the test lets go.
    await jobRow.connect();
    await jobRow.query("begin");
    await jobRow.query("select 1 from graphile_worker._private_jobs where id = $1 for update", [job.id]);

    doomed.child.kill("SIGKILL");
    await doomed.exit;
    const killedAt = Date.now();
    // Postgres ends the dead worker's session (client_connection_check_interval) before the pool
    // lock is let go, so the dead worker's query cannot go on and refill the pool itself.
    await waitFor(lockWaiters, (n) => n === 0, 15_000);
    await poolLock.release();
    expect(await jobLockedBy(job.id)).toBe(job.locked_by);

    await waitFor(
      () => heartbeatOf(job.locked_by),
      (heartbeat) => heartbeat?.abandoned === true,
      45_000,
    );
    expect(await refillQueue()).toEqual({ running: 0, abandoned: 1 });
    expect(await jobLockedBy(job.id)).toBe(job.locked_by);
    expect(await userPoolCampaigns(alice)).toBe(0);

    await jobRow.end();
    // Run by the live worker: the job is done (gone) and alice's pool has its campaign.
    await waitFor(
      async () => ({ job: await jobLockedBy(job.id), campaigns: await userPoolCampaigns(alice) }),
      (state) => state.job === undefined && state.campaigns === 1,
      Math.max(0, killedAt + 60_000 - Date.now()),
    );
  } finally {
    doomed.child.kill("SIGKILL");
    await poolLock.release().catch(() => {});
    await jobRow.end().catch(() => {});
  }
}, 120_000);

test("jobs of a live worker (even one running for an hour), of a worker that never beat and of one only health_ping beats for stay locked", async () => {
  await startInProcessWorker();
  const poolLock = await holdPoolLock(bob);
  try {
    const live = await refillJobTaken(bob);
    await waitFor(lockWaiters, (n) => n === 1);
    // As if the job had been running for an hour: the age of a lock says nothing, the heartbeat does.
    await database.query("update graphile_worker._private_jobs set locked_at = now() - interval '1 hour' where id = $1", [live.id]);

    // Three more locked jobs, of workers that are not this process: one presumed dead (its last
    // beat an hour ago), a plain graphile-worker CLI process that never beat, and one that only
    // the health_ping task beat for, an hour ago too.
    await database.query(`
      insert into app_hidden.worker_heartbeats (worker_id, beat_at, dead_after, beating_since) values
        ('pool-dead', now() - interval '1 hour', interval '30 seconds', now() - interval '2 hours');
      insert into app_hidden.worker_heartbeats (worker_id, beat_at) values ('pool-pinged', now() - interval '1 hour');
      select graphile_worker.add_job('health_ping', job_key => worker) from unnest(array['pool-dead', 'pool-never-beat', 'pool-pinged']) as worker;
      update graphile_worker._private_jobs set locked_by = key, locked_at = now() - interval '1 hour'
       where key in ('pool-dead', 'pool-never-beat', 'pool-pinged');
    `);
    const fakeJobs = async () =>
      Object.fromEntries(
        (
          await database.query<{ key: string; locked_by: string | null }>(
            "select key, locked_by from graphile_worker.jobs where key in ('pool-dead', 'pool-never-beat', 'pool-pinged')",
          )
        ).map((row) => [row.key, row.locked_by]),
      );
    expect(
      await database.query(
        "select worker_id, abandoned from ops.worker_heartbeats where worker_id in ('pool-dead', 'pool-pinged') order by worker_id",
      ),
    ).toEqual([
      { worker_id: "pool-dead", abandoned: true },
      { worker_id: "pool-pinged", abandoned: false },
    ]);

    // One beat of the live worker unlocked the dead worker's job; the same beat judged the others.
    await waitFor(fakeJobs, (jobs) => jobs["pool-dead"] !== "pool-dead", 60_000);
    expect(await fakeJobs()).toMatchObject({ "pool-never-beat": "pool-never-beat", "pool-pinged": "pool-pinged" });
    expect(await jobLockedBy(live.id)).toBe(live.locked_by);
    expect(await heartbeatOf(live.locked_by)).toEqual({ dead_after_seconds: 30, abandoned: false });
    expect(await refillQueue()).toEqual({ running: 1, abandoned: 0 });

    await poolLock.release();
    await waitFor(
      () => userPoolCampaigns(bob),
      (n) => n === 1,
      30_000,
    );
  } finally {
    await poolLock.release().catch(() => {});
    await database.query("delete from graphile_worker._private_jobs where key in ('pool-dead', 'pool-never-beat', 'pool-pinged')");
  }
}, 120_000);

test("a job a live worker finished but whose completion never reached the database is unlocked; its running and others' jobs are not", async () => {
  await database.query(`
    select graphile_worker.add_job('health_ping', job_key => key) from unnest(array['stranded', 'running', 'others']) as key;
    update graphile_worker._private_jobs set locked_by = case key when 'others' then 'pool-other' else 'pool-alive' end,
                                             locked_at = now() - interval '2 minutes'
     where key in ('stranded', 'running', 'others');
  `);
  const ids = Object.fromEntries(
    (
      await database.query<{ key: string; id: string }>(
        "select key, id::text from graphile_worker.jobs where key in ('stranded', 'running', 'others')",
      )
    ).map((row) => [row.key, row.id]),
  );
  try {
    // pool-alive says it finished 'stranded' (and 'others', which is not its own); 'running' it did not finish.
    const [{ stranded }] = (await database.query<{ stranded: string[] }>(
      "select app_private.unlock_stranded_jobs('pool-alive', $1::bigint[])::text[] as stranded",
      [[ids.stranded, ids.others]],
    )) as [{ stranded: string[] }];
    expect(stranded).toEqual([ids.stranded]);
    const lockedBy = Object.fromEntries(
      (
        await database.query<{ key: string; locked_by: string | null }>(
          "select key, locked_by from graphile_worker.jobs where key in ('stranded', 'running', 'others')",
        )
      ).map((row) => [row.key, row.locked_by]),
    );
    expect(lockedBy).toEqual({ stranded: null, running: "pool-alive", others: "pool-other" });
  } finally {
    await database.query("delete from graphile_worker._private_jobs where key in ('stranded', 'running', 'others')");
  }
});
