// One server per data directory: a second `npm start` on the same .data/ must refuse rather than
// share (and risk corrupting) the embedded cluster. The lock is a pid file; a stale one (its
// process is gone) is taken over.
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { isAlive } from "./process-alive.ts";

export async function claimDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = path.join(dataDir, "server.pid");
  const release = () => rm(file, { force: true });
  try {
    // "wx": creating the file is the claim, so two starts at once cannot both win.
    await writeFile(file, `${process.pid}\n`, { flag: "wx" });
    return release;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const holder = Number((await readFile(file, "utf8").catch(() => "")).trim());
  if (holder && isAlive(holder)) {
    throw new Error(`campaign-engine is already running on ${dataDir} (pid ${holder}); stop it first or set DATA_DIR`);
  }
  await rm(file, { force: true }); // left by a process that died without cleaning up
  await writeFile(file, `${process.pid}\n`, { flag: "wx" });
  return release;
}
