// One catalogue of error codes (app_private.error_codes(), sql/050_error_codes.sql), held both ways
// to what the code raises and to the README's table: a code raised but not catalogued, catalogued
// but never raised, documented differently, or a fixed hint written differently at a raise site
// fails here.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { projectRoot } from "../src/config.ts";
import { useTestDatabase } from "./support/database.ts";

const database = useTestDatabase("error_catalogue");
const CODE = /\bCE\d{3}\b/g;

interface CatalogueRow {
  code: string;
  meaning: string;
  hint: string | null;
}
interface RaiseSite {
  file: string;
  code: string;
  hint: string | undefined;
  statement: string;
}

async function sourcesIn(folder: string, extension: string): Promise<{ file: string; text: string }[]> {
  const names = (await readdir(path.join(projectRoot, folder), { recursive: true })).filter((name) => name.endsWith(extension));
  return Promise.all(
    names.sort().map(async (name) => ({
      file: `${folder}/${name}`,
      text: await readFile(path.join(projectRoot, folder, name), "utf8"),
    })),
  );
}

/** Each `raise exception … ;` of a SQL file, cut at the first semicolon outside a quoted string. */
function raiseStatements(text: string): string[] {
  const statements: string[] = [];
  for (let start = text.indexOf("raise exception"); start !== -1; start = text.indexOf("raise exception", start + 1)) {
    let quoted = false;
    let end = start;
    while (end < text.length && (quoted || text[end] !== ";")) {
      if (text[end] === "'") quoted = !quoted; // '' inside a string toggles twice
      end++;
    }
    statements.push(text.slice(start, end));
  }
  return statements;
}

function raiseSitesOf(file: string, text: string): RaiseSite[] {
  return raiseStatements(text).flatMap((statement) => {
    const code = /errcode\s*=\s*'(CE\d{3})'/.exec(statement)?.[1];
    if (!code) return [];
    // Only a literal hint is fixed; one built with format() depends on the values.
    const literal = /\bhint\s*=\s*'((?:[^']|'')*)'\s*(?:,|$)/.exec(statement)?.[1];
    return [{ file, code, hint: literal?.replaceAll("''", "'"), statement }];
  });
}

/** The rows of the README's table of CE codes, as written (backticks dropped: the catalogue is plain text). */
function readmeRows(readme: string): { code: string; meaning: string }[] {
  return [...readme.matchAll(/^\| `(CE\d{3})` \| (.*) \|$/gm)].map(([, code, meaning]) => ({
    code: code!,
    meaning: meaning!.replaceAll("`", ""),
  }));
}

let catalogue: CatalogueRow[];
let catalogued: Set<string>;
let sqlRaises: RaiseSite[];
let sqlErrcodes: number;
let tsRaises: { file: string; code: string }[];
let readme: string;
let mentions: { file: string; code: string }[];

beforeAll(async () => {
  catalogue = await database.query<CatalogueRow>("select code, meaning, hint from app_private.error_codes()");
  catalogued = new Set(catalogue.map((row) => row.code));
  const sql = await sourcesIn("sql", ".sql");
  const typescript = [...(await sourcesIn("src", ".ts")), ...(await sourcesIn("tasks", ".ts"))];
  readme = await readFile(path.join(projectRoot, "README.md"), "utf8");
  const catalogueFile = "sql/050_error_codes.sql";
  sqlRaises = sql.filter(({ file }) => file !== catalogueFile).flatMap(({ file, text }) => raiseSitesOf(file, text));
  sqlErrcodes = sql.reduce((count, { text }) => count + [...text.matchAll(/errcode\s*=\s*'CE\d{3}'/g)].length, 0);
  // A code raised from TypeScript is a string literal of its own ("CE020"), not a word in a comment.
  tsRaises = typescript.flatMap(({ file, text }) => [...text.matchAll(/["'`](CE\d{3})["'`]/g)].map(([, code]) => ({ file, code: code! })));
  mentions = [...sql.filter(({ file }) => file !== catalogueFile), ...typescript, { file: "README.md", text: readme }].flatMap(
    ({ file, text }) => [...text.matchAll(CODE)].map(([code]) => ({ file, code })),
  );
});

describe("the catalogue", () => {
  test("is in code order, one row per code, each with a meaning", () => {
    const codes = catalogue.map((row) => row.code);
    expect(codes.length).toBeGreaterThan(30);
    expect(codes).toEqual([...new Set(codes)].sort());
    expect(catalogue.filter((row) => !row.meaning.trim())).toEqual([]);
  });

  test("holds every code raised in sql/ and in TypeScript", () => {
    // Every errcode of sql/ was read as part of one raise statement (none swallowed by another).
    expect(sqlErrcodes).toBeGreaterThan(30);
    expect(sqlRaises.length).toBe(sqlErrcodes);
    expect(tsRaises.length).toBeGreaterThan(0);
    expect([...sqlRaises, ...tsRaises].filter(({ code }) => !catalogued.has(code)).map(({ file, code }) => `${file}: ${code}`)).toEqual([]);
  });

  test("holds only codes that something raises", () => {
    const raised = new Set([...sqlRaises, ...tsRaises].map(({ code }) => code));
    expect([...catalogued].filter((code) => !raised.has(code))).toEqual([]);
  });

  test("holds every code a comment or the README mentions (a retired code is mentioned nowhere)", () => {
    expect(mentions.filter(({ code }) => !catalogued.has(code)).map(({ file, code }) => `${file}: ${code}`)).toEqual([]);
  });
});

describe("fixed hints", () => {
  test("a raise site's literal hint is its code's catalogued hint", () => {
    const hintOf = new Map(catalogue.map((row) => [row.code, row.hint]));
    const differing = sqlRaises.filter((site) => site.hint !== undefined && site.hint !== hintOf.get(site.code));
    expect(differing.map(({ file, code, hint }) => `${file}: ${code} hints ${JSON.stringify(hint)}`)).toEqual([]);
  });

  test("a code with a catalogued hint carries it wherever it is raised", () => {
    const withHint = catalogue.filter((row) => row.hint !== null);
    expect(withHint.length).toBeGreaterThan(5);
    const missing = withHint.flatMap((row) => {
      const sites = sqlRaises.filter((site) => site.code === row.code);
      return sites.length === 0 || sites.some((site) => site.hint !== row.hint) ? [row.code] : [];
    });
    expect(missing).toEqual([]);
  });
});

describe("the README's table", () => {
  test("lists the catalogue in code order, with its meanings", () => {
    expect(readmeRows(readme)).toEqual(catalogue.map(({ code, meaning }) => ({ code, meaning })));
  });
});
