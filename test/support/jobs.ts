// Runs the jobs that are due, once, with the project's tasks (graphile.config.ts), the way
// graphile/worker's own tests do (runOnce): for files whose app runs no worker, so a job runs
// exactly when the test says, not whenever a background worker gets to it.
import { runOnce } from "graphile-worker";
import preset from "../../graphile.config.ts";
import type { TestDatabase } from "./database.ts";

/** Runs every job due now (and any they enqueue for now) until none is left. */
export async function runDueJobs(database: TestDatabase): Promise<void> {
  await database.query("select 1"); // creates the database
  await runOnce({ preset, connectionString: database.ownerUrl });
}
