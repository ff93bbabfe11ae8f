// Importing participants as an operator does (`npm run participants:import -- FILE.csv`, the real
// CLI on the test's database) and as an admin does through GraphQL (importParticipants): all or
// nothing, every bad row reported by line with its reason, and a second import of the same rows
// changing nothing.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { graphql, tokenFor, useTestApp } from "./support/app.ts";
import { useTestDatabase } from "./support/database.ts";
import { startEntry } from "./support/process.ts";

const database = useTestDatabase("participant_import");
const server = useTestApp(database, { worker: false });
let dir: string;
let admin: string, user: string;

beforeAll(async () => {
  [admin, user] = await Promise.all([tokenFor(database, "admin@example.com", { admin: true }), tokenFor(database, "user@example.com")]);
  dir = await mkdtemp(path.join(os.tmpdir(), "campaign-engine-participant-import-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function importCsv(name: string, text: string): Promise<{ code: number | null; output: string }> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  const run = startEntry(
    "cli.ts",
    { DATABASE_URL: database.ownerUrl, DATA_DIR: path.join(dir, "data"), AUTHENTICATOR_PASSWORD: inject("authenticatorPassword") },
    ["participants:import", file],
  );
  const code = await run.exit;
  return { code, output: run.output() };
}
const participants = () =>
  database.query(
    `select p.external_id, p.name, p.tags, u.email, p.updated_at from app_public.participants p
       left join app_public.users u on u.id = p.user_id order by p.external_id`,
  );

test("a file imports by external_id; imported again it changes nothing; changed rows update, new ones insert", async () => {
  const csv = "external_id,tags,email\nc-1,gamer;reader,Ann@Example.com\nc-2, vip ; gamer ;vip,\nc-3,,\n";
  const first = await importCsv("first.csv", csv);
  expect(first.output).toMatch(/imported .*first\.csv: 3 rows, 3 new participants, 0 changed, 0 unchanged/);
  expect(first.code).toBe(0);
  const imported = await participants();
  expect(imported.map(({ updated_at: _, ...row }) => row)).toEqual([
    { external_id: "c-1", name: "c-1", tags: ["gamer", "reader"], email: "ann@example.com" },
    { external_id: "c-2", name: "c-2", tags: ["gamer", "vip"], email: null },
    { external_id: "c-3", name: "c-3", tags: [], email: null },
  ]);

  const again = await importCsv("again.csv", csv);
  expect(again.output).toMatch(/3 rows, 0 new participants, 0 changed, 3 unchanged/);
  expect(await participants()).toEqual(imported);

  const changed = await importCsv("changed.csv", "external_id,tags\nc-2,vip\nc-4,new\n");
  expect(changed.output).toMatch(/2 rows, 1 new participants, 1 changed, 0 unchanged/);
  expect((await participants()).map((row) => [row.external_id, row.tags])).toEqual([
    ["c-1", ["gamer", "reader"]],
    ["c-2", ["vip"]],
    ["c-3", []],
    ["c-4", ["new"]],
  ]);
}, 60_000);

test("any Unicode whitespace is trimmed, and the blank lines a file ends with are not rows", async () => {
  const done = await importCsv("spaces.csv", "external_id,tags,email\n\u00a0s-1\u2003,\u00a0;vip\u00a0; \u200b ,\n\n\r\n\n");
  expect(done.output).toMatch(/1 rows, 1 new participants/);
  expect(done.code).toBe(0);
  expect(await database.query("select external_id, tags from app_public.participants where external_id like 's-%'")).toEqual([
    { external_id: "s-1", tags: ["vip"] },
  ]);
  const refused = await importCsv("email.csv", "external_id,tags,email\ns-2,vip,a\u00a0b@example.com\n");
  expect(refused.code).toBe(1);
  expect(refused.output).toContain(`line 2: email "a\u00a0b@example.com" is not an address`);
}, 60_000);

test("bad rows are reported by line with their reason, and nothing is imported", async () => {
  const before = await participants();
  const users = await database.query("select email from app_public.users order by email");
  const refused = await importCsv(
    "bad.csv",
    [
      "external_id,tags,email",
      "d-1,gamer,dee@example.com",
      `d-2,${"x".repeat(101)};gamer,`,
      "d-1,reader,",
      ",gamer,",
      "d-5,gamer,not an address",
      "d-6,gamer,DEE@example.com",
      "d-7,gamer,",
    ].join("\n"),
  );
  expect(refused.code).toBe(1);
  expect(refused.output).toContain("nothing imported:");
  for (const problem of [
    `line 3: tag "xxxxxxxxxxxxxxxxxxxx…" has 101 characters, more than 100`,
    "line 4: external_id d-1 is on line 2 too",
    "line 5: external_id is empty",
    `line 6: email "not an address" is not an address`,
    "line 7: email dee@example.com is on line 2 too",
  ]) {
    expect(refused.output).toContain(problem);
  }
  expect(refused.output).not.toMatch(/line (2|8):/);
  expect(await participants()).toEqual(before);
  expect(await database.query("select email from app_public.users order by email")).toEqual(users);
}, 60_000);

test("a missing column, and a header that is not the format, are refused by line", async () => {
  const before = await participants();
  const missing = await importCsv("missing.csv", "external_id,tags,email\ne-1,gamer,\ne-2,gamer\n");
  expect(missing.code).toBe(1);
  expect(missing.output).toMatch(/line 3: missing data for column "email"/);
  const header = await importCsv("header.csv", "id,tags\ne-1,gamer\n");
  expect(header.code).toBe(1);
  expect(header.output).toMatch(/line 1: the header must be external_id,tags or external_id,tags,email \(got "id,tags"\)/);
  expect(await participants()).toEqual(before);
}, 60_000);

test("importParticipants: admins import small batches the same way; others, more than 1,000 rows and bad rows are refused", async () => {
  const IMPORT = `mutation ($rows: [ParticipantRowInput]!) { importParticipants(input: { participants: $rows }) { result } }`;
  const rows = [
    { externalId: "g-1", tags: ["gamer", " reader "] },
    { externalId: "g-2", tags: ["vip"], email: "gee@example.com" },
  ];
  const imported = await graphql(server.url, IMPORT, { token: admin, variables: { rows } });
  expect(imported.errors).toBeUndefined();
  expect(imported.data.importParticipants.result).toEqual({ rows: 2, inserted: 2, updated: 0, unchanged: 0 });
  expect((await graphql(server.url, IMPORT, { token: admin, variables: { rows } })).data.importParticipants.result).toEqual({
    rows: 2,
    inserted: 0,
    updated: 0,
    unchanged: 2,
  });

  const before = await participants();
  const many = Array.from({ length: 1001 }, (_, i) => ({ externalId: `m-${i}`, tags: [] }));
  for (const [token, variables, code, message] of [
    [user, { rows }, "42501", /only admins/],
    [undefined, { rows }, "42501", /only admins/],
    [admin, { rows: many }, "CE005", /participants has 1001 rows, more than 1000/],
    [admin, { rows: [...rows, { externalId: "g-1", tags: [] }] }, "CE005", /nothing imported: row 3: external_id g-1 is on row 1 too/],
  ] as const) {
    const refused = await graphql(server.url, IMPORT, { token, variables });
    expect(refused.errors?.[0]).toMatchObject({ extensions: { code } });
    expect(refused.errors?.[0]?.message).toMatch(message);
  }
  expect(await participants()).toEqual(before);
});
