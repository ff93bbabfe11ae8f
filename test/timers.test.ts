// Timers end to end: scheduled through GraphQL, fired by the app's own worker (with its timer
// alarm), recorded in the state log and timer_executions, retried and alerted on failure.
import { beforeAll, describe, expect, test } from "vitest";
import { graphql, tokenFor, useTestApp } from "./support/app.ts";
import { useTestDatabase } from "./support/database.ts";
import { subscribe } from "./support/subscribe.ts";
import { waitFor } from "./support/wait.ts";

const database = useTestDatabase("timers");
const server = useTestApp(database);

let ownerToken: string, strangerToken: string, adminToken: string;

beforeAll(async () => {
  [ownerToken, strangerToken, adminToken] = await Promise.all([
    tokenFor(database, "owner@example.com"),
    tokenFor(database, "stranger@example.com"),
    tokenFor(database, "admin@example.com", { admin: true }),
  ]);
  // Retries 50 ms, 100 ms, 200 ms, ... apart instead of 2 s, 4 s, 8 s, ...
  await database.query(`select app_private.set_setting('timer_retry_base_seconds', '0.05')`);
  // Campaigns and claim windows of seconds, so a whole lifecycle fits in a test.
  await database.query(
    `select app_private.set_setting(name, '"1 second"') from unnest(array['campaign_duration_min', 'reward_claim_min']) as name`,
  );
});

async function newCampaign(name: string): Promise<string> {
  const [row] = await database.query<{ id: string }>(
    "insert into app_public.campaigns (user_id, name) select id, $1 from app_public.users where email = 'owner@example.com' returning id",
    [name],
  );
  return row!.id;
}

const SCHEDULE = `mutation ($id: UUID!, $start: Datetime!, $hours: BigFloat!, $rewards: Boolean, $claimHours: BigFloat) {
  scheduleCampaign(input: { campaignId: $id, startTime: $start, durationHours: $hours, rewardsEnabled: $rewards, rewardClaimHours: $claimHours }) {
    result { status startTime endTime }
  }
}`;
const LIFECYCLE = `query ($id: UUID!) {
  campaignByRowId(rowId: $id) {
    status
    campaignStateLogsByCampaignId(orderBy: [CAMPAIGN_ID_ASC, CREATED_AT_ASC]) { nodes { fromState toState triggerEvent } }
    campaignTimersByCampaignId { nodes { rowId timerType status retryCount
      timerExecutionsByTimerId { nodes { status result errorMessage } } } }
  }
}`;
const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();

const statusOf = async (id: string) =>
  (await database.query<{ status: string }>("select status from app_public.campaigns where id = $1", [id]))[0]!.status;
const timer = async (campaignId: string, type: string) =>
  (
    await database.query<{ id: string; status: string; retry_count: number; last_error: string | null }>(
      "select id, status, retry_count, last_error from app_public.campaign_timers where campaign_id = $1 and timer_type = $2 order by created_at desc limit 1",
      [campaignId, type],
    )
  )[0]!;

