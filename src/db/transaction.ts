// One way to run a transaction on a connection we were handed (a task's helpers.withPgClient, a
// pool's client): commit when `work` resolves, roll back when it throws, and rethrow.
import type pg from "pg";

export async function inTransaction<T>(client: pg.ClientBase, work: () => Promise<T>): Promise<T> {
  await client.query("begin");
  try {
    const result = await work();
    await client.query("commit");
    return result;
  } catch (error) {
    // A lost connection cannot roll back; the server does it when the session ends.
    await client.query("rollback").catch(() => {});
    throw error;
  }
}
