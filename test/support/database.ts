// Each test file works in its own database, cloned from the migrated template (fast, isolated,
// parallel-safe). A file whose tests failed keeps its database for inspection.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeEach, inject, onTestFailed } from "vitest";
import { withUser } from "../../src/db/database.ts";
import { createKysely } from "../../src/db/kysely.ts";
import { AUTHENTICATOR_ROLE } from "../../src/db/roles.ts";

export interface TestDatabase {
  name: string;
  ownerUrl: string;
  authenticatorUrl: string;
  db: ReturnType<typeof createKysely>;
  /** Runs `text` as the owner in its own connection. */
  query<Row = Record<string, unknown>>(text: string, values?: unknown[]): Promise<Row[]>;
}

function urlOf(templateUrl: string, name: string) {
  const url = new URL(templateUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function onServer<T>(templateUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: urlOf(templateUrl, "postgres") });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Call at the top level of a test file; the database is created before its first test. */
export function useTestDatabase(label: string): TestDatabase {
  const templateUrl = inject("templateUrl");
  const name = `ce_test_${label.replace(/\W/g, "_")}_${randomBytes(4).toString("hex")}`;
  const ownerUrl = urlOf(templateUrl, name);
  let created: Promise<void> | undefined;
  let failed = false;
  const ensureCreated = () =>
    (created ??= onServer(templateUrl, async (client) => {
      await client.query(`create database ${name} template ${new URL(templateUrl).pathname.slice(1)}`);
    }));

  const db = createKysely(ownerUrl);
  beforeEach(async () => {
    await ensureCreated();
    onTestFailed(() => {
      failed = true;
    });
  });
  afterAll(async () => {
    await db.destroy();
    if (created && !failed) {
      await onServer(templateUrl, (client) => client.query(`drop database if exists ${name} with (force)`));
    }
  });

  return {
    name,
    ownerUrl,
    authenticatorUrl: withUser(ownerUrl, AUTHENTICATOR_ROLE, inject("authenticatorPassword")),
    db,
    async query(text, values) {
      await ensureCreated();
      const client = new pg.Client({ connectionString: ownerUrl });
      await client.connect();
      try {
        return (await client.query(text, values)).rows;
      } finally {
        await client.end();
      }
    },
  };
}
