// Real-time stats: target populations, offers, their tasks, the NOTIFY topics they announce on,
// the stats counters, and the refusals of launching, refreshing and claiming.
import pg from "pg";
import { afterEach, beforeAll, describe, expect, test } from "vitest";
import { tokenFor, useTestApp } from "./support/app.ts";
import { asUser, createUser, type TestUser } from "./support/as-user.ts";
import { useTestDatabase } from "./support/database.ts";
import { subscribe } from "./support/subscribe.ts";
import { waitFor } from "./support/wait.ts";

const database = useTestDatabase("realtime");
const server = useTestApp(database);

let alice: TestUser, bob: TestUser, carol: TestUser;
let marketer: string, otherMarketer: string;

beforeAll(async () => {
  [alice, bob, carol] = await Promise.all(["alice", "bob", "carol"].map((name) => createUser(database, `${name}@example.com`)));
  [{ id: marketer }, { id: otherMarketer }] = await database.query<{ id: string }>(
    "insert into app_public.marketers (name) values ('Neon Noodles'), ('Other Co') returning id",
  );
  await database.query("insert into app_public.marketer_members (marketer_id, user_id) values ($1, $2), ($1, $3), ($4, $5)", [
    marketer,
    alice.id,
    bob.id,
    otherMarketer,
    carol.id,
  ]);
});

const uniqueName = (() => {
  let n = 0;
  return (label: string) => `${label} ${++n}`;
})();

interface Target {
  target: string;
  bullseye: string;
  ring: string;
  /** Tags of this test only, so that the tests' participants stay apart: tag("gamer"). */
  tag(name: string): string;
}

/** A target of `marketer` with a bullseye (gamer + vip) and one ring (gamer). */
async function createTarget(marketerId = marketer): Promise<Target> {
  const name = uniqueName("Gamers");
  const tag = (tagName: string) => `${tagName}@${name}`;
  const [{ id: target }] = await database.query<{ id: string }>(
    "insert into app_public.targets (marketer_id, name) values ($1, $2) returning id",
    [marketerId, name],
  );
  const bands = await database.query<{ id: string; position: number }>(
    `insert into app_public.target_bands (target_id, position, name, required_tags)
     values ($1, 0, 'Bullseye', $2), ($1, 1, 'Ring', $3) returning id, position`,
    [target, [tag("gamer"), tag("vip")], [tag("gamer")]],
  );
  const band = (position: number) => bands.find((b) => b.position === position)!.id;
  return { target: target!, bullseye: band(0), ring: band(1), tag };
}

/** Participants with these tags (of the target's test), in order. */
async function addParticipants(t: Target, tags: string[][]): Promise<string[]> {
  const rows = await database.query<{ id: string }>(
    `insert into app_public.participants (name, tags)
     select 'participant ' || n, array(select jsonb_array_elements_text(tag_list))
       from jsonb_array_elements($1::jsonb) with ordinality as t(tag_list, n) order by n
     returning id`,
    [JSON.stringify(tags.map((list) => list.map(t.tag)))],
  );
  return rows.map((row) => row.id);
}

/** A campaign of `marketer` owned by alice, at the target, with a bid on both bands. */
async function createCampaign(target: Target, marketerId = marketer) {
  const [{ id }] = await database.query<{ id: string }>(
    "insert into app_public.campaigns (user_id, marketer_id, name, target_id) values ($1, $2, $3, $4) returning id",
    [alice.id, marketerId, uniqueName("Campaign"), target.target],
  );
  await database.query(
    "insert into app_public.bids (campaign_id, band_id, offer_amount, marketer_cost) values ($1, $2, 10, 2), ($1, $3, 5, 1)",
    [id, target.bullseye, target.ring],
  );
  return id!;
}

async function populate(targetId: string, batchSize = 1_000) {
  const totals = { inserted: 0, moved: 0, deleted: 0 };
  let after: string | null = null;
  for (;;) {
    const [{ batch }]: { batch: any }[] = await database.query("select app_private.populate_target_batch($1, $2, $3) as batch", [
      targetId,
      after,
      batchSize,
    ]);
    if (!batch.last_participant_id) break;
    totals.inserted += batch.inserted;
    totals.moved += batch.moved;
    totals.deleted += batch.deleted;
    after = batch.last_participant_id;
  }
  await database.query("select app_private.finish_target_population($1)", [targetId]);
  return totals;
}

