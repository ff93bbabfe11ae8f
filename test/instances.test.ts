// Several instances on one database, as a deployment scales out.
import pg from "pg";
import { describe, expect, inject, test } from "vitest";
import { migrate } from "../src/db/migrate.ts";
import { useTestDatabase } from "./support/database.ts";
import { waitFor } from "./support/wait.ts";

const database = useTestDatabase("instances");
const AUTHENTICATOR_PASSWORD = inject("authenticatorPassword");

describe("starting several instances at once", () => {
  test("every one's migrate succeeds, however they overlap", async () => {
    // What each process does first. graphile-migrate alone refuses a migrate that overlaps another.
    await database.query("select 1");
    for (let round = 0; round < 3; round++) {
      const results = await Promise.allSettled([1, 2, 3].map(() => migrate(database.ownerUrl, AUTHENTICATOR_PASSWORD)));
      expect(results.flatMap((result) => (result.status === "rejected" ? [(result.reason as Error).message] : []))).toEqual([]);
    }
  });

  test("on a current database, migrate takes no lock on its tables, so it never waits on (or deadlocks with) live traffic", async () => {
    const traffic = new pg.Client({ connectionString: database.ownerUrl });
    await traffic.connect();
    try {
      // What every write to campaigns holds until it commits.
      await traffic.query("begin");
      await traffic.query("lock table app_public.campaigns in row exclusive mode");
      let migrated = false;
      const migrating = migrate(database.ownerUrl, AUTHENTICATOR_PASSWORD).then(() => (migrated = true));
      const waitingForCampaigns = () => database.query<{ count: number }>(
        "select count(*)::int as count from pg_locks where not granted and relation = 'app_public.campaigns'::regclass").then(([row]) => row!.count);
      const waited = await waitFor(waitingForCampaigns, (count) => count > 0 || migrated, 30_000);
      expect(migrated, "migrate queued for a lock on app_public.campaigns").toBe(true);
      expect(waited).toBe(0);
      await migrating;
    } finally {
      await traffic.query("rollback");
      await traffic.end();
    }
  });
});
