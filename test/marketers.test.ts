// Marketers run by their users, through GraphQL as clients call it (sql/215_marketer_membership.sql):
// a user creates one and owns it; owners add members (unknown emails become users), remove them and
// rename it; anyone leaves; the last owner stays; a membership that ends is named on `rights`, so
// open streams re-check; whoever leaves hands their campaigns of it to an owner. Every refusal has
// its code and changes nothing.
import pg from "pg";
import { beforeAll, describe, expect, test } from "vitest";
import { graphql, tokenFor, useTestApp } from "./support/app.ts";
import { useTestDatabase } from "./support/database.ts";

const database = useTestDatabase("marketers");
const server = useTestApp(database, { worker: false });

const CREATE = `mutation ($name: String!) { createMarketer(input: { name: $name }) { result { rowId name } } }`;
const ADD = `mutation ($marketerId: UUID!, $email: String!, $role: MarketerRole) {
  addMarketerMember(input: { marketerId: $marketerId, email: $email, role: $role }) { result { userId role } } }`;
const REMOVE = `mutation ($marketerId: UUID!, $userId: UUID!) {
  removeMarketerMember(input: { marketerId: $marketerId, userId: $userId }) { result { userId } } }`;
const LEAVE = `mutation ($marketerId: UUID!) { leaveMarketer(input: { marketerId: $marketerId }) { result { userId } } }`;
const RENAME = `mutation ($marketerId: UUID!, $name: String!) {
  renameMarketer(input: { marketerId: $marketerId, name: $name }) { result { name } } }`;

let olive: string, mia: string, stan: string;
let oliveId: string, miaId: string;
let serial = 0;

beforeAll(async () => {
  [olive, mia, stan] = await Promise.all(["olive", "mia", "stan"].map((name) => tokenFor(database, `${name}@example.com`)));
  const users = await database.query<{ email: string; id: string }>("select email, id from app_public.users");
  oliveId = users.find((user) => user.email === "olive@example.com")!.id;
  miaId = users.find((user) => user.email === "mia@example.com")!.id;
});

const codeOf = (response: { errors?: { extensions?: { code?: string } }[] }) => response.errors?.map((error) => error.extensions?.code);
const memberships = (marketerId: string) =>
  database.query<{ email: string; role: string }>(
    "select u.email, m.role::text from app_public.marketer_members m join app_public.users u on u.id = m.user_id where m.marketer_id = $1 order by u.email",
    [marketerId],
  );

/** A marketer of Olive's with Mia as a member. */
async function oliveAndMia(): Promise<string> {
  const created = await graphql(server.url, CREATE, { token: olive, variables: { name: `Acme ${++serial}` } });
  expect(created.errors).toBeUndefined();
  const marketerId = created.data.createMarketer.result.rowId as string;
  const added = await graphql(server.url, ADD, { token: olive, variables: { marketerId, email: "mia@example.com" } });
  expect(added.errors, JSON.stringify(added.errors)).toBeUndefined();
  return marketerId;
}

describe("createMarketer and renameMarketer", () => {
  test("the creator is its owner and sees it; its name is theirs to change", async () => {
    const created = await graphql(server.url, CREATE, { token: olive, variables: { name: "Olive's Games" } });
    expect(created.errors, JSON.stringify(created.errors)).toBeUndefined();
    const marketerId = created.data.createMarketer.result.rowId;
    expect(await memberships(marketerId)).toEqual([{ email: "olive@example.com", role: "owner" }]);
    const seen = await graphql(server.url, `{ allMarketers { nodes { name marketerMembersByMarketerId { nodes { role } } } } }`, {
      token: olive,
    });
    expect(seen.data.allMarketers.nodes).toEqual([{ name: "Olive's Games", marketerMembersByMarketerId: { nodes: [{ role: "owner" }] } }]);

    const renamed = await graphql(server.url, RENAME, { token: olive, variables: { marketerId, name: "Olive's Great Games" } });
    expect(renamed.data.renameMarketer.result).toEqual({ name: "Olive's Great Games" });
  });

  test("anonymous, blank, over-long and taken names are refused, and nothing is created", async () => {
    await graphql(server.url, CREATE, { token: olive, variables: { name: "Taken" } });
    const before = await database.query("select * from app_public.marketers order by id");
    for (const [token, name, code] of [
      [undefined, "Anonymous Co", "CE210"],
      [stan, "\u2003\u00a0", "CE202"],
      [stan, "x".repeat(201), "CE202"],
      [stan, "Taken", "CE214"],
    ] as const) {
      const refused = await graphql(server.url, CREATE, { token, variables: { name } });
      expect(codeOf(refused), name).toEqual([code]);
    }
    expect((await graphql(server.url, CREATE, { token: stan, variables: { name: "x".repeat(201) } })).errors?.[0]?.message).toMatch(
      /201 characters, more than 200/,
    );
    expect(await database.query("select * from app_public.marketers order by id")).toEqual(before);
  });

  test("a member who is not an owner, and a stranger, cannot rename it", async () => {
    const marketerId = await oliveAndMia();
    expect(codeOf(await graphql(server.url, RENAME, { token: mia, variables: { marketerId, name: "Mia's" } }))).toEqual(["CE211"]);
    expect(codeOf(await graphql(server.url, RENAME, { token: stan, variables: { marketerId, name: "Stan's" } }))).toEqual(["CE203"]);
    expect(codeOf(await graphql(server.url, RENAME, { token: olive, variables: { marketerId, name: "Taken" } }))).toEqual(["CE214"]);
    expect((await database.query("select name from app_public.marketers where id = $1", [marketerId]))[0]!.name).toBe(`Acme ${serial}`);
  });
});

