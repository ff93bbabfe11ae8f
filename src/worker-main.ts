// `npm run worker`: graphile-worker alone (tasks/ and crontab), no HTTP server.
// First: config.ts sets GRAPHILE_ENV, which PostGraphile reads when it loads.
import "./config.ts";
import { openDatabase } from "./db/database.ts";
import { migrate } from "./db/migrate.ts";
import { onShutdownSignal } from "./shutdown.ts";
import { startWorker } from "./worker.ts";

async function main() {
  const database = await openDatabase();
  await migrate(database.ownerUrl, database.secrets.authenticatorPassword);
  const runner = await startWorker(database.ownerUrl);
  console.log("worker running (tasks/ and crontab); Ctrl-C stops it");
  onShutdownSignal(async () => {
    await runner.stop();
    await database.close();
  });
}

main().catch((error: Error) => {
  console.error(`error: ${error.message}`);
  process.exit(1);
});
