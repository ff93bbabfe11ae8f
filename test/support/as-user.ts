// SQL as the API runs it for a signed-in user: the visitor role with the JWT claims, in one
// transaction that commits, or rolls back and rethrows (with Postgres' error code) on failure.
import pg from "pg";
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
    await client.query("set local role campaign_engine_visitor");
    await client.query("select set_config('jwt.claims.user_id', $1, true), set_config('jwt.claims.is_admin', $2, true)", [
      user.id,
      String(user.admin ?? false),
    ]);
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