describe("addMarketerMember", () => {
  test("an owner adds a member by email; an unknown email becomes a user; an owner can add another owner", async () => {
    const marketerId = await oliveAndMia();
    const added = await graphql(server.url, ADD, {
      token: olive,
      variables: { marketerId, email: " New.Person@Example.com ", role: "owner" },
    });
    expect(added.errors).toBeUndefined();
    expect(added.data.addMarketerMember.result.role).toBe("owner");
    expect(await memberships(marketerId)).toEqual([
      { email: "mia@example.com", role: "member" },
      { email: "new.person@example.com", role: "owner" },
      { email: "olive@example.com", role: "owner" },
    ]);
  });

  test("members see each other's email on the membership, though not each other's user; a stranger sees neither", async () => {
    const marketerId = await oliveAndMia();
    const MEMBERS = `query ($id: UUID!) { allMarketerMembers(condition: { marketerId: $id }, orderBy: USER_ID_ASC) {
      nodes { email userByUserId { email } } } }`;
    const seen = await graphql(server.url, MEMBERS, { token: mia, variables: { id: marketerId } });
    expect(seen.errors).toBeUndefined();
    expect(seen.data.allMarketerMembers.nodes.map((node: { email: string }) => node.email).sort()).toEqual([
      "mia@example.com",
      "olive@example.com",
    ]);
    const olives = seen.data.allMarketerMembers.nodes.find((node: { email: string }) => node.email === "olive@example.com");
    expect(olives.userByUserId).toBeNull();
    const stranger = await graphql(server.url, MEMBERS, { token: stan, variables: { id: marketerId } });
    expect(stranger.data.allMarketerMembers.nodes).toEqual([]);
  });

  test("a member twice, a bad email, a member who is no owner, a stranger and an anonymous caller are refused", async () => {
    const marketerId = await oliveAndMia();
    const before = await memberships(marketerId);
    const users = await database.query("select count(*) from app_public.users");
    for (const [token, email, code] of [
      [olive, "MIA@example.com", "CE212"],
      [olive, "not an address", "CE005"],
      [olive, "a\u00a0b@example.com", "CE005"],
      [olive, `${"x".repeat(250)}@example.com`, "CE005"],
      [mia, "friend@example.com", "CE211"],
      [stan, "friend@example.com", "CE203"],
      [undefined, "friend@example.com", "CE210"],
    ] as const) {
      const refused = await graphql(server.url, ADD, { token, variables: { marketerId, email } });
      expect(codeOf(refused), `${email}: ${JSON.stringify(refused.errors)}`).toEqual([code]);
    }
    expect(await memberships(marketerId)).toEqual(before);
    expect(await database.query("select count(*) from app_public.users")).toEqual(users);
  });
});

