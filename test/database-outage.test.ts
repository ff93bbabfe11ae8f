// The database restarting, stopped, or never there, against a private cluster the test starts
// itself: `npm start`'s process and a lone `npm run worker` live through restarts (-m fast and
// -m immediate), tell clients to retry while the database is away, and resume by themselves.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { issueToken } from "../src/auth/issue-token.ts";
import { projectRoot } from "../src/config.ts";
import { withClient } from "../src/db/connection.ts";
import { createKysely } from "../src/db/kysely.ts";
import { graphql, TEST_JWT_SECRET } from "./support/app.ts";
import { type PrivateCluster, startPrivateCluster } from "./support/private-cluster.ts";
import { type Started, startEntry, startMain, startWorkerProcess } from "./support/process.ts";
import { watchCampaign } from "./support/subscribe.ts";
import { waitFor } from "./support/wait.ts";

const committedMigrations = (await readdir(path.join(projectRoot, "migrations", "committed"))).filter((name) => name.endsWith(".sql"));
const CREATE = `mutation ($name: String!) { createCampaign(input: {name: $name, description: "outage"}) { result { rowId } } }`;

let cluster: PrivateCluster;
let db: ReturnType<typeof createKysely>;
const scratch: string[] = [];
const children: Started[] = [];
const scratchDir = async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "campaign-engine-outage-"));
  scratch.push(dir);
  return dir;
};

beforeAll(async () => {
  cluster = await startPrivateCluster("outage");
  db = createKysely(cluster.ownerUrl);
}, 180_000);

