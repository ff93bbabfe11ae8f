// `npm run participants:import -- FILE.csv`: streams the file through COPY into the importing
// transaction's staging table, then lets the database list every bad row and, if there is none,
// merge them in one upsert (sql/615_participant_import.sql). All or nothing: a refusal rolls back.
// importParticipantsFile is its own transaction; importParticipantsWithin joins the caller's (the
// demo imports inside the transaction that creates the rest of it).
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { inTransaction } from "../db/transaction.ts";

export interface ImportProblem {
  line: number;
  problem: string;
}

/** The file was refused: nothing was imported. */
export class ImportRefused extends Error {
  readonly problems: ImportProblem[];
  constructor(problems: ImportProblem[]) {
    super(`nothing imported:\n${problems.map((p) => `  line ${p.line}: ${p.problem}`).join("\n")}`);
    this.problems = problems;
  }
}

export interface ImportResult {
  rows: number;
  inserted: number;
  updated: number;
  unchanged: number;
}

const HEADERS = ["external_id,tags", "external_id,tags,email"];

/** The file's first line, without a byte-order mark or a carriage return. */
async function headerOf(file: string): Promise<string> {
  const handle = await open(file);
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4096), 0, 4096, 0);
    return buffer
      .subarray(0, bytesRead)
      .toString("utf8")
      .replace(/^\uFEFF/, "")
      .split("\n")[0]!
      .replace(/\r$/, "");
  } finally {
    await handle.close();
  }
}

/** COPY's own refusal (a row with a missing or extra column, a bad quote), by line. */
function copyProblem(error: unknown): ImportProblem | undefined {
  const { code, message, where } = error as { code?: string; message?: string; where?: string };
  if (!code?.startsWith("22")) return undefined;
  const line = /\bline (\d+)/.exec(where ?? "")?.[1];
  return { line: Number(line ?? 0), problem: (message ?? "").replace(/"tags_text"/g, '"tags"') };
}

/** Imports the CSV file on `client` (its own transaction); `onProgress` hears the bytes read. */
export function importParticipantsFile(
  client: pg.ClientBase,
  file: string,
  onProgress: (bytesRead: number) => void = () => {},
): Promise<ImportResult> {
  return inTransaction(client, () => importParticipantsWithin(client, file, onProgress));
}

/** The same, in the transaction `client` is in: a refusal throws, and the caller rolls back. */
export async function importParticipantsWithin(
  client: pg.ClientBase,
  file: string,
  onProgress: (bytesRead: number) => void = () => {},
): Promise<ImportResult> {
  const header = (await headerOf(file))
    .split(",")
    .map((column) => column.trim().toLowerCase())
    .join(",");
  if (!HEADERS.includes(header)) {
    throw new ImportRefused([{ line: 1, problem: `the header must be ${HEADERS.join(" or ")} (got "${header}")` }]);
  }
  const columns = header === HEADERS[1] ? "external_id, tags_text, email" : "external_id, tags_text";
  // Counts the bytes read, and drops the blank lines a file may end with (COPY would read each as
  // a row with columns missing): line breaks at the end of a chunk wait for what follows.
  let bytesRead = 0;
  let heldBreaks = Buffer.alloc(0);
  const isBreak = (byte: number) => byte === 0x0a || byte === 0x0d;
  const reader = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytesRead += chunk.length;
      onProgress(bytesRead);
      let end = chunk.length;
      while (end > 0 && isBreak(chunk[end - 1]!)) end--;
      if (end === 0) {
        heldBreaks = Buffer.concat([heldBreaks, chunk]);
        return done();
      }
      const out = Buffer.concat([heldBreaks, chunk.subarray(0, end)]);
      heldBreaks = Buffer.from(chunk.subarray(end));
      done(null, out);
    },
    flush(done) {
      done(null, heldBreaks.length > 0 ? "\n" : null);
    },
  });

  await client.query("select app_private.begin_participant_import()");
  try {
    await pipeline(
      createReadStream(file),
      reader,
      client.query(copyFrom(`copy pg_temp.participant_import (${columns}) from stdin with (format csv, header true)`)),
    );
  } catch (error) {
    const problem = copyProblem(error);
    throw problem ? new ImportRefused([problem]) : error;
  }
  await client.query("select app_private.stage_participant_import()");
  const { rows: problems } = await client.query<{ line: string; problem: string }>(
    "select line, problem from app_private.participant_import_problems(100)",
  );
  if (problems.length > 0) throw new ImportRefused(problems.map((row) => ({ line: Number(row.line), problem: row.problem })));
  const { rows } = await client.query<{ result: ImportResult }>("select app_private.merge_participant_import() as result");
  return rows[0]!.result;
}
