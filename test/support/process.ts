// Runs an entry point (`npm start`'s, `npm run worker`'s) as a real child process and watches its output.
import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { projectRoot } from "../../src/config.ts";
import { waitFor } from "./wait.ts";

export interface Started {
  child: ChildProcess;
  output(): string;
  url(): Promise<string>;
  exit: Promise<number | null>;
}

export function startMain(env: Record<string, string | undefined>): Started {
  return startEntry("main.ts", env);
}

/** `npm run worker`: graphile-worker with the timer alarm, no HTTP server. */
export function startWorkerProcess(env: Record<string, string | undefined>): Started {
  return startEntry("worker-main.ts", env);
}

/** Any entry point under src/ (e.g. `cli.ts` with `["migrate"]`), with its arguments. */
export function startEntry(entry: string, env: Record<string, string | undefined>, args: string[] = []): Started {
  let output = "";
  const child = spawn(process.execPath, [path.join(projectRoot, "src", entry), ...args], {
    cwd: projectRoot,
    env: { ...process.env, PORT: "0", DATABASE_URL: undefined, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    exit,
    output: () => output,
    url: async () => {
      const found = await waitFor(async () => /GraphQL\s+(http:\/\/\S+)\/graphql/.exec(output)?.[1], Boolean, 60_000).catch(
        (error: Error) => {
          throw new Error(`${error.message}; the process printed:\n${output}`);
        },
      );
      return found!;
    },
  };
}

/** Whether `pid` is a running process (a zombie waiting to be reaped counts as gone). */
export async function isRunning(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}
