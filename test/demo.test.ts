// `npm run demo` (the real CLI on the test's database, with fewer participants than its 100,000):
// what it creates, the tokens it prints, that a failure part-way leaves nothing, and that a
// second run says the demo is there and changes nothing.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { verifyToken } from "../src/auth/jwt.ts";
import { TEST_JWT_SECRET } from "./support/app.ts";
import { useTestDatabase } from "./support/database.ts";
import { startEntry } from "./support/process.ts";

const database = useTestDatabase("demo");
const PARTICIPANTS = 3000;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "campaign-engine-demo-test-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function runDemo(): Promise<{ code: number | null; output: string }> {
  const run = startEntry(
    "cli.ts",
    {
      DATABASE_URL: database.ownerUrl,
      DATA_DIR: path.join(dir, "data"),
      AUTHENTICATOR_PASSWORD: inject("authenticatorPassword"),
      JWT_SECRET: TEST_JWT_SECRET,
      PORT: "3000",
    },
    ["demo", "--participants", String(PARTICIPANTS)],
  );
  const code = await run.exit;
  return { code, output: run.output() };
}

/** Every row the demo writes or could touch, with its update time: equal means nothing changed. */
async function everything(): Promise<unknown> {
  const [row] = await database.query<{ snapshot: unknown }>(`
    select jsonb_build_object(
      'users', (select jsonb_agg(u order by u.email) from app_public.users u),
      'marketers', (select jsonb_agg(m order by m.name) from app_public.marketers m),
      'members', (select jsonb_agg(m order by m.marketer_id, m.user_id) from app_public.marketer_members m),
      'participants', (select jsonb_build_object('count', count(*), 'updated', max(updated_at), 'tags', md5(string_agg(external_id || array_to_string(tags, ';'), ',' order by external_id)))
                         from app_public.participants),
      'targets', (select jsonb_agg(t order by t.id) from app_public.targets t),
      'bands', (select jsonb_agg(b order by b.id) from app_public.target_bands b),
      'campaigns', (select jsonb_agg(jsonb_build_object('id', c.id, 'name', c.name, 'status', c.status, 'updated_at', c.updated_at,
                                                        'user_id', c.user_id, 'is_pool', c.is_pool) order by c.id) from app_public.campaigns c),
      'bids', (select jsonb_agg(b order by b.campaign_id, b.band_id) from app_public.bids b),
      'timers', (select jsonb_agg(t order by t.id) from app_public.campaign_timers t),
      'state_log', (select count(*) from app_public.campaign_state_log),
      'assignments', (select count(*) from app_public.pool_assignments),
      'jobs', (select count(*) from graphile_worker.jobs)
    ) as snapshot`);
  return row!.snapshot;
}

test("a failure part-way (the gamemaster over the hourly creation limit) leaves nothing behind", async () => {
  const before = await everything();
  await database.query("select app_private.set_setting('campaign_rate_limit', '1'::jsonb)");
  try {
    const { code, output } = await runDemo();
    expect(output).toMatch(/^error: no demo was made \(nothing of it is left\): you may create at most 1 campaigns an hour/m);
    expect(code).toBe(1);
  } finally {
    await database.query("select app_private.set_setting('campaign_rate_limit', '20'::jsonb)");
  }
  expect(await everything()).toEqual(before);
}, 60_000);

