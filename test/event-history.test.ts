// The event history: every event of campaign:<id> is stored with a cursor in commit order; a client
// that was away replays what it missed (Query.campaignEvents(after:), or an event stream's
// Last-Event-ID) in order and once each, before live events; pruning keeps event_retention_days
// and refuses cursors older than what it kept.
import pg from "pg";
import { beforeAll, describe, expect, test } from "vitest";
import { REPLAY_LIMIT } from "../src/server/event-history.ts";
import { graphql, tokenFor, useTestApp } from "./support/app.ts";
import { createUser, type TestUser } from "./support/as-user.ts";
import { useTestDatabase } from "./support/database.ts";
import { type EventStream, openStream, ready } from "./support/event-stream.ts";
import { waitFor } from "./support/wait.ts";

// One user holds many streams in the test of a cut LISTEN connection.
process.env.STREAMS_PER_USER = "200";
const database = useTestDatabase("event_history");
const server = useTestApp(database, { worker: false });

let owner: TestUser;
let ownerToken: string, strangerToken: string;

beforeAll(async () => {
  owner = await createUser(database, "owner@example.com");
  await createUser(database, "stranger@example.com");
  ownerToken = await tokenFor(database, "owner@example.com");
  strangerToken = await tokenFor(database, "stranger@example.com");
});

async function newCampaign(name: string): Promise<string> {
  const [{ id }] = await database.query<{ id: string }>("insert into app_public.campaigns (user_id, name) values ($1, $2) returning id", [
    owner.id,
    name,
  ]);
  return id!;
}

/** Renames the campaign through the API, as its owner does. */
async function rename(campaignId: string, name: string): Promise<void> {
  const response = await graphql(
    server.url,
    `mutation ($id: UUID!, $name: String!) { updateCampaignByRowId(input: { rowId: $id, campaignPatch: { name: $name } }) { campaign { name } } }`,
    { token: ownerToken, variables: { id: campaignId, name } },
  );
  expect(response.errors).toBeUndefined();
}

const HISTORY = `query ($id: UUID!, $after: BigInt) { campaignEvents(campaignId: $id, after: $after) { cursor event campaignId } }`;

async function history(campaignId: string, after: string | null, token = ownerToken) {
  return graphql<{ campaignEvents: { cursor: string; event: string; campaignId: string }[] | null }>(server.url, HISTORY, {
    token,
    variables: { id: campaignId, after },
  });
}

const cursorsOf = (stream: EventStream) => stream.events.filter((e) => e.id !== undefined).map((e) => Number(e.id));

describe("stored events", () => {
  test("each committed change is stored once with a cursor, which the live event carries; strangers see none", async () => {
    const campaign = await newCampaign("Stored");
    const stream = await openStream(server.url, `/campaigns/events?campaignId=${campaign}`, ownerToken);
    expect(stream.status).toBe(200);
    await ready(stream);
    await rename(campaign, "Stored, renamed");
    // Two updates in one transaction are one event, as Postgres folds their notifications.
    await database.query(
      "begin; update app_public.campaigns set name = 'a' where id = $1; update app_public.campaigns set name = 'b' where id = $1; commit;".replaceAll(
        "$1",
        `'${campaign}'`,
      ),
    );
    await waitFor(
      async () => cursorsOf(stream).length,
      (n) => n >= 2,
    );

    const { data } = await history(campaign, null);
    expect(data!.campaignEvents!.map((e) => e.event)).toEqual(["campaign_updated", "campaign_updated"]);
    expect(data!.campaignEvents!.map((e) => Number(e.cursor))).toEqual(cursorsOf(stream));
    const live = stream.events.filter((e) => e.id !== undefined).map((e) => JSON.parse(e.data));
    expect(live.map((payload) => String(payload.cursor))).toEqual(data!.campaignEvents!.map((e) => e.cursor));

    const seenByStranger = await history(campaign, null, strangerToken);
    expect(seenByStranger.data!.campaignEvents).toEqual([]);
    expect((await openStream(server.url, `/campaigns/events?campaignId=${campaign}`, strangerToken)).status).toBe(403);
  });

  test("cursors follow commit order, not the order in which transactions sent their events", async () => {
    const [first, second] = [await newCampaign("Sent first"), await newCampaign("Committed first")];
    const early = new pg.Client({ connectionString: database.ownerUrl });
    await early.connect();
    try {
      await early.query("begin");
      await early.query("update app_public.campaigns set name = 'sent first, committed last' where id = $1", [first]);
      await database.query("update app_public.campaigns set name = 'sent last, committed first' where id = $1", [second]);
      await early.query("commit");
    } finally {
      await early.end();
    }
    const [{ cursor: firstCursor }] = await database.query<{ cursor: string }>(
      "select cursor from app_public.campaign_event_log where campaign_id = $1",
      [first],
    );
    const [{ cursor: secondCursor }] = await database.query<{ cursor: string }>(
      "select cursor from app_public.campaign_event_log where campaign_id = $1",
      [second],
    );
    expect(Number(secondCursor)).toBeLessThan(Number(firstCursor));
  });

  test("an aborted transaction stores nothing", async () => {
    const campaign = await newCampaign("Rolled back");
    await database.query(`begin; update app_public.campaigns set name = 'never' where id = '${campaign}'; rollback;`);
    expect(await database.query("select 1 from app_public.campaign_event_log where campaign_id = $1", [campaign])).toEqual([]);
  });
});

