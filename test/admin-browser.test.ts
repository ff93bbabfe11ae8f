// The admin dashboard in headless Chromium: an admin signs in, watches the pool cards follow a new
// target and creations made by another client, switches pools off and on; a non-admin is refused.
import path from "node:path";
import type { Page } from "playwright-core";
import { beforeAll, expect, test } from "vitest";
import { graphql, tokenFor, useTestApp } from "./support/app.ts";
import { ARTIFACTS_DIR, useBrowser } from "./support/browser.ts";
import { useTestDatabase } from "./support/database.ts";
import { waitFor } from "./support/wait.ts";

const database = useTestDatabase("admin_browser");
const server = useTestApp(database);
const chromium = useBrowser();

let admin: string, alice: string;

beforeAll(async () => {
  [admin, alice] = await Promise.all([tokenFor(database, "admin@example.com", { admin: true }), tokenFor(database, "alice@example.com")]);
});

const text = (page: Page, selector: string) => async () => (await page.textContent(selector))?.trim() ?? "";

async function signIn(page: Page, token: string) {
  const response = await page.goto(`${server.url}/admin`);
  expect(response?.status()).toBe(401);
  await page.fill("#token", token);
  await page.click("#sign-in button[type=submit]");
}

test("an admin signs in and sees the pool cards follow the target, creations by another client, and the pool switch", async () => {
  const context = await chromium.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on("dialog", (dialog) => void dialog.accept());
  await signIn(page, admin);
  await page.waitForSelector("#live[data-state=live]");
  // The worker filled the master pool (target 3) as the app started.
  await waitFor(text(page, "#master-ready"), (ready) => ready === "3", 30_000);
  expect(await text(page, "#master-target")()).toBe("of a target of 3");
  expect(await text(page, "#template-version")()).toBe("v1");
  expect(await text(page, "#template-current")()).toBe("3 of 3 ready carry it");

  // Enter in the field submits it: the focus stays there, so a live re-render, which fills the
  // field with the current target unless it has the focus, cannot change what is sent.
  await page.fill("#target-input", "5");
  await page.press("#target-input", "Enter");
  await waitFor(text(page, "#master-target"), (target) => target === "of a target of 5");
  await waitFor(text(page, "#master-ready"), (ready) => ready === "5", 30_000);

  // Another client takes two campaigns: ready drops at once, and recovers once the delayed
  // replenishment has run, without a reload.
  for (const name of ["One", "Two"]) {
    const created = await graphql(server.url, `mutation ($name: String!) { createCampaign(input: { name: $name }) { result { rowId } } }`, {
      token: alice,
      variables: { name },
    });
    expect(created.errors).toBeUndefined();
  }
  await waitFor(text(page, "#master-ready"), (ready) => ready === "3");
  expect(await page.textContent("#assignments tbody")).toContain("Two");
  await waitFor(text(page, "#master-ready"), (ready) => ready === "5", 30_000);

  await page.click("#toggle-pools");
  await waitFor(text(page, "#toggle-pools"), (label) => label === "Switch pools on");
  expect(await text(page, "#health")()).toBe("warning");
  expect(await text(page, "#health-reason")()).toMatch(/pools are switched off/);
  await page.click("#toggle-pools");
  await waitFor(text(page, "#toggle-pools"), (label) => label === "Switch pools off");
  await waitFor(text(page, "#health"), (health) => health === "ok");

  // A target above the maximum is refused with the database's message.
  // Past the browser's own check (on the form: a live re-render sets the field's max again).
  await page.$eval("#target-form", (form) => {
    (form as HTMLFormElement).noValidate = true;
  });
  await page.fill("#target-input", "51");
  await page.press("#target-input", "Enter");
  await waitFor(text(page, "#action-message"), (message) => /between 0 and 50/.test(message));

  // Pool analytics: a minute with 60 campaigns waiting today is one idle campaign-hour more. It
  // shows at the next live update (the switch to adaptive below).
  await database.query(
    `insert into app_public.pool_metrics (recorded_at, master_ready, master_target, user_pools, assignments_today, pool_hits_today, replenishments_today)
     select greatest(date_trunc('day', now(), 'UTC'), now() - interval '30 minutes') + n * interval '1 second',
            case when n < 60 then 60 else 0 end, 60, 0, 0, 0, 0
       from generate_series(0, 60) as n`,
  );
  expect(await page.textContent("#chart-pool-share-24h")).toContain("from a pool");

  // Adaptive sizing, switched on by another client, shows on the target at once.
  const adaptive = await graphql(server.url, `mutation { setPoolTargetMode(input: { mode: "adaptive" }) { result } }`, { token: admin });
  expect(adaptive.errors).toBeUndefined();
  await waitFor(text(page, "#master-target"), (target) => /^of a target of \d+ \(adaptive\)$/.test(target));
  await waitFor(text(page, "#idle-today"), (idle) => Number.parseFloat(idle) >= 1);

  await page.screenshot({ path: path.join(ARTIFACTS_DIR, "admin-dashboard.png"), fullPage: true });
  await context.close();
}, 90_000);

test("on a phone-sized screen the cards and charts fit the width", async () => {
  const context = await chromium.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const page = await context.newPage();
  await signIn(page, admin);
  await page.waitForSelector("#live[data-state=live]");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: path.join(ARTIFACTS_DIR, "admin-dashboard-phone.png"), fullPage: true });
  await context.close();
});

test("a non-admin is refused: the sign-in says so, and the page, data and actions stay closed", async () => {
  const context = await chromium.browser.newContext();
  const page = await context.newPage();
  await signIn(page, alice);
  await waitFor(text(page, "#error"), (error) => /for admins only/.test(error));
  expect(page.url()).toBe(`${server.url}/admin`);

  // Even with the cookie set by hand, the server refuses.
  await context.addCookies([{ name: "campaign_engine_token", value: alice, url: server.url }]);
  const response = await page.goto(`${server.url}/admin`);
  expect(response?.status()).toBe(403);
  expect(await page.textContent("#reason")).toMatch(/is not an admin.s: the page is for admins only/);
  expect((await page.request.get(`${server.url}/admin/data`)).status()).toBe(403);
  const action = await page.request.post(`${server.url}/graphql`, { data: { query: "mutation { replenishPools(input: {}) { result } }" } });
  expect(JSON.stringify(await action.json())).toMatch(/only admins may do this/);
  await context.close();
});
