// Long-lived streams: capped per user and per anonymous address (refused past the cap, accepted
// again once one closes), and ended, with a final message saying why, when their user leaves the
// marketer, loses admin, or their token expires: GraphQL subscriptions over websockets and the
// pages' server-sent event streams alike.
import { type Client, createClient } from "graphql-ws";
import pg from "pg";
import { afterEach, beforeAll, describe, expect, test } from "vitest";
import WebSocket from "ws";
import { signToken } from "../src/auth/jwt.ts";
import { LIMIT_CODES } from "../src/graphql/limits.ts";
import { TEST_JWT_SECRET, tokenFor, useTestApp } from "./support/app.ts";
import { createUser, type TestUser } from "./support/as-user.ts";
import { useTestDatabase } from "./support/database.ts";
import { type EventStream, openStream, ready } from "./support/event-stream.ts";
import { waitFor } from "./support/wait.ts";

// Read when the server starts.
process.env.STREAMS_PER_USER = "2";
process.env.STREAMS_PER_ANONYMOUS_ADDRESS = "2";

const database = useTestDatabase("stream_rights");
const server = useTestApp(database, { worker: false });

let marketer: string;
beforeAll(async () => {
  [{ id: marketer }] = await database.query<{ id: string }>("insert into app_public.marketers (name) values ('Neon Noodles') returning id");
});

let userCount = 0;
/** A fresh user (every test has its own, so caps and rights do not cross), a member of the marketer when asked. */
async function newUser({ member = false, admin = false } = {}): Promise<TestUser & { token: string }> {
  const email = `user${++userCount}@example.com`;
  const user = await createUser(database, email, { admin });
  if (member) await database.query("insert into app_public.marketer_members (marketer_id, user_id) values ($1, $2)", [marketer, user.id]);
  return { ...user, token: await tokenFor(database, email, { admin }) };
}

async function campaignOf(user: TestUser, marketerId: string | null): Promise<string> {
  const [{ id }] = await database.query<{ id: string }>(
    "insert into app_public.campaigns (user_id, marketer_id, name) values ($1, $2, 'Stream test') returning id",
    [user.id, marketerId],
  );
  return id!;
}
const rename = (campaignId: string, name: string) =>
  database.query("update app_public.campaigns set name = $1 where id = $2", [name, campaignId]);
const leaveMarketer = (user: TestUser) => database.query("delete from app_public.marketer_members where user_id = $1", [user.id]);
const demote = (user: TestUser) => database.query("update app_public.users set is_admin = false where id = $1", [user.id]);
/** A token of this user that expires in a few seconds. */
const shortToken = (user: TestUser) => signToken({ sub: user.id, is_admin: user.admin ?? false }, TEST_JWT_SECRET, "3s");

// ---- websockets -------------------------------------------------------------------------------

interface Followed {
  events: { event: string; campaignId?: string }[];
  errors: any[];
  completed: boolean;
}
const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
});

function wsClient(token?: string, closed?: (event: { code: number; reason: string }) => void): Client {
  const client = createClient({
    url: `${server.url.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    on: { closed: (event) => closed?.(event as { code: number; reason: string }) },
  });
  clients.push(client);
  return client;
}

function follow(client: Client, query: string, variables: Record<string, unknown>): Followed {
  const followed: Followed = { events: [], errors: [], completed: false };
  client.subscribe<any>(
    { query, variables },
    {
      next: (result) =>
        result.errors ? followed.errors.push(...result.errors) : followed.events.push(Object.values(result.data!)[0] as any),
      error: (error) => followed.errors.push(error),
      complete: () => (followed.completed = true),
    },
  );
  return followed;
}
const MARKETER_EVENTS = "subscription ($id: UUID!) { marketerCampaignEvents(marketerId: $id) { event campaignId } }";
const CAMPAIGN_EVENTS = "subscription ($id: UUID!) { campaignEvents(campaignId: $id) { event campaignId } }";
const subscribed = (followed: Followed) =>
  waitFor(
    async () => followed.events[0]?.event,
    (event) => event === "subscribed",
  );
const failed = (followed: Followed) =>
  waitFor(
    async () => followed.errors.length,
    (count) => count > 0,
  );

// First: no stream of another test is still closing while the anonymous sockets are counted.
describe("caps on open streams", () => {
  test("a user's third stream (event streams and websockets together) is refused with 429, and accepted once one closes", async () => {
    const member = await newUser({ member: true });
    const first = await openStream(server.url, `/campaigns/events?marketerId=${marketer}`, member.token);
    const ofMarketer = follow(wsClient(member.token), MARKETER_EVENTS, { id: marketer });
    await Promise.all([ready(first), subscribed(ofMarketer)]);

    const refused = await openStream(server.url, `/campaigns/events?marketerId=${marketer}`, member.token);
    expect(refused.status).toBe(429);
    await waitFor(async () => refused.ended, Boolean);
    expect(JSON.parse(refused.body)).toEqual({ code: LIMIT_CODES.tooManyStreams, error: expect.stringMatching("at most 2 at once") });

    // A third websocket of the same user is closed with 1013 "try again later".
    let closed: { code: number; reason: string } | undefined;
    const third = follow(
      wsClient(member.token, (event) => (closed ??= event)),
      MARKETER_EVENTS,
      { id: marketer },
    );
    await failed(third);
    expect(closed).toMatchObject({ code: 1013, reason: expect.stringMatching("too many open websockets and event streams for this user") });

    first.close();
    const accepted = await waitFor(
      () => openStream(server.url, `/campaigns/events?marketerId=${marketer}`, member.token),
      (stream) => stream.status === 200,
    );
    await ready(accepted);
  });

  test("an address's third anonymous websocket is refused with 429, and accepted once one closes", async () => {
    const open = () =>
      new Promise<{ socket: WebSocket; status: number }>((resolve) => {
        const socket = new WebSocket(`${server.url.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws");
        socket.once("open", () => {
          socket.send(JSON.stringify({ type: "connection_init", payload: {} }));
          socket.once("message", () => resolve({ socket, status: 101 }));
        });
        socket.once("unexpected-response", (_request, response) => resolve({ socket, status: response.statusCode! }));
      });
    const first = await open();
    const second = await open();
    expect([first.status, second.status]).toEqual([101, 101]);
    const third = await open();
    expect(third.status).toBe(429);

    first.socket.close();
    const again = await waitFor(open, (attempt) => attempt.status === 101);
    second.socket.close();
    again.socket.close();
  });
});

