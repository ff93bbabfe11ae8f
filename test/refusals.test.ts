// Every refusal is clear and says no more than it may, through the API: a change the caller may not
// make answers a code (not a silent null, not a masked error), "not yours" comes before anything
// about another's data, and no message or field shows the caller what they may not read.
import { beforeAll, describe, expect, test } from "vitest";
import { graphql, tokenFor, useTestApp } from "./support/app.ts";
import { useTestDatabase } from "./support/database.ts";

const database = useTestDatabase("refusals");
const server = useTestApp(database, { worker: false });

let member: string, stranger: string, participant: string;
let campaign: string, otherCampaign: string, band: string, foreignBand: string, offer: string;

const one = async (text: string, values: unknown[] = []) => (await database.query<Record<string, any>>(text, values))[0]!;

beforeAll(async () => {
  // The owner signs in once, so that the campaigns below have one; their token is not used.
  [, member, stranger, participant] = await Promise.all(
    ["owner", "member", "stranger", "participant"].map((name) => tokenFor(database, `${name}@example.com`)),
  );
  const { id: marketer } = await one("insert into app_public.marketers (name) values ('Acme') returning id");
  await database.query(
    "insert into app_public.marketer_members (marketer_id, user_id) select $1, id from app_public.users where email in ('owner@example.com', 'member@example.com')",
    [marketer],
  );
  const { id: target } = await one("insert into app_public.targets (marketer_id, name) values ($1, 'Gamers') returning id", [marketer]);
  band = (
    await one(
      "insert into app_public.target_bands (target_id, position, name, required_tags) values ($1, 0, 'Bullseye', '{gamer}') returning id",
      [target],
    )
  ).id;
  const { id: otherTarget } = await one("insert into app_public.targets (marketer_id, name) values ($1, 'Readers') returning id", [
    marketer,
  ]);
  foreignBand = (
    await one(
      "insert into app_public.target_bands (target_id, position, name, required_tags) values ($1, 0, 'Bullseye', '{reader}') returning id",
      [otherTarget],
    )
  ).id;
  campaign = (
    await one(
      `insert into app_public.campaigns (user_id, marketer_id, name, target_id, rewards_enabled)
     select id, $1, 'Secret summer sale', $2, true from app_public.users where email = 'owner@example.com' returning id`,
      [marketer, target],
    )
  ).id;
  otherCampaign = (
    await one(
      "insert into app_public.campaigns (user_id, marketer_id, name, target_id) select id, $1, 'Autumn', $2 from app_public.users where email = 'owner@example.com' returning id",
      [marketer, target],
    )
  ).id;
  await database.query("insert into app_public.bids (campaign_id, band_id, offer_amount, marketer_cost) values ($1, $2, 10, 3)", [
    campaign,
    band,
  ]);
  const { id: person } = await one(
    "insert into app_public.participants (user_id, name, tags) select id, 'Pat', '{gamer}' from app_public.users where email = 'participant@example.com' returning id",
  );
  await database.query("select app_private.transition_campaign($1, 'RUNNING', 'test', '{}')", [campaign]);
  offer = (
    await one(
      `insert into app_public.offers (campaign_id, participant_id, band_id, offer_amount, cost_amount, pending_until, status)
     values ($1, $2, $3, 10, 3, now(), 'current') returning id`,
      [campaign, person, band],
    )
  ).id;
});

