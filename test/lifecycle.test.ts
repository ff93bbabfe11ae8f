// The campaign state machine and scheduling, in SQL as the API's visitor role runs it.
import { beforeAll, describe, expect, test } from "vitest";
import { asUser, createUser, type TestUser } from "./support/as-user.ts";
import { useTestDatabase } from "./support/database.ts";

const database = useTestDatabase("lifecycle");

const STATES = ["CREATED", "RUNNING", "CLOSED", "REWARD_CLAIM", "EXPIRED"] as const;
type State = (typeof STATES)[number];
const ALLOWED = new Set([
  "CREATED>RUNNING",
  "CREATED>EXPIRED",
  "RUNNING>CLOSED",
  "RUNNING>EXPIRED",
  "CLOSED>REWARD_CLAIM",
  "CLOSED>EXPIRED",
  "REWARD_CLAIM>EXPIRED",
]);
/** The way from CREATED to each state. */
const PATH: Record<State, State[]> = {
  CREATED: [],
  RUNNING: ["RUNNING"],
  CLOSED: ["RUNNING", "CLOSED"],
  REWARD_CLAIM: ["RUNNING", "CLOSED", "REWARD_CLAIM"],
  EXPIRED: ["EXPIRED"],
};

let owner: TestUser, stranger: TestUser;
// Schedules start at most five years ahead: dates of next year stay valid whenever the tests run.
const NEXT_YEAR = new Date().getUTCFullYear() + 1;

beforeAll(async () => {
  owner = await createUser(database, "owner@example.com");
  stranger = await createUser(database, "stranger@example.com");
});

async function newCampaign({ rewards = true } = {}): Promise<string> {
  const [row] = await database.query<{ id: string }>(
    "insert into app_public.campaigns (user_id, name, rewards_enabled) values ($1, 'A campaign', $2) returning id",
    [owner.id, rewards],
  );
  return row!.id;
}

async function campaignIn(state: State): Promise<string> {
  const id = await newCampaign();
  for (const step of PATH[state]) {
    await database.query("select app_private.transition_campaign($1, $2, 'test', '{}')", [id, step]);
  }
  return id;
}

const statusOf = async (id: string) =>
  (await database.query<{ status: string }>("select status from app_public.campaigns where id = $1", [id]))[0]!.status;
const logOf = (id: string) =>
  database.query<{ from_state: string; to_state: string; trigger_event: string; metadata: Record<string, unknown> }>(
    "select from_state, to_state, trigger_event, metadata from app_public.campaign_state_log where campaign_id = $1 order by created_at, to_state",
    [id],
  );
const timersOf = (id: string) =>
  database.query<{ id: string; timer_type: string; status: string; scheduled_at: Date }>(
    "select id, timer_type, status, scheduled_at from app_public.campaign_timers where campaign_id = $1 order by timer_type, created_at",
    [id],
  );
const jobsOf = (timerIds: string[]) =>
  database.query<{ key: string; run_at: Date }>(
    "select key, run_at from graphile_worker.jobs where task_identifier = 'fire_timer' and key = any($1::text[]) order by run_at",
    [timerIds],
  );

