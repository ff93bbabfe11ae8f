// Once per test run: find a PostgreSQL server (DATABASE_URL, or an embedded cluster under
// .data/test), migrate a template database, and hand its URL to the test files, which clone it.
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { projectRoot } from "../../src/config.ts";
import { ensureEmbeddedCluster, type EmbeddedCluster } from "../../src/db/embedded-postgres.ts";
import { migrate } from "../../src/db/migrate.ts";
import { ensureMasterTemplate } from "../../src/template/load.ts";

// Only for the throw-away test cluster on 127.0.0.1 and the test databases' API role.
const TEST_PASSWORD = "campaign-engine-test";
const TEMPLATE = "campaign_engine_test_template";

declare module "vitest" {
  export interface ProvidedContext {
    templateUrl: string;
    authenticatorPassword: string;
    embeddedTestCluster: boolean;
  }
}

function databaseUrl(serverUrl: string, name: string) {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

let cluster: EmbeddedCluster | undefined;

export async function setup(project: TestProject) {
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    cluster = await ensureEmbeddedCluster(path.join(projectRoot, ".data", "test"), TEST_PASSWORD);
    serverUrl = `postgres://postgres:${TEST_PASSWORD}@127.0.0.1:${cluster.port}/postgres`;
  }
  const admin = new pg.Client({ connectionString: databaseUrl(serverUrl, "postgres") });
  await admin.connect();
  await admin.query(`drop database if exists ${TEMPLATE} with (force)`);
  await admin.query(`create database ${TEMPLATE}`);
  await admin.end();

  const templateUrl = databaseUrl(serverUrl, TEMPLATE);
  await migrate(templateUrl, TEST_PASSWORD);
  // Every test database starts with the master template, as a real one does after `npm start`.
  await ensureMasterTemplate(templateUrl);
  project.provide("templateUrl", templateUrl);
  project.provide("authenticatorPassword", TEST_PASSWORD);
  project.provide("embeddedTestCluster", Boolean(cluster));
}

export async function teardown() {
  if (cluster?.startedHere) await cluster.stop();
}
