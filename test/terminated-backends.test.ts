// Backends terminated under the product (pg_terminate_backend, what a failover, an operator or an
// idle-connection reaper does) on the test's own database: `npm start`'s process lives on, names
// every connection it holds, tells a client whose request lost its connection to retry, and
// leaves nothing of that request behind.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, expect, inject, onTestFailed, test } from "vitest";
import { graphql, TEST_JWT_SECRET, tokenFor } from "./support/app.ts";
import { useTestDatabase } from "./support/database.ts";
import { type Started, startMain } from "./support/process.ts";
import { watchCampaign } from "./support/subscribe.ts";
import { waitFor } from "./support/wait.ts";

const database = useTestDatabase("terminated_backends");
const CREATE = `mutation ($name: String!) { createCampaign(input: {name: $name, description: "terminated"}) { result { rowId } } }`;
let main: Started;
let url: string;
let dataDir: string;

beforeAll(async () => {
  await database.query("select 1");
  dataDir = await mkdtemp(path.join(os.tmpdir(), "campaign-engine-terminated-"));
  main = startMain({
    DATABASE_URL: database.ownerUrl,
    DATA_DIR: dataDir,
    JWT_SECRET: TEST_JWT_SECRET,
    AUTHENTICATOR_PASSWORD: inject("authenticatorPassword"),
  });
  url = await main.url();
  await waitFor(
    () => fetch(`${url}/health/ready`).then((response) => response.status),
    (status) => status === 200,
    60_000,
  );
}, 90_000);

afterAll(async () => {
  main?.child.kill("SIGTERM");
  await main?.exit;
  await rm(dataDir, { recursive: true, force: true });
});

const running = () => Promise.race([main.exit.then(() => false), new Promise<boolean>((resolve) => setImmediate(() => resolve(true)))]);
const applicationNames = async () =>
  (
    await database.query<{ name: string }>(
      "select distinct application_name as name from pg_stat_activity where datname = current_database() and application_name like 'campaign-engine:%' order by 1",
    )
  ).map((row) => row.name);

test("every connection is named after the part of the product that holds it", async () => {
  const token = await tokenFor(database, "names@example.com");
  expect((await graphql(url, "{ currentUser { email } }", { token })).data.currentUser.email).toBe("names@example.com");
  await waitFor(applicationNames, (names) =>
    ["api", "server", "worker", "listen", "alarm"].every((part) => names.includes(`campaign-engine:${part}`)),
  );
});

test("terminating every backend ends no process: requests, subscriptions (after resync) and the worker resume", async () => {
  const token = await tokenFor(database, "terminated@example.com");
  const created = await graphql(url, CREATE, { token, variables: { name: "before" } });
  const campaignId = created.data.createCampaign.result.rowId as string;
  const events = await watchCampaign(url, campaignId, token);
  onTestFailed(() =>
    console.log(
      `npm start's output:\n${main.output()}\nthe subscription's events: ${JSON.stringify(events.events)}; errors: ${JSON.stringify(events.errors)}; ended: ${events.ended}`,
    ),
  );

  const [{ terminated }] = (await database.query<{ terminated: number }>(
    "select count(pg_terminate_backend(pid))::int as terminated from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()",
  )) as [{ terminated: number }];
  expect(terminated).toBeGreaterThan(3);

  await waitFor(
    () => graphql(url, CREATE, { token, variables: { name: "after" } }).catch(() => ({ data: undefined })),
    (response) => Boolean(response.data?.createCampaign?.result?.rowId),
    30_000,
  );
  await waitFor(async () => events.events.some((event) => event.campaignEvents.event === "resync"), Boolean, 30_000);
  await database.query("update app_public.campaigns set name = 'renamed after terminate' where id = $1", [campaignId]);
  await waitFor(
    async () => events.events.some((event) => event.campaignEvents.campaign?.name === "renamed after terminate"),
    Boolean,
    30_000,
  );
  await events.stop();
  // The worker takes jobs again: the replenish job the creation enqueued runs and refills the pool.
  await database.query("select app_private.add_job('health_ping', job_key => 'after-terminate')");
  await waitFor(
    () => database.query("select 1 from graphile_worker.jobs where key = 'after-terminate'"),
    (rows) => rows.length === 0,
    30_000,
  );
  expect(await running()).toBe(true);
  expect(main.output()).not.toMatch(/Unhandled 'error' event/);
}, 90_000);

test("a connection lost in the middle of a mutation: 503 with DATABASE_UNAVAILABLE, and nothing of it committed", async () => {
  const token = await tokenFor(database, "midway@example.com");
  const campaignsOf = async () =>
    (
      await database.query<{ n: number }>(
        "select count(*)::int as n from app_public.campaigns where user_id = (select id from app_public.users where email = 'midway@example.com')",
      )
    )[0]!.n;
  // The creation waits on a lock the test holds, so it is in flight when its backend is terminated.
  const holder = new pg.Client({ connectionString: database.ownerUrl });
  holder.on("error", () => {});
  await holder.connect();
  await holder.query("begin; lock table app_public.pool_assignments in exclusive mode");
  try {
    const pending = fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: CREATE, variables: { name: "midway" } }),
    });
    const [waiting] = await waitFor(
      () =>
        database.query<{ pid: number }>(
          "select pid from pg_stat_activity where datname = current_database() and application_name = 'campaign-engine:api' and wait_event_type = 'Lock'",
        ),
      (rows) => rows.length > 0,
    );
    await database.query("select pg_terminate_backend($1)", [waiting!.pid]);
    const response = await pending;
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toMatch(/^\d+$/);
    const body = await response.json();
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0].extensions).toMatchObject({ code: "DATABASE_UNAVAILABLE", retryable: true });
  } finally {
    await holder.query("rollback");
    await holder.end();
  }
  expect(await campaignsOf()).toBe(0);
  // Retried, as the client is told to, it succeeds.
  const retried = await graphql(url, CREATE, { token, variables: { name: "midway" } });
  expect(retried.data.createCampaign.result.rowId).toEqual(expect.any(String));
  expect(await campaignsOf()).toBe(1);
});

test("a transaction that lost a race (a deadlock's victim, a serialization failure) keeps its code and is marked retryable", async () => {
  const token = await tokenFor(database, "race@example.com");
  await database.query(`
    create function public.test_lost_race() returns trigger language plpgsql as $$
      begin raise exception 'could not serialize access due to concurrent update' using errcode = '40001'; end;
    $$;
    create trigger _000_test_lost_race before insert on app_public.pool_assignments for each statement execute function public.test_lost_race();
  `);
  try {
    const response = await graphql(url, CREATE, { token, variables: { name: "raced" } });
    expect(response.errors?.[0]?.extensions).toEqual({ code: "40001", retryable: true });
    expect(response.errors?.[0]?.message).toMatch(/could not serialize access/);
  } finally {
    await database.query("drop function public.test_lost_race() cascade");
  }
  const retried = await graphql(url, CREATE, { token, variables: { name: "raced" } });
  expect(retried.data.createCampaign.result.rowId).toEqual(expect.any(String));
});
