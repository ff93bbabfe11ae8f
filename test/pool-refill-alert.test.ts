// A failing refill raises pool_refill_failing at once, with the error, although its job fails;
// the next successful refill resolves it. The failure is real: the seeder breaks inside this
// test's database (a trigger on a content table raises) and the worker's replenish_pool fails.
import { afterAll, describe, expect, test } from "vitest";
import { type RunningWorker, startWorker } from "../src/worker.ts";
import { createUser } from "./support/as-user.ts";
import { useTestDatabase } from "./support/database.ts";
import { waitFor } from "./support/wait.ts";

const database = useTestDatabase("pool_refill_alert");
let worker: RunningWorker | undefined;
afterAll(async () => {
  await worker?.stop();
});

interface Alert {
  severity: string;
  message: string;
  details: Record<string, unknown>;
  resolved_at: Date | null;
}

const refillAlerts = () =>
  database.query<Alert>(
    "select severity, message, details, resolved_at from app_public.alerts where kind = 'pool_refill_failing' order by raised_at",
  );

const breakSeeder = () =>
  database.query(`
    create function public.test_broken_weapons() returns trigger language plpgsql as $$
      begin raise exception 'weapons are out of stock (test)'; end;
    $$;
    create trigger _000_test_broken before insert on app_public.weapons for each statement execute function public.test_broken_weapons();
  `);
const repairSeeder = () => database.query("drop function public.test_broken_weapons() cascade");

const masterReady = async () => (await database.query<{ n: number }>("select app_private.master_pool_ready() as n"))[0]!.n;

describe("pool_refill_failing", () => {
  test("a replenish_pool job that fails raises it with the error; the next successful refill resolves it", async () => {
    await breakSeeder();
    // The worker refills the empty master pool as it starts: that refill fails.
    worker = await startWorker(database.ownerUrl);
    const [alert] = await waitFor(refillAlerts, (alerts) => alerts.length === 1, 30_000);
    expect(alert).toMatchObject({
      severity: "WARNING",
      message: expect.stringMatching(/^Refilling the master pool failed \(attempt \d+ of 25\): weapons are out of stock \(test\)$/),
      details: { pool_type: "master", user_id: null, error: "weapons are out of stock (test)", code: "P0001" },
      resolved_at: null,
    });
    // Committed although the job failed: the job is still there, with the same error, for a retry
    // (graphile-worker records the failure just after the task committed the alert).
    const [job] = await waitFor(
      () =>
        database.query<{ attempts: number; last_error: string | null; locked_at: Date | null }>(
          "select attempts, last_error, locked_at from graphile_worker.jobs where key = 'replenish_pool:master'",
        ),
      (jobs) => jobs[0]?.last_error != null,
    );
    expect(job!.attempts).toBeGreaterThanOrEqual(1);
    expect(job!.last_error).toContain("weapons are out of stock (test)");
    expect(await masterReady()).toBe(0);

    await repairSeeder();
    // As the pool monitor does every minute, rather than waiting for graphile-worker's backoff.
    await database.query("select app_private.enqueue_pool_refill('master', refill_now => true)");
    const [resolved] = await waitFor(refillAlerts, (alerts) => alerts[0]?.resolved_at != null, 30_000);
    expect(resolved).toMatchObject({ severity: "WARNING", details: { error: "weapons are out of stock (test)" } });
    expect(await refillAlerts()).toHaveLength(1);
    expect(await masterReady()).toBeGreaterThan(0);
  }, 60_000);

  test("a refill of another pool that had nothing to add leaves it open; one that seeds, or finds the failing pool full, resolves it", async () => {
    const carol = await createUser(database, "carol@example.com");
    await database.query("delete from app_public.alerts");
    const fail = () => database.query("select app_private.refill_failed('master', null, 'the seeder broke', 'XX000', 3, 25)");
    const open = async () => (await refillAlerts()).filter((alert) => alert.resolved_at === null);

    await fail();
    await fail(); // refreshed, not a second alert
    expect(await open()).toMatchObject([{ message: "Refilling the master pool failed (attempt 3 of 25): the seeder broke" }]);
    await database.query("select app_private.refill_succeeded('user', $1, 0)", [carol.id]);
    expect(await open()).toHaveLength(1);

    await database.query("select app_private.refill_succeeded('user', $1, 1)", [carol.id]);
    expect(await open()).toHaveLength(0);

    await fail();
    await database.query("select app_private.refill_succeeded('master', null, 0)");
    expect(await open()).toHaveLength(0);
    expect(await refillAlerts()).toHaveLength(2);
  });
});
