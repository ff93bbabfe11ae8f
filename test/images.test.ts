// Images against a fake ImageKit on loopback: URLs built by the SDK, no ImageKit traffic while
// seeding, copy-on-write replacement, failed uploads that lose nothing, purges retried until the
// file is gone; and row-level security on content.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { graphql, tokenFor, useTestApp } from "./support/app.ts";
import { masterTemplateId, seededCampaign } from "./support/content.ts";
import { useTestDatabase } from "./support/database.ts";
import { type FakeImageKit, startFakeImageKit } from "./support/fake-imagekit.ts";
import { waitFor } from "./support/wait.ts";

const fake: FakeImageKit = await startFakeImageKit();
process.env.IMAGEKIT_PRIVATE_KEY = "private_test_key";
process.env.IMAGEKIT_API_BASE_URL = fake.baseUrl;
process.env.IMAGEKIT_URL_ENDPOINT = "https://ik.example.test/campaign-engine";
afterAll(() => fake.close());

const database = useTestDatabase("images");
const server = useTestApp(database);

const PNG = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000", "hex").toString("base64");
const REPLACE = `mutation ($table: String!, $id: UUID!) {
  replaceImage(input: { table: $table, recordId: $id, fileName: "new.png", contentBase64: "${PNG}" }) { imageId imageUrl }
}`;

let alice: string, bob: string, campaign: string, template: string, schtickId: string, sharedImageId: string;

const imageOf = async (id: string) =>
  (await database.query<{ image_id: string | null }>("select image_id from app_public.schticks where id = $1", [id]))[0]!.image_id;

beforeAll(async () => {
  alice = await tokenFor(database, "alice@example.com");
  bob = await tokenFor(database, "bob@example.com");
  template = await masterTemplateId(database);
  campaign = await seededCampaign(database, "alice@example.com", "Alice's table");
  const [row] = await database.query<{ id: string; image_id: string }>(
    "select id, image_id from app_public.schticks where campaign_id = $1 and image_id is not null order by category, name limit 1",
    [campaign],
  );
  schtickId = row!.id;
  sharedImageId = row!.image_id;
});

describe("seeding", () => {
  test("makes no ImageKit call", async () => {
    const callsBefore = fake.calls.length;
    await seededCampaign(database, "carol@example.com");
    expect(fake.calls.length).toBe(callsBefore);
  });
});

describe("imageUrl", () => {
  test("is built by the ImageKit SDK: the file's path, resized, signed", async () => {
    const response = await graphql(server.url, `query ($id: UUID!) { schtickByRowId(rowId: $id) { imageUrl(width: 120) } }`, {
      token: alice,
      variables: { id: schtickId },
    });
    const [image] = await database.query<{ file_path: string }>("select file_path from app_public.images where id = $1", [sharedImageId]);
    const url = new URL(response.data.schtickByRowId.imageUrl);
    expect(url.origin + url.pathname).toBe(`https://ik.example.test/campaign-engine${image!.file_path}`);
    expect(url.searchParams.get("tr")).toBe("w-120");
    expect(url.searchParams.get("ik-s")).toMatch(/^[0-9a-f]{40}$/);
  });
});