afterAll(async () => {
  for (const child of children) child.child.kill("SIGKILL");
  await db?.destroy();
  await cluster?.remove();
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function startServerAndWorker() {
  const env = { DATABASE_URL: cluster.ownerUrl, JWT_SECRET: TEST_JWT_SECRET, AUTHENTICATOR_PASSWORD: cluster.authenticatorPassword };
  const main = startMain({ ...env, DATA_DIR: await scratchDir() });
  const worker = startWorkerProcess({ ...env, DATA_DIR: await scratchDir() });
  children.push(main, worker);
  const url = await main.url();
  await waitFor(
    () => fetch(`${url}/health/ready`).then((response) => response.status),
    (status) => status === 200,
    60_000,
  );
  await waitFor(
    async () => worker.output(),
    (output) => /worker running/.test(output),
    60_000,
  );
  return { main, worker, url };
}

const exited = (started: Started) =>
  Promise.race([started.exit.then(() => true), new Promise<boolean>((resolve) => setImmediate(() => resolve(false)))]);

async function createSucceeds(url: string, token: string, name: string) {
  return waitFor(
    () =>
      graphql(url, CREATE, { token, variables: { name } }).catch((error: Error) => ({
        status: 0,
        errors: [{ message: error.message }],
        data: undefined,
      })),
    (response) => Boolean(response.data?.createCampaign?.result?.rowId),
    30_000,
  );
}

describe("a restarting database", () => {
  test("ends no process: the API, the worker, the alarm and subscriptions resume by themselves after -m fast and -m immediate", async () => {
    const { main, worker, url } = await startServerAndWorker();
    const token = await issueToken(db, "restart@example.com", { admin: false, secret: TEST_JWT_SECRET });
    const first = await createSucceeds(url, token, "before");
    const campaignId = first.data.createCampaign.result.rowId as string;
    const events = await watchCampaign(url, campaignId, token);

    for (const mode of ["fast", "immediate"] as const) {
      await cluster.restart(mode);
      await createSucceeds(url, token, `after ${mode}`);
      expect(await exited(main)).toBe(false);
      expect(await exited(worker)).toBe(false);
      // The server's LISTEN connection came back: the subscription says resync, and then gets what follows.
      await waitFor(
        async () => events.events.filter((event) => event.campaignEvents.event === "resync").length,
        (count) => count >= (mode === "fast" ? 1 : 2),
        30_000,
      );
      await cluster.query("update app_public.campaigns set name = $1 where id = $2", [`renamed after ${mode}`, campaignId]);
      await waitFor(
        async () => events.events.map((event) => event.campaignEvents.campaign?.name),
        (names) => names.includes(`renamed after ${mode}`),
        30_000,
      );
    }
    expect(events.errors).toEqual([]);
    await events.stop();

    // The worker and its alarm work again: a timer due in a moment fires once.
    const [timer] = await cluster.query<{ id: string }>(
      `insert into app_public.campaign_timers (campaign_id, timer_type, scheduled_at)
         values ($1, 'START_CAMPAIGN', now() + interval '1 second') returning id`,
      [campaignId],
    );
    await waitFor(
      () => cluster.query<{ status: string }>("select status from app_public.campaign_timers where id = $1", [timer!.id]),
      ([row]) => row?.status === "COMPLETED",
      30_000,
    );
    expect(main.output()).not.toMatch(/Unhandled 'error' event|uncaughtException/);
    expect(worker.output()).not.toMatch(/Unhandled 'error' event|uncaughtException/);
  }, 180_000);
});

describe("a stopped database", () => {
  test("requests get 503, Retry-After and DATABASE_UNAVAILABLE; liveness stays up, readiness says why; all resumes when it is back", async () => {
    const { main, url } = await startServerAndWorker();
    const token = await issueToken(db, "stopped@example.com", { admin: false, secret: TEST_JWT_SECRET });
    await cluster.stop("fast");
    try {
      for (const request of [{ token }, {}]) {
        const response = await fetch(`${url}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json", ...(request.token ? { authorization: `Bearer ${request.token}` } : {}) },
          body: JSON.stringify({ query: "{ currentUser { email } }" }),
        });
        expect(response.status).toBe(503);
        expect(response.headers.get("retry-after")).toMatch(/^\d+$/);
        expect(response.headers.get("content-type")).toMatch(/json/);
        const body = await response.json();
        expect(body.errors[0].extensions).toMatchObject({ code: "DATABASE_UNAVAILABLE", retryable: true });
      }
      const live = await fetch(`${url}/health/live`);
      expect(live.status).toBe(200);
      const ready = await fetch(`${url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: "unready", database: expect.stringMatching(/^unreachable/) });
    } finally {
      await cluster.start();
    }
    await createSucceeds(url, token, "after the outage");
    expect((await fetch(`${url}/health/ready`)).status).toBe(200);
    expect(await exited(main)).toBe(false);
  }, 180_000);
});

describe("a database that is not there at start", () => {
  test("is named by host and port, retried with backoff, and then the process exits non-zero", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const main = startMain({
      DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/nowhere`,
      DATA_DIR: await scratchDir(),
      DATABASE_STARTUP_TIMEOUT_SECONDS: "3",
    });
    children.push(main);
    expect(await main.exit).not.toBe(0);
    expect(main.output()).toContain(`the database at 127.0.0.1:${port}`);
    expect(main.output()).toMatch(/retrying in [\d.]+ s/);
    expect(main.output()).toMatch(/gave up after \d+ s/);
  }, 60_000);

  test("a restart in the middle of `npm run migrate` leaves the migration to complete once the database answers", async () => {
    await cluster.query("create database migrate_during_restart");
    const url = cluster.ownerUrl.replace(/\/campaign_engine$/, "/migrate_during_restart");
    const migrating = startEntry(
      "cli.ts",
      { DATABASE_URL: url, DATA_DIR: await scratchDir(), AUTHENTICATOR_PASSWORD: cluster.authenticatorPassword },
      ["migrate"],
    );
    children.push(migrating);
    // Restart while the migrator holds a connection of its own.
    await waitFor(
      () => cluster.query("select 1 from pg_stat_activity where application_name = 'campaign-engine:migrate'"),
      (rows) => rows.length > 0,
      30_000,
    );
    await cluster.restart("immediate");
    const code = await migrating.exit;
    expect(migrating.output()).toMatch(/database is up to date/);
    expect(code).toBe(0);
    expect(migrating.output()).toMatch(/database is up to date/);
    const {
      rows: [schema],
    } = await withClient(url, "cli", (client) =>
      client.query<{ applied: number; functions: number }>(`
        select (select count(*)::int from graphile_migrate.migrations) as applied,
               (select count(*)::int from pg_proc where proname in ('create_campaign', 'fire_timer', 'recover_timers')) as functions`),
    );
    expect(schema).toMatchObject({ applied: committedMigrations.length, functions: 3 });
  }, 120_000);
});
