// SIGTERM to `npm start`'s process under load drains it: keep-alive clients are told to close,
// websockets get a close frame with 1001, the job running at that moment finishes and is removed
// (the worker stops before its pool is released), and the process exits 0 well within
// SHUTDOWN_TIMEOUT_SECONDS (which would exit 1).
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createClient } from "graphql-ws";
import pg from "pg";
import { afterAll, expect, inject, test } from "vitest";
import WebSocket from "ws";
import { TEST_JWT_SECRET, tokenFor } from "./support/app.ts";
import { createUser } from "./support/as-user.ts";
import { useTestDatabase } from "./support/database.ts";
import { startMain } from "./support/process.ts";
import { waitFor } from "./support/wait.ts";

const database = useTestDatabase("shutdown_drain");
let dataDir: string | undefined;
afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Back-to-back requests on one kept-alive connection until the server is gone. */
async function keepAliveClient(url: string) {
  const statuses: number[] = [];
  for (;;) {
    try {
      const response = await fetch(`${url}/health/live`);
      await response.arrayBuffer();
      statuses.push(response.status);
    } catch {
      return statuses; // the server closed and stopped listening
    }
  }
}

test("under keep-alive load, with a websocket open and a job running, SIGTERM drains and exits 0", async () => {
  await database.query("select 1");
  dataDir = await mkdtemp(path.join(os.tmpdir(), "campaign-engine-drain-"));
  const main = startMain({
    DATABASE_URL: database.ownerUrl,
    DATA_DIR: dataDir,
    JWT_SECRET: TEST_JWT_SECRET,
    AUTHENTICATOR_PASSWORD: inject("authenticatorPassword"),
    SHUTDOWN_TIMEOUT_SECONDS: "8",
  });
  const url = await main.url();
  await waitFor(
    () => fetch(`${url}/health/ready`).then((response) => response.status),
    (status) => status === 200,
    60_000,
  );

  // A refill job that is running when the signal comes: it waits on its pool's lock, held here.
  const user = await createUser(database, "drain@example.com");
  const holder = new pg.Client({ connectionString: database.ownerUrl });
  holder.on("error", () => {});
  await holder.connect();
  await holder.query("begin");
  await holder.query("select pg_advisory_xact_lock(hashtextextended('pool:user:' || $1, 0))", [user.id]);
  await database.query("select app_private.enqueue_pool_refill('user', $1, refill_now => true)", [user.id]);
  await waitFor(
    () => database.query("select 1 from pg_locks where locktype = 'advisory' and not granted"),
    (rows) => rows.length === 1,
    30_000,
  );

  // A websocket subscriber.
  let closeCode: number | undefined;
  const client = createClient({
    url: `${url.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${await tokenFor(database, "drain@example.com")}` },
    retryAttempts: 0,
    on: { closed: (event) => (closeCode ??= (event as { code: number }).code) },
  });
  const [campaign] = await database.query<{ id: string }>(
    "insert into app_public.campaigns (user_id, name) values ($1, 'watched') returning id",
    [user.id],
  );
  await new Promise<void>((resolve, reject) =>
    client.subscribe(
      { query: `subscription ($id: UUID!) { campaignEvents(campaignId: $id) { event } }`, variables: { id: campaign!.id } },
      {
        next: () => resolve(), // `subscribed`: the socket is open and listening
        error: reject,
        complete: () => {},
      },
    ),
  );

  const clients = Array.from({ length: 4 }, () => keepAliveClient(url));
  await waitFor(
    () => fetch(`${url}/health/live`).then((response) => response.status),
    (status) => status === 200,
  );

  main.child.kill("SIGTERM");
  await waitFor(
    async () => main.output(),
    (output) => /SIGTERM: shutting down/.test(output),
  );
  // Let the running job finish while the process shuts down.
  await holder.query("commit");
  await holder.end();

  expect(await main.exit).toBe(0);
  expect(main.output()).toMatch(/stopped/);
  expect(closeCode).toBe(1001);
  const served = await Promise.all(clients);
  expect(served.flat().every((status) => status === 200)).toBe(true);
  expect(served.flat().length).toBeGreaterThan(0);
  // The job finished during shutdown and was removed; nothing stays locked by the stopped worker.
  expect(await database.query("select id, task_identifier, locked_by from graphile_worker.jobs where locked_by is not null")).toEqual([]);
  expect(await database.query("select 1 from graphile_worker.jobs where key = $1", [`replenish_pool:user:${user.id}`])).toEqual([]);
  await client.dispose();
}, 120_000);