const population = (targetId: string) =>
  database.query<{ participant_id: string; position: number }>(
    `select tp.participant_id, b.position from app_public.target_populations tp join app_public.target_bands b on b.id = tp.band_id
      where tp.target_id = $1 order by b.position, tp.participant_id`,
    [targetId],
  );
const bandCounters = (targetId: string) =>
  database.query<{ position: number; population: number }>(
    "select position, population from app_public.target_bands where target_id = $1 order by position",
    [targetId],
  );
/** The worker's jobs, queued or running, for a campaign or its target: by payload (which the
 *  graphile_worker.jobs view leaves out), so a running job whose key a newer one took counts too.
 *  A population's payload is a list of {target_id, campaign_id}, one per campaign waiting for it. */
const launchJobs = (campaignId: string, targetId: string) =>
  database.query<{ task_identifier: string; payload: any }>(
    `select tasks.identifier as task_identifier, jobs.payload from graphile_worker._private_jobs jobs
       join graphile_worker._private_tasks tasks on tasks.id = jobs.task_id
      where jobs.payload->>'campaign_id' = $1 or jobs.payload->>'target_id' = $2
         or jobs.payload::jsonb @> jsonb_build_array(jsonb_build_object('target_id', $2::text))`,
    [campaignId, targetId],
  );
/** Backends waiting for a lock that this one holds. */
const blockedBy = async (client: pg.Client) => {
  const {
    rows: [{ pid }],
  } = await client.query<{ pid: number }>("select pg_backend_pid() as pid");
  return (
    await database.query<{ n: number }>("select count(*)::int as n from pg_stat_activity where $1::int = any(pg_blocking_pids(pid))", [pid])
  )[0]!.n;
};
/** Every notification of a launch's jobs is in `events` once none of its jobs is left and a
 *  sentinel NOTIFY on the channel, which arrives after every notification committed before it, is. */
async function settled(events: { channel: string; payload: any }[], campaignId: string, targetId: string) {
  await waitFor(
    () => launchJobs(campaignId, targetId),
    (jobs) => jobs.length === 0,
    20_000,
  );
  await database.query("select pg_notify($1, $2)", [
    `campaign:${campaignId}`,
    JSON.stringify({ event: "sentinel", campaign_id: campaignId }),
  ]);
  await waitFor(
    async () => events,
    (list) => list.some((e) => e.payload.event === "sentinel" && e.payload.campaign_id === campaignId),
  );
}
const stats = async (campaignId: string) =>
  (await database.query<{ stats: any }>("select app_public.campaign_stats($1) as stats", [campaignId]))[0]!.stats;

/** Collects NOTIFY payloads of some channels on a connection of its own. */
const listeners: pg.Client[] = [];
afterEach(async () => {
  await Promise.all(listeners.splice(0).map((client) => client.end()));
});
async function listen(...channels: string[]) {
  const client = new pg.Client({ connectionString: database.ownerUrl });
  await client.connect();
  listeners.push(client);
  const received: { channel: string; payload: any }[] = [];
  // Campaign events carry their transaction's time (sent_at) and their place in the history
  // (cursor), both numbers: checked here (but for the tests' own sentinels), and left out of what
  // the tests compare.
  client.on("notification", (message) => {
    const { sent_at: sentAt, cursor, ...payload } = JSON.parse(message.payload!);
    if (payload.event !== "sentinel") expect([typeof sentAt, typeof cursor], message.payload).toEqual(["number", "number"]);
    received.push({ channel: message.channel, payload });
  });
  for (const channel of channels) await client.query(`listen "${channel}"`);
  return received;
}

/** A connection of the test's own, ended after the test. */
async function connect() {
  const client = new pg.Client({ connectionString: database.ownerUrl });
  await client.connect();
  listeners.push(client);
  return client;
}

