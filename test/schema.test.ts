// The schema as code sees it: committed Kysely types match the migrated database, and
// migrating again is a no-op.
import { describe, expect, inject, test } from "vitest";
import { generateTypes } from "../src/db/generate-types.ts";
import { migrate, pendingMigrations } from "../src/db/migrate.ts";
import { useTestDatabase } from "./support/database.ts";

const database = useTestDatabase("schema");

describe("schema", () => {
  test("src/db/types.ts matches the migrated schema (kysely-codegen --verify)", async () => {
    await database.query("select 1");
    await expect(generateTypes(database.ownerUrl, { verify: true })).resolves.toMatch(/up-to-date|match/i);
  });

  test("migrate is idempotent and leaves nothing pending", async () => {
    // The authenticator role is cluster-wide: keep the password the other test files log in with.
    await migrate(database.ownerUrl, inject("authenticatorPassword"));
    await migrate(database.ownerUrl, inject("authenticatorPassword"));
    expect(await pendingMigrations(database.db)).toEqual([]);
  });
});
