// Kysely over node-postgres; the DB type is generated from the migrated schema (npm run db:types).
import { Kysely, PostgresDialect, type PostgresPool } from "kysely";
import type pg from "pg";
import { type ConnectionPart, createPool } from "./connection.ts";
import type { DB } from "./types.ts";

export type { DB };

export function createKysely(
  connectionString: string,
  { part = "server", max = 5 }: { part?: ConnectionPart; max?: number } = {},
): Kysely<DB> {
  // Time limits, so a database that stops answering turns into errors (and readiness into 503), not hangs.
  const pool = createPool(connectionString, part, { max, connectionTimeoutMillis: 5_000, statement_timeout: 30_000 });
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * Kysely on one connection that the caller holds, usually in the middle of a transaction of its own
 * (a COPY on the same connection, as an import makes, is beyond Kysely): every query runs on
 * `client`, which Kysely never releases or ends; `destroy()` leaves it open.
 */
export function kyselyOnClient(client: pg.ClientBase): Kysely<DB> {
  const held = {
    query: (text: string, values: ReadonlyArray<unknown>) => client.query(text, values as unknown[]),
    release: () => {},
  };
  // A pool of that one connection. (The cast: pg types a result's `command` as any string.)
  const pool = { connect: async () => held, end: async () => {}, options: {} } as unknown as PostgresPool;
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}
