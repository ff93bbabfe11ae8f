// An operator in psql, connected as the database owner (no role switched, no jwt claims), runs
// every app_public function an admin can, as the README shows. A session that claims someone
// (the API, and the server's own connections asking for a user) is judged as that someone.
import pg from "pg";
import { beforeAll, describe, expect, test } from "vitest";
import { useTestDatabase } from "./support/database.ts";

const database = useTestDatabase("operator_session");

let owner: string, marketer: string, target: string, band: string;

const one = async (text: string, values: unknown[] = []) => (await database.query<Record<string, any>>(text, values))[0]!;
const statusOf = async (id: string) => (await one("select status from app_public.campaigns where id = $1", [id])).status as string;

async function campaignIn(
  status: "CREATED" | "RUNNING" | "CLOSED",
  { bid = false, launched = false, rewards = false } = {},
): Promise<string> {
  const { id } = await one(
    `insert into app_public.campaigns (user_id, marketer_id, name, target_id, rewards_enabled, launched_at)
     values ($1, $2, 'A campaign', $3, $4, case when $5 then now() end) returning id`,
    [owner, marketer, target, rewards, launched],
  );
  if (bid)
    await database.query("insert into app_public.bids (campaign_id, band_id, offer_amount, marketer_cost) values ($1, $2, 2, 1)", [
      id,
      band,
    ]);
  for (const step of { CREATED: [], RUNNING: ["RUNNING"], CLOSED: ["RUNNING", "CLOSED"] }[status]) {
    await database.query("select app_private.transition_campaign($1, $2, 'test', '{}')", [id, step]);
  }
  return id;
}

async function scheduledTimer(type: string): Promise<string> {
  const id = await campaignIn("CREATED");
  await database.query("select app_public.schedule_campaign($1, now() + interval '1 hour', 2)", [id]);
  return (await one("select id from app_public.campaign_timers where campaign_id = $1 and timer_type = $2", [id, type])).id;
}

