// The whole product in one process: notification hub, worker and HTTP server over one database.
// `npm start` runs it; tests start it in-process against their own database.
import { makeAuthenticate } from "./auth/authenticate.ts";
import { createKysely } from "./db/kysely.ts";
import { NotificationHub } from "./notifications/hub.ts";
import { startServer } from "./server/app.ts";
import type { Exposure } from "./server/exposure.ts";
import { createMetrics } from "./server/metrics.ts";
import { observePools } from "./server/pool-metrics.ts";
import { Teardown } from "./shutdown.ts";
import { startWorker } from "./worker.ts";

export interface AppOptions {
  ownerUrl: string;
  authenticatorUrl: string;
  jwtSecret: string;
  host: string;
  port: number;
  /** What production mode hides (config.exposure); unset: development's. */
  exposure?: Exposure;
  /** false: serve the API only, and leave the jobs (and the timer alarm) to `npm run worker` processes. */
  worker?: boolean;
}

export interface RunningApp {
  url: string;
  /** Where /metrics is served when it has a port of its own. */
  metricsUrl?: string;
  /** Graceful, in reverse order of start: stop accepting and finish requests, finish jobs, release connections. */
  stop(): Promise<void>;
}

export async function startApp(options: AppOptions): Promise<RunningApp> {
  // Undone in reverse order by stop(), or at once if a later step of start-up fails.
  const started = new Teardown();
  try {
    const db = createKysely(options.ownerUrl);
    await started.add(() => db.destroy());
    const hub = new NotificationHub(options.ownerUrl);
    await started.add(() => hub.close());
    await hub.connect();
    const metrics = createMetrics();
    await started.add(await observePools(metrics.registry, { db, hub }));
    let workerRunning: (() => boolean) | undefined;
    if (options.worker ?? true) {
      const runner = await startWorker(options.ownerUrl, { hub });
      await started.add(() => runner.stop());
      metrics.observeWorker(runner);
      let running = true;
      runner.promise.finally(() => (running = false)).catch(() => {});
      workerRunning = () => running;
    }

    const server = await startServer({
      host: options.host,
      port: options.port,
      ownerUrl: options.ownerUrl,
      authenticatorUrl: options.authenticatorUrl,
      db,
      hub,
      metrics,
      authenticate: makeAuthenticate(db, options.jwtSecret),
      workerRunning,
      exposure: options.exposure,
    });
    await started.add(() => server.close());

    return { url: server.url, metricsUrl: server.metricsUrl, stop: () => started.run() };
  } catch (error) {
    await started.run().catch(() => {});
    throw error;
  }
}
