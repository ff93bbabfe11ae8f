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
    expect(await pendingMigrations(database.ownerUrl)).toEqual([]);
  });

  test("a committed migration the database has not recorded is pending, by graphile-migrate's name for it", async () => {
    const [last] = await database.query<{ hash: string; previous_hash: string; filename: string; date: Date }>(
      "delete from graphile_migrate.migrations where filename = (select max(filename) from graphile_migrate.migrations) returning *",
    );
    try {
      expect(await pendingMigrations(database.ownerUrl)).toEqual([last!.filename]);
    } finally {
      await database.query("insert into graphile_migrate.migrations (hash, previous_hash, filename, date) values ($1, $2, $3, $4)", [
        last!.hash,
        last!.previous_hash,
        last!.filename,
        last!.date,
      ]);
    }
    expect(await pendingMigrations(database.ownerUrl)).toEqual([]);
  });

  test("a start re-applies sql/ only when it changed; npm run migrate always does", async () => {
    const appliedAt = async () =>
      (await database.query<{ applied_at: Date }>("select applied_at from app_hidden.sql_folder_applied"))[0]!.applied_at.getTime();
    await migrate(database.ownerUrl, inject("authenticatorPassword"));
    const first = await appliedAt();
    // A function changed by hand is left as it is by a start, and restored by npm run migrate.
    const source = async () =>
      (await database.query<{ src: string }>("select prosrc as src from pg_proc where proname = 'master_pool_empty'"))[0]!.src.trim();
    await database.query(
      "create or replace function app_private.master_pool_empty() returns boolean language sql stable as $$ select true $$",
    );
    await migrate(database.ownerUrl, inject("authenticatorPassword"), { sqlFolder: "when-changed" });
    expect(await appliedAt()).toBe(first);
    expect(await source()).toBe("select true");
    await database.query("update app_hidden.sql_folder_applied set hash = 'an older sql/'");
    await migrate(database.ownerUrl, inject("authenticatorPassword"), { sqlFolder: "when-changed" });
    expect(await appliedAt()).toBeGreaterThan(first);
    expect(await source()).not.toBe("select true");
  });
});
