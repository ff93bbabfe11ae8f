// Template versions, as an admin and an operator use them: loading publishes version 1; an edit of
// the master template reaches no campaign until it is published; publishing makes the next
// version, which campaigns seeded from then on carry and record, while those seeded before keep
// theirs; nothing to publish, a non-admin and an anonymous caller are refused and leave no trace.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { beforeAll, expect, inject, test } from "vitest";
import { graphql, tokenFor, useTestApp } from "./support/app.ts";
import { masterTemplateId, rowCounts, seededCampaign } from "./support/content.ts";
import { useTestDatabase } from "./support/database.ts";
import { startEntry } from "./support/process.ts";

const database = useTestDatabase("template_versions");
const server = useTestApp(database, { worker: false });

const PUBLISH = `mutation ($note: String) { publishTemplate(input: { note: $note }) { result { version note publishedBy rowCounts } } }`;
const CHANGED = `query { masterTemplateChanged }`;

let admin: string;
let adminId: string;
let user: string;
let masterSchtickId: string;

/**
 * A campaign's version and the description of its copy of the master schtick under test: the copy
 * of that version's copy of it.
 */
async function carried(campaignId: string): Promise<{ template_version: number | null; description: string }> {
  const [row] = await database.query<{ template_version: number | null; description: string }>(
    `select c.template_version, s.description from app_public.campaigns c
       join app_public.template_versions v on v.version = c.template_version
       join app_public.schticks s on s.campaign_id = c.id and s.id = app_private.copy_id(c.id, app_private.copy_id(v.content_campaign_id, $2))
      where c.id = $1`,
    [campaignId, masterSchtickId],
  );
  return row!;
}
const versions = async () =>
  (await database.query<{ version: number }>("select version from app_public.template_versions order by 1")).map((row) => row.version);
const campaignCount = async () => (await database.query<{ n: number }>("select count(*)::int as n from app_public.campaigns"))[0]!.n;

beforeAll(async () => {
  admin = await tokenFor(database, "admin@example.com", { admin: true });
  user = await tokenFor(database, "user@example.com");
  adminId = (await database.query<{ id: string }>("select id from app_public.users where email = 'admin@example.com'"))[0]!.id;
  const [schtick] = await database.query<{ id: string }>("select id from app_public.schticks where campaign_id = $1 order by id limit 1", [
    await masterTemplateId(database),
  ]);
  masterSchtickId = schtick!.id;
});

test("loading the template published version 1, with the master template's row counts; campaigns record it", async () => {
  const [first] = await database.query<{ version: number; note: string; row_counts: Record<string, number> }>(
    "select version, note, row_counts from app_public.template_versions",
  );
  expect(first).toEqual({ version: 1, note: "first version", row_counts: await rowCounts(database, await masterTemplateId(database)) });
  expect((await carried(await seededCampaign(database, "early@example.com"))).template_version).toBe(1);
  expect((await graphql(server.url, CHANGED, { token: admin })).data).toEqual({ masterTemplateChanged: false });
});

test("an edit of the master template reaches new campaigns once published, and campaigns seeded before keep theirs", async () => {
  const before = await seededCampaign(database, "before@example.com");
  const edited = await graphql(
    server.url,
    `mutation ($id: UUID!) { updateSchtickByRowId(input: { rowId: $id, schtickPatch: { description: "Corrected" } }) { schtick { description } } }`,
    { token: admin, variables: { id: masterSchtickId } },
  );
  expect(edited.errors).toBeUndefined();
  expect((await graphql(server.url, CHANGED, { token: admin })).data).toEqual({ masterTemplateChanged: true });
  // Not published yet: a campaign seeded now gets version 1's content.
  expect(await carried(await seededCampaign(database, "meanwhile@example.com"))).toEqual({
    template_version: 1,
    description: (await carried(before)).description,
  });

  const published = await graphql(server.url, PUBLISH, { token: admin, variables: { note: "a corrected schtick" } });
  expect(published.errors).toBeUndefined();
  expect(published.data.publishTemplate.result).toEqual({
    version: 2,
    note: "a corrected schtick",
    publishedBy: adminId,
    rowCounts: await rowCounts(database, await masterTemplateId(database)),
  });
  expect((await graphql(server.url, CHANGED, { token: admin })).data).toEqual({ masterTemplateChanged: false });
  expect(await carried(await seededCampaign(database, "after@example.com"))).toEqual({ template_version: 2, description: "Corrected" });
  expect((await carried(before)).template_version).toBe(1);
  expect((await carried(before)).description).not.toBe("Corrected");
});

test("publishing with nothing changed is refused with CE105 and publishes nothing", async () => {
  const [versionsBefore, campaignsBefore] = [await versions(), await campaignCount()];
  const refused = await graphql(server.url, PUBLISH, { token: admin, variables: { note: "again" } });
  expect(refused.errors?.[0]).toMatchObject({
    message: expect.stringMatching(/nothing to publish: the master template has not changed since version 2/),
    extensions: { code: "CE105" },
  });
  expect(await versions()).toEqual(versionsBefore);
  expect(await campaignCount()).toBe(campaignsBefore);
});

