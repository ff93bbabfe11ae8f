// The campaigns manager in headless Chromium: two members of one marketer watch it; one launches
// a campaign, and both see the flash messages and the new pending offers without reloading. A
// gamemaster of no marketer creates, renames and schedules a campaign of their own from "My
// campaigns". And with 100 campaigns, the page and its data load (how fast: `npm run bench -- pages`).
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { beforeAll, expect, test } from "vitest";
import { graphql, tokenFor, useTestApp } from "./support/app.ts";
import { ARTIFACTS_DIR, useBrowser } from "./support/browser.ts";
import { useTestDatabase } from "./support/database.ts";
import { waitFor } from "./support/wait.ts";

const database = useTestDatabase("campaigns_page");
const server = useTestApp(database);
const chromium = useBrowser();

const PEOPLE = 50;
let aliceToken: string, bobToken: string;
let marketer: string, campaign: string;

beforeAll(async () => {
  [aliceToken, bobToken] = await Promise.all([tokenFor(database, "alice@example.com"), tokenFor(database, "bob@example.com")]);
  [{ id: marketer }] = await database.query<{ id: string }>("insert into app_public.marketers (name) values ('Neon Noodles') returning id");
  await database.query(
    `insert into app_public.marketer_members (marketer_id, user_id)
     select $1, id from app_public.users where email in ('alice@example.com', 'bob@example.com')`,
    [marketer],
  );
  const [{ id: target }] = await database.query<{ id: string }>(
    "insert into app_public.targets (marketer_id, name) values ($1, 'Gamers') returning id",
    [marketer],
  );
  const bands = await database.query<{ id: string }>(
    `insert into app_public.target_bands (target_id, position, name, required_tags)
     values ($1, 0, 'Bullseye', '{gamer,vip}'), ($1, 1, 'Ring', '{gamer}') returning id`,
    [target],
  );
  await database.query(
    `insert into app_public.participants (name, tags)
     select 'player ' || n, case when n % 5 = 0 then '{gamer,vip}'::text[] else '{gamer}' end from generate_series(1, $1::int) as n`,
    [PEOPLE],
  );
  [{ id: campaign }] = await database.query<{ id: string }>(
    `insert into app_public.campaigns (user_id, marketer_id, name, target_id)
     select id, $1, 'Night market', $2 from app_public.users where email = 'alice@example.com' returning id`,
    [marketer, target],
  );
  await database.query(
    "insert into app_public.bids (campaign_id, band_id, offer_amount, marketer_cost) values ($1, $2, 10, 2), ($1, $3, 5, 1)",
    [campaign, bands[0]!.id, bands[1]!.id],
  );
});

async function openAs(browser: Browser, token: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const response = await page.goto(`${server.url}/campaigns`);
  expect(response?.status()).toBe(401);
  await page.fill("#token", token);
  await page.click("#sign-in button[type=submit]");
  await page.waitForSelector("#live[data-state=live]");
  await page.evaluate(() => ((window as any).sameDocument = true));
  return page;
}

const row = () => `#campaigns tr[data-campaign-id="${campaign}"]`;
const cellText = (page: Page, cell: string) => async () => (await page.textContent(`${row()} td.${cell}`))?.trim();
const flashes = (page: Page) => async () => page.$$eval("#flash li", (items) => items.map((item) => item.textContent ?? ""));