describe("population", () => {
  test("puts each participant in the innermost band they match, applies only the difference, and is idempotent", async () => {
    const t = await createTarget();
    const [vip, gamer, outsider, vipToo] = await addParticipants(t, [["gamer", "vip"], ["gamer"], ["chess"], ["vip", "gamer", "x"]]);
    expect(await populate(t.target, 2)).toEqual({ inserted: 3, moved: 0, deleted: 0 });
    expect(await population(t.target)).toEqual(
      [
        { participant_id: vip, position: 0 },
        { participant_id: vipToo, position: 0 },
        { participant_id: gamer, position: 1 },
      ].sort((a, b) => a.position - b.position || a.participant_id.localeCompare(b.participant_id)),
    );
    expect(await bandCounters(t.target)).toEqual([
      { position: 0, population: 2 },
      { position: 1, population: 1 },
    ]);
    expect((await population(t.target)).map((row) => row.participant_id)).not.toContain(outsider);

    // gamer becomes a vip (moves in), vipToo loses every tag (leaves), a newcomer joins the ring.
    await database.query("update app_public.participants set tags = $2 where id = $1", [gamer, [t.tag("gamer"), t.tag("vip")]]);
    await database.query("update app_public.participants set tags = '{}' where id = $1", [vipToo]);
    const [newcomer] = await addParticipants(t, [["gamer"]]);
    expect(await populate(t.target, 2)).toEqual({ inserted: 1, moved: 1, deleted: 1 });
    expect(await population(t.target)).toContainEqual({ participant_id: newcomer, position: 1 });
    expect(await bandCounters(t.target)).toEqual([
      { position: 0, population: 2 },
      { position: 1, population: 1 },
    ]);

    expect(await populate(t.target, 2)).toEqual({ inserted: 0, moved: 0, deleted: 0 });
    const [target] = await database.query<{ population_status: string; last_populated_at: Date | null }>(
      "select population_status, last_populated_at from app_public.targets where id = $1",
      [t.target],
    );
    expect(target).toMatchObject({ population_status: "populated", last_populated_at: expect.any(Date) });
  });

  test("an inner band must require every tag of the bands outside it", async () => {
    const [{ id: target }] = await database.query<{ id: string }>(
      "insert into app_public.targets (marketer_id, name) values ($1, $2) returning id",
      [marketer, uniqueName("Loose")],
    );
    await expect(
      database.query(
        `insert into app_public.target_bands (target_id, position, name, required_tags)
       values ($1, 0, 'Bullseye', '{vip}'), ($1, 1, 'Ring', '{gamer}')`,
        [target],
      ),
    ).rejects.toMatchObject({ code: "CE309", message: expect.stringMatching(/band "Bullseye" \(position 0\) must require every tag/) });
    expect(await database.query("select 1 from app_public.target_bands where target_id = $1", [target])).toEqual([]);
  });
});

describe("offers", () => {
  test("one pending offer per participant with the band's bid, in batches, existing ones skipped; counters follow", async () => {
    const t = await createTarget();
    await addParticipants(t, [["gamer", "vip"], ["gamer"], ["gamer"], ["chess"]]);
    await populate(t.target);
    const campaign = await createCampaign(t);
    const batch = async (after: string | null) =>
      (await database.query<{ batch: any }>("select app_private.create_offers_batch($1, $2, 2) as batch", [campaign, after]))[0]!.batch;
    // Only a running campaign makes offers.
    expect((await batch(null)).inserted).toBe(0);
    await database.query("select app_private.transition_campaign($1, 'RUNNING', 'test', '{}')", [campaign]);
    const first = await batch(null);
    expect(first.inserted).toBe(2);
    const second = await batch(first.last_participant_id);
    expect(second.inserted).toBe(1);
    expect((await batch(second.last_participant_id)).last_participant_id).toBeNull();
    // Again from the start: everyone has an offer already.
    expect((await batch(null)).inserted + (await batch(first.last_participant_id)).inserted).toBe(0);

    const offers = await database.query<{ offer_amount: string; cost_amount: string; status: string }>(
      "select offer_amount, cost_amount, status from app_public.offers where campaign_id = $1 order by offer_amount desc",
      [campaign],
    );
    expect(offers).toEqual([
      { offer_amount: "10.00", cost_amount: "2.00", status: "pending" },
      { offer_amount: "5.00", cost_amount: "1.00", status: "pending" },
      { offer_amount: "5.00", cost_amount: "1.00", status: "pending" },
    ]);
    expect(await stats(campaign)).toMatchObject({
      population: 3,
      pending_offers: 3,
      pending_spend: 4,
      current_offers: 0,
      claimed_rewards: 0,
      unique_reach: 3,
      bands: [
        expect.objectContaining({ name: "Bullseye", population: 1, offer_amount: 10 }),
        expect.objectContaining({ name: "Ring", population: 2 }),
      ],
    });

    await database.query(
      "update app_public.offers set pending_until = now() - interval '1 second' where campaign_id = $1 and offer_amount = 10",
      [campaign],
    );
    const events = await listen(`campaign:${campaign}`);
    expect((await database.query<{ n: number }>("select app_private.activate_pending_offers() as n"))[0]!.n).toBe(1);
    expect(await stats(campaign)).toMatchObject({ pending_offers: 2, pending_spend: 2, current_offers: 1 });
    await waitFor(
      async () => events,
      (list) => list.some((e) => e.payload.event === "campaign_updated"),
    );

    await database.query("select app_private.transition_campaign($1, 'EXPIRED', 'test', '{}')", [campaign]);
    expect(await stats(campaign)).toMatchObject({
      pending_offers: 0,
      pending_spend: 0,
      current_offers: 1,
      expired_offers: 2,
      unique_reach: 3,
    });
  });
});

