// The admin dashboard over HTTP: who may see it, what its data holds, its live events, readiness's
// pool check, and its data loading fast with a year of history.
import pg from "pg";
import { beforeAll, describe, expect, test } from "vitest";
import { graphql, tokenFor, useTestApp } from "./support/app.ts";
import { useTestDatabase } from "./support/database.ts";
import { writeYearOfPoolHistory } from "./support/pool-history.ts";
import { waitFor } from "./support/wait.ts";

const database = useTestDatabase("admin");
const server = useTestApp(database);

let admin: string, alice: string;

beforeAll(async () => {
  [admin, alice] = await Promise.all([tokenFor(database, "admin@example.com", { admin: true }), tokenFor(database, "alice@example.com")]);
  // The worker fills the master pool as it starts.
  await waitFor(
    () => masterReady(),
    (ready) => ready === 3,
    30_000,
  );
});

const masterReady = async () =>
  (await database.query<{ n: number }>("select count(*)::int as n from app_public.campaigns where is_pool and pool_type = 'master'"))[0]!.n;

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${server.url}${path}`, { headers });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const cookie = (token: string) => ({ cookie: `campaign_engine_token=${token}` });

describe("access", () => {
  test.each(["/admin", "/admin/data", "/admin/events"])("%s: 401 anonymous, 403 for a non-admin, 200 for an admin", async (path) => {
    const anonymous = await get(path);
    expect(anonymous.status).toBe(401);
    await anonymous.body?.cancel();
    const nonAdmin = await get(path, cookie(alice));
    expect(nonAdmin.status).toBe(403);
    await nonAdmin.body?.cancel();
    const allowed = await get(path, cookie(admin));
    expect(allowed.status).toBe(200);
    await allowed.body?.cancel();
  });

  test("the page tells an anonymous visitor to sign in, and a non-admin that it is for admins only", async () => {
    expect(await (await get("/admin")).text()).toMatch(/Sign in with an admin/);
    expect(await (await get("/admin", bearer(alice))).text()).toMatch(/is not an admin.s: the page is for admins only/);
    expect(await (await get("/admin", bearer("not-a-token"))).text()).toMatch(/The token was refused/);
  });

  test("signing in sets an HttpOnly, SameSite=Strict session cookie for admins only", async () => {
    const signIn = (token: unknown) =>
      fetch(`${server.url}/admin/session`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ token }),
      });
    const ok = await signIn(admin);
    expect(ok.status).toBe(204);
    expect(ok.headers.get("set-cookie")).toMatch(/^campaign_engine_token=[^;]+;.*httponly/i);
    expect(ok.headers.get("set-cookie")).toMatch(/samesite=strict/i);

    const refused = await signIn(alice);
    expect(refused.status).toBe(403);
    expect(refused.headers.get("set-cookie")).toBeNull();
    expect((await signIn("")).status).toBe(400);
    // Only JSON: a cross-site form (text/plain) cannot sign anyone in.
    const form = await fetch(`${server.url}/admin/session`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ token: admin }),
    });
    expect(form.status).toBe(400);
    expect(form.headers.get("set-cookie")).toBeNull();
    // A body larger than any token (the admin's own token, padded) is not read, nor signed in.
    const padded = await fetch(`${server.url}/admin/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: admin, padding: "x".repeat(20_000) }),
    });
    expect(padded.status).toBe(400);
    expect(padded.headers.get("set-cookie")).toBeNull();
  });

  test("the session cookie also authenticates GraphQL, so the page's quick actions are the admin mutations", async () => {
    const viaCookie = (token: string) =>
      fetch(`${server.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", ...cookie(token) },
        body: JSON.stringify({ query: "mutation { setPoolTarget(input: { size: 60 }) { result } }" }),
      }).then((response) => response.json() as Promise<{ errors?: { message: string }[] }>);
    expect((await viaCookie(admin)).errors?.[0]?.message).toMatch(/between 0 and 50/);
    expect((await viaCookie(alice)).errors?.[0]?.message).toMatch(/admin/i);
  });
});

describe("data", () => {
  test("holds the pool status, the charts' series, recent assignments, timers and alerts", async () => {
    const created = await graphql(server.url, `mutation { createCampaign(input: { name: "Watched" }) { result { rowId } } }`, {
      token: alice,
    });
    expect(created.errors).toBeUndefined();
    await database.query("select app_private.record_pool_metrics()");
    await database.query("select app_private.set_alert(true, 'WARNING', 'pool_test', 'a test alert')");

    const data = await (await get("/admin/data", bearer(admin))).json();
    expect(data.pool).toMatchObject({ enabled: true, target_max: 50, master: { target: 3 }, health: { status: expect.any(String) } });
    expect(data.recent_assignments[0]).toMatchObject({ campaign_name: "Watched", source: "master", waited_seconds: expect.any(Number) });
    expect(data.last_24h.assignments).toEqual([expect.objectContaining({ assignments: 1, pool_hits: 1, p50_ms: expect.any(Number) })]);
    // One point per 15-minute bucket that holds a snapshot (the worker's cron records them too).
    const [{ buckets }] = await database.query<{ buckets: number }>(
      "select count(distinct date_bin('15 minutes', recorded_at, 'epoch'))::int as buckets from app_public.pool_metrics where recorded_at >= now() - interval '24 hours'",
    );
    expect(buckets).toBeGreaterThan(0);
    expect(data.last_24h.pool).toHaveLength(buckets);
    expect(data.last_30d.days).toEqual([expect.objectContaining({ assignments: 1, pool_hits: 1 })]);
    expect(data.timers).toMatchObject({ pending: expect.any(Number), overdue: 0, failed: 0, stuck_list: [], failed_list: [] });
    expect(data.alerts).toContainEqual(expect.objectContaining({ kind: "pool_test", severity: "WARNING", resolved_at: null }));
  });

  test("admin_dashboard() refuses a non-admin, in GraphQL too", async () => {
    const refused = await graphql(server.url, `{ adminDashboard }`, { token: alice });
    expect(refused.errors?.[0]?.message).toMatch(/admin/i);
    const allowed = await graphql(server.url, `{ adminDashboard }`, { token: admin });
    expect(allowed.data.adminDashboard.pool.master.target).toBe(3);
  });
});

test("/admin/events sends ready, then every pool and timers notification", async () => {
  const response = await get("/admin/events", cookie(admin));
  expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let received = "";
  const until = async (pattern: RegExp) => {
    while (!pattern.test(received)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended; received: ${received}`);
      received += value;
    }
  };
  await until(/event: ready\n/);
  await database.query(`select pg_notify('pool', '{"event":"test_pool"}'), pg_notify('timers', '{"event":"test_timers"}')`);
  await until(/event: timers\ndata: \{"event":"test_timers"\}/);
  expect(received).toMatch(/event: pool\ndata: \{"event":"test_pool"\}/);
  await reader.cancel();
});

