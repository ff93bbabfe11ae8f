// Which database the product talks to: DATABASE_URL when it is set, otherwise the embedded cluster
// under dataDir. Every command (start, worker, migrate, token) opens it the same way.
import { config } from "../config.ts";
import { loadSecrets, type Secrets } from "../secrets.ts";
import { describeServer, withClient } from "./connection.ts";
import { ensureEmbeddedCluster } from "./embedded-postgres.ts";
import { AUTHENTICATOR_ROLE } from "./roles.ts";
import { retryWhileUnavailable } from "./unavailable.ts";

const EMBEDDED_DATABASE = "campaign_engine";

export interface Database {
  /** Owner connection: migrations, the worker, server-side bookkeeping. */
  ownerUrl: string;
  /** Login role the API connects as; it can only become the visitor role. */
  authenticatorUrl: string;
  secrets: Secrets;
  embedded: boolean;
  /** Stops the embedded cluster when this process started it. */
  close(): Promise<void>;
}

export function withUser(url: string, user: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(user);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

async function ensureDatabaseExists(serverUrl: string, name: string): Promise<void> {
  await withClient(serverUrl, "migrate", async (client) => {
    try {
      const { rowCount } = await client.query("select 1 from pg_database where datname = $1", [name]);
      if (!rowCount) await client.query(`create database ${client.escapeIdentifier(name)}`);
    } catch (error) {
      // Two commands starting at once may both try; the loser finds the database there.
      if ((error as { code?: string }).code !== "42P04") throw error;
    }
  });
}

/** Waits, with backoff, for the server of DATABASE_URL to accept connections (it may be starting too). */
function awaitReachable(url: string, signal?: AbortSignal): Promise<void> {
  return retryWhileUnavailable(`connecting to the database at ${describeServer(url)}`, () => withClient(url, "cli", async () => {}), {
    timeoutSeconds: config.databaseStartupTimeoutSeconds,
    signal,
  });
}

/**
 * With `ownsCluster` (the server), closing stops the embedded cluster even when another command had
 * started it; short commands (token, migrate) stop only a cluster they started themselves.
 */
export async function openDatabase({
  ownsCluster = false,
  signal,
}: {
  ownsCluster?: boolean;
  signal?: AbortSignal;
} = {}): Promise<Database> {
  const secrets = await loadSecrets();
  if (config.databaseUrl) {
    await awaitReachable(config.databaseUrl, signal);
    return {
      ownerUrl: config.databaseUrl,
      authenticatorUrl: withUser(config.databaseUrl, AUTHENTICATOR_ROLE, secrets.authenticatorPassword),
      secrets,
      embedded: false,
      close: async () => {},
    };
  }
  const cluster = await ensureEmbeddedCluster(config.dataDir, secrets.embeddedPostgresPassword);
  const serverUrl = `postgres://postgres:${encodeURIComponent(secrets.embeddedPostgresPassword)}@127.0.0.1:${cluster.port}/postgres`;
  await ensureDatabaseExists(serverUrl, EMBEDDED_DATABASE);
  const ownerUrl = serverUrl.replace(/\/postgres$/, `/${EMBEDDED_DATABASE}`);
  return {
    ownerUrl,
    authenticatorUrl: withUser(ownerUrl, AUTHENTICATOR_ROLE, secrets.authenticatorPassword),
    secrets,
    embedded: true,
    close: async () => {
      if (cluster.startedHere || ownsCluster) await cluster.stop();
    },
  };
}