describe("launching, with the worker", () => {
  test("populates the target, builds the offers, and announces each step on the campaign's and marketer's topics only", async () => {
    const t = await createTarget();
    await addParticipants(t, [["gamer", "vip"], ["gamer"], ["chess"]]);
    const campaign = await createCampaign(t);
    const events = await listen(`campaign:${campaign}`, `marketer:${marketer}:campaigns`, `marketer:${otherMarketer}:campaigns`);

    const [launched] = await asUser<{ status: string; launched_at: Date }>(database, bob, "select * from app_public.launch_campaign($1)", [
      campaign,
    ]);
    expect(launched).toMatchObject({ status: "RUNNING", launched_at: expect.any(Date) });
    await waitFor(
      async () => events,
      (list) => list.some((e) => e.payload.event === "offers_created"),
      20_000,
    );

    const onCampaign = events.filter((e) => e.channel === `campaign:${campaign}`).map((e) => e.payload);
    const onMarketer = events.filter((e) => e.channel === `marketer:${marketer}:campaigns`).map((e) => e.payload);
    expect(onCampaign).toContainEqual({ event: "campaign_updated", campaign_id: campaign });
    expect(onCampaign).toContainEqual({ event: "target_populated", campaign_id: campaign, count: 2 });
    expect(onCampaign.filter((e) => e.event === "offers_created")).toEqual([{ event: "offers_created", campaign_id: campaign, count: 2 }]);
    expect(onMarketer).toEqual(onCampaign);
    expect(events.filter((e) => e.channel === `marketer:${otherMarketer}:campaigns`)).toEqual([]);
    expect(await stats(campaign)).toMatchObject({ pending_offers: 2, unique_reach: 2 });
  });

  test("creating 2,500 offers in three batches sends one offers_created", async () => {
    const t = await createTarget();
    await addParticipants(
      t,
      Array.from({ length: 2_500 }, () => ["gamer"]),
    );
    const campaign = await createCampaign(t);
    const events = await listen(`campaign:${campaign}`);
    await asUser(database, alice, "select app_public.launch_campaign($1)", [campaign]);
    await waitFor(
      async () => events,
      (list) => list.some((e) => e.payload.event === "offers_created"),
      30_000,
    );
    // A straggler could only come from a job of this launch.
    await settled(events, campaign, t.target);
    expect(events.filter((e) => e.payload.event === "offers_created").map((e) => e.payload.count)).toEqual([2_500]);
    expect(await stats(campaign)).toMatchObject({ pending_offers: 2_500 });
  });

  test("a launch at a target still being populated leaves no offers job waiting: the end of the population enqueues it", async () => {
    const t = await createTarget();
    await addParticipants(t, [["gamer", "vip"], ["gamer"], ["chess"]]);
    const [first, second] = [await createCampaign(t), await createCampaign(t)];
    const events = await listen(`campaign:${first}`, `campaign:${second}`);
    // Holds the population back: its first batch inserts rows that point at these bands.
    const holder = await connect();
    await holder.query("begin");
    await holder.query("select 1 from app_public.target_bands where target_id = $1 for update", [t.target]);

    await asUser(database, alice, "select app_public.launch_campaign($1)", [first]);
    await waitFor(
      () => blockedBy(holder),
      (n) => n >= 1,
      20_000,
    );
    // The second launch comes while the target is populating.
    await asUser(database, bob, "select app_public.launch_campaign($1)", [second]);
    for (const campaign of [first, second]) {
      const jobs = await launchJobs(campaign, t.target);
      expect(jobs.map((job) => job.task_identifier)).not.toContain("create_initial_pending_offers");
      expect(jobs.filter((job) => job.task_identifier === "populate_target").flatMap((job) => job.payload)).toContainEqual({
        target_id: t.target,
        campaign_id: campaign,
      });
      expect(await stats(campaign)).toMatchObject({ pending_offers: 0 });
    }
    expect(
      await database.query("select key from graphile_worker.jobs where key = any($1)", [
        [first, second].map((campaign) => `create_initial_pending_offers:${campaign}`),
      ]),
    ).toEqual([]);

    await holder.query("commit");
    for (const campaign of [first, second]) {
      await waitFor(
        () => stats(campaign),
        (s) => s.pending_offers === 2,
        20_000,
      );
      await settled(events, campaign, t.target);
      const received = events.filter((e) => e.channel === `campaign:${campaign}`).map((e) => e.payload);
      expect(received.filter((e) => e.event === "offers_created")).toEqual([{ event: "offers_created", campaign_id: campaign, count: 2 }]);
      expect(received).toContainEqual({ event: "target_populated", campaign_id: campaign, count: 2 });
      expect(await stats(campaign)).toMatchObject({ population: 2, pending_offers: 2, pending_spend: 3, unique_reach: 2 });
    }
  });

  test("a launch that commits while a population finishes waits for it, then makes its offers without populating again", async () => {
    const t = await createTarget();
    await addParticipants(t, [["gamer"]]);
    await populate(t.target);
    const campaign = await createCampaign(t);
    const events = await listen(`campaign:${campaign}`);
    // A population that is finishing: its finish has run, its commit has not come yet.
    await database.query("select app_private.start_target_population($1)", [t.target]);
    const finishing = await connect();
    await finishing.query("begin");
    await finishing.query("select app_private.finish_target_population($1)", [t.target]);

    let launched = false;
    const launching = asUser(database, alice, "select app_public.launch_campaign($1)", [campaign]).then(() => {
      launched = true;
    });
    const blocked = await waitFor(
      async () => ({ blocked: await blockedBy(finishing), launched }),
      (v) => v.blocked >= 1 || v.launched,
      20_000,
    );
    expect(blocked.launched).toBe(false);
    await finishing.query("commit");
    await launching;

    await waitFor(
      () => stats(campaign),
      (s) => s.pending_offers === 1,
      20_000,
    );
    await settled(events, campaign, t.target);
    // One target_populated, the finishing population's: the launch read populated.
    expect(events.map((e) => e.payload.event).filter((event) => event !== "campaign_updated")).toEqual([
      "target_populated",
      "offers_created",
      "sentinel",
    ]);
  });

  test("refresh_offers reaches the people who joined the target since; another campaign at the target keeps its offers", async () => {
    const t = await createTarget();
    await addParticipants(t, [["gamer"]]);
    const [campaign, other] = [await createCampaign(t), await createCampaign(t)];
    const events = await listen(`campaign:${other}`);
    await asUser(database, alice, "select app_public.launch_campaign($1)", [campaign]);
    await asUser(database, alice, "select app_public.launch_campaign($1)", [other]);
    await waitFor(
      () => Promise.all([stats(campaign), stats(other)]),
      (both) => both.every((s) => s.pending_offers === 1),
      20_000,
    );
    await settled(events, other, t.target);
    await addParticipants(t, [["gamer", "vip"], ["gamer"]]);
    await asUser(database, bob, "select app_public.refresh_offers($1)", [campaign]);
    await waitFor(
      () => stats(campaign),
      (s) => s.pending_offers === 3,
      20_000,
    );
    await settled(events, other, t.target);
    expect(await stats(other)).toMatchObject({ population: 3, pending_offers: 1 });
    expect(events.filter((e) => e.payload.event === "offers_created").map((e) => e.payload.count)).toEqual([1]);
  });
  test("the end of any population makes the offers of a campaign launched without any yet, and of no other", async () => {
    const t = await createTarget();
    await addParticipants(t, [["gamer"]]);
    await populate(t.target);
    const [lost, served] = [await createCampaign(t), await createCampaign(t)];
    // Both launched; the population job that would have made lost's offers is gone (one that fails
    // after a newer job took its key is not retried). served has its offers.
    for (const campaign of [lost, served]) {
      await database.query("update app_public.campaigns set launched_at = now() where id = $1", [campaign]);
      await database.query("select app_private.transition_campaign($1, 'RUNNING', 'test', '{}')", [campaign]);
    }
    await database.query("select app_private.create_offers_batch($1, null, 1000)", [served]);
    const events = await listen(`campaign:${served}`);
    await addParticipants(t, [["gamer"]]);
    // An operator's population, asked for by no campaign.
    await database.query("select app_private.add_job('populate_target', json_build_object('target_id', $1::uuid))", [t.target]);
    await waitFor(
      () => stats(lost),
      (s) => s.pending_offers === 2,
      20_000,
    );
    await settled(events, served, t.target);
    expect(await stats(served)).toMatchObject({ population: 2, pending_offers: 1 });
    expect(events.map((e) => e.payload.event)).toEqual(["target_populated", "sentinel"]);
  });

  test("refreshing a campaign that started without a launch (its start time came) makes its offers", async () => {
    const t = await createTarget();
    await addParticipants(t, [["gamer"], ["gamer"]]);
    const campaign = await createCampaign(t);
    await database.query("select app_private.transition_campaign($1, 'RUNNING', 'test', '{}')", [campaign]);
    await asUser(database, bob, "select app_public.refresh_offers($1)", [campaign]);
    await waitFor(
      () => stats(campaign),
      (s) => s.pending_offers === 2,
      20_000,
    );
  });
});

