// Production mode as an operator runs it: `npm start` as a real process with GRAPHILE_ENV=production
// (and METRICS_TOKEN), against this file's database. GraphiQL is off, introspection is for admins,
// errors name no internal schema or constraint, /health keeps the database's error for the
// monitoring token, /metrics needs that token (or has a port of its own), every response carries
// the security headers that the pages work with in Chromium, and a bad asset name is a plain 404.
// The same database served in development (in-process) shows what production hides.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { Page } from "playwright-core";
import { GraphQLError } from "postgraphile/graphql";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { scrubInternalNames } from "../src/graphql/scrub-error.ts";
import { graphql, TEST_JWT_SECRET, tokenFor, useTestApp } from "./support/app.ts";
import { useBrowser } from "./support/browser.ts";
import { useTestDatabase } from "./support/database.ts";
import { type Started, startMain } from "./support/process.ts";
import { subscribe } from "./support/subscribe.ts";
import { waitFor } from "./support/wait.ts";

const database = useTestDatabase("production");
const development = useTestApp(database);
const chromium = useBrowser();
const METRICS_TOKEN = "metrics-token-of-the-production-test";

const scratchDirs: string[] = [];
const processes: Started[] = [];
let url: string;
/** A second production process with METRICS_PORT (and no token). */
let ownPort: { url: string; metricsUrl: string };
let admin: string, alice: string, marketer: string;

async function startProduction(env: Record<string, string>): Promise<Started> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "campaign-engine-production-"));
  scratchDirs.push(dir);
  const started = startMain({
    GRAPHILE_ENV: "production",
    DATABASE_URL: database.ownerUrl,
    DATA_DIR: dir,
    JWT_SECRET: TEST_JWT_SECRET,
    AUTHENTICATOR_PASSWORD: inject("authenticatorPassword"),
    ...env,
  });
  processes.push(started);
  return started;
}

beforeAll(async () => {
  await database.query("select 1");
  const main = await startProduction({ METRICS_TOKEN });
  url = await main.url();
  // One after the other: two processes migrating the same database at once, one gives up.
  const separate = await startProduction({ METRICS_PORT: "0" });
  ownPort = {
    url: await separate.url(),
    metricsUrl: (await waitFor(async () => /metrics\s+(http:\/\/\S+)\/metrics/.exec(separate.output())?.[1], Boolean))!,
  };
  await waitFor(
    () => fetch(`${url}/health/ready`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }).then((r) => r.status),
    (s) => s === 200,
    60_000,
  );

  [admin, alice] = await Promise.all([tokenFor(database, "admin@example.com", { admin: true }), tokenFor(database, "alice@example.com")]);
  [{ id: marketer }] = await database.query<{ id: string }>("insert into app_public.marketers (name) values ('Neon Noodles') returning id");
  await database.query(
    "insert into app_public.marketer_members (marketer_id, user_id) select $1, id from app_public.users where email = 'alice@example.com'",
    [marketer],
  );
}, 120_000);

