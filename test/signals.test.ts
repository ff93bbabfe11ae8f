// `npm start` and `npm run worker` as supervisors run them. A container runtime, systemd's
// main-process kill or `kill <pid>` signals npm alone; Ctrl-C in a terminal (and systemd's
// default, the whole control group) signals npm and node together. Either way node itself must
// shut down in order, npm must report its exit code, and nothing may be left running or connected.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, readlink, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, inject, test } from "vitest";
import { projectRoot } from "../src/config.ts";
import { useTestDatabase } from "./support/database.ts";
import { isRunning } from "./support/process.ts";
import { waitFor } from "./support/wait.ts";

const database = useTestDatabase("signals");
const JWT_SECRET = "signals-test-secret";
const AUTHENTICATOR_PASSWORD = inject("authenticatorPassword");

const scratchDirs: string[] = [];
afterAll(async () => {
  await Promise.all(scratchDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

interface NpmRun {
  npm: ChildProcess;
  dataDir: string;
  output(): string;
  /** Set once npm has exited. */
  exited(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

const running: NpmRun[] = [];
// A process the signal did not reach would run on (cron and all): end it so the run can finish.
afterEach(async () => {
  for (const run of running.splice(0)) {
    for (const pid of await nodeProcesses(run.dataDir)) process.kill(pid, "SIGKILL");
    if (!run.exited()) process.kill(-run.npm.pid!, "SIGKILL");
  }
});

/** `npm <args>` from PATH in the project root, in its own process group (as a terminal's job is). */
async function npmRun(args: string[]): Promise<NpmRun> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "campaign-engine-signals-"));
  scratchDirs.push(dataDir);
  // What a supervisor passes: no npm_* variables from the npm that runs this test.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("npm_")));
  const npm = spawn("npm", args, {
    cwd: projectRoot,
    env: { ...env, DATABASE_URL: database.ownerUrl, DATA_DIR: dataDir, PORT: "0", JWT_SECRET, AUTHENTICATOR_PASSWORD },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  let exit: ReturnType<NpmRun["exited"]>;
  npm.stdout!.on("data", (chunk) => (output += chunk));
  npm.stderr!.on("data", (chunk) => (output += chunk));
  npm.once("exit", (code, signal) => (exit = { code, signal }));
  const run = { npm, dataDir, output: () => output, exited: () => exit };
  running.push(run);
  return run;
}

/** Running processes whose command line is `node src/<entry>` with this DATA_DIR, at any depth below npm. */
async function nodeProcesses(dataDir: string, entry = /^src\/(main|worker-main)\.ts$/): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const [command, script, ...rest] = (await readFile(`/proc/${name}/cmdline`, "utf8")).split("\0").filter(Boolean);
      if (command !== "node" || !script || !entry.test(script) || rest.length > 0) continue;
      const environ = (await readFile(`/proc/${name}/environ`, "utf8")).split("\0");
      if (environ.includes(`DATA_DIR=${dataDir}`) && (await isRunning(Number(name)))) found.push(Number(name));
    } catch {
      // gone while we looked
    }
  }
  return found;
}

const otherConnections = async () =>
  (
    await database.query<{ count: number }>(
      "select count(*)::int as count from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()",
    )
  )[0]!.count;

const cases = [
  { script: "start", entry: "src/main.ts", signal: "SIGTERM", to: "npm" },
  { script: "start", entry: "src/main.ts", signal: "SIGINT", to: "npm" },
  { script: "start", entry: "src/main.ts", signal: "SIGINT", to: "group" },
  { script: "worker", entry: "src/worker-main.ts", signal: "SIGTERM", to: "npm" },
  { script: "worker", entry: "src/worker-main.ts", signal: "SIGINT", to: "npm" },
  { script: "worker", entry: "src/worker-main.ts", signal: "SIGTERM", to: "group" },
] as const;

describe.each(cases)("npm run $script", ({ script, entry, signal, to }) => {
  test(`${signal} to ${to === "npm" ? "npm alone" : "npm's process group"}: node stops in order, npm exits 0, nothing is left`, async () => {
    await database.query("select 1");
    const run = await npmRun(script === "start" ? ["start"] : ["run", "worker"]);
    if (script === "start") {
      const url = await waitFor(async () => /GraphQL\s+(http:\/\/\S+)\/graphql/.exec(run.output())?.[1], Boolean, 60_000);
      // Healthy once the worker has seeded the master pool's first campaign.
      await waitFor(
        async () => (await fetch(`${url}/health`)).status,
        (status) => status === 200,
        30_000,
      );
    } else {
      await waitFor(
        async () => run.output(),
        (output) => /worker running/.test(output),
        60_000,
      );
    }
    const [node, ...others] = await nodeProcesses(run.dataDir, new RegExp(`^${entry}$`));
    expect(others).toEqual([]);
    // The project's pinned Node (24), found on the PATH npm gives its scripts, not the machine's.
    expect(await readlink(`/proc/${node}/exe`)).toBe(path.join(projectRoot, "node_modules", "node", "bin", "node"));
    expect(await otherConnections()).toBeGreaterThan(0);

    process.kill(to === "npm" ? run.npm.pid! : -run.npm.pid!, signal);

    const exit = await waitFor(async () => run.exited(), Boolean, 30_000).catch(() => run.exited());
    expect(exit, `npm did not exit; output:\n${run.output()}`).toEqual({ code: 0, signal: null });
    expect(run.output()).toMatch(new RegExp(`${signal}: shutting down[\\s\\S]*\\nstopped\\n`));
    expect(run.output()).not.toMatch(/again: exiting without waiting/);
    expect(await isRunning(node!)).toBe(false);
    expect(await nodeProcesses(run.dataDir)).toEqual([]);
    await waitFor(otherConnections, (count) => count === 0);
  }, 120_000);
});
