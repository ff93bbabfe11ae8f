// Kysely over node-postgres; the DB type is generated from the migrated schema (npm run db:types).
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { DB } from "./types.ts";

export type { DB };

export function createKysely(connectionString: string, max = 5): Kysely<DB> {
  // Time limits, so a database that stops answering turns into errors (and /health into 503), not hangs.
  const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: 5_000, statement_timeout: 30_000 });
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}
