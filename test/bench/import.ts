// Participant import benchmark: BENCH_ROWS (default 1,000,000) participants with 3–8 tags each (of
// 40) written to a CSV file, imported by the importer `npm run participants:import` runs (COPY into
// the staging table, the problems query, one upsert), then the same file imported again, which
// must change nothing. Targets: import under 60 s, re-import under 30 s.
//   npm run bench -- import

import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createPool } from "../../src/db/connection.ts";
import { importParticipantsFile } from "../../src/participants/import.ts";
import { prepareDatabase } from "../support/prepared-database.ts";
import { seededRandom } from "../support/random.ts";

const ROWS = Number(process.env.BENCH_ROWS || 1_000_000);
const TAGS = Array.from({ length: 40 }, (_, i) => `tag-${i}`);
const TARGETS = { import_s: 60, reimport_s: 30 };

async function writeCsv(file: string) {
  const next = seededRandom(17);
  const out = createWriteStream(file);
  out.write("external_id,tags\n");
  for (let i = 0; i < ROWS; i++) {
    const count = 3 + Math.floor(next() * 6);
    const tags = new Set<string>();
    while (tags.size < count) tags.add(TAGS[Math.floor(next() * TAGS.length)]!);
    if (!out.write(`p-${i},${[...tags].join(";")}\n`)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
}

const dir = await mkdtemp(path.join(os.tmpdir(), "campaign-engine-bench-import-"));
const prepared = await prepareDatabase("campaign_engine_bench_import", "bench");
const pool = createPool(prepared.url, "cli", { max: 1 });
try {
  const file = path.join(dir, "participants.csv");
  await writeCsv(file);
  console.log(`${ROWS} participants, ${((await stat(file)).size / 1_048_576).toFixed(1)} MB of CSV`);
  const client = await pool.connect();
  try {
    const timed = async () => {
      const started = performance.now();
      const result = await importParticipantsFile(client, file);
      return { ...result, seconds: Math.round((performance.now() - started) / 10) / 100 };
    };
    const first = await timed();
    console.log(`import: ${first.seconds} s (${first.inserted} inserted, ${first.updated} updated, ${first.unchanged} unchanged)`);
    await client.query("vacuum analyze app_public.participants");
    const again = await timed();
    console.log(`re-import: ${again.seconds} s (${again.inserted} inserted, ${again.updated} updated, ${again.unchanged} unchanged)`);
    const result = {
      bench: "import",
      rows: ROWS,
      import_s: first.seconds,
      reimport_s: again.seconds,
      rows_changed_by_reimport: again.inserted + again.updated,
      postgres: prepared.embedded ? "embedded" : "server",
    };
    const missed = [
      ...(result.import_s < TARGETS.import_s ? [] : [`import took ${result.import_s} s, not under ${TARGETS.import_s} s`]),
      ...(result.reimport_s < TARGETS.reimport_s ? [] : [`re-import took ${result.reimport_s} s, not under ${TARGETS.reimport_s} s`]),
      ...(result.rows_changed_by_reimport === 0 ? [] : [`the re-import changed ${result.rows_changed_by_reimport} rows`]),
    ];
    console.log(missed.length ? `targets missed:\n  ${missed.join("\n  ")}` : "all targets met");
    console.log(JSON.stringify(result));
  } finally {
    client.release();
  }
} finally {
  await pool.end();
  await prepared.close();
  await rm(dir, { recursive: true, force: true });
}
