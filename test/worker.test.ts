// The worker path end to end: a job enqueued from SQL runs in the app's worker; health and
// metrics report it.
import { describe, expect, test } from "vitest";
import { useTestApp } from "./support/app.ts";
import { useTestDatabase } from "./support/database.ts";
import { waitFor } from "./support/wait.ts";

const database = useTestDatabase("worker");
const server = useTestApp(database);

describe("graphile-worker", () => {
  test("runs health_ping enqueued through app_private.add_job and records the heartbeat", async () => {
    await database.query(`select app_private.add_job('health_ping')`);
    const [beat] = await waitFor(
      () => database.query<{ worker_id: string }>("select worker_id from ops.worker_heartbeats"),
      (rows) => rows.length > 0,
    );
    expect(beat!.worker_id).not.toBe("");
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/worker_jobs_total\{task="health_ping",outcome="success"\} 1/);
  });

  test("GET /health reports database, worker and migrations", async () => {
    const response = await fetch(`${server.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", database: "ok", worker: "running", migrations: "current" });
  });
});
