// Queries run as a signed-in user would run them through the API: on the API's own login, as the
// visitor role with the user's claims, so row-level security answers exactly as it answers their
// GraphQL requests. For what the server asks on a user's behalf outside GraphQL (may this stream
// go on, what did it miss).
import type pg from "pg";
import type { Claims } from "../auth/jwt.ts";
import { actAs } from "../auth/pg-settings.ts";
import { createPool } from "./connection.ts";
import { inTransaction } from "./transaction.ts";

export class VisitorQueries {
  private readonly pool: pg.Pool;

  constructor(authenticatorUrl: string, max = 2) {
    this.pool = createPool(authenticatorUrl, "api", { max });
  }

  /** The rows of `text` run as `claims` (anonymous without). */
  async query<Row extends pg.QueryResultRow>(claims: Claims | null, text: string, values: unknown[]): Promise<Row[]> {
    const client = await this.pool.connect();
    try {
      return await inTransaction(client, async () => {
        await actAs(client, claims);
        return (await client.query<Row>(text, values)).rows;
      });
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
