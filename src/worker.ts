// The graphile-worker runner, configured by graphile.config.ts (tasks/ and crontab).
import { run, type Runner } from "graphile-worker";
import preset from "../graphile.config.ts";

export async function startWorker(connectionString: string): Promise<Runner> {
  // Signals are handled by our own shutdown, which stops the worker in order.
  return run({ preset, connectionString, noHandleSignals: true });
}