describe("replay", () => {
  test("a stream reopened with Last-Event-ID gets what it missed, in order and once each, before live events", async () => {
    const campaign = await newCampaign("Replayed");
    const first = await openStream(server.url, `/campaigns/events?campaignId=${campaign}`, ownerToken);
    await ready(first);
    await rename(campaign, "seen live");
    await waitFor(
      async () => cursorsOf(first).length,
      (n) => n === 1,
    );
    const lastSeen = first.events.find((e) => e.id !== undefined)!.id!;
    first.close();

    // Missed while away.
    for (const name of ["missed 1", "missed 2", "missed 3"]) await rename(campaign, name);
    // And changes that keep coming while the stream reconnects and replays.
    let renaming = true;
    const during = (async () => {
      for (let n = 0; renaming && n < 50; n++) await rename(campaign, `during ${n}`);
    })();
    const again = await openStream(server.url, `/campaigns/events?campaignId=${campaign}`, ownerToken, { lastEventId: lastSeen });
    await ready(again);
    renaming = false;
    await during;
    await rename(campaign, "after");

    const { data } = await history(campaign, lastSeen);
    const expected = data!.campaignEvents!.map((e) => Number(e.cursor));
    await waitFor(
      async () => cursorsOf(again),
      (cursors) => cursors.at(-1) === expected.at(-1),
    );
    // Every event after the last one seen, each once, in commit order.
    expect(cursorsOf(again)).toEqual(expected);
    expect(expected.length).toBeGreaterThanOrEqual(4);
    // The three missed ones came before ready: replayed, not live.
    const readyAt = again.events.findIndex((e) => e.event === "ready");
    expect(again.events.slice(0, readyAt).map((e) => Number(e.id))).toEqual(expected.slice(0, readyAt));
    expect(readyAt).toBeGreaterThanOrEqual(3);
    expect(JSON.parse(again.events[readyAt]!.data)).toMatchObject({ replay: "replayed" });
  });

  test("campaignEvents(after:) answers what followed a cursor; a cursor no event had is refused with CE401", async () => {
    const campaign = await newCampaign("Queried");
    await rename(campaign, "one");
    await rename(campaign, "two");
    const all = (await history(campaign, null)).data!.campaignEvents!;
    expect(all).toHaveLength(2);
    const after = (await history(campaign, all[0]!.cursor)).data!.campaignEvents!;
    expect(after.map((e) => e.cursor)).toEqual([all[1]!.cursor]);

    const refused = await history(campaign, "999999999999");
    expect(refused.errors?.[0]).toMatchObject({ message: "that is not an event cursor: 999999999999", extensions: { code: "CE401" } });
    const negative = await history(campaign, "-1");
    expect(negative.errors?.[0]?.extensions).toMatchObject({ code: "CE401" });
    // Someone who may not see the campaign learns nothing, not even which cursors exist.
    const anonymous = await graphql(server.url, HISTORY, { variables: { id: campaign, after: "999999999999" } });
    expect(anonymous).toMatchObject({ data: { campaignEvents: [] } });
    expect(anonymous.errors).toBeUndefined();
    const stranger = await history(campaign, "999999999999", strangerToken);
    expect(stranger.data!.campaignEvents).toEqual([]);
  });

  test("campaignEvents answers at most maxEvents (1,000 at most) at a time, and pages on from the last cursor", async () => {
    const campaign = await newCampaign("Paged");
    for (const name of ["one", "two", "three"]) await rename(campaign, name);
    const PAGE = `query ($id: UUID!, $after: BigInt, $max: Int) { campaignEvents(campaignId: $id, after: $after, maxEvents: $max) { cursor } }`;
    const page = async (after: string | null, max: number) =>
      graphql<{ campaignEvents: { cursor: string }[] }>(server.url, PAGE, { token: ownerToken, variables: { id: campaign, after, max } });
    const first = (await page(null, 2)).data!.campaignEvents;
    expect(first).toHaveLength(2);
    const rest = (await page(first[1]!.cursor, 2)).data!.campaignEvents;
    expect(rest).toHaveLength(1);
    expect(Number(rest[0]!.cursor)).toBeGreaterThan(Number(first[1]!.cursor));
    const tooMany = await page(null, 1001);
    expect(tooMany.errors?.[0]).toMatchObject({ message: "maxEvents must be between 1 and 1000, not 1001", extensions: { code: "CE005" } });
  });

  test("a stream that missed more than it replays, or sends a cursor that is not one, replays nothing, says why, and goes live", async () => {
    const campaign = await newCampaign("Missed a lot");
    await rename(campaign, "seen");
    const [{ cursor: seen }] = await database.query<{ cursor: string }>(
      "select max(cursor)::text as cursor from app_public.campaign_event_log where campaign_id = $1",
      [campaign],
    );
    // 501 commits, each an event.
    const client = new pg.Client({ connectionString: database.ownerUrl });
    await client.connect();
    try {
      for (let n = 0; n <= REPLAY_LIMIT; n++)
        await client.query("update app_public.campaigns set description = $2 where id = $1", [campaign, `n ${n}`]);
    } finally {
      await client.end();
    }
    for (const [lastEventId, reason] of [
      [seen!, `refused: more than ${REPLAY_LIMIT} events followed cursor ${seen}: read a snapshot instead`],
      ["999999999999", "refused: that is not an event cursor: 999999999999"],
    ] as const) {
      const stream = await openStream(server.url, `/campaigns/events?campaignId=${campaign}`, ownerToken, { lastEventId });
      await ready(stream);
      expect(stream.events.map((e) => e.event)).toEqual(["ready"]);
      expect(JSON.parse(stream.events[0]!.data).replay).toBe(reason);
      await rename(campaign, `live after ${lastEventId}`);
      await waitFor(
        async () => cursorsOf(stream).length,
        (n) => n === 1,
      );
      stream.close();
    }
  });

  test("after the event stream's LISTEN connection is cut, what committed meanwhile still arrives, once each, in order", async () => {
    const campaign = await newCampaign("Cut off");
    const stream = await openStream(server.url, `/campaigns/events?campaignId=${campaign}`, ownerToken);
    await ready(stream);
    // 150 more channels behind it: the hub re-LISTENs them after it, and so hears this one's events
    // again before it is back on all of them.
    const others = await database.query<{ id: string }>(
      "insert into app_public.campaigns (user_id, name) select $1, 'Other ' || n from generate_series(1, 150) as n returning id",
      [owner.id],
    );
    const behind = await Promise.all(others.map(({ id }) => openStream(server.url, `/campaigns/events?campaignId=${id}`, ownerToken)));
    await Promise.all(behind.map(ready));
    await rename(campaign, "before the cut");
    await waitFor(
      async () => cursorsOf(stream).length,
      (n) => n === 1,
    );
    // Changes keep coming while the connection is cut three times and comes back.
    let writing = true;
    let written = 1;
    const writers = Array.from({ length: 4 }, async () => {
      while (writing) {
        written += 1;
        await rename(campaign, `cut ${written}`);
      }
    });
    for (let cut = 0; cut < 3; cut++) {
      await database.query(
        "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'campaign-engine:listen' and datname = current_database()",
      );
      await waitFor(
        async () => stream.events.filter((e) => e.data.includes('"resync"')).length,
        (resyncs) => resyncs > cut,
        20_000,
      );
    }
    writing = false;
    await Promise.all(writers);
    await rename(campaign, "after the cuts");

    const expected = (await history(campaign, null)).data!.campaignEvents!.map((e) => Number(e.cursor));
    expect(expected).toHaveLength(written + 1);
    await waitFor(
      async () => cursorsOf(stream).at(-1),
      (last) => last === expected.at(-1),
      20_000,
    );
    expect(cursorsOf(stream)).toEqual(expected);
    expect(stream.events.some((e) => e.event === `campaign:${campaign}` && e.data.includes('"resync"'))).toBe(true);
  });
});