describe("timers fired by the worker", () => {
  test("a scheduled campaign runs its whole lifecycle on its timers, each fired once, announced live", async () => {
    const id = await newCampaign("Scheduled");
    const events = subscribe<{ campaignEvents: { event: string } }>(
      server.url,
      `subscription ($id: UUID!) { campaignEvents(campaignId: $id) { event } }`,
      { id },
      ownerToken,
    );
    // Live once a committed change comes through.
    await waitFor(
      async () => {
        await database.query("update app_public.campaigns set description = description || '.' where id = $1", [id]);
        return events.events.length;
      },
      (count) => count > 0,
    );
    const warmUp = events.events.length;
    // Starts in 0.3 s, runs 1.8 s, then 3.6 s of reward claims with a reminder halfway, then expires.
    const scheduled = await graphql(server.url, SCHEDULE, {
      token: ownerToken,
      variables: { id, start: inSeconds(0.3), hours: "0.0005", rewards: true, claimHours: "0.001" },
    });
    expect(scheduled.errors).toBeUndefined();
    expect(scheduled.data.scheduleCampaign.result.status).toBe("CREATED");

    await waitFor(
      () => statusOf(id),
      (status) => status === "EXPIRED",
      20_000,
    );
    const { data } = await graphql(server.url, LIFECYCLE, { token: ownerToken, variables: { id } });
    const campaign = data.campaignByRowId;
    expect(campaign.campaignStateLogsByCampaignId.nodes).toEqual([
      { fromState: "CREATED", toState: "RUNNING", triggerEvent: "timer:START_CAMPAIGN" },
      { fromState: "RUNNING", toState: "CLOSED", triggerEvent: "timer:CLOSE_CAMPAIGN" },
      { fromState: "CLOSED", toState: "REWARD_CLAIM", triggerEvent: "timer:CLOSE_CAMPAIGN" },
      { fromState: "REWARD_CLAIM", toState: "EXPIRED", triggerEvent: "timer:EXPIRE_CAMPAIGN" },
    ]);
    const timers = campaign.campaignTimersByCampaignId.nodes;
    expect(timers.map((t: { timerType: string }) => t.timerType).sort()).toEqual([
      "CLOSE_CAMPAIGN",
      "EXPIRE_CAMPAIGN",
      "REWARD_REMINDER",
      "START_CAMPAIGN",
    ]);
    for (const fired of timers) {
      expect(fired.status).toBe("COMPLETED");
      expect(fired.timerExecutionsByTimerId.nodes.map((e: { status: string }) => e.status)).toEqual(["COMPLETED"]);
    }
    const reminder = timers.find((t: { timerType: string }) => t.timerType === "REWARD_REMINDER");
    expect(reminder.timerExecutionsByTimerId.nodes[0].result).toEqual({ reminded: true });

    // Every change announced: the reminder, and campaign_updated for each transition.
    await waitFor(
      async () => events.events.map((event) => event.campaignEvents.event),
      (seen) => seen.includes("reward_reminder"),
    );
    const updates = events.events.slice(warmUp).filter((event) => event.campaignEvents.event === "campaign_updated");
    expect(updates.length).toBeGreaterThanOrEqual(4);
    expect(events.errors).toEqual([]);
    await events.stop();
  });

  test("a rescheduled timer fires once, at its new time", async () => {
    const id = await newCampaign("Rescheduled");
    await graphql(server.url, SCHEDULE, { token: ownerToken, variables: { id, start: inSeconds(3600), hours: "24" } });
    await graphql(server.url, SCHEDULE, { token: ownerToken, variables: { id, start: inSeconds(1800), hours: "24" } });
    await graphql(server.url, SCHEDULE, { token: ownerToken, variables: { id, start: inSeconds(0.2), hours: "24" } });
    await waitFor(
      async () => (await timer(id, "START_CAMPAIGN")).status,
      (status) => status === "COMPLETED",
    );
    const start = await timer(id, "START_CAMPAIGN");
    expect(await database.query("select status from app_public.timer_executions where timer_id = $1", [start.id])).toEqual([
      { status: "COMPLETED" },
    ]);
    expect(await database.query("select to_state from app_public.campaign_state_log where campaign_id = $1", [id])).toEqual([
      { to_state: "RUNNING" },
    ]);
    expect(await database.query("select id from graphile_worker.jobs where key = $1", [start.id])).toEqual([]);
  });

  test("a failing timer retries 5 times with backoff, then is FAILED with an alert; fixed and re-run, it completes and the alert resolves", async () => {
    const id = await newCampaign("Doomed");
    // A fault in the campaign's own rules, for this campaign only.
    await database.query(`
      create function test_launch_failure() returns trigger language plpgsql as $$
      begin raise exception 'the launch system is down'; end $$;
      create trigger _300_test_failure before update of status on app_public.campaigns
        for each row when (NEW.name = 'Doomed') execute function test_launch_failure();
    `);
    await graphql(server.url, SCHEDULE, { token: ownerToken, variables: { id, start: inSeconds(0.1), hours: "24" } });
    const failed = await waitFor(
      () => timer(id, "START_CAMPAIGN"),
      (t) => t.status === "FAILED",
      20_000,
    );
    expect(failed).toMatchObject({ retry_count: 5, last_error: "the launch system is down" });
    const attempts = await database.query<{ status: string; started_at: Date }>(
      "select status, started_at from app_public.timer_executions where timer_id = $1 order by started_at",
      [failed.id],
    );
    expect(attempts.map((attempt) => attempt.status)).toEqual(Array(6).fill("FAILED"));
    // Backoff: each wait at least as long as the one before (50 ms doubling).
    const gaps = attempts.slice(1).map((attempt, i) => attempt.started_at.getTime() - attempts[i]!.started_at.getTime());
    expect(gaps[4]!).toBeGreaterThanOrEqual(800);
    expect(await statusOf(id)).toBe("CREATED");

    const timerAlerts = async (token: string) => {
      const { data } = await graphql(server.url, `{ allAlerts { nodes { kind severity message resolvedAt } } }`, { token });
      return data.allAlerts.nodes.filter((alert: { kind: string }) => alert.kind === "timer_failed");
    };
    expect(await timerAlerts(adminToken)).toEqual([
      expect.objectContaining({ severity: "CRITICAL", resolvedAt: null, message: expect.stringContaining("the launch system is down") }),
    ]);
    expect(await timerAlerts(ownerToken)).toEqual([]);

    await database.query("drop trigger _300_test_failure on app_public.campaigns");
    const rerun = await graphql(
      server.url,
      `mutation ($id: UUID!) { executeTimerNow(input: { timerId: $id }) { result { status retryCount } } }`,
      {
        token: ownerToken,
        variables: { id: failed.id },
      },
    );
    expect(rerun.data.executeTimerNow.result).toEqual({ status: "PENDING", retryCount: 0 });
    await waitFor(
      () => statusOf(id),
      (status) => status === "RUNNING",
    );

    const recovered = await graphql(server.url, `mutation { recoverTimers(input: {}) { result } }`, { token: adminToken });
    expect(recovered.errors).toBeUndefined();
    expect((await timerAlerts(adminToken))[0].resolvedAt).not.toBeNull();
  });
});

