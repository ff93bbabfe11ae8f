// `npm run migrate`: brings a database up to date, idempotently.
//   1. graphile-migrate applies the committed history in migrations/ (tables and data);
//   2. graphile-worker installs or upgrades its own schema;
//   3. every file in sql/ (functions, triggers, views, policies, grants) is re-applied in name order,
//      in one transaction, so a reader finds each function in exactly one file (the commands that
//      merely start, npm start, worker, token, template:load, do it only when sql/ changed);
//   4. run-time settings the environment overrides are written to app_private.settings.
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { Logger, status as migrationStatus, migrate as runCommittedMigrations } from "graphile-migrate";
// Not public: the only way to end graphile-migrate's pool at once (an idle one that errors exits the process).
import { clearAllPools as releaseMigratePools } from "graphile-migrate/dist/pgReal.js";
import { runMigrations as installWorkerSchema } from "graphile-worker";
import { config, projectRoot } from "../config.ts";
import { describeServer, namedUrl, withClient } from "./connection.ts";
import { withUser } from "./database.ts";
import { AUTHENTICATOR_ROLE } from "./roles.ts";
import { inTransaction } from "./transaction.ts";
import { isDatabaseUnavailable, retryWhileUnavailable } from "./unavailable.ts";

const migrationsFolder = path.join(projectRoot, "migrations");
const sqlFolder = path.join(projectRoot, "sql");
// Every command migrates before it starts, so instances started together migrate one database at
// once. graphile-migrate refuses ("Failed to get exclusive lock") instead of waiting when another
// migrate holds its lock, so a whole migrate runs under this lock, waited for: the next instance
// then finds the database current (sql/ included). Any constant works; it only has to be the same
// for every process migrating this database.
const MIGRATE_LOCK = 7_262_005;

// graphile-migrate's own logging is noisy for a start-up path; keep warnings and errors.
const quietLogger = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") console.error(message);
});

function migrateSettings(ownerUrl: string) {
  return { connectionString: namedUrl(ownerUrl, "migrate"), migrationsFolder, logger: quietLogger };
}

/** "always" re-applies sql/; "when-changed" only when its files differ from those last applied. */
export type SqlFolderMode = "always" | "when-changed";

// How long a statement of sql/ waits for a table lock before the whole folder is tried again: a
// policy or trigger waiting on a busy table would otherwise hold every query behind it in line.
const SQL_FOLDER_LOCK_TIMEOUT = "3s";

async function applySqlFolder(ownerUrl: string, mode: SqlFolderMode): Promise<void> {
  const files = (await readdir(sqlFolder)).filter((name) => name.endsWith(".sql")).sort();
  const texts = await Promise.all(files.map((file) => readFile(path.join(sqlFolder, file), "utf8")));
  const hash = createHash("sha256")
    .update(JSON.stringify([files, texts]))
    .digest("hex");
  await withClient(ownerUrl, "migrate", (client) =>
    inTransaction(client, async () => {
      const {
        rows: [applied],
      } = await client.query<{ hash: string }>("select hash from app_hidden.sql_folder_applied");
      if (mode === "when-changed" && applied?.hash === hash) return;
      await client.query(`set local lock_timeout = '${SQL_FOLDER_LOCK_TIMEOUT}'`);
      for (const [index, file] of files.entries()) {
        try {
          await client.query(texts[index]!);
        } catch (error) {
          throw Object.assign(new Error(`sql/${file}: ${(error as Error).message}`), { cause: error });
        }
      }
      await client.query(
        `insert into app_hidden.sql_folder_applied (hash) values ($1)
           on conflict (only_row) do update set hash = excluded.hash, applied_at = now()`,
        [hash],
      );
    }),
  );
}

/**
 * Re-applying sql/ takes strong locks (policies, triggers) while other instances, already
 * migrated, are at work on the same tables: Postgres may pick the migration as a deadlock's victim
 * (40P01), or its lock_timeout expires (55P03). Its transaction left nothing behind; it is simply
 * run again.
 */
function isLockConflict(error: unknown): boolean {
  const { code, cause } = error as { code?: unknown; cause?: unknown };
  return code === "40P01" || code === "55P03" || (cause !== undefined && isLockConflict(cause));
}

/**
 * graphile-migrate gives the client it holds no `error` listener, so a connection dropped between
 * two of its queries (a restart) is an unhandled 'error' event that would end the process. While it
 * runs, such an error is caught here; its pending query fails too, and the migration is retried.
 */
