// Several instances on one database, as a deployment scales out.
import { describe, expect, inject, test } from "vitest";
import { migrate } from "../src/db/migrate.ts";
import { useTestDatabase } from "./support/database.ts";

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
});