describe("transitions", () => {
  const pairs = STATES.flatMap((from) => STATES.filter((to) => to !== from).map((to) => [from, to] as const));

  test.each(pairs.filter(([from, to]) => ALLOWED.has(`${from}>${to}`)))("%s → %s is allowed and logged", async (from, to) => {
    const id = await campaignIn(from);
    const before = (await logOf(id)).length;
    await database.query("update app_public.campaigns set status = $2 where id = $1", [id, to]);
    expect(await statusOf(id)).toBe(to);
    const log = await logOf(id);
    expect(log).toHaveLength(before + 1);
    expect(log.at(-1)).toMatchObject({ from_state: from, to_state: to, trigger_event: "direct_update" });
  });

  test.each(pairs.filter(([from, to]) => !ALLOWED.has(`${from}>${to}`)))(
    "%s → %s is refused with CE001 and leaves no trace",
    async (from, to) => {
      const id = await campaignIn(from);
      const before = await logOf(id);
      const refused = database.query("update app_public.campaigns set status = $2 where id = $1", [id, to]);
      await expect(refused).rejects.toMatchObject({ code: "CE001", message: `campaign ${id} cannot go from ${from} to ${to}` });
      expect(await statusOf(id)).toBe(from);
      expect(await logOf(id)).toEqual(before);
    },
  );

  test("CLOSED → REWARD_CLAIM needs rewards_enabled (CE002)", async () => {
    const id = await newCampaign({ rewards: false });
    await asUser(database, owner, "select app_public.start_campaign($1)", [id]);
    await asUser(database, owner, "select app_public.close_campaign($1)", [id]);
    await expect(asUser(database, owner, "select app_public.open_reward_claim($1)", [id])).rejects.toMatchObject({
      code: "CE002",
      message: `campaign ${id} has rewards disabled, so it cannot open reward claims`,
    });
    expect(await statusOf(id)).toBe("CLOSED");
  });

  test("the lifecycle functions log who moved the campaign and how long it stayed", async () => {
    const id = await newCampaign();
    await asUser(database, owner, "select app_public.start_campaign($1)", [id]);
    await asUser(database, owner, "select app_public.expire_campaign($1)", [id]);
    const log = await logOf(id);
    expect(log.map((entry) => [entry.from_state, entry.to_state, entry.trigger_event])).toEqual([
      ["CREATED", "RUNNING", "start_campaign"],
      ["RUNNING", "EXPIRED", "expire_campaign"],
    ]);
    expect(log[0]!.metadata).toMatchObject({ user_id: owner.id, ms_in_from_state: expect.any(Number) });
    const metrics = await database.query<{ details: { from_state: string; to_state: string } }>(
      "select details from app_public.campaign_metrics where campaign_id = $1 and metric_type = 'STATE_TRANSITION_TIME' order by recorded_at",
      [id],
    );
    expect(metrics.map((metric) => metric.details)).toEqual([
      { from_state: "CREATED", to_state: "RUNNING" },
      { from_state: "RUNNING", to_state: "EXPIRED" },
    ]);
  });

  test("moving a campaign to the state it is in changes nothing", async () => {
    const id = await campaignIn("RUNNING");
    await asUser(database, owner, "select app_public.start_campaign($1)", [id]);
    expect(await logOf(id)).toHaveLength(1);
  });

  test("another user cannot move or schedule someone's campaign (CE003)", async () => {
    const id = await newCampaign();
    const message = `campaign ${id} does not exist or is not yours to change`;
    await expect(asUser(database, stranger, "select app_public.start_campaign($1)", [id])).rejects.toMatchObject({
      code: "CE003",
      message,
    });
    await expect(
      asUser(database, stranger, "select app_public.schedule_campaign($1, now() + interval '1 hour', 2)", [id]),
    ).rejects.toMatchObject({ code: "CE003", message });
    expect(await statusOf(id)).toBe("CREATED");
    expect(await timersOf(id)).toEqual([]);
  });

  test("visitors cannot write the status directly", async () => {
    const id = await newCampaign();
    await expect(asUser(database, owner, "update app_public.campaigns set status = 'RUNNING' where id = $1", [id])).rejects.toMatchObject({
      code: "42501",
    });
  });
});

