// `npm run worker`: graphile-worker alone (tasks/ and crontab), no HTTP server.
// First: config.ts sets GRAPHILE_ENV, which PostGraphile reads when it loads.
import "./config.ts";
import "./config.ts";
import { openDatabase } from "./db/database.ts";
import { migrate } from "./db/migrate.ts";
import { runUntilSignalled } from "./shutdown.ts";
import { startWorker } from "./worker.ts";

runUntilSignalled(async (teardown) => {
  const database = await openDatabase({ signal: teardown.signal });
  await teardown.add(() => database.close());
  // A restart re-applies sql/ only when it changed: no strong locks on busy tables at every start.
  await migrate(database.ownerUrl, database.secrets.authenticatorPassword, { signal: teardown.signal, sqlFolder: "when-changed" });
  const runner = await startWorker(database.ownerUrl);
  await teardown.add(() => runner.stop());
  console.log("worker running (tasks/ and crontab); Ctrl-C stops it");
});