describe("bad input changes nothing", () => {
  const errorOf = (promise: Promise<unknown>) =>
    promise.then(
      () => null,
      (error: any) => ({ code: error.code, message: error.message }),
    );

  test("launching twice, an expired campaign, one without target or bids, or someone else's", async () => {
    const t = await createTarget();
    const campaign = await createCampaign(t);
    await asUser(database, alice, "select app_public.launch_campaign($1)", [campaign]);
    expect(await errorOf(asUser(database, alice, "select app_public.launch_campaign($1)", [campaign]))).toMatchObject({
      code: "CE301",
      message: expect.stringMatching(/was launched already/),
    });

    const expired = await createCampaign(t);
    await database.query("select app_private.transition_campaign($1, 'EXPIRED', 'test', '{}')", [expired]);
    expect(await errorOf(asUser(database, alice, "select app_public.launch_campaign($1)", [expired]))).toMatchObject({
      code: "CE302",
      message: expect.stringMatching(/only a CREATED campaign can be launched; .* is EXPIRED/),
    });

    const [{ id: bare }] = await database.query<{ id: string }>(
      "insert into app_public.campaigns (user_id, marketer_id, name) values ($1, $2, 'Bare') returning id",
      [alice.id, marketer],
    );
    expect((await errorOf(asUser(database, alice, "select app_public.launch_campaign($1)", [bare])))?.code).toBe("CE303");
    await database.query("update app_public.campaigns set target_id = $2 where id = $1", [bare, t.target]);
    expect((await errorOf(asUser(database, alice, "select app_public.launch_campaign($1)", [bare])))?.code).toBe("CE304");
    expect((await errorOf(asUser(database, carol, "select app_public.launch_campaign($1)", [bare])))?.code).toBe("CE003");

    const rows = await database.query<{ id: string; status: string; launched_at: Date | null }>(
      "select id, status, launched_at from app_public.campaigns where id = any($1)",
      [[expired, bare]],
    );
    expect(rows.map((row) => [row.status, row.launched_at])).toEqual(
      expect.arrayContaining([
        ["EXPIRED", null],
        ["CREATED", null],
      ]),
    );
    expect(await database.query("select key from graphile_worker.jobs where key like any($1)", [[`%${expired}`, `%${bare}`]])).toEqual([]);
  });

  test("refreshing offers of a campaign that is not running", async () => {
    const campaign = await createCampaign(await createTarget());
    expect(await errorOf(asUser(database, alice, "select app_public.refresh_offers($1)", [campaign]))).toMatchObject({
      code: "CE305",
      message: expect.stringMatching(/can be refreshed only while it is RUNNING \(it is CREATED\)/),
    });
  });

  test("a campaign's target belongs to its marketer, and a bid to a band of that target", async () => {
    const foreign = await createTarget(otherMarketer);
    await expect(
      database.query("insert into app_public.campaigns (user_id, marketer_id, name, target_id) values ($1, $2, 'Cross', $3)", [
        alice.id,
        marketer,
        foreign.target,
      ]),
    ).rejects.toMatchObject({ code: "CE310" });
    const campaign = await createCampaign(await createTarget());
    await expect(
      database.query("insert into app_public.bids (campaign_id, band_id, offer_amount, marketer_cost) values ($1, $2, 1, 1)", [
        campaign,
        foreign.ring,
      ]),
    ).rejects.toMatchObject({ code: "CE311" });
  });

  test("claiming: only your own current offer, only in REWARD_CLAIM, only once", async () => {
    const t = await createTarget();
    const [mine] = await addParticipants(t, [["gamer"]]);
    await database.query("update app_public.participants set user_id = $2 where id = $1", [mine, bob.id]);
    await populate(t.target);
    const campaign = await createCampaign(t);
    await database.query("update app_public.campaigns set rewards_enabled = true where id = $1", [campaign]);
    await database.query("select app_private.transition_campaign($1, 'RUNNING', 'test', '{}')", [campaign]);
    await database.query("select app_private.create_offers_batch($1, null, 1000)", [campaign]);
    const [{ id: offer }] = await database.query<{ id: string }>(
      "select id from app_public.offers where campaign_id = $1 and participant_id = $2",
      [campaign, mine],
    );
    const claim = (user: TestUser) => errorOf(asUser(database, user, "select app_public.claim_offer($1)", [offer]));

    expect(await claim(bob)).toMatchObject({
      code: "CE306",
      message: `offer ${offer} cannot be claimed now: rewards are claimed only while the campaign is in REWARD_CLAIM`,
    });
    for (const state of ["CLOSED", "REWARD_CLAIM"]) {
      await database.query("select app_private.transition_campaign($1, $2, 'test', '{}')", [campaign, state]);
    }
    expect(await claim(bob)).toMatchObject({ code: "CE307", message: expect.stringMatching(/cannot be claimed: it is pending/) });
    await database.query("update app_public.offers set status = 'current' where id = $1", [offer]);
    expect(await claim(alice)).toMatchObject({ code: "CE308" });
    expect(await claim(bob)).toBeNull();
    expect(await claim(bob)).toMatchObject({ code: "CE307", message: expect.stringMatching(/it is claimed/) });
    expect(await stats(campaign)).toMatchObject({ claimed_rewards: 1, current_offers: 0 });
    expect(
      await database.query("select value::int from app_public.campaign_metrics where campaign_id = $1 and metric_type = 'REWARD_CLAIMED'", [
        campaign,
      ]),
    ).toEqual([{ value: 5 }]);
  });
});

