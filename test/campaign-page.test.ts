// A campaign's page, /campaigns/<id>, in headless Chromium. Two new users, in two browser
// contexts: one creates a marketer and adds the other, everything through the API as they would;
// both open the campaign's page, one launches, and both see the population per band, the offers
// chart and cards move, toasts, the lifecycle and the "What changed?" list, without reloading.
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { beforeAll, expect, test } from "vitest";
import { graphql, tokenFor, useTestApp } from "./support/app.ts";
import { ARTIFACTS_DIR, useBrowser } from "./support/browser.ts";
import { useTestDatabase } from "./support/database.ts";
import { waitFor } from "./support/wait.ts";

const database = useTestDatabase("campaign_page");
const server = useTestApp(database);
const chromium = useBrowser();

const PEOPLE = 40;
let ownerToken: string, memberToken: string, strangerToken: string;
let campaign: string;

/** A GraphQL request as the holder of `token`; its data, or the test fails with its errors. */
async function as<T = any>(token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await graphql<T>(server.url, query, { token, variables });
  expect(response.errors).toBeUndefined();
  return response.data!;
}

beforeAll(async () => {
  [ownerToken, memberToken, strangerToken] = await Promise.all(
    ["owner@example.com", "member@example.com", "stranger@example.com"].map((email) => tokenFor(database, email)),
  );
  // An admin brings the participants (the importer's small-batch mutation).
  const admin = await tokenFor(database, "admin@example.com", { admin: true });
  await as(admin, `mutation ($rows: [ParticipantRowInput]!) { importParticipants(input: { participants: $rows }) { result } }`, {
    rows: Array.from({ length: PEOPLE }, (_, n) => ({ externalId: `p-${n}`, tags: n % 4 === 0 ? ["gamer", "vip"] : ["gamer"] })),
  });

  const marketer = (await as(ownerToken, `mutation { createMarketer(input: { name: "Lantern Co" }) { result { rowId } } }`)).createMarketer
    .result.rowId;
  await as(
    ownerToken,
    `mutation ($m: UUID!) { addMarketerMember(input: { marketerId: $m, email: "member@example.com", role: member }) { clientMutationId } }`,
    { m: marketer },
  );
  // The member sets up the campaign: a target with two bands, a campaign from the pool, its bids.
  const target = (
    await as(
      memberToken,
      `mutation ($m: UUID!) { createTarget(input: { target: { marketerId: $m, name: "Gamers" } }) { target { rowId } } }`,
      {
        m: marketer,
      },
    )
  ).createTarget.target.rowId;
  const band = async (position: number, name: string, tags: string[]) =>
    (
      await as(
        memberToken,
        `mutation ($t: UUID!, $p: Int!, $n: String!, $tags: [String]!) {
           createTargetBand(input: { targetBand: { targetId: $t, position: $p, name: $n, requiredTags: $tags } }) { targetBand { rowId } } }`,
        { t: target, p: position, n: name, tags },
      )
    ).createTargetBand.targetBand.rowId;
  const [bullseye, ring] = [await band(0, "Bullseye", ["gamer", "vip"]), await band(1, "Ring", ["gamer"])];
  campaign = (
    await as(
      memberToken,
      `mutation ($m: UUID!) { createCampaign(input: { name: "Lantern night", marketerId: $m }) { result { rowId } } }`,
      {
        m: marketer,
      },
    )
  ).createCampaign.result.rowId;
  await as(
    memberToken,
    `mutation ($c: UUID!, $t: UUID!) { updateCampaignByRowId(input: { rowId: $c, campaignPatch: { targetId: $t } }) { clientMutationId } }`,
    {
      c: campaign,
      t: target,
    },
  );
  for (const [bandId, amount] of [
    [bullseye, "10"],
    [ring, "5"],
  ] as const) {
    await as(
      memberToken,
      `mutation ($c: UUID!, $b: UUID!, $a: BigFloat!) {
         createBid(input: { bid: { campaignId: $c, bandId: $b, offerAmount: $a, marketerCost: "1" } }) { clientMutationId } }`,
      { c: campaign, b: bandId, a: amount },
    );
  }
});

