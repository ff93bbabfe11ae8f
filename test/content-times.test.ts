// Content times as clients see them: a campaign handed over from a week-old pool shows its content
// created and changed at the hand-over; a row edited or added afterwards shows its own time; psql's
// functions say the same as the API; lists order by those times; and a hand-over writes as many
// rows whatever the size of the template.
import pg from "pg";
import { beforeAll, describe, expect, test } from "vitest";
import { actAs } from "../src/auth/pg-settings.ts";
import { graphql, tokenFor, useTestApp } from "./support/app.ts";
import { createUser, type TestUser } from "./support/as-user.ts";
import { backdateByAWeek } from "./support/backdate.ts";
import { masterTemplateId, rowCounts } from "./support/content.ts";
import { useTestDatabase } from "./support/database.ts";

const database = useTestDatabase("content_times");
const server = useTestApp(database, { worker: false });

let token: string;
let campaignId: string;
let activatedAt: string;

/** A master pool campaign seeded now, its campaign row and content then aged by a week. */
async function weekOldPoolCampaign(): Promise<string> {
  const [{ id }] = (await database.query<{ id: string }>("select app_private.add_pool_campaign('master') as id")) as [{ id: string }];
  await backdateByAWeek(database, id, ["campaigns", "schticks", "weapons", "characters"]);
  return id;
}

const SCHTICKS = `query ($id: UUID!, $orderBy: [SchtickOrderBy!], $first: Int) {
  campaignByRowId(rowId: $id) {
    activatedAt
    schticksByCampaignId(orderBy: $orderBy, first: $first) { totalCount nodes { rowId name createdAt updatedAt } }
  }
}`;

type Node = { rowId: string; name: string; createdAt: string; updatedAt: string };
const schticks = async (variables: Record<string, unknown> = {}) => {
  const response = await graphql(server.url, SCHTICKS, { token, variables: { id: campaignId, ...variables } });
  expect(response.errors).toBeUndefined();
  return response.data.campaignByRowId.schticksByCampaignId as { totalCount: number; nodes: Node[] };
};

/** How a shown time (the API's string) compares with a schtick's column: "<", "=" or ">", by the database (microseconds). */
const compared = async (shown: string, id: string, column: "created_at" | "updated_at") =>
  (
    await database.query<{ order: string }>(
      `select case when $1::timestamptz < ${column} then '<' when $1::timestamptz = ${column} then '=' else '>' end as order
         from app_public.schticks where id = $2`,
      [shown, id],
    )
  )[0]!.order;

beforeAll(async () => {
  await database.query("select app_private.set_setting('pool_target_size', '1')");
  const poolCampaign = await weekOldPoolCampaign();
  token = await tokenFor(database, "alice@example.com");
  const created = await graphql(server.url, `mutation { createCampaign(input: { name: "Mine" }) { result { rowId activatedAt } } }`, {
    token,
  });
  expect(created.errors).toBeUndefined();
  ({ rowId: campaignId, activatedAt } = created.data.createCampaign.result);
  expect(campaignId).toBe(poolCampaign);
});