describe("scheduling", () => {
  test("schedule_campaign sets the times and creates START and CLOSE timers, each with one job keyed by its id", async () => {
    const id = await newCampaign();
    const [campaign] = await asUser<{ start_time: Date; end_time: Date; duration_hours: string }>(
      database,
      owner,
      `select start_time, end_time, duration_hours from app_public.schedule_campaign($1, '${NEXT_YEAR}-01-01T10:00:00Z', 2.5)`,
      [id],
    );
    expect(campaign!.end_time.getTime() - campaign!.start_time.getTime()).toBe(2.5 * 3600_000);
    const timers = await timersOf(id);
    expect(timers.map((timer) => [timer.timer_type, timer.status, timer.scheduled_at.toISOString()])).toEqual([
      ["START_CAMPAIGN", "PENDING", `${NEXT_YEAR}-01-01T10:00:00.000Z`],
      ["CLOSE_CAMPAIGN", "PENDING", `${NEXT_YEAR}-01-01T12:30:00.000Z`],
    ]);
    expect((await jobsOf(timers.map((timer) => timer.id))).map((job) => [job.key, job.run_at.toISOString()])).toEqual(
      timers.map((timer) => [timer.id, timer.scheduled_at.toISOString()]),
    );
  });

  test("rescheduling moves the same timers and their jobs, never duplicating them", async () => {
    const id = await newCampaign();
    await asUser(database, owner, `select app_public.schedule_campaign($1, '${NEXT_YEAR}-01-01T10:00:00Z', 1)`, [id]);
    const first = await timersOf(id);
    await asUser(database, owner, `select app_public.schedule_campaign($1, '${NEXT_YEAR}-02-01T10:00:00Z', 1)`, [id]);
    await asUser(database, owner, `select app_public.schedule_campaign($1, '${NEXT_YEAR}-03-01T10:00:00Z', 1)`, [id]);
    const moved = await timersOf(id);
    expect(moved.map((timer) => timer.id)).toEqual(first.map((timer) => timer.id));
    expect(moved.map((timer) => timer.scheduled_at.toISOString())).toEqual([
      `${NEXT_YEAR}-03-01T10:00:00.000Z`,
      `${NEXT_YEAR}-03-01T11:00:00.000Z`,
    ]);
    const jobs = await jobsOf(moved.map((timer) => timer.id));
    expect(jobs.map((job) => job.run_at.toISOString())).toEqual([`${NEXT_YEAR}-03-01T10:00:00.000Z`, `${NEXT_YEAR}-03-01T11:00:00.000Z`]);
  });

  test("without auto_close there is no CLOSE timer, and rescheduling without it cancels the old one", async () => {
    const id = await newCampaign();
    await asUser(database, owner, `select app_public.schedule_campaign($1, '${NEXT_YEAR}-01-01T10:00:00Z', 1)`, [id]);
    await asUser(database, owner, `select app_public.schedule_campaign($1, '${NEXT_YEAR}-01-01T10:00:00Z', 1, auto_close => false)`, [id]);
    const timers = await timersOf(id);
    expect(timers.map((timer) => [timer.timer_type, timer.status])).toEqual([
      ["START_CAMPAIGN", "PENDING"],
      ["CLOSE_CAMPAIGN", "CANCELLED"],
    ]);
    expect(await jobsOf(timers.map((timer) => timer.id))).toHaveLength(1);
  });

  test("expiring a campaign cancels its timers and removes their jobs", async () => {
    const id = await newCampaign();
    await asUser(database, owner, `select app_public.schedule_campaign($1, '${NEXT_YEAR}-01-01T10:00:00Z', 1)`, [id]);
    await asUser(database, owner, "select app_public.expire_campaign($1)", [id]);
    const timers = await timersOf(id);
    expect(timers.map((timer) => timer.status)).toEqual(["CANCELLED", "CANCELLED"]);
    expect(await jobsOf(timers.map((timer) => timer.id))).toEqual([]);
  });

  test("closing arranges the expiry, and opening reward claims a reminder halfway", async () => {
    const id = await newCampaign();
    await asUser(database, owner, "select app_public.schedule_campaign($1, now(), 1, rewards_enabled => true, reward_claim_hours => 10)", [
      id,
    ]);
    await asUser(database, owner, "select app_public.start_campaign($1)", [id]);
    await asUser(database, owner, "select app_public.close_campaign($1)", [id]);
    await asUser(database, owner, "select app_public.open_reward_claim($1)", [id]);
    const [row] = await database.query<{ active: Record<string, number> }>(
      `select jsonb_object_agg(timer_type, round(extract(epoch from scheduled_at - now()) / 3600)) as active
       from app_public.campaign_timers where campaign_id = $1 and status = 'PENDING'`,
      [id],
    );
    expect(row!.active).toEqual({ EXPIRE_CAMPAIGN: 10, REWARD_REMINDER: 5 });
  });
});

