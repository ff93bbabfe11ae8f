// `npm run bench -- <name>`: runs test/bench/<name>.ts. Each benchmark prints a table, then, as
// its last line, one JSON object, so runs can be compared.
import { readdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const available = (await readdir(here)).filter((file) => file.endsWith(".ts") && file !== "run.ts").map((file) => file.slice(0, -3));
const name = process.argv[2];
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <name>   (one of: ${available.join(", ")})`);
  process.exit(2);
}
await import(path.join(here, `${name}.ts`));