afterAll(async () => {
  for (const started of processes) started.child.kill("SIGTERM");
  await Promise.all(processes.map((started) => started.exit));
  await Promise.all(scratchDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe("GraphiQL and introspection", () => {
  test("GraphiQL is off in production (404), on in development", async () => {
    const page = await fetch(`${url}/graphiql`);
    expect(page.status).toBe(404);
    expect(await page.text()).not.toMatch(/ruru|graphiql/i);
    expect((await fetch(`${url}/ruru-static/ruru.js`)).status).toBe(404);
    // A browser asking /graphql for HTML gets no GraphiQL either.
    const asBrowser = await fetch(`${url}/graphql`, { headers: { accept: "text/html" } });
    expect(asBrowser.headers.get("content-type") ?? "").not.toMatch(/text\/html/);
    expect(await asBrowser.text()).not.toMatch(/ruru/i);

    const inDevelopment = await fetch(`${development.url}/graphiql`);
    expect(inDevelopment.status).toBe(200);
    expect(inDevelopment.headers.get("content-type")).toMatch(/text\/html/);
  });

  test("anonymous callers and non-admins are refused introspection, over HTTP and websockets; admins keep it", async () => {
    const schemaQuery = "{ __schema { queryType { name } } }";
    for (const query of [schemaQuery, '{ __type(name: "Campaign") { name } }']) {
      const refused = await graphql(url, query);
      expect(refused.errors?.[0]?.extensions?.code).toBe("INTROSPECTION_DISABLED");
      expect(refused.errors?.[0]?.message).toMatch(/open to admins only/);
      expect(refused.data ?? null).toBeNull();
    }
    // Through a mutation payload's `query`: refused before anything runs, so nothing is created.
    const viaMutation = await graphql(
      url,
      `mutation { createCampaign(input: {name: "Introspecting"}) { query { __schema { queryType { name } } } } }`,
      { token: alice },
    );
    expect(viaMutation.errors?.[0]?.extensions?.code).toBe("INTROSPECTION_DISABLED");
    expect(await database.query("select 1 from app_public.campaigns where name = 'Introspecting'")).toEqual([]);

    const overWebsocket = subscribe(url, schemaQuery, {});
    try {
      await waitFor(
        async () => overWebsocket.errors.length + overWebsocket.events.length,
        (n) => n > 0,
      );
      expect(overWebsocket.events).toEqual([]);
      expect((overWebsocket.errors[0] as { extensions?: { code?: string } }).extensions?.code).toBe("INTROSPECTION_DISABLED");
    } finally {
      await overWebsocket.stop();
    }

    expect((await graphql(url, "{ __typename }")).data).toEqual({ __typename: "Query" });
    expect((await graphql(url, schemaQuery, { token: admin })).data).toEqual({ __schema: { queryType: { name: "Query" } } });
    expect((await graphql(development.url, schemaQuery)).data).toEqual({ __schema: { queryType: { name: "Query" } } });
  });
});

describe("errors", () => {
  test("a unique or check violation keeps its code but names no constraint; nothing is written", async () => {
    const createTarget = `mutation ($marketerId: UUID!) { createTarget(input: {target: {marketerId: $marketerId, name: "Gamers"}}) { target { rowId } } }`;
    expect((await graphql(url, createTarget, { token: alice, variables: { marketerId: marketer } })).errors).toBeUndefined();

    const duplicate = await graphql(url, createTarget, { token: alice, variables: { marketerId: marketer } });
    expect(duplicate.errors?.[0]?.extensions?.code).toBe("23505");
    expect(duplicate.errors?.[0]?.message).toMatch(/unique/);
    expect(duplicate.errors?.[0]?.message).toMatch(/"targets"/);
    expect(JSON.stringify(duplicate)).not.toMatch(/targets_name_unique/);
    // Development names it: the request above did reach the constraint.
    const inDevelopment = await graphql(development.url, createTarget, { token: alice, variables: { marketerId: marketer } });
    expect(inDevelopment.errors?.[0]?.message).toMatch(/targets_name_unique/);
    expect(await database.query("select 1 from app_public.targets where name = 'Gamers'")).toHaveLength(1);

    const [{ id: target }] = await database.query<{ id: string }>("select id from app_public.targets where name = 'Gamers'");
    const band = await graphql(
      url,
      `mutation ($targetId: UUID!) { createTargetBand(input: {targetBand: {targetId: $targetId, position: -1, name: "Below", requiredTags: ["gamer"]}}) { targetBand { rowId } } }`,
      {
        token: alice,
        variables: { targetId: target },
      },
    );
    expect(band.errors?.[0]?.extensions?.code).toBe("23514");
    expect(band.errors?.[0]?.message).toMatch(/check constraint/);
    expect(JSON.stringify(band)).not.toMatch(/target_bands_position_not_negative/);
    expect(await database.query("select 1 from app_public.target_bands where target_id = $1", [target])).toEqual([]);
  });

  test("Postgres' own refusal naming an internal schema or function is scrubbed of the names, code kept", async () => {
    // A real error from Postgres, as the API's visitor role gets it.
    const client = new pg.Client({ connectionString: database.ownerUrl });
    await client.connect();
    let error: unknown;
    try {
      await client.query("set role campaign_engine_visitor");
      await client.query("select app_private.pool_health()").catch((e: unknown) => (error = e));
    } finally {
      await client.end();
    }
    expect(String((error as Error).message)).toMatch(/app_private/);
    const scrubbed = scrubInternalNames(
      new GraphQLError((error as Error).message, { originalError: error as Error, extensions: { code: (error as { code: string }).code } }),
    );
    expect(scrubbed.message).not.toMatch(/app_private|pool_health/);
    expect(scrubbed.message).toMatch(/^permission denied for an internal (schema|function)$/);
    expect(scrubbed.extensions.code).toBe("42501");
  });
});

describe("/metrics", () => {
  test("needs the bearer METRICS_TOKEN", async () => {
    for (const headers of [{}, bearer("not-the-token"), bearer(alice)]) {
      const refused = await fetch(`${url}/metrics`, { headers });
      expect(refused.status).toBe(401);
      expect(await refused.text()).not.toMatch(/http_requests_total/);
    }
    const allowed = await fetch(`${url}/metrics`, { headers: bearer(METRICS_TOKEN) });
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toMatch(/http_requests_total/);
  });

  test("with METRICS_PORT, is served on that port only", async () => {
    expect((await fetch(`${ownPort.url}/metrics`)).status).toBe(404);
    const onItsPort = await fetch(`${ownPort.metricsUrl}/metrics`);
    expect(onItsPort.status).toBe(200);
    expect(await onItsPort.text()).toMatch(/http_requests_total/);
    expect(new URL(ownPort.metricsUrl).port).not.toBe(new URL(ownPort.url).port);
    // Nothing else is served there.
    expect((await fetch(`${ownPort.metricsUrl}/health`)).status).toBe(404);
    expect((await fetch(`${ownPort.metricsUrl}/graphql`, { method: "POST" })).status).toBe(404);
  });
});

describe("security headers and pages", () => {
  function expectSecurityHeaders(response: Response, what: string) {
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp, what).toMatch(/frame-ancestors 'none'/);
    expect(csp, what).toMatch(/script-src 'self'(;|$)/);
    expect(csp, what).toMatch(/default-src 'self'/);
    expect(csp, what).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(response.headers.get("x-content-type-options"), what).toBe("nosniff");
    expect(response.headers.get("referrer-policy"), what).toBe("no-referrer");
    expect(response.headers.get("x-frame-options"), what).toBe("DENY");
  }

  test("are on every response: pages, assets, GraphQL, health, event streams, 404s, the metrics port", async () => {
    const requests: [string, string, RequestInit?][] = [
      ["sign-in page", `${url}/admin`],
      ["campaigns page", `${url}/campaigns`, { headers: bearer(alice) }],
      ["admin page", `${url}/admin`, { headers: bearer(admin) }],
      ["asset", `${url}/admin/assets/dashboard.js`],
      [
        "GraphQL",
        `${url}/graphql`,
        { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ __typename }" }) },
      ],
      ["health", `${url}/health/live`],
      ["not found", `${url}/nothing-here`],
      ["metrics port", `${ownPort.metricsUrl}/metrics`],
    ];
    for (const [what, target, init] of requests) {
      const response = await fetch(target, init);
      await response.arrayBuffer();
      expectSecurityHeaders(response, what);
    }
    const stopped = new AbortController();
    const stream = await fetch(`${url}/campaigns/events?marketerId=${marketer}`, { headers: bearer(alice), signal: stopped.signal });
    expect(stream.headers.get("content-type")).toMatch(/text\/event-stream/);
    expectSecurityHeaders(stream, "event stream");
    stopped.abort();
  });

  /** Every content security policy violation the page reports, from the document's start. */
  async function watchViolations(page: Page): Promise<string[]> {
    const violations: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.exposeFunction("reportViolation", (text: string) => violations.push(text));
    await page.addInitScript(() =>
      document.addEventListener("securitypolicyviolation", (event) =>
        (window as unknown as { reportViolation(text: string): void }).reportViolation(`${event.violatedDirective}: ${event.blockedURI}`),
      ),
    );
    return violations;
  }

  async function signIn(page: Page, pagePath: string, token: string) {
    expect((await page.goto(`${url}${pagePath}`))?.status()).toBe(401);
    await page.fill("#token", token);
    await page.click("#sign-in button[type=submit]");
    await page.waitForSelector("#live[data-state=live]");
  }

  test("the admin dashboard and the campaigns manager work in Chromium under that policy, which stops an injected script", async () => {
    const context = await chromium.browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const dashboard = await context.newPage();
      const dashboardViolations = await watchViolations(dashboard);
      await signIn(dashboard, "/admin", admin);
      // Data drawn by the page's script, and uPlot's charts (canvas, styled by its stylesheet).
      await waitFor(
        async () => (await dashboard.textContent("#master-ready"))?.trim(),
        (text) => /^\d+$/.test(text ?? ""),
        30_000,
      );
      await dashboard.waitForSelector("#chart-assignments-24h .uplot canvas");
      expect(await dashboard.$eval("#chart-assignments-24h .uplot", (chart) => getComputedStyle(chart).fontFamily)).toBeTruthy();
      expect(dashboardViolations).toEqual([]);
      // The policy is in force: a script injected into the page (as an XSS would) does not run.
      const injected = await dashboard.evaluate(async () => {
        const script = Object.assign(document.createElement("script"), { textContent: "window.injectedRan = true" });
        document.head.append(script);
        await new Promise((resolve) => setTimeout(resolve, 0));
        return (window as unknown as { injectedRan?: boolean }).injectedRan ?? false;
      });
      expect(injected).toBe(false);
      await waitFor(
        async () => dashboardViolations,
        (found) => found.some((text) => text.startsWith("script-src")),
      );

      const campaigns = await context.newPage();
      const campaignsViolations = await watchViolations(campaigns);
      await context.clearCookies();
      await signIn(campaigns, "/campaigns", alice);
      expect(await campaigns.$$eval("#marketer option", (options) => options.map((option) => option.textContent))).toEqual([
        "Neon Noodles",
      ]);
      expect(campaignsViolations).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  test("an unknown or malformed asset name answers 404, with no stack trace answered or logged", async () => {
    const main = processes[0]!;
    const before = main.output().length;
    const names = [
      "__proto__",
      "constructor",
      "toString",
      "hasOwnProperty",
      "%E0%A4%A",
      "..%2F..%2Fpackage.json",
      "nope.js",
      "dashboard.js%00",
    ];
    for (const prefix of ["/admin", "/campaigns"]) {
      for (const name of names) {
        const response = await fetch(`${url}${prefix}/assets/${name}`);
        const body = await response.text();
        expect(response.status, `${prefix}/assets/${name}`).toBe(404);
        expect(body).not.toMatch(/\bat .*:\d+:\d+|Error/);
      }
    }
    // A known asset still loads.
    expect((await fetch(`${url}/campaigns/assets/campaigns.js`)).status).toBe(200);
    expect(main.output().slice(before)).not.toMatch(/\n\s+at .*:\d+:\d+/);
  });
});

describe("/health", () => {
  test("an anonymous caller gets the status code and fields without the database's error; the metrics token reads it", async () => {
    const read = async (headers: Record<string, string>) => {
      const response = await fetch(`${url}/health/ready`, { headers });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    // Postgres refuses the server's new connections (its open ones are ended): a raw error that
    // names the database.
    const server = new pg.Client({ connectionString: Object.assign(new URL(database.ownerUrl), { pathname: "/postgres" }).toString() });
    await server.connect();
    try {
      await server.query(`alter database ${database.name} allow_connections false`);
      await server.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1", [database.name]);
      // The first failing check may still meet a terminated connection (57P01); the refusal follows.
      const detailed = await waitFor(
        () => read(bearer(METRICS_TOKEN)),
        (answer) => answer.status === 503 && /not currently accepting/.test(String(answer.body.database)),
        20_000,
      );
      expect(detailed.body.database).toMatch(/not currently accepting connections/);

      const anonymous = await read({});
      expect(anonymous.status).toBe(503);
      expect(Object.keys(anonymous.body).sort()).toEqual(Object.keys(detailed.body).sort());
      expect(anonymous.body).toMatchObject({ status: "unready", database: "unreachable", migrations: "unknown", pool: "unknown" });
      expect(JSON.stringify(anonymous.body)).not.toMatch(new RegExp(`${database.name}|accepting|55000`));
      expect((await read(bearer(alice))).body.database).toBe("unreachable");
      expect((await fetch(`${url}/health/live`)).status).toBe(200);
    } finally {
      await server.query(`alter database ${database.name} allow_connections true`);
      await server.end();
    }
    const recovered = await waitFor(
      () => read({}),
      (answer) => answer.status === 200,
      30_000,
    );
    expect(recovered.body.database).toBe("ok");
  }, 60_000);
});