test("the demo: a marketer of two, the audience, a target of three bands, three campaigns in three states, a gamemaster's two", async () => {
  const { code, output } = await runDemo();
  expect(output).toMatch(/^the demo is ready:$/m);
  expect(code).toBe(0);

  const [marketer] = await database.query<{ id: string }>("select id from app_public.marketers where name = 'Neon Noodles (demo)'");
  expect(
    await database.query(
      `select u.email, m.role from app_public.marketer_members m join app_public.users u on u.id = m.user_id
        where m.marketer_id = $1 order by u.email`,
      [marketer!.id],
    ),
  ).toEqual([
    { email: "demo-member@example.com", role: "member" },
    { email: "demo-owner@example.com", role: "owner" },
  ]);
  expect(await database.query("select email, is_admin from app_public.users where email like 'demo-%' order by email")).toEqual([
    { email: "demo-admin@example.com", is_admin: true },
    { email: "demo-gamemaster@example.com", is_admin: false },
    { email: "demo-member@example.com", is_admin: false },
    { email: "demo-owner@example.com", is_admin: false },
  ]);
  const [{ participants }] = (await database.query<{ participants: number }>(
    "select count(*)::int as participants from app_public.participants where external_id like 'demo-%'",
  )) as [{ participants: number }];
  expect(participants).toBe(PARTICIPANTS);

  // Each band, innermost first, has people whose tags put them there and in no band inside it.
  const bands = await database.query<{ position: number; required_tags: string[]; people: number }>(
    `select b.position, b.required_tags,
            (select count(*)::int from app_public.participants p
              where p.tags @> b.required_tags
                and not exists (select 1 from app_public.target_bands inner_band
                                 where inner_band.target_id = b.target_id and inner_band.position < b.position
                                   and p.tags @> inner_band.required_tags)) as people
       from app_public.target_bands b join app_public.targets t on t.id = b.target_id
      where t.marketer_id = $1 order by b.position`,
    [marketer!.id],
  );
  expect(bands).toEqual([
    { position: 0, required_tags: ["big-spender", "gamer", "night-owl"], people: PARTICIPANTS / 30 },
    { position: 1, required_tags: ["gamer", "night-owl"], people: PARTICIPANTS / 6 - PARTICIPANTS / 30 },
    { position: 2, required_tags: ["gamer"], people: PARTICIPANTS / 2 - PARTICIPANTS / 6 },
  ]);

  const campaigns = await database.query<{ name: string; status: string; owner: string; bids: number; launched: boolean; log: string[] }>(
    `select c.name, c.status, u.email as owner, c.launched_at is not null as launched,
            (select count(*)::int from app_public.bids b join app_public.target_bands tb on tb.id = b.band_id
              where b.campaign_id = c.id and tb.target_id = c.target_id) as bids,
            (select array_agg(l.to_state::text || ' by ' || l.trigger_event order by l.created_at, l.id)
               from app_public.campaign_state_log l where l.campaign_id = c.id) as log
       from app_public.campaigns c join app_public.users u on u.id = c.user_id
      where c.marketer_id = $1 order by c.name`,
    [marketer!.id],
  );
  expect(campaigns).toEqual([
    {
      name: "Lantern Festival",
      status: "RUNNING",
      owner: "demo-owner@example.com",
      launched: true,
      bids: 3,
      log: ["RUNNING by launch_campaign"],
    },
    { name: "Midnight Ramen Run", status: "CREATED", owner: "demo-member@example.com", launched: false, bids: 3, log: null },
    {
      name: "Summer Noodle Quest",
      status: "REWARD_CLAIM",
      owner: "demo-owner@example.com",
      launched: true,
      bids: 3,
      log: ["RUNNING by launch_campaign", "CLOSED by close_campaign", "REWARD_CLAIM by open_reward_claim"],
    },
  ]);
  // The scheduled one starts by its timer, a minute after the demo was made.
  const [start] = await database.query<{ seconds: number }>(
    `select extract(epoch from t.scheduled_at - now())::int as seconds
       from app_public.campaign_timers t join app_public.campaigns c on c.id = t.campaign_id
      where c.name = 'Midnight Ramen Run' and t.timer_type = 'START_CAMPAIGN' and t.status = 'PENDING'`,
  );
  expect(start!.seconds).toBeGreaterThan(30);
  expect(start!.seconds).toBeLessThanOrEqual(60);
  // Launching enqueued the target's population, which the worker of `npm start` runs.
  expect(await database.query("select count(*)::int as jobs from graphile_worker.jobs where task_identifier = 'populate_target'")).toEqual([
    { jobs: 1 },
  ]);

  expect(
    await database.query(
      `select c.name, c.status, c.marketer_id, a.source is not null as assigned,
              (select count(*)::int from app_public.schticks s where s.campaign_id = c.id) > 0 as has_content
         from app_public.campaigns c join app_public.users u on u.id = c.user_id
         left join app_public.pool_assignments a on a.campaign_id = c.id
        where u.email = 'demo-gamemaster@example.com' order by c.name`,
    ),
  ).toEqual([
    { name: "Ghosts of the Netherworld", status: "CREATED", marketer_id: null, assigned: true, has_content: true },
    { name: "The Jade Dragon Heist", status: "CREATED", marketer_id: null, assigned: true, has_content: true },
  ]);

  // A token per role, for its user, signed as `npm run token` signs them; and the pages to use them on.
  const tokens = [...output.matchAll(/^(owner|member|gamemaster|admin)\s+(\S+@\S+)\n(?:\s{2}\S+\s+.*\n)*?\s{2}token\s+(\S+)$/gm)];
  expect(tokens.map((match) => [match[1], match[2]])).toEqual([
    ["owner", "demo-owner@example.com"],
    ["member", "demo-member@example.com"],
    ["gamemaster", "demo-gamemaster@example.com"],
    ["admin", "demo-admin@example.com"],
  ]);
  for (const [, , email, token] of tokens) {
    const claims = await verifyToken(token!, TEST_JWT_SECRET);
    const [user] = await database.query<{ id: string; is_admin: boolean }>("select id, is_admin from app_public.users where email = $1", [
      email,
    ]);
    expect({ sub: claims.sub, is_admin: claims.is_admin }).toEqual({ sub: user!.id, is_admin: user!.is_admin });
  }
  expect(output).toContain(`http://127.0.0.1:3000/campaigns?marketer=${marketer!.id}`);
  expect(output).toContain("http://127.0.0.1:3000/admin");
  expect(output).toContain("http://127.0.0.1:3000/graphql");
}, 60_000);

test("run again, it says the demo is already here and changes nothing", async () => {
  const before = await everything();
  const { code, output } = await runDemo();
  expect(output).toMatch(/^the demo is already here: marketer "Neon Noodles \(demo\)" \([0-9a-f-]{36}\); nothing changed/m);
  expect(output).not.toMatch(/^demo: /m);
  expect(output).toMatch(/^ {2}token {6}\S+$/m);
  expect(code).toBe(0);
  expect(await everything()).toEqual(before);
}, 60_000);