describe("pruning", () => {
  test("drops events older than event_retention_days, whole months at once, and refuses cursors before them with CE402", async () => {
    const campaign = await newCampaign("Pruned");
    await rename(campaign, "old");
    await rename(campaign, "kept");
    const [old, kept] = (await history(campaign, null)).data!.campaignEvents!;
    // Time passes: the old event moves 10 days back, and a month four months back gets a partition
    // and an event. Without triggers, as a restored backup would be: moved or inserted rows would
    // otherwise be published again, with new cursors.
    await database.query(
      "select app_private.ensure_monthly_partition('campaign_event_log', 'occurred_at', (now() - interval '4 months')::date)",
    );
    await database.query(
      `begin;
       set local session_replication_role = replica;
       update app_public.campaign_event_log set occurred_at = now() - interval '10 days' where cursor = ${Number(old!.cursor)};
       insert into app_public.campaign_event_log (cursor, campaign_id, event, occurred_at)
       values (0, '${campaign}', 'campaign_updated', now() - interval '4 months');
       commit;`,
    );
    const partition = await database.query<{ name: string }>(
      "select app_private.monthly_partition_name('campaign_event_log', date_trunc('month', now() - interval '4 months')::date) as name",
    );
    await database.query("select app_private.set_setting('event_retention_days', '7')");
    try {
      const [{ pruned }] = await database.query<{ pruned: string }>("select app_private.prune_campaign_events() as pruned");
      expect(Number(pruned)).toBeGreaterThanOrEqual(1);
    } finally {
      await database.query("delete from app_private.settings where name = 'event_retention_days'");
    }
    expect(await database.query("select to_regclass('app_private.' || $1) as found", [partition[0]!.name])).toEqual([{ found: null }]);
    expect((await history(campaign, null)).data!.campaignEvents!.map((e) => e.cursor)).toEqual([kept!.cursor]);

    // A cursor older than the history: refused, saying to read a snapshot; at the horizon: answered.
    const tooOld = await history(campaign, String(Number(old!.cursor) - 1));
    expect(tooOld.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/are no longer kept \(event_retention_days is \d+\)/),
      extensions: { code: "CE402" },
    });
    const atHorizon = await history(campaign, old!.cursor);
    expect(atHorizon.errors).toBeUndefined();
    expect(atHorizon.data!.campaignEvents!.map((e) => e.cursor)).toEqual([kept!.cursor]);

    // An event stream with such a Last-Event-ID replays nothing and says why; it still goes live.
    const stream = await openStream(server.url, `/campaigns/events?campaignId=${campaign}`, ownerToken, {
      lastEventId: String(Number(old!.cursor) - 1),
    });
    await ready(stream);
    const readyEvent = stream.events.find((e) => e.event === "ready")!;
    expect(JSON.parse(readyEvent.data).replay).toMatch(/^refused: events after cursor \d+ are no longer kept/);
    await rename(campaign, "live again");
    await waitFor(
      async () => cursorsOf(stream).length,
      (n) => n === 1,
    );
  });
});
