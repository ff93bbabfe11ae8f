// The campaigns manager end to end from the page, in two Chromium contexts: Ada signs in, creates
// a marketer and adds Bo by email; Bo signs in with his token, sees it, creates a target with three
// bands, a campaign of the marketer, sets its target and bids, and launches it; both pages see the
// population and the offers arrive as the launch work commits, without reloading, on the list and
// on the campaign's own page, whose chart of offers moves. Refusals show
// the database's message; owners remove members; a member leaves. Everything goes through GraphQL
// from the page; the participants are imported by an admin beforehand.
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { beforeAll, expect, test } from "vitest";
import { graphql, tokenFor, useTestApp } from "./support/app.ts";
import { ARTIFACTS_DIR, useBrowser } from "./support/browser.ts";
import { useTestDatabase } from "./support/database.ts";
import { waitFor } from "./support/wait.ts";

const database = useTestDatabase("campaigns_manager");
const server = useTestApp(database);
const chromium = useBrowser();

// 60 people the target reaches: 10 in the bullseye, 10 in the inner ring, 40 in the outer ring;
// and 5 it does not.
const BANDS = [
  { name: "Bullseye", tags: "gamer, rpg, vip", people: 10, offer: "12", cost: "3" },
  { name: "Inner ring", tags: "gamer, rpg", people: 10, offer: "8", cost: "2" },
  { name: "Outer ring", tags: "gamer", people: 40, offer: "4", cost: "1" },
];

beforeAll(async () => {
  const admin = await tokenFor(database, "admin@example.com", { admin: true });
  const rows = [
    ...BANDS.flatMap((band, b) =>
      Array.from({ length: band.people }, (_, i) => ({ externalId: `p-${b}-${i}`, tags: band.tags.split(", ") })),
    ),
    ...Array.from({ length: 5 }, (_, i) => ({ externalId: `reader-${i}`, tags: ["reader"] })),
  ];
  const imported = await graphql(
    server.url,
    "mutation ($rows: [ParticipantRowInput]!) { importParticipants(input: { participants: $rows }) { result } }",
    { token: admin, variables: { rows } },
  );
  expect(imported.errors).toBeUndefined();
  expect(imported.data.importParticipants.result).toMatchObject({ inserted: 65 });
});

async function signIn(browser: Browser, token: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on("dialog", (dialog) => void dialog.accept());
  const response = await page.goto(`${server.url}/campaigns`);
  expect(response?.status()).toBe(401);
  await page.fill("#token", token);
  await page.click("#sign-in button[type=submit]");
  await page.waitForSelector("#new-marketer-name");
  await page.evaluate(() => ((window as any).sameDocument = true));
  return page;
}

const text = (page: Page, selector: string) => async () => (await page.textContent(selector))?.trim() ?? "";
const flashes = (page: Page) => async () => page.$$eval("#flash li", (items) => items.map((item) => item.textContent ?? ""));
const members = (page: Page) => async () =>
  page.$$eval("#members tbody tr", (rows) => rows.map((row) => [row.children[0]!.textContent, row.children[1]!.textContent].join(" ")));
const flashed = (page: Page, wanted: string | RegExp, timeoutMs = 10_000) =>
  waitFor(flashes(page), (messages) => messages.some((m) => (typeof wanted === "string" ? m === wanted : wanted.test(m))), timeoutMs);

