// `npm start` as a real process: SIGTERM shuts it down cleanly, leaving no process and no
// connection behind; a second start on the same data directory refuses instead of sharing it.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, inject, test } from "vitest";
import { useTestDatabase } from "./support/database.ts";
import { isRunning, startMain } from "./support/process.ts";
import { waitFor } from "./support/wait.ts";

const database = useTestDatabase("shutdown");
// The child process must not touch the developer's .data/ or the cluster-wide role password.
const JWT_SECRET = "shutdown-test-secret";
const AUTHENTICATOR_PASSWORD = inject("authenticatorPassword");
let scratchDirs: string[] = [];
const scratchDir = async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "campaign-engine-shutdown-"));
  scratchDirs.push(dir);
  return dir;
};
afterAll(async () => {
  await Promise.all(scratchDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  scratchDirs = [];
});

describe("with DATABASE_URL", () => {
  test("SIGTERM stops the server and the worker and releases every connection", async () => {
    await database.query("select 1");
    const main = startMain({ DATABASE_URL: database.ownerUrl, DATA_DIR: await scratchDir(), JWT_SECRET, AUTHENTICATOR_PASSWORD });
    const url = await main.url();
    // Healthy once the worker has seeded the master pool's first campaign.
    await waitFor(
      async () => (await fetch(`${url}/health`)).status,
      (status) => status === 200,
      30_000,
    );
    const others = `select count(*)::int as count from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`;
    expect((await database.query<{ count: number }>(others))[0]!.count).toBeGreaterThan(0);

    main.child.kill("SIGTERM");
    expect(await main.exit).toBe(0);
    expect(main.output()).toMatch(/SIGTERM: shutting down[\s\S]*stopped/);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    await waitFor(
      async () => (await database.query<{ count: number }>(others))[0]!.count,
      (count) => count === 0,
    );
  });
});

describe("with the embedded PostgreSQL", () => {
  test("a second start refuses, and SIGTERM stops the embedded cluster too", async () => {
    const dataDir = await scratchDir();
    const first = startMain({ DATA_DIR: dataDir, JWT_SECRET });
    const url = await first.url();
    await waitFor(
      async () => (await fetch(`${url}/health`)).status,
      (status) => status === 200,
      30_000,
    );
    const postmasterPid = Number((await readFile(path.join(dataDir, "pg", "postmaster.pid"), "utf8")).split("\n")[0]);
    expect(await isRunning(postmasterPid)).toBe(true);

    const second = startMain({ DATA_DIR: dataDir, JWT_SECRET });
    expect(await second.exit).not.toBe(0);
    expect(second.output()).toMatch(/already running on .*\(pid \d+\)/);
    expect((await fetch(`${url}/health`)).status).toBe(200);

    first.child.kill("SIGTERM");
    expect(await first.exit).toBe(0);
    // pg_ctl stop returns once postmaster.pid is gone; the postmaster exits right after.
    await waitFor(
      () => isRunning(postmasterPid),
      (running) => !running,
    );
    await expect(readFile(path.join(dataDir, "pg", "postmaster.pid"))).rejects.toThrow(/ENOENT/);
  }, 120_000);

  test("SIGTERM in the middle of start-up still stops everything it had started", async () => {
    const dataDir = await scratchDir();
    const main = startMain({ DATA_DIR: dataDir, JWT_SECRET });
    // Wait until the cluster is up (so there is something to clean up), then stop at once:
    // the signal lands during migration or template loading.
    const postmasterPid = await waitFor(
      () =>
        readFile(path.join(dataDir, "pg", "postmaster.pid"), "utf8").then(
          (text) => Number(text.split("\n")[0]),
          () => 0,
        ),
      (pid) => pid > 0,
      60_000,
    );
    main.child.kill("SIGTERM");
    await main.exit;
    expect(main.output()).not.toMatch(/error:/);
    await waitFor(
      () => isRunning(postmasterPid),
      (running) => !running,
    );
    await expect(readFile(path.join(dataDir, "server.pid"))).rejects.toThrow(/ENOENT/);
  }, 120_000);
});