test("an empty master pool degrades readiness without failing it (creations seed inline), and the degradation ends when it refills", async () => {
  const healthy = await get("/health/ready");
  expect(healthy.status).toBe(200);
  expect((await healthy.json()).pool).toMatchObject({ status: expect.any(String), empty: false });

  // Hold the master pool's replenish lock, so the worker cannot refill it while we look.
  const refillBlocker = new pg.Client({ connectionString: database.ownerUrl });
  await refillBlocker.connect();
  try {
    await refillBlocker.query("begin");
    await refillBlocker.query("select pg_advisory_xact_lock(app_private.pool_lock_key('master'))");
    await database.query("delete from app_public.campaigns where is_pool and pool_type = 'master'");
    const empty = await get("/health/ready");
    expect(empty.status).toBe(200);
    expect(await empty.json()).toMatchObject({
      status: "degraded",
      degraded: expect.stringMatching(/master pool empty/),
      pool: { status: "critical", empty: true, reason: expect.stringMatching(/has 0 ready/) },
    });
    // /health is readiness by another name.
    expect(await (await get("/health")).json()).toMatchObject({ status: "degraded" });
  } finally {
    await refillBlocker.end(); // ends the transaction, and with it the lock
  }

  await database.query("select app_public.set_pools_enabled(false)");
  expect(await (await get("/health/ready")).json()).toMatchObject({ status: "ok" });
  await database.query("select app_public.set_pools_enabled(true)");
  await waitFor(
    async () => (await (await get("/health/ready")).json()).pool.empty,
    (empty) => empty === false,
    30_000,
  );
});

test("a failing refill degrades readiness with the alert's message, and stops degrading it once a refill succeeds", async () => {
  // The worker's own refills (the previous test emptied the master pool) resolve the alert when
  // they seed a campaign: wait until none is queued or running. The failure is a user pool's that
  // no job of the worker refills, so a master refill that finds nothing to do leaves it open.
  await waitFor(
    async () =>
      (
        await database.query<{ jobs: number }>(
          "select count(*)::int as jobs from graphile_worker.jobs where task_identifier = 'replenish_pool'",
        )
      )[0]!.jobs,
    (jobs) => jobs === 0,
    30_000,
  );
  const [{ id: failingUser }] = await database.query<{ id: string }>("select gen_random_uuid() as id");
  await database.query("select app_private.refill_failed('user', $1, 'the seeder broke (test)', 'XX000', 2, 25)", [failingUser]);
  const failing = await get("/health/ready");
  expect(failing.status).toBe(200);
  expect(await failing.json()).toMatchObject({ status: "degraded", degraded: expect.stringContaining("the seeder broke (test)") });
  await database.query("select app_private.refill_succeeded('user', $1, 1)", [failingUser]);
  expect(await (await get("/health/ready")).json()).not.toMatchObject({ degraded: expect.stringContaining("the seeder broke") });
});

// How long this takes is measured by `npm run bench -- pages`, not here.
test("with a year of pool metrics and assignments, the page and its data load", async () => {
  await writeYearOfPoolHistory((statement) => database.query(statement));

  const [page, data] = await Promise.all([get("/admin", cookie(admin)), get("/admin/data", cookie(admin))]);
  const body = await data.json();
  await page.text();
  expect(page.status).toBe(200);
  expect(body.last_30d.days.length).toBeGreaterThanOrEqual(30);
  expect(body.last_24h.pool.length).toBeGreaterThanOrEqual(96);
}, 120_000);
