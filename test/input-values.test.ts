// Numbers as clients write them, and input the database cannot take refused with CE005, naming
// the parameter and the value, through the API as a client sends it; a refusal changes nothing.
import { beforeAll, describe, expect, test } from "vitest";
import { graphql, tokenFor, useTestApp } from "./support/app.ts";
import { useTestDatabase } from "./support/database.ts";

const database = useTestDatabase("input_values");
const server = useTestApp(database, { worker: false });

let owner: string;

beforeAll(async () => {
  owner = await tokenFor(database, "owner@example.com");
});

async function newCampaign(): Promise<string> {
  const [row] = await database.query<{ id: string }>(
    "insert into app_public.campaigns (user_id, name) select id, 'Night market' from app_public.users where email = 'owner@example.com' returning id",
  );
  return row!.id;
}
const scheduleOf = async (id: string) =>
  (
    await database.query(
      "select start_time, duration_hours, reward_claim_hours, name, description from app_public.campaigns where id = $1",
      [id],
    )
  )[0];
const UNSCHEDULED = { start_time: null, duration_hours: null, reward_claim_hours: "72", name: "Night market", description: "" };
const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

const schedule = (id: string, fields: string) =>
  graphql(
    server.url,
    `mutation { scheduleCampaign(input: { campaignId: "${id}", ${fields} }) { result { durationHours rewardClaimHours } } }`,
    { token: owner },
  );

describe("numbers as clients write them", () => {
  test("durationHours: 48 and rewardClaimHours: 1.5 are taken as written", async () => {
    const id = await newCampaign();
    const response = await schedule(id, `startTime: "${inAnHour()}", durationHours: 48, rewardsEnabled: true, rewardClaimHours: 1.5`);
    expect(response.errors).toBeUndefined();
    expect(response.data.scheduleCampaign.result).toEqual({ durationHours: "48", rewardClaimHours: "1.5" });
    expect(await scheduleOf(id)).toMatchObject({ duration_hours: "48", reward_claim_hours: "1.5" });
  });

  test("and as a string, as before", async () => {
    const id = await newCampaign();
    const response = await schedule(id, `startTime: "${inAnHour()}", durationHours: "48"`);
    expect(response.data.scheduleCampaign.result).toEqual({ durationHours: "48", rewardClaimHours: "72" });
  });
});

describe("out of range or malformed: CE005, naming the parameter and the value, nothing changed", () => {
  test.each([
    [
      "a claim window of 10^12 hours",
      `durationHours: 48, rewardClaimHours: "1e12"`,
      "reward_claim_hours must be between 1 minute and 1 year (got 1000000000000 hours)",
    ],
    ["a duration of 0.36 ms", `durationHours: 0.0000001`, "duration_hours must be between 1 minute and 1 year (got 0.0000001 hours)"],
    ["a duration longer than a year", `durationHours: 9000`, "duration_hours must be between 1 minute and 1 year (got 9000 hours)"],
    ["a malformed duration", `durationHours: "48h"`, 'input.durationHours must be a number (got "48h")'],
    ["a number that is not one", `durationHours: "NaN"`, 'input.durationHours must be a number (got "NaN")'],
    ["an overflowing exponent", `durationHours: "1e99999"`, 'input.durationHours must be a number (got "1e99999")'],
  ])("%s", async (_what, fields, message) => {
    const id = await newCampaign();
    const response = await schedule(id, `startTime: "${inAnHour()}", ${fields}`);
    expect(response.errors).toEqual([expect.objectContaining({ message, extensions: expect.objectContaining({ code: "CE005" }) })]);
    expect(await scheduleOf(id)).toEqual(UNSCHEDULED);
  });

  test.each([
    [
      "a day that does not exist",
      "2027-02-30T09:00:00Z",
      'input.startTime must be a date and time in ISO 8601, e.g. 2026-12-01T09:00:00Z (got "2027-02-30T09:00:00Z")',
    ],
    [
      "a year beyond what PostgreSQL holds",
      "294277-01-01T00:00:00Z",
      'input.startTime must be a date and time in ISO 8601, e.g. 2026-12-01T09:00:00Z (got "294277-01-01T00:00:00Z")',
    ],
    ["not a date", "next tuesday", 'input.startTime must be a date and time in ISO 8601, e.g. 2026-12-01T09:00:00Z (got "next tuesday")'],
  ])("a start time: %s", async (_what, startTime, message) => {
    const id = await newCampaign();
    const response = await schedule(id, `startTime: "${startTime}", durationHours: 48`);
    expect(response.errors).toEqual([expect.objectContaining({ message, extensions: { code: "CE005" } })]);
    expect(await scheduleOf(id)).toEqual(UNSCHEDULED);
  });

  test("a start nine thousand years ahead, valid as a date, is past the five-year bound", async () => {
    const id = await newCampaign();
    const response = await schedule(id, `startTime: "9999-01-01T00:00:00Z", durationHours: 48`);
    expect(response.errors?.[0]).toMatchObject({
      message: "start_time must be at most 5 years ahead (got 9999-01-01 00:00:00+00)",
      extensions: { code: "CE005" },
    });
    expect(await scheduleOf(id)).toEqual(UNSCHEDULED);
  });

  test("a variable is named as the client named it", async () => {
    const id = await newCampaign();
    const response = await graphql(
      server.url,
      `mutation ($hours: BigFloat!, $schedule: ScheduleCampaignInput!) {
        first: scheduleCampaign(input: { campaignId: "${id}", startTime: "${inAnHour()}", durationHours: $hours }) { clientMutationId }
        second: scheduleCampaign(input: $schedule) { clientMutationId }
      }`,
      { token: owner, variables: { hours: "forty", schedule: { campaignId: id, startTime: "soon", durationHours: 2 } } },
    );
    expect(response.errors?.map((error) => [error.message, error.extensions?.code])).toEqual([
      ['$hours must be a number (got "forty")', "CE005"],
      ['$schedule.startTime must be a date and time in ISO 8601, e.g. 2026-12-01T09:00:00Z (got "soon")', "CE005"],
    ]);
    expect(await scheduleOf(id)).toEqual(UNSCHEDULED);
  });
});

describe("a null byte, which text cannot hold, is refused naming the field", () => {
  test("in a literal", async () => {
    const id = await newCampaign();
    const response = await graphql(
      server.url,
      `mutation { updateCampaignByRowId(input: { rowId: "${id}", campaignPatch: { name: "Night\\u0000market" } }) { campaign { name } } }`,
      { token: owner },
    );
    expect(response.errors).toEqual([
      expect.objectContaining({
        message: 'input.campaignPatch.name must not contain a null byte (\\u0000) (got "Night\\u0000market")',
        extensions: { code: "CE005" },
      }),
    ]);
    expect(await scheduleOf(id)).toEqual(UNSCHEDULED);
  });

  test("in a variable", async () => {
    const response = await graphql(
      server.url,
      `mutation ($name: String!, $description: String) { createCampaign(input: { name: $name, description: $description }) { result { rowId } } }`,
      { token: owner, variables: { name: "Fine", description: "line one\u0000line two" } },
    );
    expect(response.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/^\$description must not contain a null byte/),
      extensions: { code: "CE005" },
    });
    expect(await database.query("select id from app_public.campaigns where name = 'Fine'")).toEqual([]);
  });
});