async function runGraphileMigrate(ownerUrl: string): Promise<void> {
  const dropped = (error: Error) => {
    if (!isDatabaseUnavailable(error)) throw error;
    console.error(`migrate: database connection lost: ${error.message}`);
  };
  process.on("uncaughtException", dropped);
  try {
    await runCommittedMigrations(migrateSettings(ownerUrl));
  } finally {
    releaseMigratePools();
    process.off("uncaughtException", dropped);
  }
}

/**
 * Each step commits as a whole or not at all (a committed migration, the worker's schema, the sql/
 * folder in one transaction) and is idempotent, so a database that restarts in the middle is
 * simply migrated again once it answers (retryWhileUnavailable), from where it stopped.
 */
export async function migrate(
  ownerUrl: string,
  authenticatorPassword: string,
  { signal, sqlFolder = "always" }: { signal?: AbortSignal; sqlFolder?: SqlFolderMode } = {},
): Promise<void> {
  await retryWhileUnavailable(
    `migrating the database at ${describeServer(ownerUrl)}`,
    async () => {
      // The lock is this session's: ending the client releases it, whatever happened in between.
      await withClient(ownerUrl, "migrate", async (lock) => {
        // A shutdown while waiting for another instance's migrate ends the wait.
        const stop = () => void lock.end().catch(() => {});
        signal?.addEventListener("abort", stop, { once: true });
        try {
          await lock.query("select pg_advisory_lock($1)", [MIGRATE_LOCK]);
          await runGraphileMigrate(ownerUrl);
          await installWorkerSchema({ connectionString: namedUrl(ownerUrl, "migrate") });
          await applySqlFolder(ownerUrl, sqlFolder);
          await ensureAuthenticatorPassword(ownerUrl, authenticatorPassword);
          await applyEnvironmentSettings(ownerUrl);
        } finally {
          signal?.removeEventListener("abort", stop);
        }
      });
    },
    { timeoutSeconds: config.databaseStartupTimeoutSeconds, signal, alsoRetry: isLockConflict },
  );
}

/** Settings SQL reads (app_private.setting) that an environment variable overrides when it is set. */
async function applyEnvironmentSettings(ownerUrl: string): Promise<void> {
  const overrides = Object.entries({ campaign_rate_limit: config.campaignRateLimit }).filter(([, value]) => value !== undefined);
  if (overrides.length === 0) return;
  await withClient(ownerUrl, "migrate", async (client) => {
    for (const [name, value] of overrides) {
      await client.query("select app_private.set_setting($1, $2::jsonb)", [name, JSON.stringify(value)]);
    }
  });
}

/**
 * The API's login role is cluster-wide: set its password only when logging in with the configured
 * one fails, so that a migrate never changes it under another process that already works.
 */
async function ensureAuthenticatorPassword(ownerUrl: string, password: string): Promise<void> {
  try {
    await withClient(withUser(ownerUrl, AUTHENTICATOR_ROLE, password), "migrate", async () => {});
    return;
  } catch (error) {
    if ((error as { code?: string }).code !== "28P01") throw error;
  }
  await withClient(ownerUrl, "migrate", (owner) =>
    owner.query(`alter role ${AUTHENTICATOR_ROLE} password ${owner.escapeLiteral(password)}`),
  );
}

/** Checks in progress, by database: callers at the same time share one. */
const pendingChecks = new Map<string, Promise<string[]>>();

/**
 * Committed migrations not yet applied to the database, as graphile-migrate names them
 * ("000009.sql"); empty when it is current. graphile-migrate's pool is released as soon as the
 * check ends, which is why checks at the same time share one: none keeps the pool open for another.
 */
export function pendingMigrations(ownerUrl: string): Promise<string[]> {
  let check = pendingChecks.get(ownerUrl);
  if (!check) {
    check = (async () => {
      try {
        const { remainingMigrations = [] } = await migrationStatus({
          ...migrateSettings(ownerUrl),
          connectionString: namedUrl(ownerUrl, "server"),
          // Only read: the migrations table is there once the database was migrated.
          manageGraphileMigrateSchema: false,
          // status() insists on a shadow database setting, which it never connects to.
          shadowConnectionString: namedUrl(ownerUrl, "migrate"),
        });
        return remainingMigrations;
      } finally {
        pendingChecks.delete(ownerUrl);
        releaseMigratePools();
      }
    })();
    pendingChecks.set(ownerUrl, check);
  }
  return check;
}