async function openAs(browser: Browser, token: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const response = await page.goto(`${server.url}/campaigns/${campaign}`);
  expect(response?.status()).toBe(401);
  await page.fill("#token", token);
  await page.click("#sign-in button[type=submit]");
  // Signing in comes back to the campaign's page, which goes live.
  await page.waitForSelector("#live[data-state=live]");
  expect(new URL(page.url()).pathname).toBe(`/campaigns/${campaign}`);
  await page.evaluate(() => ((window as any).sameDocument = true));
  return page;
}

const text = (page: Page, selector: string) => async () => (await page.textContent(selector))?.trim() ?? "";
const texts = (page: Page, selector: string) => async () => page.$$eval(selector, (items) => items.map((item) => item.textContent ?? ""));

test("both members watch a launch on the campaign's page: bands, cards, chart, toasts, lifecycle and history move", async () => {
  const [owner, member] = [await openAs(chromium.browser, ownerToken), await openAs(chromium.browser, memberToken)];
  for (const page of [owner, member]) {
    expect(await text(page, "#name")()).toBe("Lantern night");
    expect(await text(page, "#status")()).toBe("CREATED");
    expect(await page.getAttribute("#offers-chart", "data-offers")).toBe("0");
    expect(await texts(page, "#bands tbody tr td:first-child")()).toEqual(["Bullseye", "Ring"]);
  }

  await member.click('#actions button:has-text("Launch")');
  for (const page of [owner, member]) {
    await waitFor(texts(page, "#flash li"), (toasts) => toasts.includes(`Target populated: ${PEOPLE} people reached`), 20_000);
    await waitFor(texts(page, "#flash li"), (toasts) => toasts.includes(`${PEOPLE} offers created`), 20_000);
    await waitFor(text(page, "#pending-offers"), (pending) => pending === String(PEOPLE), 10_000);
    // The chart now has the offers made: a starting point and one per offers_created event.
    await waitFor(
      async () => page.getAttribute("#offers-chart", "data-offers"),
      (offers) => offers === String(PEOPLE),
    );
    await waitFor(
      async () => Number(await page.getAttribute("#offers-chart", "data-points")),
      (points) => points >= 2,
    );
    // The bullseye takes every fourth person; the ring, the other gamers.
    expect(await texts(page, "#bands tbody tr td:nth-child(2)")()).toEqual([String(PEOPLE / 4), String((PEOPLE * 3) / 4)]);
    await waitFor(text(page, "#status"), (status) => status === "RUNNING");
    const timeline = await texts(page, "#timeline li")();
    expect(timeline).toContainEqual(expect.stringMatching(/: CREATED → RUNNING$/));
    expect(timeline).toContainEqual(expect.stringMatching(/: launched$/));
    const changes = await texts(page, "#changes li")();
    expect(changes[0]).toMatch(new RegExp(`: ${PEOPLE} offers created$`));
    expect(changes).toContainEqual(expect.stringMatching(new RegExp(`: Target populated: ${PEOPLE} people reached$`)));
    expect(await page.evaluate(() => (window as any).sameDocument)).toBe(true);
  }
  await member.screenshot({ path: path.join(ARTIFACTS_DIR, "campaign-page.png"), fullPage: true });
  await Promise.all([owner.context().close(), member.context().close()]);
}, 90_000);

test("someone who may not see the campaign is told so, and its stream is refused", async () => {
  const context = await chromium.browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.url}/campaigns/${campaign}`);
  await page.fill("#token", strangerToken);
  await page.click("#sign-in button[type=submit]");
  await page.waitForSelector("#changes");
  await page.waitForSelector('#flash li:has-text("This campaign does not exist, or you may not see it.")');
  const stream = await page.evaluate(async (id) => (await fetch(`/campaigns/events?campaignId=${id}`)).status, campaign);
  expect(stream).toBe(403);
  expect(await page.textContent("#name")).toBe("Campaign");
  await context.close();
});

test("an address under /campaigns that is not a campaign's id is not a page", async () => {
  const response = await fetch(`${server.url}/campaigns/not-a-campaign`, { headers: { authorization: `Bearer ${ownerToken}` } });
  expect(response.status).toBe(404);
});
