// `npm run db:types` regenerates src/db/types.ts from the migrated schema with kysely-codegen;
// `--verify` only checks that the committed file still matches (the test suite runs that).
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { projectRoot } from "../config.ts";

const typesFile = path.join(projectRoot, "src", "db", "types.ts");

/** Runs kysely-codegen against `ownerUrl`; rejects when `verify` is set and the file is stale. */
export async function generateTypes(ownerUrl: string, { verify = false } = {}): Promise<string> {
  const bin = path.join(projectRoot, "node_modules", ".bin", "kysely-codegen");
  const args = ["--dialect", "postgres", "--url", ownerUrl, "--out-file", typesFile];
  args.push("--include-pattern", "{app_public,app_hidden,app_private,ops}.*");
  if (verify) args.push("--verify");
  const { stdout, stderr } = await promisify(execFile)(bin, args, { cwd: projectRoot });
  return stdout + stderr;
}

if (import.meta.main) {
  const { withMigratedDatabase } = await import("./migrated-database.ts");
  await withMigratedDatabase(async (database) => {
    process.stdout.write(await generateTypes(database.ownerUrl, { verify: process.argv.includes("--verify") }));
  });
}
