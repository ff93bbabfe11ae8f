// SQL as the API runs it for a signed-in user: the visitor role with the JWT claims, in one
// transaction that commits, or rolls back and rethrows (with Postgres' error code) on failure.
import pg from "pg";
import { actAs } from "../../src/auth/pg-settings.ts";
import type { TestDatabase } from "./database.ts";

export interface TestUser {
  id: string;
  admin?: boolean;
}

export async function asUser<Row = Record<string, unknown>>(
  database: TestDatabase,
  user: TestUser,
  text: string,
  values?: unknown[],
): Promise<Row[]> {
  const client = new pg.Client({ connectionString: database.ownerUrl });
  await client.connect();
  try {
    await client.query("begin");
    await actAs(client, { sub: user.id, is_admin: user.admin ?? false });
    const { rows } = await client.query(text, values);
    await client.query("commit");
    return rows;
  } catch (error) {
    await client.query("rollback").catch(() => {});
    throw error;
  } finally {
    await client.end();
  }
}

export async function createUser(database: TestDatabase, email: string, { admin = false } = {}): Promise<TestUser> {
  const [row] = await database.query<{ id: string }>(
    `insert into app_public.users (email, is_admin) values ($1, $2)
     on conflict (email) do update set is_admin = excluded.is_admin returning id`,
    [email, admin],
  );
  return { id: row!.id, admin };
}