describe("consistency", () => {
  test("a visitor's delete cascades through offers and populations, and the counters follow", async () => {
    const t = await createTarget();
    const [leaving] = await addParticipants(t, [["gamer", "vip"], ["gamer"]]);
    await populate(t.target);
    const campaign = await createCampaign(t);
    await database.query("select app_private.transition_campaign($1, 'RUNNING', 'test', '{}')", [campaign]);
    await database.query("select app_private.create_offers_batch($1, null, 1000)", [campaign]);
    const admin = await createUser(database, "realtime-admin@example.com", { admin: true });

    await asUser(database, admin, "delete from app_public.participants where id = $1", [leaving]);
    expect(await bandCounters(t.target)).toEqual([
      { position: 0, population: 0 },
      { position: 1, population: 1 },
    ]);
    expect(await stats(campaign)).toMatchObject({ pending_offers: 1, unique_reach: 1 });

    await asUser(database, alice, "delete from app_public.campaigns where id = $1", [campaign]);
    expect(await database.query("select 1 from app_public.campaign_offer_stats where campaign_id = $1", [campaign])).toEqual([]);
  });

  test("changing a target's bands asks for a new population; a launched campaign keeps its target", async () => {
    const t = await createTarget();
    await addParticipants(t, [["gamer"]]);
    await populate(t.target);
    await asUser(database, bob, "update app_public.target_bands set required_tags = $2 where id = $1", [
      t.bullseye,
      [t.tag("gamer"), t.tag("vip"), t.tag("gold")],
    ]);
    expect(await database.query("select population_status from app_public.targets where id = $1", [t.target])).toEqual([
      { population_status: "not_populated" },
    ]);

    const campaign = await createCampaign(t);
    await asUser(database, alice, "select app_public.launch_campaign($1)", [campaign]);
    const other = await createTarget();
    await expect(
      asUser(database, alice, "update app_public.campaigns set target_id = $2 where id = $1", [campaign, other.target]),
    ).rejects.toMatchObject({ code: "CE312" });
    await expect(
      asUser(database, alice, "update app_public.campaigns set target_id = null where id = $1", [campaign]),
    ).rejects.toMatchObject({ code: "CE312" });
  });
});

