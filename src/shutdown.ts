// Graceful shutdown on SIGINT/SIGTERM: run `stop` once; a second signal, or a stop that takes
// longer than SHUTDOWN_TIMEOUT_SECONDS, exits at once with a failure code.
import { config } from "./config.ts";

export function onShutdownSignal(stop: () => Promise<void>): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) {
      console.error(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    console.log(`${signal}: shutting down (finishing requests and jobs)...`);
    const timer = setTimeout(() => {
      console.error(`shutdown took longer than ${config.shutdownTimeoutSeconds}s: exiting`);
      process.exit(1);
    }, config.shutdownTimeoutSeconds * 1000);
    timer.unref();
    stop().then(
      () => {
        console.log("stopped");
        process.exitCode = 0;
      },
      (error: Error) => {
        console.error(`shutdown failed: ${error.message}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", handle);
  process.on("SIGTERM", handle);
}