describe("a change the caller may not make, on a row they can see", () => {
  test("a member renaming the marketer's campaign is refused with CE020, not answered with a silent null", async () => {
    const response = await graphql(
      server.url,
      `mutation { updateCampaignByRowId(input: { rowId: "${campaign}", campaignPatch: { name: "Mine now" } }) { campaign { name } } }`,
      { token: member },
    );
    expect(response.errors).toEqual([
      expect.objectContaining({
        message: `Campaign rowId "${campaign}" does not exist or is not yours to change`,
        extensions: { code: "CE020" },
      }),
    ]);
    expect(await one("select name from app_public.campaigns where id = $1", [campaign])).toEqual({ name: "Secret summer sale" });
  });

  test("a member deleting it is refused with CE021, not a masked error", async () => {
    const response = await graphql(
      server.url,
      `mutation { deleteCampaignByRowId(input: { rowId: "${campaign}" }) { deletedCampaignId } }`,
      { token: member },
    );
    expect(response.errors).toEqual([
      expect.objectContaining({
        message: `Campaign rowId "${campaign}" does not exist or is not yours to delete`,
        extensions: { code: "CE021" },
      }),
    ]);
    expect(await database.query("select id from app_public.campaigns where id = $1", [campaign])).toHaveLength(1);
  });

  test("a record that does not exist gets the same answer: a refusal does not tell whether a row exists", async () => {
    const missing = "00000000-0000-4000-8000-000000000000";
    const response = await graphql(server.url, `mutation { deleteCampaignByRowId(input: { rowId: "${missing}" }) { deletedCampaignId } }`, {
      token: member,
    });
    expect(response.errors?.[0]).toMatchObject({
      message: `Campaign rowId "${missing}" does not exist or is not yours to delete`,
      extensions: { code: "CE021" },
    });
  });
});

describe("'not yours' comes first", () => {
  test("a stranger's bid on another's campaign is refused as not theirs (CE003), whatever the band", async () => {
    for (const bandId of [band, foreignBand]) {
      const response = await graphql(
        server.url,
        `mutation { createBid(input: { bid: { campaignId: "${otherCampaign}", bandId: "${bandId}", offerAmount: 1, marketerCost: 1 } }) { bid { offerAmount } } }`,
        { token: stranger },
      );
      expect(response.errors).toEqual([
        expect.objectContaining({
          message: `campaign ${otherCampaign} does not exist or is not yours to change`,
          extensions: { code: "CE003" },
        }),
      ]);
    }
    expect(await database.query("select band_id from app_public.bids where campaign_id = $1", [otherCampaign])).toEqual([]);
  });

  test("the campaign's own team still learns that the band is not of its target (CE311)", async () => {
    const response = await graphql(
      server.url,
      `mutation { createBid(input: { bid: { campaignId: "${otherCampaign}", bandId: "${foreignBand}", offerAmount: 1, marketerCost: 1 } }) { bid { offerAmount } } }`,
      { token: member },
    );
    expect(response.errors?.[0]).toMatchObject({ extensions: { code: "CE311" } });
    expect(await database.query("select band_id from app_public.bids where campaign_id = $1", [otherCampaign])).toEqual([]);
  });
});

describe("what the participant may not read", () => {
  test("claiming too early says why without naming the campaign or its status", async () => {
    const response = await graphql(server.url, `mutation { claimOffer(input: { offerId: "${offer}" }) { result { status } } }`, {
      token: participant,
    });
    expect(response.errors).toEqual([expect.objectContaining({ extensions: { code: "CE306" } })]);
    const message = response.errors![0]!.message;
    expect(message).toBe(`offer ${offer} cannot be claimed now: rewards are claimed only while the campaign is in REWARD_CLAIM`);
    expect(message).not.toMatch(/Secret summer sale|RUNNING/);
    expect(await one("select status, claimed_at from app_public.offers where id = $1", [offer])).toEqual({
      status: "current",
      claimed_at: null,
    });
  });

  test("sees their offer, but not what it costs the marketer", async () => {
    const own = await graphql(server.url, `{ allOffers { nodes { rowId offerAmount status } } }`, { token: participant });
    expect(own.data.allOffers.nodes).toEqual([{ rowId: offer, offerAmount: "10.00", status: "current" }]);
    const cost = await graphql(server.url, `{ allOffers { nodes { costAmount } } }`, { token: participant });
    expect(cost.errors?.[0]?.message).toMatch(/Cannot query field "costAmount" on type "Offer"/);
    expect(cost.data).toBeUndefined();
  });

  test("the marketer's members see their costs in the bids and the stats", async () => {
    const response = await graphql(
      server.url,
      `query { allBids(condition: { campaignId: "${campaign}" }) { nodes { marketerCost } } campaignStats(campaignId: "${campaign}") }`,
      { token: member },
    );
    expect(response.data.allBids.nodes).toEqual([{ marketerCost: "3.00" }]);
    expect(response.data.campaignStats.pending_spend).toBe(0);
  });
});