describe("replaceImage (copy-on-write)", () => {
  test("a failed upload loses nothing: the record keeps its image and no image row appears", async () => {
    const images = await database.query("select id from app_public.images");
    fake.failNext("POST", 10);
    const response = await graphql(server.url, REPLACE, { token: alice, variables: { table: "schticks", id: schtickId } });
    fake.failNext("POST", 0);
    expect(response.errors?.[0]?.message).toMatch(/could not be uploaded.*keeps its image/);
    expect(await imageOf(schtickId)).toBe(sharedImageId);
    expect(await database.query("select id from app_public.images")).toHaveLength(images.length);
  });

  test("is refused, without uploading, to someone who may not change the record", async () => {
    const uploadsBefore = fake.calls.filter((call) => call.method === "POST").length;
    const response = await graphql(server.url, REPLACE, { token: bob, variables: { table: "schticks", id: schtickId } });
    expect(response.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/does not exist, or you may not change it/),
      extensions: { code: "CE020" },
    });
    expect(fake.calls.filter((call) => call.method === "POST").length).toBe(uploadsBefore);
    expect(await imageOf(schtickId)).toBe(sharedImageId);
  });

  test("names the tables that have images when given another, with the SQL code (CE110)", async () => {
    const uploadsBefore = fake.calls.filter((call) => call.method === "POST").length;
    const response = await graphql(server.url, REPLACE, { token: alice, variables: { table: "users", id: schtickId } });
    expect(response.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/"users" have no image; expected one of: factions, .*schticks/),
      extensions: { code: "CE110" },
    });
    expect(fake.calls.filter((call) => call.method === "POST").length).toBe(uploadsBefore);
    expect(await imageOf(schtickId)).toBe(sharedImageId);
  });

  test("points only this record at a new file; the shared file and its row stay", async () => {
    const response = await graphql(server.url, REPLACE, { token: alice, variables: { table: "schticks", id: schtickId } });
    expect(response.errors).toBeUndefined();
    const { imageId, imageUrl } = response.data.replaceImage;
    expect(imageId).not.toBe(sharedImageId);
    expect(imageUrl).toMatch(/^https:\/\/ik\.example\.test\/campaign-engine\/campaigns\/schticks\/fake-/);
    expect(await imageOf(schtickId)).toBe(imageId);
    const [stillShared] = await database.query<{ users: number }>(
      "select count(*)::int as users from app_public.schticks where image_id = $1 and campaign_id = $2",
      [sharedImageId, template],
    );
    expect(stillShared!.users).toBe(1);
    expect(await database.query("select id from app_public.images where id = $1", [sharedImageId])).toHaveLength(1);
    expect(fake.calls.some((call) => call.method === "DELETE")).toBe(false);
  });

  test("purges the replaced file once nothing points at it, retrying while ImageKit fails", async () => {
    const ownImage = await imageOf(schtickId);
    const [own] = await database.query<{ file_id: string }>("select file_id from app_public.images where id = $1", [ownImage]);
    expect(fake.files.has(own!.file_id)).toBe(true);
    // The SDK tries 3 times per job attempt: the first job attempt fails, graphile-worker retries.
    fake.failNext("DELETE", 3);
    const response = await graphql(server.url, REPLACE, { token: alice, variables: { table: "schticks", id: schtickId } });
    expect(response.errors).toBeUndefined();

    await waitFor(
      () => database.query("select id from app_public.images where id = $1", [ownImage]),
      (rows) => rows.length === 0,
      30_000,
    );
    expect(fake.files.has(own!.file_id)).toBe(false);
    const deletes = fake.calls.filter((call) => call.method === "DELETE" && call.path === `/v1/files/${own!.file_id}`);
    expect(deletes.length).toBeGreaterThan(3);
  }, 40_000);
});

describe("row-level security on content", () => {
  test("the owner sees the campaign's content; another user sees none of it and cannot change it", async () => {
    const count = `query ($id: UUID!) { allSchticks(condition: { campaignId: $id }) { totalCount } }`;
    expect((await graphql(server.url, count, { token: alice, variables: { id: campaign } })).data.allSchticks.totalCount).toBe(643);
    expect((await graphql(server.url, count, { token: bob, variables: { id: campaign } })).data.allSchticks.totalCount).toBe(0);
    await graphql(
      server.url,
      `mutation ($id: UUID!) { updateSchtickByRowId(input: { rowId: $id, schtickPatch: { name: "Stolen" } }) { schtick { name } } }`,
      {
        token: bob,
        variables: { id: schtickId },
      },
    );
    const [row] = await database.query<{ name: string }>("select name from app_public.schticks where id = $1", [schtickId]);
    expect(row!.name).not.toBe("Stolen");
  });
});
