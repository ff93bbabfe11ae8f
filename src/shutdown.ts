// Orderly shutdown. A Teardown collects what has been started, to undo it in reverse order, once:
// on SIGINT/SIGTERM (even in the middle of start-up) or when start-up fails. A second signal, or a
// shutdown that takes longer than SHUTDOWN_TIMEOUT_SECONDS, exits at once with a failure code.
import { config } from "./config.ts";
import { isDatabaseUnavailable } from "./db/unavailable.ts";

/** Thrown by Teardown.add when shutdown began while the step was starting. */
class StartupInterrupted extends Error {
  constructor() {
    super("start-up interrupted by shutdown");
  }
}

export class Teardown {
  private readonly steps: (() => Promise<void>)[] = [];
  private readonly aborted = new AbortController();
  stopping = false;
  /** Aborted when shutdown begins, to cut short what start-up is waiting for (a retry's backoff). */
  readonly signal = this.aborted.signal;

  /** Registers how to undo a step that just started; if shutdown has begun, undoes it at once. */
  async add(undo: () => Promise<void>): Promise<void> {
    if (this.stopping) {
      await undo();
      throw new StartupInterrupted();
    }
    this.steps.push(undo);
  }

  async run(): Promise<void> {
    this.stopping = true;
    this.aborted.abort();
    for (let undo = this.steps.pop(); undo; undo = this.steps.pop()) await undo();
  }
}

// One request often arrives twice at once: Ctrl-C signals the terminal's whole process group (and
// systemd's default stop every process of the service), and npm passes what it got on to its
// script as well. A repeat of the same signal within this window is that echo; a later one insists.
const ECHO_WINDOW_MS = 1000;

function onShutdownSignal(teardown: Teardown): void {
  let signalled: { signal: NodeJS.Signals; at: number } | undefined;
  const handle = (signal: NodeJS.Signals) => {
    if (signalled) {
      if (signal === signalled.signal && performance.now() - signalled.at < ECHO_WINDOW_MS) return;
      console.error(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    signalled = { signal, at: performance.now() };
    console.log(`${signal}: shutting down (finishing requests and jobs)...`);
    const timer = setTimeout(() => {
      console.error(`shutdown took longer than ${config.shutdownTimeoutSeconds}s: exiting`);
      process.exit(1);
    }, config.shutdownTimeoutSeconds * 1000);
    timer.unref();
    teardown.run().then(
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

/**
 * A database that is unavailable for a moment must not end the process, even where a library
 * lets the failure go unhandled (graphile-worker does not await recording a job's completion or
 * failure, which rejects once its retries run out during a restart): such a rejection is logged,
 * and the job it concerned is unlocked by the heartbeat (src/worker-heartbeat.ts). Any other
 * unhandled rejection still ends the process, as Node's default does.
 */
function surviveDatabaseOutages(): void {
  process.on("unhandledRejection", (reason) => {
    if (!isDatabaseUnavailable(reason)) throw reason;
    console.error(`database unavailable: ${(reason as Error).message} (the operation is retried or recovered)`);
  });
}

/** Runs a command's start-up under a Teardown: signals stop it at any point, failures undo it. */
export function runUntilSignalled(start: (teardown: Teardown) => Promise<void>): void {
  const teardown = new Teardown();
  surviveDatabaseOutages();
  onShutdownSignal(teardown);
  start(teardown).catch(async (error: Error) => {
    if (teardown.stopping) return; // a signal arrived during start-up; the handler finishes the job
    console.error(`error: ${error.message}`);
    await teardown.run().catch(() => {});
    process.exit(1);
  });
}
