// Several instances on one database, as a deployment scales out: two API processes (each with its
// own worker, as `npm start` runs) and a worker process (`npm run worker`), started at once, so
// their migrations overlap. Creations split across both servers hand out every campaign once;
// timers fire once with three workers competing; each server's subscribers see changes made
// through the other.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { migrate } from "../src/db/migrate.ts";
import { graphql, TEST_JWT_SECRET, tokenFor } from "./support/app.ts";
import { emptyCampaign } from "./support/content.ts";
import { useTestDatabase } from "./support/database.ts";
import { type EventStream, openStream, ready as streamReady } from "./support/event-stream.ts";
import { type Started, startMain, startWorkerProcess } from "./support/process.ts";
import { subscribe } from "./support/subscribe.ts";
import { waitFor } from "./support/wait.ts";

const database = useTestDatabase("instances");
const AUTHENTICATOR_PASSWORD = inject("authenticatorPassword");

const scratchDirs: string[] = [];
let processes: Started[] = [];
let servers: string[] = [];

/** Resolves when `pattern` shows in the output; fails at once, with the output, if the process exits first. */
async function ready(started: Started, pattern: RegExp): Promise<RegExpExecArray> {
  let exited: number | null | undefined;
  void started.exit.then((code) => (exited = code));
  const found = await waitFor(async () => pattern.exec(started.output()) ?? (exited !== undefined ? "exited" : null), Boolean, 60_000);
  if (found === "exited") throw new Error(`exited with ${exited} before it was ready:\n${started.output()}`);
  return found as RegExpExecArray;
}

beforeAll(async () => {
  await database.query("select 1");
  const env = async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "campaign-engine-instances-"));
    scratchDirs.push(dataDir);
    return { DATABASE_URL: database.ownerUrl, DATA_DIR: dataDir, JWT_SECRET: TEST_JWT_SECRET, AUTHENTICATOR_PASSWORD };
  };
  // All at once, as a deployment starts them: each migrates the same database first.
  processes = [startMain(await env()), startMain(await env()), startWorkerProcess(await env())];
  const [api1, api2, worker] = processes as [Started, Started, Started];
  servers = await Promise.all([api1, api2].map(async (api) => (await ready(api, /GraphQL\s+(http:\/\/\S+)\/graphql/))[1]!));
  await ready(worker, /worker running/);
}, 120_000);

