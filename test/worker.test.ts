// The worker path end to end: a job enqueued from SQL runs in the app's worker; health and
// metrics report it.
import { describe, expect, test } from "vitest";
import { useTestApp } from "./support/app.ts";
import { useTestDatabase } from "./support/database.ts";
import { waitFor } from "./support/wait.ts";

const database = useTestDatabase("worker");
const server = useTestApp(database);
// An API-only instance (RUN_WORKER=false) on the same database.
const apiOnly = useTestApp(database, { worker: false });

const successes = async () => {
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/worker_jobs_total\{task="health_ping",outcome="success"\} (\d+)/.exec(metrics)?.[1] ?? 0);
};

describe("graphile-worker", () => {
  test("runs a job enqueued through app_private.add_job, and counts it in /metrics", async () => {
    const before = await successes();
    // A job key of its own: this job, not the cron's, is the one we wait for.
    await database.query(`select app_private.add_job('health_ping', job_key => 'worker-test')`);
    await waitFor(
      () => database.query("select 1 from graphile_worker.jobs where key = 'worker-test'"),
      (rows) => rows.length === 0,
    );
    expect(await database.query("select worker_id from ops.worker_heartbeats")).not.toEqual([]);
    expect(await successes()).toBeGreaterThan(before);
  });

  test("GET /health/ready reports database, worker, migrations and the pool; /health/live the process", async () => {
    // Not degraded once the worker has seeded the master pool's first campaign.
    const response = await waitFor(
      () => fetch(`${server.url}/health/ready`),
      (response) => response.status === 200,
      30_000,
    );
    expect(await response.json()).toMatchObject({
      status: expect.stringMatching(/^(ok|degraded)$/),
      database: "ok",
      worker: "running",
      migrations: "current",
      pool: { status: expect.stringMatching(/^(ok|warning|critical)$/), reason: expect.any(String), empty: expect.any(Boolean) },
    });
    const live = await fetch(`${server.url}/health/live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toMatchObject({ status: "live" });
  });
});

describe("RUN_WORKER=false", () => {
  test("the process runs no worker: its health says the worker is elsewhere and stays ready; one worker pool beats", async () => {
    const response = await waitFor(
      () => fetch(`${apiOnly.url}/health/ready`),
      (response) => response.status === 200,
      30_000,
    );
    expect(await response.json()).toMatchObject({ database: "ok", worker: "elsewhere", migrations: "current" });
    const pools = await database.query<{ n: number }>("select count(distinct worker_id)::int as n from ops.worker_heartbeats");
    expect(pools).toEqual([{ n: 1 }]);
    expect(await (await fetch(`${apiOnly.url}/metrics`)).text()).not.toMatch(/worker_jobs_total\{/);
  });
});
