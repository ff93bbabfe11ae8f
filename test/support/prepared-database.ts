// A freshly created, migrated database with the master template, on the server of DATABASE_URL or
// on an embedded cluster under .data/<clusterDir>. Used by the test run (as the template that
// every test file clones) and by benchmarks.
import path from "node:path";
import pg from "pg";
import { projectRoot } from "../../src/config.ts";
import { ensureEmbeddedCluster } from "../../src/db/embedded-postgres.ts";
import { migrate } from "../../src/db/migrate.ts";
import { ensureMasterTemplate } from "../../src/template/load.ts";

// Only for throw-away clusters on 127.0.0.1 and the API role of their databases.
export const SCRATCH_PASSWORD = "campaign-engine-test";

export function databaseUrl(serverUrl: string, name: string) {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export interface PreparedDatabase {
  url: string;
  embedded: boolean;
  /** Stops the embedded cluster if this call started it. */
  close(): Promise<void>;
}

export async function prepareDatabase(name: string, clusterDir: string): Promise<PreparedDatabase> {
  let serverUrl = process.env.DATABASE_URL;
  let close = async () => {};
  if (!serverUrl) {
    const cluster = await ensureEmbeddedCluster(path.join(projectRoot, ".data", clusterDir), SCRATCH_PASSWORD);
    serverUrl = `postgres://postgres:${SCRATCH_PASSWORD}@127.0.0.1:${cluster.port}/postgres`;
    if (cluster.startedHere) close = cluster.stop;
  }
  const admin = new pg.Client({ connectionString: databaseUrl(serverUrl, "postgres") });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = databaseUrl(serverUrl, name);
  await migrate(url, SCRATCH_PASSWORD);
  await ensureMasterTemplate(url);
  return { url, embedded: !process.env.DATABASE_URL, close };
}