/** What an operator runs, and what must then be true. */
const ADMIN_FUNCTIONS: Record<string, () => Promise<void>> = {
  schedule_campaign: async () => {
    const id = await campaignIn("CREATED");
    await database.query("select app_public.schedule_campaign($1, now() + interval '1 hour', 48, rewards_enabled => true)", [id]);
    expect(await one("select duration_hours, rewards_enabled from app_public.campaigns where id = $1", [id])).toEqual({
      duration_hours: "48",
      rewards_enabled: true,
    });
  },
  start_campaign: async () => {
    const id = await campaignIn("CREATED");
    await database.query("select app_public.start_campaign($1)", [id]);
    expect(await statusOf(id)).toBe("RUNNING");
  },
  close_campaign: async () => {
    const id = await campaignIn("RUNNING");
    await database.query("select app_public.close_campaign($1)", [id]);
    expect(await statusOf(id)).toBe("CLOSED");
  },
  open_reward_claim: async () => {
    const id = await campaignIn("CLOSED", { rewards: true });
    await database.query("select app_public.open_reward_claim($1)", [id]);
    expect(await statusOf(id)).toBe("REWARD_CLAIM");
  },
  expire_campaign: async () => {
    const id = await campaignIn("CREATED");
    await database.query("select app_public.expire_campaign($1)", [id]);
    expect(await statusOf(id)).toBe("EXPIRED");
  },
  execute_timer_now: async () => {
    const timer = await scheduledTimer("START_CAMPAIGN");
    // Due now: the database's now(), in the same transaction, not this process's clock.
    const { scheduled_at, now } = await one("select scheduled_at, now() from app_public.execute_timer_now($1)", [timer]);
    expect(scheduled_at).toEqual(now);
  },
  cancel_timer: async () => {
    const timer = await scheduledTimer("CLOSE_CAMPAIGN");
    expect(await one("select status from app_public.cancel_timer($1)", [timer])).toEqual({ status: "CANCELLED" });
  },
  recover_timers: async () => {
    expect(await one("select app_public.recover_timers() as result")).toEqual({ result: { abandoned: 0, stranded: 0 } });
  },
  pending_timers: async () => {
    const timer = await scheduledTimer("START_CAMPAIGN");
    expect((await database.query("select id from app_public.pending_timers()")).map((row) => row.id)).toContain(timer);
  },
  overdue_timers: async () => {
    expect(await database.query("select id from app_public.overdue_timers()")).toEqual([]);
  },
  launch_campaign: async () => {
    const id = await campaignIn("CREATED", { bid: true });
    expect(await one("select status, launched_at is not null as launched from app_public.launch_campaign($1)", [id])).toEqual({
      status: "RUNNING",
      launched: true,
    });
  },
  refresh_offers: async () => {
    const id = await campaignIn("RUNNING", { bid: true, launched: true });
    await database.query("select app_public.refresh_offers($1)", [id]);
    // It re-populates the target; the population's job carries the campaign, whose offers its end enqueues.
    expect(
      await database.query("select key from graphile_worker._private_jobs where key = $1 and payload::jsonb @> $2::jsonb", [
        `populate_target:${target}`,
        JSON.stringify([{ target_id: target, campaign_id: id }]),
      ]),
    ).toHaveLength(1);
  },
  pool_status: async () => {
    expect(await one("select app_public.pool_status() -> 'enabled' as enabled")).toEqual({ enabled: true });
  },
  replenish_pools: async () => {
    expect(await one("select app_public.replenish_pools() -> 'master' -> 'target' as target")).toEqual({ target: 3 });
  },
  set_pool_target: async () => {
    await database.query("select app_public.set_pool_target(4)");
    expect(await one("select app_private.pool_target_size() as size")).toEqual({ size: 4 });
  },
  set_pool_target_mode: async () => {
    await database.query("select app_public.set_pool_target_mode('fixed')");
    expect(await one("select app_private.pool_target_mode() as mode")).toEqual({ mode: "fixed" });
  },
  set_pools_enabled: async () => {
    await database.query("select app_public.set_pools_enabled(true)");
    expect(await one("select app_private.pools_enabled() as enabled")).toEqual({ enabled: true });
  },
  master_template_changed: async () => {
    expect(await one("select app_public.master_template_changed() as changed")).toEqual({ changed: false });
  },
  publish_template: async () => {
    await database.query(
      `update app_public.weapons set damage = damage + 1
        where id = (select w.id from app_public.weapons w join app_public.campaigns c on c.id = w.campaign_id where c.is_master_template limit 1)`,
    );
    expect(await one("select version, published_by from app_public.publish_template('from psql')")).toEqual({
      version: 2,
      published_by: null,
    });
  },
  admin_dashboard: async () => {
    expect(Object.keys((await one("select app_public.admin_dashboard() as dashboard")).dashboard)).toContain("pool");
  },
  campaign_stats: async () => {
    const id = await campaignIn("CREATED", { bid: true });
    expect(await one("select app_public.campaign_stats($1) -> 'bands' -> 0 -> 'offer_amount' as amount", [id])).toEqual({ amount: 2 });
  },
  campaigns_stats: async () => {
    const [first, second] = [await campaignIn("CREATED", { bid: true }), await campaignIn("CREATED")];
    const rows = await database.query<{ campaign_id: string; bands: number }>(
      "select campaign_id, jsonb_array_length(stats -> 'bands') as bands from app_public.campaigns_stats($1) order by campaign_id",
      [[first, second]],
    );
    expect(rows.map((row) => row.campaign_id).sort()).toEqual([first, second].sort());
  },
  import_participants: async () => {
    expect(
      await one("select app_public.import_participants(array[row('ext-1', '{gamer}', null)]::app_public.participant_row[]) as result"),
    ).toEqual({ result: { rows: 1, inserted: 1, updated: 0, unchanged: 0 } });
  },
  rename_marketer: async () => {
    const { id } = await one("insert into app_public.marketers (name) values ('Renamed in psql') returning id");
    expect(await one("select name from app_public.rename_marketer($1, 'Renamed by an operator')", [id])).toEqual({
      name: "Renamed by an operator",
    });
  },
  add_marketer_member: async () => {
    expect(await one("select role from app_public.add_marketer_member($1, 'joiner@example.com', 'owner')", [marketer])).toEqual({
      role: "owner",
    });
  },
  remove_marketer_member: async () => {
    const { user_id } = await one("select user_id from app_public.add_marketer_member($1, 'leaver@example.com')", [marketer]);
    expect(await one("select user_id from app_public.remove_marketer_member($1, $2)", [marketer, user_id])).toEqual({ user_id });
  },
  campaign_events: async () => {
    const id = await campaignIn("CREATED");
    await database.query("update app_public.campaigns set name = 'Renamed in psql' where id = $1", [id]);
    expect(await one("select (app_public.campaign_events($1))[1].event as event", [id])).toEqual({ event: "campaign_updated" });
  },
  marketer_campaign_events: async () => {
    const id = await campaignIn("CREATED");
    await database.query("update app_public.campaigns set name = 'Renamed for the marketer' where id = $1", [id]);
    const events = (await one("select to_jsonb(app_public.marketer_campaign_events($1)) as events", [marketer])).events;
    expect(events.map((event: { campaign_id: string }) => event.campaign_id)).toContain(id);
  },
  event_replay_allowed: async () => {
    expect(await one("select app_public.event_replay_allowed(true, 0, 1000) as allowed")).toEqual({ allowed: true });
    await expect(database.query("select app_public.event_replay_allowed(true, 1000000000000, 1000)")).rejects.toMatchObject({
      code: "CE401",
    });
  },
  campaign_event_payload: async () => {
    const id = await campaignIn("CREATED");
    await database.query("update app_public.campaigns set name = 'Payload' where id = $1", [id]);
    const { payload } = await one(
      "select app_public.campaign_event_payload(e)::jsonb as payload from app_public.campaign_event_log e where campaign_id = $1",
      [id],
    );
    expect(payload).toMatchObject({ event: "campaign_updated", campaign_id: id, cursor: expect.any(Number) });
  },
  marketer_members_email: async () => {
    await database.query("select app_public.add_marketer_member($1, 'teammate@example.com')", [marketer]);
    expect(
      await database.query(
        `select app_public.marketer_members_email(m) as email from app_public.marketer_members m
          join app_public.users u on u.id = m.user_id where m.marketer_id = $1 and u.email = 'teammate@example.com'`,
        [marketer],
      ),
    ).toEqual([{ email: "teammate@example.com" }]);
  },
  marketer_campaigns: async () => {
    const id = await campaignIn("CREATED");
    expect(
      (await one("select app_public.marketer_campaigns($1) as campaigns", [marketer])).campaigns.map(
        (campaign: { id: string }) => campaign.id,
      ),
    ).toContain(id);
  },
};
// These act for the signed-in user, whoever asks: an operator says which user (jwt.claims.user_id).
const FOR_A_USER = ["create_campaign", "claim_offer", "create_marketer", "leave_marketer", "set_marketer_campaign_emails"];
// These say who is asking.
const ABOUT_THE_CALLER = ["current_user", "current_user_id", "current_user_is_admin"];
// These say what a content row shows as its times (sql/112_content_shown_times.sql): whoever sees the row may ask.
const aboutAContentRow = async () => [
  "content_shown_time",
  "campaign_activated_at",
  ...(
    await database.query<{ name: string }>(
      "select content.name || suffix as name from unnest(app_private.content_tables()) as content(name), unnest(array['_created_at', '_updated_at']) as suffix",
    )
  ).map((row) => row.name),
];