describe("content times through the API", () => {
  test("a campaign handed over from a week-old pool shows its content created and changed at its activation", async () => {
    const { totalCount, nodes } = await schticks();
    expect(totalCount).toBe((await rowCounts(database, await masterTemplateId(database))).schticks);
    expect(nodes.filter((node) => node.createdAt !== activatedAt || node.updatedAt !== activatedAt)).toEqual([]);
    // The columns keep the week-old time the rows were written.
    const [{ days }] = (await database.query<{ days: number }>(
      "select extract(day from $1::timestamptz - created_at)::int as days from app_public.schticks where id = $2",
      [activatedAt, nodes[0]!.rowId],
    )) as [{ days: number }];
    expect(days).toBe(7);
  });

  test("every way of reaching a row shows the same times: a list, the root list, one by key, through a join row", async () => {
    const [{ schtick_id: schtickId }] = (await database.query<{ schtick_id: string }>(
      "select schtick_id from app_public.character_schticks where campaign_id = $1 limit 1",
      [campaignId],
    )) as [{ schtick_id: string }];
    const response = await graphql(
      server.url,
      `query ($campaignId: UUID!, $schtickId: UUID!) {
         campaignByRowId(rowId: $campaignId) { schticksByCampaignId(condition: { rowId: $schtickId }) { nodes { createdAt updatedAt } } }
         allSchticks(condition: { rowId: $schtickId }) { nodes { createdAt updatedAt } }
         schtickByRowId(rowId: $schtickId) { createdAt updatedAt }
         allCharacterSchticks(condition: { schtickId: $schtickId }, first: 1) { nodes { schtickByCampaignIdAndSchtickId { createdAt updatedAt } } }
       }`,
      { token, variables: { campaignId, schtickId } },
    );
    expect(response.errors).toBeUndefined();
    const { campaignByRowId, allSchticks, schtickByRowId, allCharacterSchticks } = response.data;
    const shown = { createdAt: activatedAt, updatedAt: activatedAt };
    expect([
      campaignByRowId.schticksByCampaignId.nodes[0],
      allSchticks.nodes[0],
      schtickByRowId,
      allCharacterSchticks.nodes[0].schtickByCampaignIdAndSchtickId,
    ]).toEqual([shown, shown, shown, shown]);
  });

  test("a row edited afterwards shows its edit time; one added afterwards shows its own; psql's functions agree with the API", async () => {
    const [first] = (await schticks({ first: 1, orderBy: ["NAME_ASC"] })).nodes;
    const edited = await graphql(
      server.url,
      `mutation ($id: UUID!) { updateSchtickByRowId(input: { rowId: $id, schtickPatch: { name: "Edited" } }) { schtick { createdAt updatedAt } } }`,
      { token, variables: { id: first!.rowId } },
    );
    expect(edited.errors).toBeUndefined();
    const editedSchtick = edited.data.updateSchtickByRowId.schtick as Node;
    expect(editedSchtick.createdAt).toBe(activatedAt);
    expect(await compared(editedSchtick.updatedAt, first!.rowId, "updated_at")).toBe("=");
    expect(await compared(activatedAt, first!.rowId, "updated_at")).toBe("<");

    const added = await graphql(
      server.url,
      `mutation ($campaignId: UUID!) {
         createSchtick(input: { schtick: { campaignId: $campaignId, category: "Test", name: "Added" } }) { schtick { rowId createdAt updatedAt } }
       }`,
      { token, variables: { campaignId } },
    );
    expect(added.errors).toBeUndefined();
    const addedSchtick = added.data.createSchtick.schtick as Node;
    expect(await compared(addedSchtick.createdAt, addedSchtick.rowId, "created_at")).toBe("=");
    expect(await compared(addedSchtick.updatedAt, addedSchtick.rowId, "updated_at")).toBe("=");
    expect(await compared(activatedAt, addedSchtick.rowId, "created_at")).toBe("<");

    // psql: the same rule through the functions the API calls, for every row of the campaign.
    const { nodes } = await schticks();
    const [agreement] = await database.query<{ rows: number; disagreeing: number }>(
      `select count(*)::int as rows,
              count(*) filter (where app_public.schticks_created_at(s) <> api."createdAt"
                                  or app_public.schticks_updated_at(s) <> api."updatedAt")::int as disagreeing
         from app_public.schticks s
         join json_to_recordset($2::json) as api("rowId" uuid, "createdAt" timestamptz, "updatedAt" timestamptz) on api."rowId" = s.id
        where s.campaign_id = $1`,
      [campaignId, JSON.stringify(nodes)],
    );
    expect(agreement).toEqual({ rows: nodes.length, disagreeing: 0 });
  });

  test("lists order by the times they show", async () => {
    expect((await schticks({ orderBy: ["CREATED_AT_DESC"], first: 1 })).nodes.map((node) => node.name)).toEqual(["Added"]);
    expect((await schticks({ orderBy: ["UPDATED_AT_DESC"], first: 2 })).nodes.map((node) => node.name)).toEqual(["Added", "Edited"]);
    const oldestFirst = (await schticks({ orderBy: ["CREATED_AT_ASC", "ROW_ID_ASC"] })).nodes;
    expect(oldestFirst.at(-1)!.name).toBe("Added");
    expect(oldestFirst[0]!.createdAt).toBe(activatedAt);
  });
});

describe("a hand-over", () => {
  /** Hands the oldest master pool campaign to a new user; returns it and the rows the transaction wrote. */
  async function handOver(user: TestUser): Promise<{ id: string; rowsWritten: number }> {
    const client = new pg.Client({ connectionString: database.ownerUrl });
    await client.connect();
    try {
      await client.query("begin");
      await actAs(client, { sub: user.id, is_admin: false });
      const {
        rows: [campaign],
      } = await client.query<{ id: string }>("select id from app_public.create_campaign('Handed over')");
      // Rows this transaction inserted, updated or deleted, in every table.
      const {
        rows: [written],
      } = await client.query<{ n: number }>("select sum(n_tup_ins + n_tup_upd + n_tup_del)::int as n from pg_stat_xact_user_tables");
      await client.query("commit");
      return { id: campaign!.id, rowsWritten: written!.n };
    } finally {
      await client.end();
    }
  }

  test("writes as many rows from a template twice as large: a handful, whatever its size", async () => {
    await database.query("select app_private.set_setting('pool_target_size', '1')");
    await database.query("select app_private.add_pool_campaign('master')");
    const small = await handOver(await createUser(database, "small@example.com"));
    // The template doubles (every schtick and weapon once more, under another name), is published,
    // and a pool campaign of the new version is seeded.
    for (const table of ["schticks", "weapons"]) {
      const columns = (
        await database.query<{ name: string }>(
          `select column_name as name from information_schema.columns
            where table_schema = 'app_public' and table_name = $1 and column_name not in ('id', 'name', 'created_at', 'updated_at', 'prerequisite_id')`,
          [table],
        )
      ).map((column) => column.name);
      await database.query(
        `insert into app_public.${table} (name, ${columns.join(", ")})
         select name || ' (again)', ${columns.join(", ")} from app_public.${table} where campaign_id = $1`,
        [await masterTemplateId(database)],
      );
    }
    await database.query("select app_public.publish_template('twice as large')");
    await database.query("select app_private.add_pool_campaign('master')");
    const large = await handOver(await createUser(database, "large@example.com"));
    expect((await rowCounts(database, large.id)).schticks).toBe(2 * (await rowCounts(database, small.id)).schticks!);
    expect(large.rowsWritten).toBe(small.rowsWritten);
    expect(small.rowsWritten).toBeLessThan(10);
  });
});