describe("subscriptions", () => {
  const EVENTS = `subscription ($id: UUID!) { marketerCampaignEvents(marketerId: $id) { event campaignId count } }`;

  test("marketerCampaignEvents delivers a member's marketer's events, and refuses a non-member", async () => {
    const [aliceToken, carolToken] = await Promise.all([tokenFor(database, "alice@example.com"), tokenFor(database, "carol@example.com")]);
    const member = subscribe(server.url, EVENTS, { id: marketer }, aliceToken);
    const outsider = subscribe(server.url, EVENTS, { id: marketer }, carolToken);
    try {
      await waitFor(
        async () => outsider.errors.length,
        (n) => n > 0,
      );
      expect(JSON.stringify(outsider.errors)).toMatch(/marketer not found, or you are not one of its members/);
      const campaign = await createCampaign(await createTarget());
      // The first event says the subscription listens: the moment to read the snapshot.
      await waitFor(
        async () => member.events.length,
        (n) => n > 0,
      );
      expect(member.events[0]).toEqual({ marketerCampaignEvents: { event: "subscribed", campaignId: null, count: null } });
      await database.query("update app_public.campaigns set name = name || '.' where id = $1", [campaign]);
      await waitFor(
        async () => member.events.length,
        (n) => n > 1,
      );
      expect(member.events[1]).toEqual({ marketerCampaignEvents: { event: "campaign_updated", campaignId: campaign, count: null } });
      expect(outsider.events).toEqual([]);
    } finally {
      await Promise.all([member.stop(), outsider.stop()]);
    }
  });

  test("the page's event stream: 403 for a non-member; a member gets ready first, after every reconnect too", async () => {
    const [aliceToken, carolToken] = await Promise.all([tokenFor(database, "alice@example.com"), tokenFor(database, "carol@example.com")]);
    const open = (token: string) =>
      fetch(`${server.url}/campaigns/events?marketerId=${marketer}`, { headers: { cookie: `campaign_engine_token=${token}` } });
    const refused = await open(carolToken);
    expect(refused.status).toBe(403);
    expect((await fetch(`${server.url}/campaigns/events?marketerId=${marketer}`)).status).toBe(401);

    const campaign = await createCampaign(await createTarget());
    const read = async (response: Response, until: RegExp) => {
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      while (!until.test(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      await reader.cancel();
      return text;
    };
    const first = await open(aliceToken);
    expect(await read(first, /event: ready\n/)).toMatch(/^event: ready\n/);

    // While no one listens, the campaign changes; the reconnected client is told to re-read first.
    await database.query("update app_public.campaigns set name = 'Changed while away' where id = $1", [campaign]);
    const second = await open(aliceToken);
    const reader = second.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!/event: ready\n/.test(text)) text += (await reader.read()).value;
    // Told first: nothing, not the change made while away, comes before ready.
    expect(text).toMatch(/^event: ready\n/);
    await database.query("update app_public.campaigns set name = 'Changed while listening' where id = $1", [campaign]);
    while (!/campaign_updated/.test(text)) text += (await reader.read()).value;
    expect(text).toMatch(
      new RegExp(
        `id: \\d+\\nevent: marketer:${marketer}:campaigns\\ndata: \\{"event":"campaign_updated","campaign_id":"${campaign}","cursor":\\d+,"sent_at":\\d+\\}`,
      ),
    );
    await reader.cancel();
  });

  test("when the server's LISTEN connection drops, the stream says resync once it is back, and events flow again", async () => {
    const aliceToken = await tokenFor(database, "alice@example.com");
    const campaign = await createCampaign(await createTarget());
    const response = await fetch(`${server.url}/campaigns/events?marketerId=${marketer}`, {
      headers: { cookie: `campaign_engine_token=${aliceToken}` },
    });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!/event: ready\n/.test(text)) text += (await reader.read()).value;

    const [{ terminated }] = await database.query<{ terminated: number }>(
      `select count(pg_terminate_backend(pid))::int as terminated from pg_stat_activity
        where datname = current_database() and query like 'LISTEN "marketer:%'`,
    );
    expect(terminated).toBe(1);
    while (!/"event":"resync"/.test(text)) text += (await reader.read()).value;
    expect(text).toContain(`event: marketer:${marketer}:campaigns\ndata: {"event":"resync"}`);

    await database.query("update app_public.campaigns set name = 'After the outage' where id = $1", [campaign]);
    while (!new RegExp(`"campaign_id":"${campaign}"`).test(text)) text += (await reader.read()).value;
    await reader.cancel();
  });
});