test("one user creates a marketer and adds another, who targets, sets up and launches a campaign; both see its stats move", async () => {
  const ada = await signIn(chromium.browser, await tokenFor(database, "ada@example.com"));
  await flashed(ada, "You are not a member of any marketer yet.");

  // Ada's marketer, with Ada as its owner.
  await ada.fill("#new-marketer-name", "Lantern Games");
  await ada.click("#new-marketer button[type=submit]");
  await flashed(ada, 'Marketer "Lantern Games" created: you are its owner.');
  await ada.waitForSelector("#live[data-state=live]");
  expect(await text(ada, "#marketer option:checked")()).toBe("Lantern Games");
  await waitFor(members(ada), (list) => list.join() === "ada@example.com owner");

  // Bo, unknown so far, becomes a user and a member; adding him twice is refused by the database.
  for (const attempt of [1, 2]) {
    await ada.fill("#member-email", "bo@example.com");
    await ada.selectOption("#member-role", "member");
    await ada.click("#add-member button[type=submit]");
    if (attempt === 1) await flashed(ada, "bo@example.com added as member.");
  }
  await flashed(ada, /^bo@example\.com is a member of marketer [0-9a-f-]+ already$/);
  await waitFor(members(ada), (list) => list.join() === "ada@example.com owner,bo@example.com member");

  // Bo signs in with his token and sees the marketer, its members, and no owner's controls.
  const bo = await signIn(chromium.browser, await tokenFor(database, "bo@example.com"));
  await bo.waitForSelector("#live[data-state=live]");
  expect(await text(bo, "#marketer option:checked")()).toBe("Lantern Games");
  await waitFor(members(bo), (list) => list.join() === "ada@example.com owner,bo@example.com member");
  expect(await bo.isVisible("#add-member")).toBe(false);

  // A target whose bullseye requires less than a ring outside it is refused, and leaves nothing.
  await bo.fill("#new-target-name", "Tabletop fans");
  await bo.click("#add-band");
  await bo.click("#add-band");
  const bandInputs = async (tags: string[]) => {
    for (const [position, band] of BANDS.entries()) {
      await bo.fill(`#new-target-bands li:nth-child(${position + 1}) .band-name`, band.name);
      await bo.fill(`#new-target-bands li:nth-child(${position + 1}) .band-tags`, tags[position]!);
    }
  };
  await bandInputs(["gamer", "gamer, rpg", "gamer"]);
  await bo.click("#new-target button[type=submit]");
  await flashed(bo, 'band "Bullseye" (position 0) must require every tag of the bands outside it');
  expect(await database.query("select * from app_public.targets")).toEqual([]);
  await bandInputs(BANDS.map((band) => band.tags));
  await bo.click("#new-target button[type=submit]");
  await flashed(bo, 'Target "Tabletop fans" created with 3 bands.');
  await waitFor(
    text(bo, "#targets tbody tr td.bands"),
    (bands) => bands === "Bullseye [gamer, rpg, vip] 0 · Inner ring [gamer, rpg] 0 · Outer ring [gamer] 0",
  );

  // A campaign of the marketer, at once (from the pool, or seeded there and then).
  await bo.fill("#new-marketer-campaign-name", "Dice night");
  await bo.click("#new-marketer-campaign button[type=submit]");
  await flashed(bo, '"Dice night" is ready: set up its target and bids, then launch it.');
  const [{ id: campaign }] = await database.query<{ id: string }>("select id from app_public.campaigns where name = 'Dice night'");
  const row = `#campaigns tr[data-campaign-id="${campaign}"]`;
  await bo.waitForSelector(row);

  // Launching without a target is refused with the database's message.
  await bo.click(`${row} button:has-text("Launch")`);
  await flashed(bo, 'campaign "Dice night" has no target');

  // Its target and a bid per band.
  await bo.click(`${row} button:has-text("Set up")`);
  await bo.selectOption("#setup-target", { label: "Tabletop fans" });
  for (const [position, band] of BANDS.entries()) {
    await bo.fill(`#setup-bids tbody tr:nth-child(${position + 1}) .offer-amount`, band.offer);
    await bo.fill(`#setup-bids tbody tr:nth-child(${position + 1}) .marketer-cost`, band.cost);
  }
  await bo.click("#campaign-setup button[type=submit]");
  await flashed(bo, '"Dice night" is set up: 3 bids.');
  expect(await bo.isVisible("#campaign-setup")).toBe(false);

  // Both see it, at its target, nobody reached yet; its name links to its own page.
  for (const page of [ada, bo]) {
    await waitFor(text(page, `${row} td.target`), (target) => target === "Tabletop fans (not populated)");
    expect(await text(page, `${row} td.population`)()).toBe("Bullseye 0 · Inner ring 0 · Outer ring 0");
    expect(await text(page, `${row} td.pending-offers`)()).toBe("0");
    expect(await page.getAttribute(`${row} td.name a`, "href")).toBe(`/campaigns/${campaign}`);
  }

  // Each also watches the campaign's own page, in a second tab.
  const details = await Promise.all(
    [ada, bo].map(async (page) => {
      const detail = await page.context().newPage();
      await detail.goto(`${server.url}/campaigns/${campaign}`);
      await detail.waitForSelector("#live[data-state=live]");
      expect(await detail.getAttribute("#offers-chart", "data-offers")).toBe("0");
      return detail;
    }),
  );

  await bo.click(`${row} button:has-text("Launch")`);
  for (const detail of details) {
    // The chart of offers made moves, as the population per band and the toasts do.
    await waitFor(
      async () => detail.getAttribute("#offers-chart", "data-offers"),
      (offers) => offers === "60",
      20_000,
    );
    await waitFor(
      async () => Number(await detail.getAttribute("#offers-chart", "data-points")),
      (points) => points >= 2,
    );
    expect(await detail.$$eval("#bands tbody tr td:nth-child(2)", (cells) => cells.map((c) => c.textContent))).toEqual(["10", "10", "40"]);
    await waitFor(
      async () => detail.$$eval("#flash li", (items) => items.map((item) => item.textContent)),
      (toasts) => toasts.includes("60 offers created"),
    );
    expect(await detail.textContent("#status")).toBe("RUNNING");
  }
  await details[1]!.screenshot({ path: path.join(ARTIFACTS_DIR, "campaigns-manager-detail.png"), fullPage: true });
  await Promise.all(details.map((detail) => detail.close()));
  for (const page of [ada, bo]) {
    await flashed(page, "Target populated! Creating offers...", 20_000);
    await flashed(page, "60 offers created successfully", 20_000);
    await waitFor(text(page, `${row} td.pending-offers`), (offers) => offers === "60");
    expect(await text(page, `${row} td.population`)()).toBe("Bullseye 10 · Inner ring 10 · Outer ring 40");
    expect(await text(page, `${row} td.target`)()).toBe("Tabletop fans (populated)");
    expect(await text(page, `${row} td.status`)()).toBe("RUNNING");
    expect(await text(page, `${row} td.reach`)()).toBe("60");
    // 10 × 3 + 10 × 2 + 40 × 1 in marketer cost.
    expect(await text(page, `${row} td.pending-spend`)()).toBe((90).toLocaleString("en-US", { minimumFractionDigits: 2 }));
    await waitFor(
      text(page, "#targets tbody tr td.bands"),
      (bands) => bands === "Bullseye [gamer, rpg, vip] 10 · Inner ring [gamer, rpg] 10 · Outer ring [gamer] 40",
    );
    expect(await page.evaluate(() => (window as any).sameDocument)).toBe(true);
  }
  await ada.screenshot({ path: path.join(ARTIFACTS_DIR, "campaigns-manager-owner.png"), fullPage: true });
  await bo.screenshot({ path: path.join(ARTIFACTS_DIR, "campaigns-manager-member.png"), fullPage: true });

  // Ada adds and removes a member; Bo leaves, and his campaign stays with the marketer, Ada's now.
  await ada.fill("#member-email", "cy@example.com");
  await ada.click("#add-member button[type=submit]");
  await waitFor(members(ada), (list) => list.includes("cy@example.com member"));
  await ada.click('#members tr:has-text("cy@example.com") button:has-text("Remove")');
  await flashed(ada, "cy@example.com is no longer a member.");
  await waitFor(members(ada), (list) => !list.includes("cy@example.com member"));

  await bo.click("#leave-marketer");
  await flashed(bo, "You left the marketer.");
  await flashed(bo, "You are not a member of any marketer yet.");
  expect(await bo.$$eval("#marketer option", (options) => options.length)).toBe(0);
  expect(await bo.isVisible(row)).toBe(false);
  expect(
    await database.query("select u.email from app_public.campaigns c join app_public.users u on u.id = c.user_id where c.id = $1", [
      campaign,
    ]),
  ).toEqual([{ email: "ada@example.com" }]);
  expect(await bo.evaluate(() => (window as any).sameDocument)).toBe(true);

  await Promise.all([ada.context().close(), bo.context().close()]);
}, 90_000);
