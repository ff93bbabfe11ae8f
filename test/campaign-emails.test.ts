// Email for major events, as an owner gets it: an owner who asked (setMarketerCampaignEmails) is
// emailed, through a real SMTP server on loopback, when a campaign of the marketer starts, closes
// and expires; an owner who did not ask is not; a member who is not an owner may not ask.
import type { AddressInfo } from "node:net";
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, expect, test } from "vitest";
import { graphql, tokenFor, useTestApp } from "./support/app.ts";
import { useTestDatabase } from "./support/database.ts";
import { runDueJobs } from "./support/jobs.ts";

const mails: { to: string[]; subject?: string; text?: string }[] = [];
const smtp = new SMTPServer({
  disabledCommands: ["STARTTLS", "AUTH"],
  onData(stream, session, callback) {
    simpleParser(stream).then((mail) => {
      mails.push({ to: session.envelope.rcptTo.map((r) => r.address), subject: mail.subject, text: mail.text });
      callback();
    }, callback);
  },
});
await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
const saved = { SMTP_HOST: process.env.SMTP_HOST, SMTP_PORT: process.env.SMTP_PORT };
Object.assign(process.env, { SMTP_HOST: "127.0.0.1", SMTP_PORT: String((smtp.server.address() as AddressInfo).port) });
afterAll(async () => {
  Object.assign(process.env, saved);
  for (const [name, value] of Object.entries(saved)) if (value === undefined) delete process.env[name];
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

const database = useTestDatabase("campaign_emails");
const server = useTestApp(database, { worker: false });
const SET = `mutation ($m: UUID!, $on: Boolean!) { setMarketerCampaignEmails(input: { marketerId: $m, enabled: $on }) { result { emailCampaignEvents } } }`;

let olive: string, mia: string, marketer: string, campaign: string;
beforeAll(async () => {
  // Otto, an owner too, does not ask.
  [olive, , mia] = await Promise.all(["olive", "otto", "mia"].map((name) => tokenFor(database, `${name}@example.com`)));
  const created = await graphql(server.url, `mutation { createMarketer(input: { name: "Acme" }) { result { rowId } } }`, { token: olive });
  marketer = created.data.createMarketer.result.rowId;
  const ADD = `mutation ($m: UUID!, $e: String!, $r: MarketerRole) { addMarketerMember(input: { marketerId: $m, email: $e, role: $r }) { result { role } } }`;
  await graphql(server.url, ADD, { token: olive, variables: { m: marketer, e: "otto@example.com", r: "owner" } });
  await graphql(server.url, ADD, { token: olive, variables: { m: marketer, e: "mia@example.com" } });
  const made = await graphql(
    server.url,
    `mutation ($m: UUID!) { createCampaign(input: { name: "Night market", marketerId: $m }) { result { rowId } } }`,
    {
      token: olive,
      variables: { m: marketer },
    },
  );
  campaign = made.data.createCampaign.result.rowId;
});

test("a member who is not an owner may not ask; an owner who asked is emailed at start, close and expiry, one who did not is not", async () => {
  const refused = await graphql(server.url, SET, { token: mia, variables: { m: marketer, on: true } });
  expect(refused.errors?.[0]?.extensions?.code).toBe("CE211");
  const asked = await graphql(server.url, SET, { token: olive, variables: { m: marketer, on: true } });
  expect(asked.data.setMarketerCampaignEmails.result).toEqual({ emailCampaignEvents: true });

  for (const move of ["startCampaign", "closeCampaign", "expireCampaign"]) {
    const moved = await graphql(server.url, `mutation ($c: UUID!) { ${move}(input: { campaignId: $c }) { result { status } } }`, {
      token: olive,
      variables: { c: campaign },
    });
    expect(moved.errors, JSON.stringify(moved.errors)).toBeUndefined();
    await runDueJobs(database);
  }
  expect(mails.map((mail) => [mail.to, mail.subject])).toEqual([
    [["olive@example.com"], "Night market is running"],
    [["olive@example.com"], "Night market has closed"],
    [["olive@example.com"], "Night market has expired"],
  ]);
  expect(mails[0]!.text).toMatch(/The campaign "Night market" of Acme is running \(RUNNING\)/);
});
