// Kysely over node-postgres; the DB type is generated from the migrated schema (npm run db:types).
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { DB } from "./types.ts";

export type { DB };

export function createKysely(connectionString: string, max = 5): Kysely<DB> {
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString, max }) }) });
}