describe("bad input", () => {
  const schedule = (id: string, args: string) => asUser(database, owner, `select app_public.schedule_campaign($1, ${args})`, [id]);

  test.each([
    ["now() + interval '1 hour', 0", "duration_hours must be between 1 minute and 1 year (got 0 hours)"],
    ["now() + interval '1 hour', -3", "duration_hours must be between 1 minute and 1 year (got -3 hours)"],
    ["null, 2", "start_time is required"],
    ["now() + interval '1 hour', 2, reward_claim_hours => 0", "reward_claim_hours must be between 1 minute and 1 year (got 0 hours)"],
    // Out of range: too large to compute with, shorter than a minute, longer than a year, too far ahead.
    ["now() + interval '1 hour', 1e12", "duration_hours must be between 1 minute and 1 year (got 1000000000000 hours)"],
    ["now() + interval '1 hour', 0.0000001", "duration_hours must be between 1 minute and 1 year (got 0.0000001 hours)"],
    ["now() + interval '1 hour', 8767", "duration_hours must be between 1 minute and 1 year (got 8767 hours)"],
    [
      "now() + interval '1 hour', 2, reward_claim_hours => 1e12",
      "reward_claim_hours must be between 1 minute and 1 year (got 1000000000000 hours)",
    ],
    ["now() + interval '1 hour', 2, reward_claim_hours => 8767", "reward_claim_hours must be between 1 minute and 1 year (got 8767 hours)"],
    ["'294276-01-01T00:00:00Z', 2", "start_time must be at most 5 years ahead (got 294276-01-01 00:00:00+00)"],
    ["'infinity', 2", "start_time must be at most 5 years ahead (got infinity)"],
  ])("schedule_campaign(%s) is refused: %s", async (args, message) => {
    const id = await newCampaign();
    await expect(schedule(id, args)).rejects.toMatchObject({ code: "CE005", message });
    expect(await timersOf(id)).toEqual([]);
    const [campaign] = await database.query(
      "select start_time, duration_hours, reward_claim_hours from app_public.campaigns where id = $1",
      [id],
    );
    expect(campaign).toEqual({ start_time: null, duration_hours: null, reward_claim_hours: "72" });
  });

  test("the bounds are run-time settings: a minute to a year by default, as app_private.settings says otherwise", async () => {
    const id = await newCampaign();
    await expect(schedule(id, "now() + interval '1 hour', 8766, reward_claim_hours => 0.0167")).resolves.toHaveLength(1);
    await database.query(
      `select app_private.set_setting('campaign_duration_max', '"2 days"'), app_private.set_setting('campaign_start_max_ahead', '"1 day"')`,
    );
    try {
      await expect(schedule(id, "now() + interval '1 hour', 49")).rejects.toMatchObject({
        code: "CE005",
        message: "duration_hours must be between 1 minute and 2 days (got 49 hours)",
        hint: "In hours: from 0.0167 to 48.",
      });
      await expect(schedule(id, "now() + interval '25 hours', 2")).rejects.toMatchObject({
        code: "CE005",
        message: expect.stringMatching(/^start_time must be at most 1 day ahead/),
      });
      const [campaign] = await database.query("select duration_hours from app_public.campaigns where id = $1", [id]);
      expect(campaign).toEqual({ duration_hours: "8766" });
    } finally {
      await database.query("delete from app_private.settings where name in ('campaign_duration_max', 'campaign_start_max_ahead')");
    }
  });

  test("the table caps durations at ten years, so psql cannot wedge a campaign either", async () => {
    const id = await newCampaign();
    await expect(database.query("update app_public.campaigns set reward_claim_hours = 1e12 where id = $1", [id])).rejects.toMatchObject({
      code: "23514",
      constraint: "campaigns_reward_claim_hours_at_most_ten_years",
    });
    await database.query("select app_private.transition_campaign($1, 'RUNNING', 'test', '{}')", [id]);
    expect(await statusOf(id)).toBe("RUNNING");
  });

  test("only a CREATED campaign can be scheduled (CE004)", async () => {
    const id = await campaignIn("RUNNING");
    await expect(schedule(id, "now() + interval '1 hour', 2")).rejects.toMatchObject({
      code: "CE004",
      message: `campaign ${id} is RUNNING; only a CREATED campaign can be scheduled`,
    });
  });

  test("a start more than a minute in the past is refused (CE010), leaving no half-scheduled campaign", async () => {
    const id = await newCampaign();
    await expect(schedule(id, "now() - interval '2 minutes', 2")).rejects.toMatchObject({
      code: "CE010",
      message: expect.stringMatching(/^start_time .+ is more than a minute in the past$/),
    });
    const [campaign] = await database.query("select start_time, duration_hours from app_public.campaigns where id = $1", [id]);
    expect(campaign).toEqual({ start_time: null, duration_hours: null });
  });

  test.each([
    ["end before start", "end_time = start_time - interval '1 hour'", "campaigns_end_after_start"],
    ["end not start + duration", "end_time = start_time + interval '3 hours', duration_hours = 2", "campaigns_end_is_start_plus_duration"],
    ["non-positive duration", "duration_hours = 0", "campaigns_duration_positive"],
  ])("the table itself refuses %s", async (_what, assignments, constraint) => {
    const id = await newCampaign();
    await database.query(
      "update app_public.campaigns set start_time = now(), end_time = now() + interval '1 hour', duration_hours = 1 where id = $1",
      [id],
    );
    await expect(database.query(`update app_public.campaigns set ${assignments} where id = $1`, [id])).rejects.toMatchObject({
      code: "23514",
      constraint,
    });
  });

  test("timers: in the past (CE010), for an expired campaign (CE011), of an unknown type, or a second active one of a type", async () => {
    const id = await newCampaign();
    const insert = (type: string, at: string) =>
      database.query(`insert into app_public.campaign_timers (campaign_id, timer_type, scheduled_at) values ($1, $2, ${at})`, [id, type]);
    await expect(insert("START_CAMPAIGN", "now() - interval '61 seconds'")).rejects.toMatchObject({
      code: "CE010",
      message: expect.stringMatching(/^timer START_CAMPAIGN is scheduled at .+, more than a minute in the past$/),
    });
    await expect(insert("LAUNCH_ROCKET", "now()")).rejects.toMatchObject({
      code: "22P02",
      message: 'invalid input value for enum app_public.timer_type: "LAUNCH_ROCKET"',
    });
    await insert("START_CAMPAIGN", "now() + interval '1 hour'");
    await expect(insert("START_CAMPAIGN", "now() + interval '2 hours'")).rejects.toMatchObject({
      code: "23505",
      constraint: "campaign_timers_one_active_per_type",
    });
    await database.query("select app_private.transition_campaign($1, 'EXPIRED', 'test', '{}')", [id]);
    await expect(insert("REWARD_REMINDER", "now() + interval '1 hour'")).rejects.toMatchObject({
      code: "CE011",
      message: `campaign ${id} is expired; it takes no new timers`,
    });
  });
});
