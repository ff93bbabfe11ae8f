// Crash recovery with a real worker process: killed with SIGKILL while it fires a timer, then
// restarted; the timer completes exactly once, without waiting graphile-worker's 4-hour lock.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, expect, inject, test } from "vitest";
import { useTestDatabase } from "./support/database.ts";
import { type Started, startWorkerProcess } from "./support/process.ts";
import { waitFor } from "./support/wait.ts";

const database = useTestDatabase("timer_recovery");
let dataDir: string | undefined;
afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function startWorker(): Promise<Started> {
  dataDir ??= await mkdtemp(path.join(os.tmpdir(), "campaign-engine-recovery-"));
  const worker = startWorkerProcess({
    DATABASE_URL: database.ownerUrl,
    DATA_DIR: dataDir,
    AUTHENTICATOR_PASSWORD: inject("authenticatorPassword"),
  });
  await waitFor(
    async () => worker.output(),
    (output) => output.includes("worker running"),
    60_000,
  );
  return worker;
}

const timerState = async (timerId: string) =>
  (
    await database.query<{ status: string; retry_count: number }>(
      "select status, retry_count from app_public.campaign_timers where id = $1",
      [timerId],
    )
  )[0]!;

test("a worker killed mid-timer: after a restart the timer completes exactly once", async () => {
  const [campaign] = await database.query<{ id: string }>(
    `with owner as (insert into app_public.users (email) values ('owner@example.com') returning id)
     insert into app_public.campaigns (user_id, name) select id, 'Interrupted' from owner returning id`,
  );
  const campaignId = campaign!.id;

  const first = await startWorker();
  // Someone holds the campaign row (but lets the timer reference it), so the worker's attempt
  // stops mid-way, waiting for it.
  const holder = new pg.Client({ connectionString: database.ownerUrl });
  await holder.connect();
  await holder.query("begin");
  await holder.query("select 1 from app_public.campaigns where id = $1 for no key update", [campaignId]);

  const [timer] = await database.query<{ id: string }>(
    "insert into app_public.campaign_timers (campaign_id, timer_type, scheduled_at) values ($1, 'START_CAMPAIGN', now()) returning id",
    [campaignId],
  );
  const timerId = timer!.id;
  await waitFor(
    () => database.query("select status from app_public.timer_executions where timer_id = $1", [timerId]),
    (rows) => rows.length === 1 && rows[0]!.status === "STARTED",
  );
  expect((await timerState(timerId)).status).toBe("RUNNING");

  first.child.kill("SIGKILL");
  await first.exit;
  // Postgres notices the vanished client (client_connection_check_interval) and ends its attempt,
  // which frees the timer's advisory lock.
  await waitFor(
    async () =>
      (await database.query<{ free: boolean }>("select pg_try_advisory_xact_lock(app_private.timer_lock_key($1)) as free", [timerId]))[0]!
        .free,
    Boolean,
    15_000,
  );
  await holder.query("rollback");
  await holder.end();
  expect((await timerState(timerId)).status).toBe("RUNNING");
  expect(await database.query("select count(*)::int as n from app_public.campaign_state_log where campaign_id = $1", [campaignId])).toEqual(
    [{ n: 0 }],
  );

  const second = await startWorker();
  try {
    await waitFor(
      () => timerState(timerId),
      (state) => state.status === "COMPLETED",
      30_000,
    );
    expect(await timerState(timerId)).toEqual({ status: "COMPLETED", retry_count: 0 });
    expect(
      await database.query("select status, error_message from app_public.timer_executions where timer_id = $1 order by started_at", [
        timerId,
      ]),
    ).toEqual([
      { status: "FAILED", error_message: "the worker stopped before finishing" },
      { status: "COMPLETED", error_message: null },
    ]);
    expect(
      await database.query("select from_state, to_state from app_public.campaign_state_log where campaign_id = $1", [campaignId]),
    ).toEqual([{ from_state: "CREATED", to_state: "RUNNING" }]);
    // The dead worker's job is not left locked for graphile-worker's 4 hours.
    expect(await database.query("select id from graphile_worker.jobs where key = $1", [timerId])).toEqual([]);
  } finally {
    second.child.kill("SIGTERM");
    await second.exit;
  }
}, 90_000);
