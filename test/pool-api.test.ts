// The campaign pool through the real app: GraphQL over HTTP, the worker refilling pools, metrics.
import { beforeAll, expect, test } from "vitest";
import { graphql, tokenFor, useTestApp } from "./support/app.ts";
import { useTestDatabase } from "./support/database.ts";
import { waitFor } from "./support/wait.ts";

const database = useTestDatabase("pool_api");
const server = useTestApp(database);

const CREATE = `mutation ($name: String!, $description: String, $marketerId: UUID) {
  createCampaign(input: { name: $name, description: $description, marketerId: $marketerId }) {
    result { rowId name description userByUserId { email } schticksByCampaignId { totalCount } }
  }
}`;
const STATUS = `{ poolStatus }`;

let alice: string, admin: string;

beforeAll(async () => {
  [alice, admin] = await Promise.all([tokenFor(database, "alice@example.com"), tokenFor(database, "admin@example.com", { admin: true })]);
});

const ready = async (poolType: string) =>
  (
    await database.query<{ n: number }>("select count(*)::int as n from app_public.campaigns where is_pool and pool_type = $1", [poolType])
  )[0]!.n;

test("createCampaign hands over a complete campaign, and the worker refills the master pool and the user's own", async () => {
  const [template] = await database.query<{ n: number }>(
    "select count(*)::int as n from app_public.schticks where campaign_id = (select id from app_public.campaigns where is_master_template)",
  );
  const pools = async () => [await ready("master"), await ready("user")];
  // The worker fills the master pool as it starts.
  await waitFor(pools, ([master, user]) => master === 3 && user === 0, 30_000);

  const first = await graphql(server.url, CREATE, { token: alice, variables: { name: "First", description: "From the pool" } });
  expect(first.errors).toBeUndefined();
  expect(first.data.createCampaign.result).toMatchObject({
    name: "First",
    description: "From the pool",
    userByUserId: { email: "alice@example.com" },
    schticksByCampaignId: { totalCount: template!.n },
  });
  // Replenishment: the master pool back to its target, and a pool campaign for alice's next one.
  await waitFor(pools, ([master, user]) => master === 3 && user === 1, 30_000);

  const second = await graphql(server.url, CREATE, { token: alice, variables: { name: "Second" } });
  expect(second.errors).toBeUndefined();
  // With pools off, the third is seeded inline, just as complete.
  await database.query("select app_public.set_pools_enabled(false)");
  const third = await graphql(server.url, CREATE, { token: alice, variables: { name: "Third" } });
  await database.query("select app_public.set_pools_enabled(true)");
  expect(third.errors).toBeUndefined();
  expect(third.data.createCampaign.result.schticksByCampaignId.totalCount).toBe(template!.n);
  const sources = await database.query<{ source: string }>("select source from app_public.pool_assignments order by assigned_at");
  expect(sources.map((row) => row.source)).toEqual(["master", "user", "inline"]);
  await waitFor(pools, ([master, user]) => master === 3 && user === 1, 30_000);
});

test("bad input is refused with its code, and an anonymous caller cannot create", async () => {
  const tooLong = await graphql(server.url, CREATE, { token: alice, variables: { name: "x".repeat(201) } });
  expect(tooLong.errors?.[0]).toMatchObject({
    message: "name is 201 characters long; at most 200 are allowed",
    extensions: { code: "CE202" },
  });
  const anonymous = await graphql(server.url, CREATE, { variables: { name: "Nobody's" } });
  expect(anonymous.errors?.[0]).toMatchObject({ message: "sign in to create a campaign", extensions: { code: "CE201" } });
  // The table's generated insert mutation is gone: createCampaign belongs to the function.
  const generated = await graphql(server.url, `mutation { createCampaign(input: { campaign: { name: "x" } }) { clientMutationId } }`, {
    token: alice,
  });
  expect(generated.errors?.[0]?.message).toMatch(/campaign/);
});

test("admins read the pool status and set the target through GraphQL; others are refused", async () => {
  const status = await graphql(server.url, STATUS, { token: admin });
  expect(status.data.poolStatus).toMatchObject({ enabled: true, master: { target: 3 }, health: { status: expect.any(String) } });

  const set = await graphql(server.url, `mutation { setPoolTarget(input: { size: 5 }) { result } }`, { token: admin });
  expect(set.data.setPoolTarget.result.master.target).toBe(5);
  await waitFor(
    () => ready("master"),
    (n) => n === 5,
    30_000,
  );

  const refused = await graphql(server.url, `mutation { setPoolTarget(input: { size: 60 }) { result } }`, { token: admin });
  expect(refused.errors?.[0]).toMatchObject({
    message: "the master pool target must be between 0 and 50 (got 60)",
    extensions: { code: "CE205" },
  });
  const notAdmin = await graphql(server.url, STATUS, { token: alice });
  expect(notAdmin.errors?.[0]).toMatchObject({ message: "only admins may do this", extensions: { code: "42501" } });
});

test("/metrics counts creations by result and exposes the pool sizes", async () => {
  const text = await waitFor(
    async () => (await fetch(`${server.url}/metrics`)).text(),
    (body) => /pool_assignments_total\{result="pool_hit"\} 2/.test(body),
  );
  expect(text).toMatch(/pool_assignments_total\{result="inline"\} 1/);
  expect(text).toMatch(/pool_assignment_duration_seconds_count\{source="user"\} 1/);
  expect(text).toMatch(/pool_seeding_duration_seconds_count \d+/);
  expect(text).toMatch(/pool_size\{pool="master_ready"\} \d+/);
});