describe("removeMarketerMember and leaveMarketer", () => {
  test("an owner removes a member, who is named on the rights channel so that their streams end", async () => {
    const marketerId = await oliveAndMia();
    const listener = new pg.Client({ connectionString: database.ownerUrl });
    await listener.connect();
    try {
      const notified = new Promise<string>((resolve) => listener.on("notification", (message) => resolve(message.payload!)));
      await listener.query("listen rights");
      const removed = await graphql(server.url, REMOVE, { token: olive, variables: { marketerId, userId: miaId } });
      expect(removed.data.removeMarketerMember.result).toEqual({ userId: miaId });
      expect(JSON.parse(await notified)).toEqual({ event: "rights_changed", user_ids: [miaId] });
    } finally {
      await listener.end();
    }
    expect(await memberships(marketerId)).toEqual([{ email: "olive@example.com", role: "owner" }]);
  });

  test("a member who leaves hands their campaigns of the marketer to an owner, and keeps no right to them", async () => {
    const marketerId = await oliveAndMia();
    const created = await graphql(
      server.url,
      `mutation ($m: UUID!) { createCampaign(input: { name: "Mia's", marketerId: $m }) { result { rowId } } }`,
      {
        token: mia,
        variables: { m: marketerId },
      },
    );
    expect(created.errors).toBeUndefined();
    const campaignId = created.data.createCampaign.result.rowId;
    await graphql(server.url, REMOVE, { token: olive, variables: { marketerId, userId: miaId } });

    expect(await database.query("select user_id from app_public.campaigns where id = $1", [campaignId])).toEqual([{ user_id: oliveId }]);
    const seen = await graphql(server.url, `{ allCampaigns { nodes { rowId } } }`, { token: mia });
    expect(seen.data.allCampaigns.nodes.map((c: { rowId: string }) => c.rowId)).not.toContain(campaignId);
    const launched = await graphql(server.url, `mutation ($c: UUID!) { launchCampaign(input: { campaignId: $c }) { result { status } } }`, {
      token: mia,
      variables: { c: campaignId },
    });
    expect(codeOf(launched)).toEqual(["CE003"]);
    const renamed = await graphql(
      server.url,
      `mutation ($c: UUID!) { updateCampaignByRowId(input: { rowId: $c, campaignPatch: { name: "The team's" } }) { campaign { name } } }`,
      { token: olive, variables: { c: campaignId } },
    );
    expect(renamed.data.updateCampaignByRowId.campaign).toEqual({ name: "The team's" });
  });

  test("the last owner can neither leave nor be removed; a member, and an owner beside another, can leave", async () => {
    const marketerId = await oliveAndMia();
    const leave = (token: string) => graphql(server.url, LEAVE, { token, variables: { marketerId } });
    const refused = await leave(olive);
    expect(codeOf(refused)).toEqual(["CE213"]);
    expect(refused.errors![0]!.extensions!.hint).toMatch(/Add another owner first/);
    expect(codeOf(await graphql(server.url, REMOVE, { token: olive, variables: { marketerId, userId: oliveId } }))).toEqual(["CE213"]);
    expect(codeOf(await graphql(server.url, REMOVE, { token: mia, variables: { marketerId, userId: oliveId } }))).toEqual(["CE211"]);
    expect(codeOf(await graphql(server.url, REMOVE, { token: stan, variables: { marketerId, userId: miaId } }))).toEqual(["CE203"]);
    expect(codeOf(await leave(stan))).toEqual(["CE203"]);
    expect(await memberships(marketerId)).toEqual([
      { email: "mia@example.com", role: "member" },
      { email: "olive@example.com", role: "owner" },
    ]);

    expect((await leave(mia)).data.leaveMarketer.result).toEqual({ userId: miaId });
    expect(codeOf(await graphql(server.url, REMOVE, { token: olive, variables: { marketerId, userId: miaId } }))).toEqual(["CE215"]);
    await graphql(server.url, ADD, { token: olive, variables: { marketerId, email: "mia@example.com", role: "owner" } });
    expect((await leave(olive)).errors).toBeUndefined();
    expect(await memberships(marketerId)).toEqual([{ email: "mia@example.com", role: "owner" }]);
  });

  test("two owners leaving at once: one leaves, the other stays as the last owner", async () => {
    const marketerId = await oliveAndMia();
    await graphql(server.url, REMOVE, { token: olive, variables: { marketerId, userId: miaId } });
    await graphql(server.url, ADD, { token: olive, variables: { marketerId, email: "mia@example.com", role: "owner" } });
    const results = await Promise.all([olive, mia].map((token) => graphql(server.url, LEAVE, { token, variables: { marketerId } })));
    expect(results.map(codeOf).sort()).toEqual([["CE213"], undefined]);
    expect(await database.query("select role::text from app_public.marketer_members where marketer_id = $1", [marketerId])).toEqual([
      { role: "owner" },
    ]);
  });
});