beforeAll(async () => {
  owner = (await one("insert into app_public.users (email) values ('owner@example.com') returning id")).id;
  marketer = (await one("insert into app_public.marketers (name) values ('Acme') returning id")).id;
  target = (await one("insert into app_public.targets (marketer_id, name) values ($1, 'Gamers') returning id", [marketer])).id;
  band = (
    await one(
      "insert into app_public.target_bands (target_id, position, name, required_tags) values ($1, 0, 'Bullseye', '{gamer}') returning id",
      [target],
    )
  ).id;
});

describe("an operator's session (psql as the owner)", () => {
  test("every app_public function is listed here: an admin's, one that acts for a user, or one about the caller", async () => {
    const functions = (
      await database.query<{ name: string }>(
        `select distinct p.proname as name from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = 'app_public' and p.prorettype <> 'trigger'::regtype order by 1`,
      )
    ).map((row) => row.name);
    const aboutARow = await aboutAContentRow();
    expect(
      functions.filter(
        (name) => !(name in ADMIN_FUNCTIONS) && !FOR_A_USER.includes(name) && !ABOUT_THE_CALLER.includes(name) && !aboutARow.includes(name),
      ),
    ).toEqual([]);
  });

  test("reads what a content row shows as its times: the master template's rows, never activated, show their own", async () => {
    const row = await one(
      `select app_public.schticks_created_at(s) = s.created_at and app_public.schticks_updated_at(s) = s.updated_at as own
         from app_public.schticks s join app_public.campaigns c on c.id = s.campaign_id where c.is_master_template limit 1`,
    );
    expect(row.own).toBe(true);
  });

  test.each(Object.keys(ADMIN_FUNCTIONS))("runs app_public.%s as an admin would", async (name) => {
    await ADMIN_FUNCTIONS[name]!();
  });

  test("creates a campaign for the user it names, and without one is told how", async () => {
    await expect(database.query("select app_public.create_campaign('Mine')")).rejects.toMatchObject({
      code: "CE201",
      hint: expect.stringMatching(/in psql, set jwt\.claims\.user_id/),
    });
    const client = new pg.Client({ connectionString: database.ownerUrl });
    await client.connect();
    try {
      await client.query("select set_config('jwt.claims.user_id', $1, false)", [owner]);
      const {
        rows: [created],
      } = await client.query("select user_id, name from app_public.create_campaign('For the owner')");
      expect(created).toEqual({ user_id: owner, name: "For the owner" });
    } finally {
      await client.end();
    }
  });
});

