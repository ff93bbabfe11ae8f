// "The database is unavailable right now": a restart, a failover, a dropped or refused connection.
// Such a failure says nothing about the request, so clients are told to retry (extensions.code
// DATABASE_UNAVAILABLE, HTTP 503 with Retry-After), unlike a refusal, which they must not retry.
import { setTimeout as sleep } from "node:timers/promises";

export const DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE";
/** What a client is told to wait before retrying. */
export const RETRY_AFTER_SECONDS = 1;

// SQLSTATEs: class 08 (connection exception), 57P01-57P03 (shut down, crashed, starting up),
// 53300 (too many connections).
const UNAVAILABLE_SQLSTATE = /^(08[0-9A-Z]{3}|57P0[123]|53300)$/;
// Node's socket errors when the server is gone or unreachable.
const UNAVAILABLE_SOCKET = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "ENOTFOUND",
]);
// node-postgres' own errors for a connection that ended or could not be made in time.
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly/i;

/** Whether `error`, or any error it wraps (cause, AggregateError), is the database being unavailable. */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== "object" || depth > 5) return false;
  const { code, message, cause, errors, originalError } = error as {
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
    originalError?: unknown;
  };
  if (typeof code === "string" && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_SOCKET.has(code))) return true;
  if (typeof message === "string" && UNAVAILABLE_MESSAGE.test(message)) return true;
  const wrapped = [cause, originalError, ...(Array.isArray(errors) ? errors : [])];
  return wrapped.some((inner) => inner !== error && isDatabaseUnavailable(inner, depth + 1));
}

/** The GraphQL error a client gets for it, over HTTP and websockets alike. */
export const unavailableError = {
  message: "The database is unavailable right now (restarting or unreachable): retry in a moment",
  extensions: { code: DATABASE_UNAVAILABLE, retryable: true },
};

/**
 * Runs `work` until it succeeds, again after each failure that is the database being unavailable
 * (with backoff: 0.5 s, 1 s, 2 s, then every 4 s), for up to `timeoutSeconds`; then gives up with
 * an error that says what was tried, where, and for how long. `alsoRetry` names other passing
 * failures worth the same treatment. Any other failure is thrown at once.
 */
export async function retryWhileUnavailable<T>(
  what: string,
  work: () => Promise<T>,
  {
    timeoutSeconds,
    signal,
    alsoRetry = () => false,
  }: { timeoutSeconds: number; signal?: AbortSignal; alsoRetry?: (error: unknown) => boolean },
): Promise<T> {
  const started = Date.now();
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (!(isDatabaseUnavailable(error) || alsoRetry(error)) || signal?.aborted) throw error;
      const waited = (Date.now() - started) / 1000;
      const delay = Math.min(4_000, 500 * 2 ** attempt);
      if (waited + delay / 1000 > timeoutSeconds) {
        throw new Error(`${what}: ${(error as Error).message}; gave up after ${Math.round(waited)} s`, { cause: error });
      }
      console.error(`${what}: ${(error as Error).message}; retrying in ${delay / 1000} s`);
      await sleep(delay, undefined, { signal });
    }
  }
}
