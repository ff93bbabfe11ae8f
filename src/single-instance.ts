// One server per data directory: a second `npm start` on the same .data/ must refuse rather than
// share (and risk corrupting) the embedded cluster. The lock is a pid file; a stale one (its
// process is gone) is taken over.
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { isAlive } from "./process-alive.ts";

export async function claimDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = path.join(dataDir, "server.pid");
  const holder = Number((await readFile(file, "utf8").catch(() => "")).trim());
  if (holder && holder !== process.pid && isAlive(holder)) {
    throw new Error(`campaign-engine is already running on ${dataDir} (pid ${holder}); stop it first or set DATA_DIR`);
  }
  await writeFile(file, `${process.pid}\n`);
  return () => rm(file, { force: true });
}