test("a user who is not an admin, and an anonymous caller, may neither publish nor ask", async () => {
  await database.query("update app_public.schticks set description = 'Changed again' where id = $1", [masterSchtickId]);
  const [versionsBefore, campaignsBefore] = [await versions(), await campaignCount()];
  for (const token of [user, undefined]) {
    expect((await graphql(server.url, PUBLISH, { token, variables: { note: "mine" } })).errors?.[0]?.extensions).toMatchObject({
      code: "42501",
    });
    expect((await graphql(server.url, CHANGED, { token })).errors?.[0]?.extensions).toMatchObject({ code: "42501" });
  }
  expect((await graphql(server.url, "{ allTemplateVersions { totalCount } }", { token: user })).data).toEqual({
    allTemplateVersions: { totalCount: 0 },
  });
  expect(await versions()).toEqual(versionsBefore);
  expect(await campaignCount()).toBe(campaignsBefore);
});

test("npm run template:publish publishes as an operator, and says what", async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "campaign-engine-publish-"));
  try {
    const publishing = startEntry(
      "cli.ts",
      { DATABASE_URL: database.ownerUrl, DATA_DIR: dataDir, AUTHENTICATOR_PASSWORD: inject("authenticatorPassword") },
      ["template:publish", "--note", "from the command line"],
    );
    expect(await publishing.exit).toBe(0);
    expect(publishing.output()).toMatch(/template version 3 published: .*\b643 schticks\b/);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
  const [third] = await database.query("select note, published_by from app_public.template_versions where version = 3");
  expect(third).toEqual({ note: "from the command line", published_by: null });
}, 60_000);

test("after a publish, the pools' campaigns are replaced by the new version's without the ready count ever dropping", async () => {
  await database.query("select app_private.set_setting('pool_target_size', '3'), app_private.set_setting('pool_min_ready', '2')");
  const step = () => database.query<{ id: string | null }>("select app_private.add_pool_campaign('master') as id");
  while ((await step())[0]!.id) {}
  const userId = (await database.query<{ id: string }>("select id from app_public.users where email = 'user@example.com'"))[0]!.id;
  await database.query("select app_private.add_pool_campaign('user', $1)", [userId]);
  const pooled = () =>
    database.query<{ id: string; pool_type: string; template_version: number }>(
      "select id, pool_type, template_version from app_public.campaigns where is_pool order by pool_created_at",
    );
  const stale = await pooled();
  const sharedImages = await database.query<{ image_id: string }>(
    "select distinct image_id from app_public.schticks where campaign_id = any($1::uuid[]) and image_id is not null",
    [stale.map((campaign) => campaign.id)],
  );
  expect(sharedImages.length).toBeGreaterThan(0);

  await database.query("update app_public.schticks set description = 'Refreshed' where id = $1", [masterSchtickId]);
  const [{ version }] = (await database.query<{ version: number }>("select version from app_public.publish_template('refresh')")) as [
    { version: number },
  ];
  // The publish asked for the refills that replace them.
  expect(
    (await database.query<{ key: string }>("select key from graphile_worker.jobs where task_identifier = 'replenish_pool' order by 1")).map(
      (job) => job.key,
    ),
  ).toEqual(expect.arrayContaining(["replenish_pool:master", `replenish_pool:user:${userId}`]));

  // Each step is one refill transaction: the ready count, checked after every one, never drops.
  const ready = async () => (await pooled()).filter((campaign) => campaign.pool_type === "master").length;
  const readyCounts = [await ready()];
  while ((await step())[0]!.id) readyCounts.push(await ready());
  readyCounts.push(await ready());
  expect(readyCounts.every((count) => count >= 3)).toBe(true);
  await database.query("select app_private.add_pool_campaign('user', $1)", [userId]);

  const fresh = await pooled();
  expect(fresh.map((campaign) => [campaign.pool_type, campaign.template_version])).toEqual([
    ["master", version],
    ["master", version],
    ["master", version],
    ["user", version],
  ]);
  // The retired campaigns are gone with their content; the images they shared stay.
  const staleIds = stale.map((campaign) => campaign.id);
  expect(await database.query("select id from app_public.campaigns where id = any($1::uuid[])", [staleIds])).toEqual([]);
  expect(await database.query("select id from app_public.schticks where campaign_id = any($1::uuid[])", [staleIds])).toEqual([]);
  expect(
    (await database.query("select id from app_public.images where id = any($1::uuid[])", [sharedImages.map((row) => row.image_id)])).length,
  ).toBe(sharedImages.length);
  expect((await database.query("select app_public.pool_status() -> 'master' -> 'on_current_version' as n"))[0]).toEqual({ n: 3 });
});