describe("a GraphQL subscription", () => {
  test("ends with RIGHTS_REVOKED when its user leaves the marketer; the socket's other subscriptions go on", async () => {
    const member = await newUser({ member: true });
    const ownCampaign = await campaignOf(member, null);
    const marketerCampaign = await campaignOf(await newUser(), marketer);
    const client = wsClient(member.token);
    const ofMarketer = follow(client, MARKETER_EVENTS, { id: marketer });
    const ofCampaign = follow(client, CAMPAIGN_EVENTS, { id: marketerCampaign });
    const ofOwn = follow(client, CAMPAIGN_EVENTS, { id: ownCampaign });
    // Sees every event of the marketer, as an admin who stays.
    const watcher = follow(wsClient((await newUser({ admin: true })).token), MARKETER_EVENTS, { id: marketer });
    await Promise.all([ofMarketer, ofCampaign, ofOwn, watcher].map(subscribed));

    await leaveMarketer(member);
    await Promise.all([failed(ofMarketer), failed(ofCampaign)]);
    expect(ofMarketer.errors).toEqual([
      [
        expect.objectContaining({
          message: expect.stringMatching(`you may no longer follow marketer ${marketer}`),
          extensions: { code: LIMIT_CODES.rightsRevoked },
        }),
      ],
    ]);
    expect(ofCampaign.errors).toEqual([
      [
        expect.objectContaining({
          message: expect.stringMatching(`you may no longer see campaign ${marketerCampaign}`),
          extensions: { code: LIMIT_CODES.rightsRevoked },
        }),
      ],
    ]);

    // Nothing more reaches the ended ones; the campaign the member owns is still followed.
    await rename(marketerCampaign, "After the member left");
    await rename(ownCampaign, "Still mine");
    await waitFor(
      async () => watcher.events.length,
      (count) => count > 1,
    );
    await waitFor(
      async () => ofOwn.events.length,
      (count) => count > 1,
    );
    expect(ofOwn.events.at(-1)).toEqual({ event: "campaign_updated", campaignId: ownCampaign });
    expect(ofOwn.errors).toEqual([]);
    expect(ofMarketer.events.map((e) => e.event)).toEqual(["subscribed"]);
    expect(ofCampaign.events.map((e) => e.event)).toEqual(["subscribed"]);
  });

  test("ends with RIGHTS_REVOKED when its user loses admin", async () => {
    const admin = await newUser({ admin: true });
    const campaign = await campaignOf(await newUser(), null);
    const ofCampaign = follow(wsClient(admin.token), CAMPAIGN_EVENTS, { id: campaign });
    await subscribed(ofCampaign);

    await demote(admin);
    await failed(ofCampaign);
    expect(ofCampaign.errors).toEqual([
      [
        expect.objectContaining({
          message: expect.stringMatching("admin rights were withdrawn"),
          extensions: { code: LIMIT_CODES.rightsRevoked },
        }),
      ],
    ]);
    // Subscribing again is refused: the campaign is not theirs.
    const again = follow(wsClient(admin.token), CAMPAIGN_EVENTS, { id: campaign });
    await failed(again);
    expect(JSON.stringify(again.errors)).toMatch("campaign not found, or you may not see it");
  });

  test("ends when its token expires: the socket closes with 4401 and says so", async () => {
    const member = await newUser({ member: true });
    let closed: { code: number; reason: string } | undefined;
    const token = await shortToken(member);
    const ofMarketer = follow(
      wsClient(token, (event) => (closed ??= event)),
      MARKETER_EVENTS,
      { id: marketer },
    );
    await subscribed(ofMarketer);
    await failed(ofMarketer);
    expect(closed).toMatchObject({ code: 4401, reason: expect.stringMatching(/^your token expired at .*: sign in again$/) });
    expect(ofMarketer.events.map((e) => e.event)).toEqual(["subscribed"]);

    // Connecting again with it is refused at connection_init, with the reason.
    let refused: { code: number; reason: string } | undefined;
    const again = follow(
      wsClient(token, (event) => (refused ??= event)),
      MARKETER_EVENTS,
      { id: marketer },
    );
    await failed(again);
    expect(refused).toMatchObject({ code: 4401, reason: expect.stringMatching(/^token expired at /) });
    expect(again.events).toEqual([]);
  });
});

