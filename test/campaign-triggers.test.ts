// The triggers on app_public.campaigns, held to their one list, sql/TRIGGERS.md, both ways: a
// trigger added without a row there, a row for a trigger that is gone, other events than the row
// says, a row out of firing order, the wrong file, or two triggers sharing a number fails here.
// And a database made before expire_offers left the number it shared with arrange_timers loses
// the old name when it is migrated again.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, inject, test } from "vitest";
import { projectRoot } from "../src/config.ts";
import { migrate } from "../src/db/migrate.ts";
import { useTestDatabase } from "./support/database.ts";

const database = useTestDatabase("campaign_triggers");

interface Trigger {
  name: string;
  timingAndEvents: string;
  firingRank: number;
}
interface DocumentedTrigger {
  name: string;
  timingAndEvents: string;
  file: string;
}

/**
 * The triggers as the database has them, with their timing and events written as TRIGGERS.md
 * writes them ("before insert or update of name, description"; "after update, per statement").
 */
async function triggersInDatabase(): Promise<Trigger[]> {
  const rows = await database.query<{ name: string; definition: string }>(
    `select tgname as name, pg_get_triggerdef(oid) as definition from pg_trigger
      where tgrelid = 'app_public.campaigns'::regclass and not tgisinternal`,
  );
  return rows.map(({ name, definition }) => {
    const parsed = /^CREATE TRIGGER \S+ (BEFORE|AFTER|INSTEAD OF) (.+?) ON \S+ (?:REFERENCING .+? )?FOR EACH (ROW|STATEMENT) /.exec(
      definition,
    );
    if (!parsed) throw new Error(`cannot read the definition of ${name}: ${definition}`);
    const [, timing, events, level] = parsed as unknown as [string, string, string, string];
    const perStatement = level === "STATEMENT";
    // On one statement: before statement, before row, after row, after statement.
    const firingRank = timing === "BEFORE" ? (perStatement ? 0 : 1) : perStatement ? 3 : 2;
    return { name, timingAndEvents: `${timing} ${events}${perStatement ? ", per statement" : ""}`.toLowerCase(), firingRank };
  });
}

function firingOrder(triggers: Trigger[]): string[] {
  return [...triggers]
    .sort((a, b) => a.firingRank - b.firingRank || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map(({ name }) => name);
}

async function documentedTriggers(): Promise<DocumentedTrigger[]> {
  const text = await readFile(path.join(projectRoot, "sql", "TRIGGERS.md"), "utf8");
  return [...text.matchAll(/^\| `(\w+)` \| ([^|]+?) \| [^|]+ \| \[[^\]]+\]\(([^)]+)\) \|$/gm)].map(([, name, timingAndEvents, file]) => ({
    name: name!,
    timingAndEvents: timingAndEvents!,
    file: file!,
  }));
}

async function expectDatabaseAsDocumented() {
  const actual = await triggersInDatabase();
  const documented = await documentedTriggers();
  // Each one both ways: none undocumented, none documented that is not there, events as written.
  expect(Object.fromEntries(documented.map(({ name, timingAndEvents }) => [name, timingAndEvents]))).toEqual(
    Object.fromEntries(actual.map(({ name, timingAndEvents }) => [name, timingAndEvents])),
  );
  expect(documented.map(({ name }) => name)).toEqual(firingOrder(actual));
}

describe("sql/TRIGGERS.md", () => {
  test("lists every trigger on campaigns, with its timing and events, in firing order, and nothing else", async () => {
    const documented = await documentedTriggers();
    // The table was read, not skipped: the lifecycle's and the notification's triggers are in it.
    expect(documented.map(({ name }) => name)).toEqual(
      expect.arrayContaining(["_200_enforce_transition", "_600_arrange_timers", "_900_notify_updated"]),
    );
    await expectDatabaseAsDocumented();
  });

  test("names for each trigger the file that creates it", async () => {
    const misplaced = [];
    for (const { name, file } of await documentedTriggers()) {
      const text = await readFile(path.join(projectRoot, "sql", file), "utf8").catch(() => "");
      if (!new RegExp(`\\btrigger ${name}\\b`).test(text)) misplaced.push(`${name}: ${file}`);
    }
    expect(misplaced).toEqual([]);
  });
});

describe("the triggers' numbers", () => {
  test("every trigger on campaigns starts with a number, and no two share one", async () => {
    const names = (await triggersInDatabase()).map(({ name }) => name);
    expect(names.filter((name) => !/^_\d{3}_/.test(name))).toEqual([]);
    const byNumber = Map.groupBy(names, (name) => name.slice(1, 4));
    expect([...byNumber.values()].filter((sharing) => sharing.length > 1)).toEqual([]);
  });
});

describe("a database from before the renumbering", () => {
  test("migrated again, has _610_expire_offers and no _600_expire_offers", async () => {
    await database.query("alter trigger _610_expire_offers on app_public.campaigns rename to _600_expire_offers");
    expect((await triggersInDatabase()).map(({ name }) => name)).toContain("_600_expire_offers");
    await migrate(database.ownerUrl, inject("authenticatorPassword"));
    const names = (await triggersInDatabase()).map(({ name }) => name);
    expect(names).toContain("_610_expire_offers");
    expect(names).not.toContain("_600_expire_offers");
    await expectDatabaseAsDocumented();
  });
});
