// Kysely over node-postgres; the DB type is generated from the migrated schema (npm run db:types).
import { Kysely, PostgresDialect } from "kysely";
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