// ---- server-sent events -------------------------------------------------------------------------

const endedWith = async (stream: EventStream) => {
  await waitFor(async () => stream.ended, Boolean);
  const last = stream.events.at(-1)!;
  expect(last.event).toBe("end");
  return JSON.parse(last.data) as { code: string; message: string };
};

describe("an event stream", () => {
  test("of a marketer ends with RIGHTS_REVOKED when its user leaves the marketer", async () => {
    const member = await newUser({ member: true });
    const stream = await openStream(server.url, `/campaigns/events?marketerId=${marketer}`, member.token);
    expect(stream.status).toBe(200);
    await ready(stream);
    await leaveMarketer(member);
    expect(await endedWith(stream)).toEqual({
      code: LIMIT_CODES.rightsRevoked,
      message: expect.stringMatching(`you may no longer follow marketer ${marketer}`),
    });
    expect(stream.events.map((e) => e.event)).toEqual(["ready", "end"]);
    // Reconnecting, as EventSource does, is refused.
    expect((await openStream(server.url, `/campaigns/events?marketerId=${marketer}`, member.token)).status).toBe(403);
  });

  test("of the admin dashboard ends with RIGHTS_REVOKED when its user loses admin", async () => {
    const admin = await newUser({ admin: true });
    const stream = await openStream(server.url, "/admin/events", admin.token);
    await ready(stream);
    await demote(admin);
    expect(await endedWith(stream)).toEqual({
      code: LIMIT_CODES.rightsRevoked,
      message: expect.stringMatching("you are not an admin any more"),
    });
    expect((await openStream(server.url, "/admin/events", admin.token)).status).toBe(403);
  });

  test("ends with TOKEN_EXPIRED when its token expires", async () => {
    const member = await newUser({ member: true });
    const stream = await openStream(server.url, `/campaigns/events?marketerId=${marketer}`, await shortToken(member));
    await ready(stream);
    expect(await endedWith(stream)).toEqual({ code: LIMIT_CODES.tokenExpired, message: expect.stringMatching(/^your token expired at /) });
  });

  test("goes on when the change does not concern it (another member leaves)", async () => {
    const [member, other] = [await newUser({ member: true }), await newUser({ member: true })];
    const stream = await openStream(server.url, `/campaigns/events?marketerId=${marketer}`, member.token);
    await ready(stream);
    await leaveMarketer(other);
    const campaign = await campaignOf(member, marketer);
    await rename(campaign, "Still followed");
    await waitFor(async () => stream.events.some((e) => e.data.includes(campaign)), Boolean);
    expect(stream.ended).toBe(false);
  });
});

describe("the rights channel", () => {
  test("names, once per statement and 100 ids per notification, the users who left a marketer or lost admin", async () => {
    const listener = new pg.Client({ connectionString: database.ownerUrl });
    await listener.connect();
    try {
      const received: { event: string; user_ids: string[] }[] = [];
      listener.on("notification", (message) => received.push(JSON.parse(message.payload!)));
      await listener.query("listen rights");
      const members = await database.query<{ id: string }>(
        "insert into app_public.users (email) select 'bulk' || n || '@example.com' from generate_series(1, 250) n returning id",
      );
      await database.query("insert into app_public.marketer_members (marketer_id, user_id) select $1, unnest($2::uuid[])", [
        marketer,
        members.map((m) => m.id),
      ]);
      const admin = await newUser({ admin: true });
      // Changes that take no right away name nobody: a rename, joining a marketer.
      await database.query("update app_public.users set name = 'Renamed' where id = $1", [admin.id]);

      await database.query("delete from app_public.marketer_members where user_id = any($1::uuid[])", [members.map((m) => m.id)]);
      await demote(admin);
      await waitFor(
        async () => received.length,
        (count) => count >= 4,
      );
      expect(
        received
          .slice(0, 3)
          .map((n) => n.user_ids.length)
          .sort(),
      ).toEqual([100, 100, 50]);
      expect(new Set(received.slice(0, 3).flatMap((n) => n.user_ids))).toEqual(new Set(members.map((m) => m.id)));
      expect(received[3]).toEqual({ event: "rights_changed", user_ids: [admin.id] });
      expect(received.every((n) => n.event === "rights_changed")).toBe(true);
    } finally {
      await listener.end();
    }
  });
});
