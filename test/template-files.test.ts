// Template files, as an operator uses them: `npm run template:export` writes the master template's
// content; `npm run template:load -- FILE` publishes a file as the next version, a file with the
// current content publishes nothing, and a bad file is refused naming the table, the key and the
// field, before anything changes.
import { mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { MAX_TEMPLATE_FILE_BYTES, rowIdOf, type TemplateFile } from "../src/template/file.ts";
import { masterTemplateId, seededCampaign } from "./support/content.ts";
import { useTestDatabase } from "./support/database.ts";
import { startEntry } from "./support/process.ts";

const database = useTestDatabase("template_files");
let dir: string;

beforeAll(async () => {
  await database.query("select 1");
  dir = await mkdtemp(path.join(os.tmpdir(), "campaign-engine-template-files-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function cli(...args: string[]): Promise<{ code: number | null; output: string }> {
  const run = startEntry(
    "cli.ts",
    { DATABASE_URL: database.ownerUrl, DATA_DIR: path.join(dir, "data"), AUTHENTICATOR_PASSWORD: inject("authenticatorPassword") },
    args,
  );
  const code = await run.exit;
  return { code, output: run.output() };
}
const exported = async (name: string): Promise<TemplateFile> => {
  const file = path.join(dir, name);
  const { code, output } = await cli("template:export", file);
  expect(output).toMatch(/wrote .*: \d+ images, 12 factions, 7 junctures, \d+ schticks/);
  expect(code).toBe(0);
  return JSON.parse(await readFile(file, "utf8"));
};
const saved = async (name: string, file: unknown) => {
  const filePath = path.join(dir, name);
  await writeFile(filePath, typeof file === "string" ? file : JSON.stringify(file));
  return filePath;
};
/** What a refusal must leave as it was: the versions, and the master template's content. */
const state = async () =>
  (
    await database.query<{ versions: number; content: string }>(
      "select (select count(*)::int from app_public.template_versions) as versions, (app_private.content_summary($1)).fingerprint as content",
      [await masterTemplateId(database)],
    )
  )[0]!;

test("an exported file loads back as the same content: nothing to publish", async () => {
  const before = await state();
  const { code, output } = await cli("template:load", await saved("same.json", await exported("master.json")));
  expect(output).toMatch(/nothing to publish: .*same\.json is the current version's content/);
  expect(code).toBe(0);
  expect(await state()).toEqual(before);
});

test("an edited file is published as the next version, which new campaigns carry; loaded again, it publishes nothing", async () => {
  const file = await exported("to-edit.json");
  const [first] = file.tables.schticks!;
  first!.description = "Rewritten in the file";
  // A new schtick with a key that is not a UUID, whose prerequisite is an existing one, by key.
  file.tables.schticks!.push({ ...first!, key: "new-schtick", name: "Brand New", prerequisite: first!.key });
  const edited = await saved("edited.json", file);
  const loaded = await cli("template:load", edited, "--note", "a new schtick");
  expect(loaded.output).toMatch(/template version 2 published from .*edited\.json/);
  expect(loaded.code).toBe(0);

  const [version] = await database.query(
    "select note, row_counts ->> 'schticks' as schticks from app_public.template_versions where version = 2",
  );
  expect(version).toEqual({ note: "a new schtick", schticks: String(file.tables.schticks!.length) });
  const campaign = await seededCampaign(database, "after-load@example.com");
  const schtick = async (name: string) =>
    (
      await database.query<{ description: string; prerequisite: string | null }>(
        `select s.description, p.name as prerequisite from app_public.schticks s
           left join app_public.schticks p on p.campaign_id = s.campaign_id and p.id = s.prerequisite_id
          where s.campaign_id = $1 and s.category = $2 and s.name = $3`,
        [campaign, first!.category, name],
      )
    )[0];
  expect((await schtick(first!.name as string))?.description).toBe("Rewritten in the file");
  expect(await schtick("Brand New")).toEqual({ description: "Rewritten in the file", prerequisite: first!.name });
  // The key names the row: md5 of table and key.
  expect(await database.query("select name from app_public.schticks where id = $1", [rowIdOf("schticks", "new-schtick")])).toEqual([
    { name: "Brand New" },
  ]);

  const again = await cli("template:load", edited);
  expect(again.output).toMatch(/nothing to publish/);
  expect((await state()).versions).toBe(2);
});

test.each([
  [
    "a reference to a key that is not in the file",
    (file: TemplateFile) => {
      file.tables.characters![0]!.faction = "no-such-faction";
    },
    /characters key "[^"]+": field "faction" refers to factions key "no-such-faction", which is not in the file/,
  ],
  [
    "a duplicate key",
    (file: TemplateFile) => {
      file.tables.weapons!.push({ ...file.tables.weapons![0]! });
    },
    /weapons key "[^"]+": the key appears more than once/,
  ],
  [
    "a missing required field",
    (file: TemplateFile) => {
      delete file.tables.schticks![1]!.name;
    },
    /schticks key "[^"]+": field "name" is missing/,
  ],
])("%s is refused, naming table, key and field, and nothing changes", async (_name, spoil, message) => {
  const file = await exported("to-spoil.json");
  spoil(file);
  const before = await state();
  const { code, output } = await cli("template:load", await saved("spoiled.json", file));
  expect(output).toMatch(/has \d+ problem\(s\); nothing was loaded/);
  expect(output).toMatch(message);
  expect(code).toBe(1);
  expect(await state()).toEqual(before);
});

test("a file that is not JSON, or over the size limit, is refused before anything is read into the database", async () => {
  const before = await state();
  const notJson = await cli("template:load", await saved("not.json", "{ this is not json"));
  expect(notJson.output).toMatch(/not\.json is not JSON/);
  expect(notJson.code).toBe(1);
  const huge = await saved("huge.json", "{}");
  await truncate(huge, MAX_TEMPLATE_FILE_BYTES + 1);
  const tooLarge = await cli("template:load", huge);
  expect(tooLarge.output).toMatch(
    new RegExp(`huge\\.json is ${MAX_TEMPLATE_FILE_BYTES + 1} bytes, more than the ${MAX_TEMPLATE_FILE_BYTES}`),
  );
  expect(tooLarge.code).toBe(1);
  expect(await state()).toEqual(before);
});
