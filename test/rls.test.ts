// Row-level security through the real API: owners, marketer members and admins.
import { beforeAll, describe, expect, test } from "vitest";
import { graphql, tokenFor, useTestApp } from "./support/app.ts";
import { useTestDatabase } from "./support/database.ts";
import { runDueJobs } from "./support/jobs.ts";

const database = useTestDatabase("rls");
const server = useTestApp(database, { worker: false });

const CAMPAIGN_NAMES = `{ allCampaigns { nodes { name } } }`;
const names = (response: { data?: { allCampaigns: { nodes: { name: string }[] } } }) =>
  response.data?.allCampaigns.nodes.map((node) => node.name).sort();

let alice: string, bob: string, carol: string, admin: string;

beforeAll(async () => {
  [alice, bob, carol, admin] = await Promise.all([
    tokenFor(database, "alice@example.com"),
    tokenFor(database, "bob@example.com"),
    tokenFor(database, "carol@example.com"),
    tokenFor(database, "admin@example.com", { admin: true }),
  ]);
  await database.query(`
    with acme as (insert into app_public.marketers (name) values ('Acme') returning id),
         members as (
           insert into app_public.marketer_members (marketer_id, user_id)
           select acme.id, users.id from acme, app_public.users where users.email in ('bob@example.com', 'carol@example.com')
         )
    insert into app_public.campaigns (user_id, marketer_id, name)
    select users.id, case when users.email = 'bob@example.com' then acme.id end, split_part(users.email, '@', 1) || '''s campaign'
    from app_public.users, acme where users.email in ('alice@example.com', 'bob@example.com')
  `);
});

describe("campaign visibility", () => {
  test("a user sees their own campaign and not another's", async () => {
    expect(names(await graphql(server.url, CAMPAIGN_NAMES, { token: alice }))).toEqual(["alice's campaign"]);
  });

  test("a marketer's member sees the marketer's campaigns they do not own", async () => {
    expect(names(await graphql(server.url, CAMPAIGN_NAMES, { token: carol }))).toEqual(["bob's campaign"]);
  });

  test("an admin sees every campaign, pool campaigns and the template's versions included", async () => {
    const campaigns = `{ allCampaigns(condition: { isPool: false }) { nodes { name } } }`;
    expect(names(await graphql(server.url, campaigns, { token: admin }))).toEqual([
      "Master template",
      "Master template, version 1",
      "alice's campaign",
      "bob's campaign",
    ]);
    // A refill of the master pool fills it to its target (3); admins see those too.
    await database.query("select app_private.enqueue_pool_refill('master', refill_now => true)");
    await runDueJobs(database);
    const pool = await graphql(server.url, `{ allCampaigns(condition: { isPool: true }) { totalCount } }`, { token: admin });
    expect(pool.data?.allCampaigns.totalCount).toBe(3);
    expect(pool.errors).toBeUndefined();
  });

  test("a user cannot rename another user's campaign", async () => {
    const { data } = await graphql(server.url, CAMPAIGN_NAMES.replace("name }", "name rowId }"), { token: bob });
    const bobsCampaignId = data.allCampaigns.nodes[0].rowId;
    const response = await graphql(
      server.url,
      `mutation ($id: UUID!) { updateCampaignByRowId(input: { rowId: $id, campaignPatch: { name: "stolen" } }) { campaign { name } } }`,
      { token: alice, variables: { id: bobsCampaignId } },
    );
    // PostGraphile 5 answers an update of a row the visitor cannot see with a null campaign.
    expect(response.data?.updateCampaignByRowId?.campaign ?? null).toBeNull();
    const [row] = await database.query<{ name: string }>("select name from app_public.campaigns where id = $1", [bobsCampaignId]);
    expect(row!.name).toBe("bob's campaign");
  });

  test("a campaign created through the API belongs to its creator", async () => {
    const response = await graphql(
      server.url,
      `mutation { createCampaign(input: { name: "Night market" }) { result { name userByUserId { email } } } }`,
      { token: alice },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?.createCampaign.result).toEqual({ name: "Night market", userByUserId: { email: "alice@example.com" } });
    expect(names(await graphql(server.url, CAMPAIGN_NAMES, { token: bob }))).toEqual(["bob's campaign"]);
  });
});