test("launching in one member's page shows the progress and the pending offers in both, without reloading", async () => {
  const [alice, bob] = [await openAs(chromium.browser, aliceToken), await openAs(chromium.browser, bobToken)];
  expect(await cellText(alice, "pending-offers")()).toBe("0");
  expect(await cellText(bob, "pending-offers")()).toBe("0");

  await alice.click(`${row()} button:has-text("Launch")`);
  for (const page of [alice, bob]) {
    await waitFor(flashes(page), (messages) => messages.includes("Target populated! Creating offers..."), 20_000);
    await waitFor(flashes(page), (messages) => messages.includes(`${PEOPLE} offers created successfully`), 20_000);
    await waitFor(cellText(page, "pending-offers"), (text) => text === String(PEOPLE), 10_000);
    expect(await page.textContent(`${row()} td.status`)).toBe("RUNNING");
    expect(await page.evaluate(() => (window as any).sameDocument)).toBe(true);
  }
  // The bullseye takes every fifth player: 10 × 2 + 40 × 1 in marketer cost.
  expect(await cellText(bob, "pending-spend")()).toBe((60).toLocaleString("en-US", { minimumFractionDigits: 2 }));
  expect(await bob.isVisible(`${row()} button:has-text("Refresh Offers")`)).toBe(true);
  expect(await bob.getAttribute(`${row()} td.name a`, "href")).toBe(`/campaigns/${campaign}`);
  await bob.screenshot({ path: path.join(ARTIFACTS_DIR, "campaigns-manager.png"), fullPage: true });
  await Promise.all([alice.context().close(), bob.context().close()]);
}, 60_000);

test("a gamemaster of no marketer creates a campaign from My campaigns and sees its content at once, then renames and schedules it", async () => {
  const gamemaster = await tokenFor(database, "gm@example.com");
  const context = await chromium.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.on("dialog", (dialog) => void dialog.accept(dialog.message().startsWith("New name") ? "Dragon hunt" : "48"));
  await page.goto(`${server.url}/campaigns`);
  await page.fill("#token", gamemaster);
  await page.click("#sign-in button[type=submit]");
  await page.waitForSelector("#new-campaign-name");
  await waitFor(flashes(page), (messages) => messages.includes("You are not a member of any marketer yet."));
  await waitFor(
    async () => page.textContent("#my-campaigns tbody"),
    (text) => /No campaign of your own yet/.test(text ?? ""),
  );

  await page.fill("#new-campaign-name", "Monster mash");
  await page.press("#new-campaign-name", "Enter");
  await waitFor(flashes(page), (messages) => messages.includes(`"Monster mash" is ready, with its content.`));
  const [{ id, schticks }] = await database.query<{ id: string; schticks: number }>(
    `select c.id, (select count(*)::int from app_public.schticks s where s.campaign_id = c.id) as schticks
       from app_public.campaigns c join app_public.users u on u.id = c.user_id where u.email = 'gm@example.com'`,
  );
  expect(schticks).toBeGreaterThan(0);
  const mine = `#my-campaigns tr[data-campaign-id="${id}"]`;
  expect(await page.getAttribute(`${mine} td.name a`, "href")).toBe(`/campaigns/${id}`);
  expect(await page.textContent(`${mine} td.content`)).toMatch(new RegExp(`^${schticks} schticks · \\d+ weapons · \\d+ characters$`));

  await page.click(`${mine} button:has-text("Rename")`);
  await waitFor(
    async () => page.textContent(`${mine} td.name`),
    (name) => name === "Dragon hunt",
  );
  await page.click(`${mine} button:has-text("Schedule")`);
  await waitFor(
    async () => page.textContent(`${mine} td.starts`),
    (starts) => starts !== "–",
  );
  expect(await database.query("select name, duration_hours::int as hours from app_public.campaigns where id = $1", [id])).toEqual([
    { name: "Dragon hunt", hours: 48 },
  ]);
  await page.screenshot({ path: path.join(ARTIFACTS_DIR, "my-campaigns.png"), fullPage: true });
  await context.close();
}, 60_000);

test("with 100 campaigns, the page and its data load", async () => {
  await database.query(
    `insert into app_public.campaigns (user_id, marketer_id, name, target_id)
     select c.user_id, c.marketer_id, 'Campaign ' || n, c.target_id
       from app_public.campaigns c, generate_series(1, 99) as n where c.id = $1`,
    [campaign],
  );
  const [page, data] = await Promise.all([
    fetch(`${server.url}/campaigns`, { headers: { cookie: `campaign_engine_token=${aliceToken}` } }).then((response) => response.text()),
    graphql(server.url, "query ($id: UUID!) { marketerCampaigns(marketerId: $id) }", { token: aliceToken, variables: { id: marketer } }),
  ]);
  expect(page).toMatch(/<table id="campaigns">/);
  expect(data.data.marketerCampaigns).toHaveLength(100);
});
