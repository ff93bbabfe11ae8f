// Secrets the product needs but a newcomer should not have to invent: generated once,
// kept in dataDir/secrets.json (mode 600), overridable by environment variables.
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { config } from "./config.ts";

export interface Secrets {
  jwtSecret: string;
  authenticatorPassword: string;
  /** Superuser password of the embedded cluster. */
  embeddedPostgresPassword: string;
}

const generate = () => randomBytes(32).toString("base64url");

async function readStored(file: string): Promise<Partial<Secrets>> {
  try {
    return JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new Error(`cannot read ${file}: ${(error as Error).message}`);
  }
}

export async function loadSecrets(): Promise<Secrets> {
  const file = path.join(config.dataDir, "secrets.json");
  const stored = await readStored(file);
  const secrets: Secrets = {
    jwtSecret: stored.jwtSecret ?? generate(),
    authenticatorPassword: stored.authenticatorPassword ?? generate(),
    embeddedPostgresPassword: stored.embeddedPostgresPassword ?? generate(),
  };
  if (Object.keys(stored).length < Object.keys(secrets).length) {
    await mkdir(config.dataDir, { recursive: true });
    await writeFile(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  }
  return {
    ...secrets,
    jwtSecret: config.jwtSecret ?? secrets.jwtSecret,
    authenticatorPassword: config.authenticatorPassword ?? secrets.authenticatorPassword,
  };
}