describe("a session that claims someone is not an operator's", () => {
  // Each in one transaction on the owner's connection, as the server asks the rules for a user.
  const asClaimed = async (claims: [string, string], text: string, values: unknown[] = []) => {
    const client = new pg.Client({ connectionString: database.ownerUrl });
    await client.connect();
    try {
      await client.query("begin");
      await client.query("select set_config('jwt.claims.user_id', $1, true), set_config('jwt.claims.is_admin', $2, true)", claims);
      return (await client.query(text, values)).rows;
    } finally {
      await client.query("rollback").catch(() => {});
      await client.end();
    }
  };

  test("an anonymous caller's claims (no user, not an admin) are refused the admin functions", async () => {
    await expect(asClaimed(["", "false"], "select app_public.pool_status()")).rejects.toMatchObject({ code: "42501" });
    await expect(asClaimed(["", "false"], "select app_private.current_user_may_see_marketer($1) as allowed", [marketer])).resolves.toEqual([
      { allowed: false },
    ]);
  });

  test("a user's claims are refused another's campaign, and the campaign stays as it was", async () => {
    const stranger = (await one("insert into app_public.users (email) values ('stranger@example.com') returning id")).id;
    const id = await campaignIn("CREATED");
    await expect(asClaimed([stranger, "false"], "select app_public.start_campaign($1)", [id])).rejects.toMatchObject({ code: "CE003" });
    expect(await statusOf(id)).toBe("CREATED");
  });

  test("a session that switched to the visitor role is refused, even as the owner's login", async () => {
    await expect(database.query("set role campaign_engine_visitor; select app_public.pool_status()")).rejects.toMatchObject({
      code: "42501",
    });
  });
});
