// How every part of the product connects to PostgreSQL: under its own application_name, so that
// pg_stat_activity tells an operator who holds what; and so that a connection the server drops
// (a restart, a failover, pg_terminate_backend, an idle reaper) is an ordinary event, never the end
// of the process. node-postgres emits `error` on an idle pooled client or an idle Client whose
// connection dies; without a listener, Node ends the process.
import pg from "pg";

/** Who a connection belongs to, as `campaign-engine:<part>` in pg_stat_activity.application_name. */
export type ConnectionPart = "api" | "server" | "worker" | "listen" | "alarm" | "migrate" | "cli";

export function namedUrl(connectionString: string, part: ConnectionPart): string {
  const url = new URL(connectionString);
  url.searchParams.set("application_name", `campaign-engine:${part}`);
  return url.toString();
}

function logDropped(part: ConnectionPart) {
  return (error: Error) => console.error(`database connection (${part}) lost: ${error.message}`);
}

/**
 * A pool whose dropped connections are logged and replaced, not fatal: idle ones (the pool's
 * `error`) and checked-out ones between two queries (each client's own `error`; the query that
 * follows fails, and the client is discarded when released).
 */
export function createPool(connectionString: string, part: ConnectionPart, config: pg.PoolConfig = {}): pg.Pool {
  const pool = new pg.Pool({ ...config, connectionString: namedUrl(connectionString, part) });
  const dropped = logDropped(part);
  pool.on("error", dropped);
  pool.on("connect", (client) => client.on("error", dropped));
  return pool;
}

/** One short-lived connection for `work`, ended afterwards whatever happens. */
export async function withClient<T>(connectionString: string, part: ConnectionPart, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: namedUrl(connectionString, part) });
  client.on("error", logDropped(part));
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** "host:port" of a connection string, for messages that must say which server they mean. */
export function describeServer(connectionString: string): string {
  const url = new URL(connectionString);
  return `${url.hostname || "localhost"}:${url.port || "5432"}`;
}