afterAll(async () => {
  for (const started of processes) started.child.kill("SIGTERM");
  const codes = await Promise.all(processes.map((started) => started.exit));
  processes = [];
  await Promise.all(scratchDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  expect(codes).toEqual([0, 0, 0]);
}, 60_000);

describe("starting several instances at once", () => {
  test("every one's migrate succeeds, however they overlap", async () => {
    // What each process does first. graphile-migrate alone refuses a migrate that overlaps another.
    for (let round = 0; round < 3; round++) {
      const results = await Promise.allSettled(
        [1, 2, 3].map(() => migrate(database.ownerUrl, AUTHENTICATOR_PASSWORD, { sqlFolder: "when-changed" })),
      );
      expect(results.flatMap((result) => (result.status === "rejected" ? [(result.reason as Error).message] : []))).toEqual([]);
    }
  });

  test("on a current database, migrate takes no lock on its tables, so it never waits on (or deadlocks with) live traffic", async () => {
    const traffic = new pg.Client({ connectionString: database.ownerUrl });
    await traffic.connect();
    try {
      // What every write to campaigns holds until it commits.
      await traffic.query("begin");
      await traffic.query("lock table app_public.campaigns in row exclusive mode");
      let migrated = false;
      const migrating = migrate(database.ownerUrl, AUTHENTICATOR_PASSWORD, { sqlFolder: "when-changed" }).then(() => (migrated = true));
      const waitingForCampaigns = () =>
        database
          .query<{ count: number }>(
            "select count(*)::int as count from pg_locks where not granted and relation = 'app_public.campaigns'::regclass",
          )
          .then(([row]) => row!.count);
      const waited = await waitFor(waitingForCampaigns, (count) => count > 0 || migrated, 30_000);
      expect(migrated, "migrate queued for a lock on app_public.campaigns").toBe(true);
      expect(waited).toBe(0);
      await migrating;
    } finally {
      await traffic.query("rollback");
      await traffic.end();
    }
  });
});

const USERS = ["ana@example.com", "ben@example.com", "cho@example.com", "dev@example.com"];
const CREATE = `mutation ($name: String!) { createCampaign(input: { name: $name }) { result { rowId userId } } }`;

async function usersWithTokens() {
  const tokens = await Promise.all(USERS.map((email) => tokenFor(database, email)));
  const rows = await database.query<{ email: string; id: string }>("select email, id from app_public.users where email = any($1)", [USERS]);
  return USERS.map((email, index) => ({ email, token: tokens[index]!, id: rows.find((row) => row.email === email)!.id }));
}

/** `perUser` creations by every user at once, alternating between the two servers. */
async function burst(users: Awaited<ReturnType<typeof usersWithTokens>>, perUser: number, label: string) {
  const requests = users.flatMap((user, u) =>
    Array.from({ length: perUser }, (_, n) => ({ user, server: servers[(u + n) % 2]!, name: `${label} ${user.email} ${n}` })),
  );
  return Promise.all(
    requests.map(async (request) => {
      const response = await graphql(request.server, CREATE, { token: request.user.token, variables: { name: request.name } });
      expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
      return { ...request, campaign: response.data.createCampaign.result as { rowId: string; userId: string } };
    }),
  );
}

describe("creating campaigns through both servers at once", () => {
  test("hands out every campaign once, each to its creator, and every pool campaign once", async () => {
    const users = await usersWithTokens();
    // The workers fill the master pool at start; the burst should draw on it.
    const masterReady = () =>
      database
        .query<{ count: number }>("select count(*)::int as count from app_public.campaigns where is_pool and pool_type = 'master'")
        .then(([row]) => row!.count);
    await waitFor(masterReady, (count) => count >= 3, 30_000);

    const first = await burst(users, 3, "First");
    // Each user's own pool is refilled after the burst; the second burst then races for it.
    const userPools = () =>
      database
        .query<{ count: number }>(
          "select count(distinct user_id)::int as count from app_public.campaigns where is_pool and pool_type = 'user' and user_id = any($1)",
          [users.map((user) => user.id)],
        )
        .then(([row]) => row!.count);
    await waitFor(userPools, (count) => count === users.length, 30_000);
    const second = await burst(users, 2, "Second");
    const created = [...first, ...second];

    const ids = created.map((c) => c.campaign.rowId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { user, campaign } of created) expect(campaign.userId).toBe(user.id);
    const owners = await database.query<{ id: string; user_id: string; is_pool: boolean }>(
      "select id, user_id, is_pool from app_public.campaigns where id = any($1)",
      [ids],
    );
    expect(owners).toHaveLength(ids.length);
    for (const { user, campaign } of created) {
      expect(owners.find((row) => row.id === campaign.rowId)).toEqual({ id: campaign.rowId, user_id: user.id, is_pool: false });
    }

    const audit = await database.query<{ campaign_id: string; user_id: string; source: string }>(
      "select campaign_id, user_id, source::text from app_public.pool_assignments where campaign_id = any($1)",
      [ids],
    );
    expect(audit).toHaveLength(ids.length);
    for (const { user, campaign } of created) {
      expect(audit.filter((row) => row.campaign_id === campaign.rowId).map((row) => row.user_id)).toEqual([user.id]);
    }
    expect(
      await database.query("select campaign_id, count(*)::int from app_public.pool_assignments group by campaign_id having count(*) > 1"),
    ).toEqual([]);
    // Both pools really were drawn on: the master pool in the first burst, each user's own in the second.
    const firstIds = new Set(first.map((c) => c.campaign.rowId));
    expect(audit.filter((row) => firstIds.has(row.campaign_id) && row.source === "master").length).toBeGreaterThan(0);
    for (const user of users) {
      const own = audit.filter((row) => row.user_id === user.id && !firstIds.has(row.campaign_id) && row.source === "user");
      expect(own, user.email).toHaveLength(1);
    }
  }, 90_000);
});

describe("timers with three workers competing", () => {
  test("each timer, scheduled through either server or in SQL, fires exactly once", async () => {
    const users = await usersWithTokens();
    const SCHEDULE = `mutation ($id: UUID!, $start: Datetime!) {
      scheduleCampaign(input: { campaignId: $id, startTime: $start, durationHours: 1 }) { result { status } } }`;
    const [{ start }] = (await database.query<{ start: string }>("select (now() + interval '2 seconds')::text as start")) as [
      { start: string },
    ];

    // Through the API: two campaigns per user, one through each server.
    const viaApi = await Promise.all(
      users.flatMap((user) =>
        servers.map(async (server, s) => {
          const created = await graphql(server, CREATE, { token: user.token, variables: { name: `Timed ${user.email} ${s}` } });
          const id = created.data.createCampaign.result.rowId as string;
          const scheduled = await graphql(server, SCHEDULE, { token: user.token, variables: { id, start } });
          expect(scheduled.errors, JSON.stringify(scheduled.errors)).toBeUndefined();
          return id;
        }),
      ),
    );
    // In SQL: START timers inserted directly, all due at the same moment.
    const viaSql = await Promise.all(
      Array.from({ length: 12 }, (_, n) => emptyCampaign(database, USERS[n % USERS.length]!, `SQL timed ${n}`)),
    );
    await database.query(
      "insert into app_public.campaign_timers (campaign_id, timer_type, scheduled_at) select unnest($1::uuid[]), 'START_CAMPAIGN', $2::timestamptz",
      [viaSql, start],
    );
    const campaigns = [...viaApi, ...viaSql];

    const starts = () =>
      database.query<{ id: string; status: string }>(
        "select id, status::text from app_public.campaign_timers where campaign_id = any($1) and timer_type = 'START_CAMPAIGN'",
        [campaigns],
      );
    expect(await starts()).toHaveLength(campaigns.length);
    await waitFor(starts, (timers) => timers.every((timer) => timer.status === "COMPLETED"), 30_000);

    const executions = await database.query<{ timer_id: string; status: string; worker_id: string }>(
      `select e.timer_id, e.status::text, e.worker_id from app_public.timer_executions e
         join app_public.campaign_timers t on t.id = e.timer_id where t.campaign_id = any($1)`,
      [campaigns],
    );
    for (const timer of await starts()) {
      expect(
        executions.filter((e) => e.timer_id === timer.id).map((e) => e.status),
        timer.id,
      ).toEqual(["COMPLETED"]);
    }
    const transitions = await database.query<{ campaign_id: string; count: number }>(
      `select campaign_id, count(*)::int as count from app_public.campaign_state_log
        where campaign_id = any($1) and to_state = 'RUNNING' group by campaign_id`,
      [campaigns],
    );
    expect(transitions.map((row) => row.count)).toEqual(campaigns.map(() => 1));
    // The CLOSE timers of the API's schedules are an hour away: untouched.
    expect(
      await database.query(
        `select t.status::text, count(e.id)::int as executions from app_public.campaign_timers t
         left join app_public.timer_executions e on e.timer_id = t.id
        where t.campaign_id = any($1) and t.timer_type = 'CLOSE_CAMPAIGN' group by t.id`,
        [viaApi],
      ),
    ).toEqual(viaApi.map(() => ({ status: "PENDING", executions: 0 })));
  }, 90_000);
});

describe("live events across servers", () => {
  test("a subscription on one server and an event stream on the other both see changes made through either", async () => {
    const [ana] = await usersWithTokens();
    const [{ id: marketer }] = (await database.query<{ id: string }>(
      "insert into app_public.marketers (name) values ('Two Servers Inc') returning id",
    )) as [{ id: string }];
    await database.query("insert into app_public.marketer_members (marketer_id, user_id) values ($1, $2)", [marketer, ana!.id]);
    const [{ id: campaign }] = (await database.query<{ id: string }>(
      "insert into app_public.campaigns (user_id, marketer_id, name) values ($1, $2, 'Shared') returning id",
      [ana!.id, marketer],
    )) as [{ id: string }];
    const [server1, server2] = servers as [string, string];

    const subscription = subscribe<{ marketerCampaignEvents: { event: string; campaignId: string | null } }>(
      server1,
      `subscription ($id: UUID!) { marketerCampaignEvents(marketerId: $id) { event campaignId } }`,
      { id: marketer },
      ana!.token,
    );
    const stream = await fetch(`${server2}/campaigns/events?marketerId=${marketer}`, {
      headers: { cookie: `campaign_engine_token=${ana!.token}` },
    });
    expect(stream.status).toBe(200);
    // Everything the stream sends, as it arrives.
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    let streamed = "";
    const pumping = (async () => {
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) streamed += chunk.value;
    })().catch(() => {});
    const RENAME = `mutation ($id: UUID!, $name: String!) {
      updateCampaignByRowId(input: { rowId: $id, campaignPatch: { name: $name } }) { campaign { name } } }`;
    const updated = new RegExp(`data: \\{"event":"campaign_updated","campaign_id":"${campaign}","cursor":\\d+,"sent_at":\\d+\\}`, "g");
    const sightings = (text: string) => text.match(updated)?.length ?? 0;
    const subscribedUpdates = () =>
      subscription.events.filter(
        (e) => e.marketerCampaignEvents.event === "campaign_updated" && e.marketerCampaignEvents.campaignId === campaign,
      ).length;
    try {
      await waitFor(
        async () => subscription.events[0]?.marketerCampaignEvents.event,
        (event) => event === "subscribed",
      );
      await waitFor(
        async () => streamed,
        (text) => /^event: ready\n/.test(text),
      );

      for (const [n, through] of [server2, server1].entries()) {
        const renamed = await graphql(through, RENAME, { token: ana!.token, variables: { id: campaign, name: `Renamed ${n}` } });
        expect(renamed.errors, JSON.stringify(renamed.errors)).toBeUndefined();
        await waitFor(
          async () => subscribedUpdates(),
          (count) => count === n + 1,
        );
        await waitFor(
          async () => sightings(streamed),
          (count) => count === n + 1,
        );
      }
      expect(subscription.errors).toEqual([]);
    } finally {
      await reader.cancel();
      await pumping;
      await subscription.stop();
    }
  }, 60_000);
  test("event streams spread over both servers all get every event once, in commit order, whichever server it went through", async () => {
    const users = (await usersWithTokens()).slice(0, 2);
    const [{ id: marketer }] = (await database.query<{ id: string }>(
      "insert into app_public.marketers (name) values ('Spread Out Ltd') returning id",
    )) as [{ id: string }];
    for (const user of users) {
      await database.query("insert into app_public.marketer_members (marketer_id, user_id) values ($1, $2)", [marketer, user.id]);
    }
    const [{ id: campaign }] = (await database.query<{ id: string }>(
      "insert into app_public.campaigns (user_id, marketer_id, name) values ($1, $2, 'Spread') returning id",
      [users[0]!.id, marketer],
    )) as [{ id: string }];
    // Ten streams per user on each server.
    const streams = await Promise.all(
      servers.flatMap((server) =>
        users.flatMap((user) =>
          Array.from({ length: 10 }, () => openStream(server, `/campaigns/events?marketerId=${marketer}`, user.token)),
        ),
      ),
    );
    expect(streams.map((stream) => stream.status)).toEqual(streams.map(() => 200));
    await Promise.all(streams.map(streamReady));

    const RENAME = `mutation ($id: UUID!, $name: String!) {
      updateCampaignByRowId(input: { rowId: $id, campaignPatch: { name: $name } }) { campaign { name } } }`;
    for (let n = 0; n < 6; n++) {
      const renamed = await graphql(servers[n % 2]!, RENAME, { token: users[0]!.token, variables: { id: campaign, name: `Spread ${n}` } });
      expect(renamed.errors, JSON.stringify(renamed.errors)).toBeUndefined();
    }
    const cursors = (stream: EventStream) => stream.events.filter((e) => e.id !== undefined).map((e) => Number(e.id));
    await waitFor(
      async () => streams.map((stream) => cursors(stream).length),
      (counts) => counts.every((count) => count >= 6),
      20_000,
    );
    const expected = (
      await database.query<{ cursor: string }>("select cursor from app_public.campaign_event_log where campaign_id = $1 order by cursor", [
        campaign,
      ])
    ).map((row) => Number(row.cursor));
    expect(expected).toHaveLength(6);
    for (const stream of streams) expect(cursors(stream)).toEqual(expected);
  }, 60_000);
});
