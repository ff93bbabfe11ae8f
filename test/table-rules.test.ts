// One set of rules on every path: the limits of names and descriptions hold for updates through
// the API and for statements in psql as they do for createCampaign, and blank means blank in any
// Unicode whitespace. A refusal leaves the row as it was.
import { beforeAll, describe, expect, test } from "vitest";
import { graphql, tokenFor, useTestApp } from "./support/app.ts";
import { useTestDatabase } from "./support/database.ts";

const database = useTestDatabase("table_rules");
const server = useTestApp(database, { worker: false });

let owner: string, member: string, campaign: string, marketer: string;

const campaignRow = async () => (await database.query("select name, description from app_public.campaigns where id = $1", [campaign]))[0];
const ORIGINAL = { name: "Night market", description: "Neon and noodles" };
// As a client types them in a GraphQL string: no-break, em and ideographic spaces, a line separator, a zero-width space.
const UNICODE_BLANKS = "\\u00a0\\u2003\\u3000\\u2028\\u200b";

beforeAll(async () => {
  owner = await tokenFor(database, "owner@example.com");
  member = await tokenFor(database, "member@example.com");
  [{ id: campaign }] = (await database.query<{ id: string }>(
    "insert into app_public.campaigns (user_id, name, description) select id, $1, $2 from app_public.users where email = 'owner@example.com' returning id",
    [ORIGINAL.name, ORIGINAL.description],
  )) as [{ id: string }];
  [{ id: marketer }] = (await database.query<{ id: string }>("insert into app_public.marketers (name) values ('Acme') returning id")) as [
    { id: string },
  ];
  await database.query(
    "insert into app_public.marketer_members (marketer_id, user_id) select $1, id from app_public.users where email = 'member@example.com'",
    [marketer],
  );
});

describe("updateCampaign obeys the limits createCampaign does (CE202)", () => {
  test.each([
    ["a 5,000-character name", `name: "${"x".repeat(5000)}"`, "name is 5000 characters long; at most 200 are allowed"],
    ["a name of Unicode blanks", `name: "${UNICODE_BLANKS}"`, "name must not be empty or blank"],
    ["an empty name", `name: ""`, "name must not be empty or blank"],
  ])("%s is refused, and the campaign keeps its name and description", async (_what, patch, message) => {
    const response = await graphql(
      server.url,
      `mutation { updateCampaignByRowId(input: { rowId: "${campaign}", campaignPatch: { ${patch} } }) { campaign { name } } }`,
      { token: owner },
    );
    expect(response.errors).toEqual([expect.objectContaining({ message, extensions: { code: "CE202" } })]);
    expect(await campaignRow()).toEqual(ORIGINAL);
  });

  test("a 100,000-character description, sent as a variable (documents are limited in size), is refused", async () => {
    const response = await graphql(
      server.url,
      `mutation ($patch: CampaignPatch!) { updateCampaignByRowId(input: { rowId: "${campaign}", campaignPatch: $patch }) { campaign { name } } }`,
      { token: owner, variables: { patch: { description: "y".repeat(100_000) } } },
    );
    expect(response.errors).toEqual([
      expect.objectContaining({
        message: "description is 100000 characters long; at most 10000 are allowed",
        extensions: { code: "CE202" },
      }),
    ]);
    expect(await campaignRow()).toEqual(ORIGINAL);
  });

  test("a name within the limits is taken", async () => {
    const response = await graphql(
      server.url,
      `mutation { updateCampaignByRowId(input: { rowId: "${campaign}", campaignPatch: { name: "${"z".repeat(200)}" } }) { campaign { name } } }`,
      { token: owner },
    );
    expect(response.errors).toBeUndefined();
    await database.query("update app_public.campaigns set name = $2 where id = $1", [campaign, ORIGINAL.name]);
  });

  test("createCampaign refuses a name of Unicode blanks, which trimming ASCII spaces let through", async () => {
    const response = await graphql(server.url, `mutation { createCampaign(input: { name: "${UNICODE_BLANKS}" }) { result { rowId } } }`, {
      token: owner,
    });
    expect(response.errors?.[0]).toMatchObject({ message: "name must not be empty or blank", extensions: { code: "CE202" } });
    expect(
      await database.query(
        "select id from app_public.campaigns where not is_pool and id <> $1 and not is_master_template and not is_template_version",
        [campaign],
      ),
    ).toEqual([]);
  });
});

describe("psql obeys them too", () => {
  test("an update in psql is refused with the same message", async () => {
    await expect(database.query("update app_public.campaigns set name = repeat('x', 201) where id = $1", [campaign])).rejects.toMatchObject(
      {
        code: "CE202",
        message: "name is 201 characters long; at most 200 are allowed",
      },
    );
    expect(await campaignRow()).toEqual(ORIGINAL);
  });

  test("with the explaining trigger switched off, the table's constraint still holds", async () => {
    await expect(
      database.query(
        `begin;
       alter table app_public.campaigns disable trigger _150_text_within_limits;
       update app_public.campaigns set description = repeat('y', 10001) where id = '${campaign}';
       commit;`,
      ),
    ).rejects.toMatchObject({ code: "23514", constraint: "campaigns_name_and_description_within_limits" });
    expect(await campaignRow()).toEqual(ORIGINAL);
  });

  test.each([
    ["marketers", "insert into app_public.marketers (name) values (E'\\u3000')"],
    ["participants", "insert into app_public.participants (name) values (E'\\u00a0\\u2009')"],
    ["targets", `insert into app_public.targets (marketer_id, name) values ('00000000-0000-0000-0000-000000000000', E'\\u2028')`],
  ])("%s refuse a name of Unicode blanks", async (table, insert) => {
    const before = await database.query(`select count(*)::int as n from app_public.${table}`);
    await expect(database.query(insert.replace("00000000-0000-0000-0000-000000000000", marketer))).rejects.toMatchObject({
      code: "23514",
      constraint: `${table}_name_not_blank`,
    });
    expect(await database.query(`select count(*)::int as n from app_public.${table}`)).toEqual(before);
  });
});

describe("through the API, other names follow the same blank rule", () => {
  test("a member's target named with an ideographic space is refused", async () => {
    const response = await graphql(
      server.url,
      `mutation { createTarget(input: { target: { marketerId: "${marketer}", name: "\\u3000" } }) { target { rowId } } }`,
      { token: member },
    );
    expect(response.errors?.[0]).toMatchObject({ extensions: { code: "23514" } });
    expect(await database.query("select id from app_public.targets")).toEqual([]);
  });
});
