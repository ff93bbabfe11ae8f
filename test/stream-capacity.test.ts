// One process's capacity for long-lived streams (MAX_OPEN_STREAMS, here 3): past it a new event
// stream is refused with 503 and Retry-After, and a websocket's upgrade too, whoever asks; /metrics
// shows the open streams against the maximum. And the fan-out: one notification to many streams
// is serialized once.
import http from "node:http";
import { createClient } from "graphql-ws";
import { afterEach, beforeAll, describe, expect, test } from "vitest";
import WebSocket from "ws";
import { LIMIT_CODES } from "../src/graphql/limits.ts";
import { framesBuilt } from "../src/server/event-frames.ts";
import { tokenFor, useTestApp } from "./support/app.ts";
import { createUser } from "./support/as-user.ts";
import { useTestDatabase } from "./support/database.ts";
import { type EventStream, openStream, ready } from "./support/event-stream.ts";
import { waitFor } from "./support/wait.ts";

process.env.MAX_OPEN_STREAMS = "3";
const database = useTestDatabase("stream_capacity");
const server = useTestApp(database, { worker: false });

let marketer: string;
const tokens: string[] = [];

beforeAll(async () => {
  [{ id: marketer }] = (await database.query<{ id: string }>(
    "insert into app_public.marketers (name) values ('Busy Co') returning id",
  )) as [{ id: string }];
  for (const email of ["a@example.com", "b@example.com", "c@example.com", "d@example.com"]) {
    const user = await createUser(database, email);
    await database.query("insert into app_public.marketer_members (marketer_id, user_id) values ($1, $2)", [marketer, user.id]);
    tokens.push(await tokenFor(database, email));
  }
});

const opened: EventStream[] = [];
afterEach(async () => {
  for (const stream of opened.splice(0)) stream.close();
  await waitFor(openStreams, (counts) => counts.event_stream === 0 && counts.websocket === 0);
});

async function follow(token: string): Promise<EventStream> {
  const stream = await openStream(server.url, `/campaigns/events?marketerId=${marketer}`, token);
  opened.push(stream);
  return stream;
}

/** What /metrics says of open streams, by kind, and the maximum. */
async function openStreams(): Promise<Record<string, number>> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const [, kind, value] of text.matchAll(/^realtime_open_streams\{kind="(\w+)"\} (\d+)$/gm)) counts[kind!] = Number(value);
  counts.max = Number(/^realtime_max_open_streams (\d+)$/m.exec(text)?.[1]);
  return counts;
}

describe("a process at its capacity of streams", () => {
  test("refuses the next event stream and websocket with 503 and Retry-After, whoever asks, and takes one again once a stream closes", async () => {
    // Three users, one stream each: no user is near their own cap.
    const streams = [await follow(tokens[0]!), await follow(tokens[1]!), await follow(tokens[2]!)];
    expect(streams.map((stream) => stream.status)).toEqual([200, 200, 200]);
    await Promise.all(streams.map(ready));
    expect(await openStreams()).toMatchObject({ event_stream: 3, max: 3 });

    const refused = await fetch(`${server.url}/campaigns/events?marketerId=${marketer}`, {
      headers: { authorization: `Bearer ${tokens[3]}` },
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(await refused.json()).toEqual({
      code: LIMIT_CODES.streamsAtCapacity,
      error: "this server holds its most open streams (3): retry in a few seconds, another server may have room",
    });

    const upgrade = await new Promise<{ status: number; body: string }>((resolve) => {
      const socket = new WebSocket(`${server.url.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws");
      socket.once("unexpected-response", (_request, response) => {
        let body = "";
        response.on("data", (chunk) => (body += chunk));
        response.on("end", () => resolve({ status: response.statusCode!, body }));
      });
      socket.once("open", () => resolve({ status: 101, body: "" }));
    });
    expect(upgrade.status).toBe(503);
    expect(JSON.parse(upgrade.body)).toMatchObject({ code: LIMIT_CODES.streamsAtCapacity });

    streams[0]!.close();
    await waitFor(openStreams, (counts) => counts.event_stream === 2);
    const again = await follow(tokens[3]!);
    expect(again.status).toBe(200);
    await ready(again);
  });
});

describe("places are given back", () => {
  test("by clients that leave before their stream starts (while their rights are checked)", async () => {
    for (let n = 0; n < 30; n++) {
      const request = http.get(`${server.url}/campaigns/events?marketerId=${marketer}`, {
        headers: { authorization: `Bearer ${tokens[n % 4]}` },
      });
      request.on("error", () => {});
      await new Promise((resolve) => setTimeout(resolve, n % 6));
      request.destroy();
    }
    await waitFor(openStreams, (counts) => counts.event_stream === 0, 10_000);
    const streams = [await follow(tokens[0]!), await follow(tokens[1]!), await follow(tokens[2]!)];
    expect(streams.map((stream) => stream.status)).toEqual([200, 200, 200]);
  });

  test("by a websocket that signs in, so that the one that got the last place can", async () => {
    await Promise.all([follow(tokens[0]!), follow(tokens[1]!)].map(async (stream) => ready(await stream)));
    const client = createClient({
      url: `${server.url.replace(/^http/, "ws")}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${tokens[2]}` },
      retryAttempts: 0,
      lazy: false,
    });
    try {
      const answer = await new Promise<unknown>((resolve, reject) =>
        client.subscribe({ query: "{ currentUser { email } }" }, { next: resolve, error: reject, complete: () => {} }),
      );
      expect(answer).toEqual({ data: { currentUser: { email: "c@example.com" } } });
      expect(await openStreams()).toMatchObject({ event_stream: 2, websocket: 1 });
    } finally {
      await client.dispose();
    }
  });
});

describe("the fan-out", () => {
  test("one notification to three streams is serialized once, and each stream gets the same bytes", async () => {
    const streams = [await follow(tokens[0]!), await follow(tokens[1]!), await follow(tokens[2]!)];
    await Promise.all(streams.map(ready));
    const [{ id: campaign }] = (await database.query<{ id: string }>(
      "insert into app_public.campaigns (user_id, marketer_id, name) select id, $1, 'Fanned out' from app_public.users where email = 'a@example.com' returning id",
      [marketer],
    )) as [{ id: string }];
    const before = framesBuilt();
    await database.query("update app_public.campaigns set name = 'Fanned out, renamed' where id = $1", [campaign]);
    const events = () => streams.map((stream) => stream.events.filter((e) => e.data.includes(campaign)));
    await waitFor(
      async () => events(),
      (lists) => lists.every((list) => list.length === 1),
    );
    expect(framesBuilt() - before).toBe(1);
    const [first, ...others] = events().map((list) => list[0]);
    for (const other of others) expect(other).toEqual(first);
  });
});
