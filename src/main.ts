// `npm start`: migrate, then run the API and the worker in one process until SIGINT/SIGTERM.
// First: config.ts sets GRAPHILE_ENV, which PostGraphile reads when it loads.

import "./config.ts";
import { mkdir } from "node:fs/promises";
import { startApp } from "./app.ts";
import { config } from "./config.ts";
import { openDatabase } from "./db/database.ts";
import { migrate } from "./db/migrate.ts";
import { runUntilSignalled } from "./shutdown.ts";
import { claimDataDir } from "./single-instance.ts";
import { ensureMasterTemplate } from "./template/load.ts";

runUntilSignalled(async (teardown) => {
  await mkdir(config.dataDir, { recursive: true });
  if (!config.databaseUrl) await teardown.add(await claimDataDir(config.dataDir));
  const database = await openDatabase({ ownsCluster: true, signal: teardown.signal });
  await teardown.add(() => database.close());
  // A restart re-applies sql/ only when it changed: no strong locks on busy tables at every start.
  await migrate(database.ownerUrl, database.secrets.authenticatorPassword, { signal: teardown.signal, sqlFolder: "when-changed" });
  const template = await ensureMasterTemplate(database.ownerUrl);
  if (template.created) console.log(`master template loaded (campaign ${template.campaignId})`);
  const app = await startApp({
    ownerUrl: database.ownerUrl,
    authenticatorUrl: database.authenticatorUrl,
    jwtSecret: database.secrets.jwtSecret,
    host: config.host,
    port: config.port,
    exposure: config.exposure,
    worker: config.runWorker,
  });
  await teardown.add(() => app.stop());
  console.log(
    `campaign-engine is running (database: ${database.embedded ? `embedded PostgreSQL under ${config.dataDir}` : "DATABASE_URL"})`,
  );
  console.log(`  GraphQL   ${app.url}/graphql  (websockets: ${app.url.replace("http", "ws")}/graphql)`);
  console.log(`  GraphiQL  ${config.exposure.production ? "off (production)" : `${app.url}/graphiql`}`);
  console.log(`  health    ${app.url}/health/live (liveness), ${app.url}/health/ready (readiness)`);
  const metricsAccess = config.exposure.metricsToken
    ? " (bearer METRICS_TOKEN)"
    : !app.metricsUrl && config.exposure.production
      ? " (off: set METRICS_TOKEN or METRICS_PORT)"
      : "";
  console.log(`  metrics   ${app.metricsUrl ?? app.url}/metrics${metricsAccess}`);
  console.log(`  admin     ${app.url}/admin`);
  console.log(`  campaigns ${app.url}/campaigns`);
  console.log(`  token     npm run token -- you@example.com [--admin]`);
});