describe("timers through the API", () => {
  test("the owner cancels a pending timer (its job goes); a stranger cannot; a completed one cannot be cancelled", async () => {
    const id = await newCampaign("Cancelled");
    await graphql(server.url, SCHEDULE, { token: ownerToken, variables: { id, start: inSeconds(3600), hours: "1" } });
    const start = await timer(id, "START_CAMPAIGN");
    const CANCEL = `mutation ($id: UUID!) { cancelTimer(input: { timerId: $id }) { result { status } } }`;

    const refused = await graphql(server.url, CANCEL, { token: strangerToken, variables: { id: start.id } });
    expect(refused.errors?.[0]).toMatchObject({
      message: `timer ${start.id} does not exist or is not yours to change`,
      extensions: { code: "CE012" },
    });

    const cancelled = await graphql(server.url, CANCEL, { token: ownerToken, variables: { id: start.id } });
    expect(cancelled.data.cancelTimer.result).toEqual({ status: "CANCELLED" });
    expect(await database.query("select id from graphile_worker.jobs where key = $1", [start.id])).toEqual([]);

    const again = await graphql(server.url, CANCEL, { token: ownerToken, variables: { id: start.id } });
    expect(again.errors?.[0]).toMatchObject({
      message: `timer ${start.id} is CANCELLED; only a PENDING or FAILED timer can be cancelled`,
      extensions: { code: "CE013" },
    });
  });

  test("admins list pending and overdue timers and run the recovery sweep; others are refused", async () => {
    const id = await newCampaign("Listed");
    await graphql(server.url, SCHEDULE, { token: ownerToken, variables: { id, start: inSeconds(7200), hours: "1" } });
    const LISTS = `{ pendingTimers { nodes { campaignId timerType } } overdueTimers { nodes { rowId } } }`;
    const asAdmin = await graphql(server.url, LISTS, { token: adminToken });
    expect(asAdmin.data.pendingTimers.nodes).toEqual(
      expect.arrayContaining([
        { campaignId: id, timerType: "START_CAMPAIGN" },
        { campaignId: id, timerType: "CLOSE_CAMPAIGN" },
      ]),
    );
    expect(asAdmin.data.overdueTimers.nodes).toEqual([]);

    const asOwner = await graphql(server.url, LISTS, { token: ownerToken });
    expect(asOwner.errors?.[0]).toMatchObject({ message: "only admins may do this" });
    const sweep = await graphql(server.url, `mutation { recoverTimers(input: {}) { result } }`, { token: ownerToken });
    expect(sweep.errors?.[0]).toMatchObject({ message: "only admins may do this" });
  });

  test("startCampaign and expireCampaign through GraphQL; a forbidden move names both states", async () => {
    const id = await newCampaign("By hand");
    const move = (mutation: string, token = ownerToken) =>
      graphql(server.url, `mutation ($id: UUID!) { ${mutation}(input: { campaignId: $id }) { result { status } } }`, {
        token,
        variables: { id },
      });
    expect((await move("startCampaign")).data.startCampaign.result.status).toBe("RUNNING");
    const refused = await move("openRewardClaim");
    expect(refused.errors?.[0]).toMatchObject({
      message: `campaign ${id} cannot go from RUNNING to REWARD_CLAIM`,
      extensions: { code: "CE001" },
    });
    expect((await move("expireCampaign", strangerToken)).errors?.[0]).toMatchObject({ extensions: { code: "CE003" } });
    expect((await move("expireCampaign")).data.expireCampaign.result.status).toBe("EXPIRED");
  });
});
