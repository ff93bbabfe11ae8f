// `npm run demo`: what a new reader needs to see every part working, made the way users would make
// it. A marketer with an owner and a member, an audience imported as `npm run participants:import`
// imports one, a target with three bands, three campaigns of the marketer (launched, scheduled to
// start in a minute, closed with rewards open) and a gamemaster with two campaigns of their own.
// Each step is the app_public function or the table write the API would make, as the user who
// would make it (actAs), so every rule and policy applies. All in one transaction: a failure
// leaves nothing, and a second run finds the marketer and changes nothing.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type pg from "pg";
import { ensureUser, type TokenUser } from "../auth/issue-token.ts";
import { actAs } from "../auth/pg-settings.ts";
import { kyselyOnClient } from "../db/kysely.ts";
import { inTransaction } from "../db/transaction.ts";
import { type ImportResult, importParticipantsWithin } from "../participants/import.ts";
import { DEMO_BANDS, DEMO_TARGET, writeParticipantsCsv } from "./audience.ts";

export const DEMO_MARKETER = "Neon Noodles (demo)";

export const DEMO_USERS = {
  owner: "demo-owner@example.com",
  member: "demo-member@example.com",
  gamemaster: "demo-gamemaster@example.com",
  admin: "demo-admin@example.com",
} as const;
export type DemoRole = keyof typeof DEMO_USERS;

export const DEMO_CAMPAIGNS = {
  launched: { name: "Lantern Festival", description: "Launched at the night market regulars: offers go out by band." },
  scheduled: { name: "Midnight Ramen Run", description: "Scheduled by the member: its START timer fires a minute after the demo." },
  closed: { name: "Summer Noodle Quest", description: "Ran, closed, and now its rewards can be claimed." },
} as const;

export const GAMEMASTER_CAMPAIGNS = [
  { name: "The Jade Dragon Heist", description: "A Feng Shui 2 caper in 1970s Hong Kong." },
  { name: "Ghosts of the Netherworld", description: "The secret war reaches the Netherworld." },
] as const;

export interface DemoOptions {
  /** How many participants to import (the demo's default is 100,000). */
  participants: number;
  /** Hears each step as it starts. */
  onStep?: (step: string) => void;
}

/** Creates the demo unless its marketer exists; returns whether it did. One transaction on `client`. */
export async function ensureDemo(client: pg.ClientBase, options: DemoOptions): Promise<boolean> {
  try {
    return await inTransaction(client, async () => {
      // Two demos started at once: the second waits, then finds the first one's marketer.
      await client.query("select pg_advisory_xact_lock(hashtextextended('campaign-engine:demo', 0))");
      const { rowCount } = await client.query("select 1 from app_public.marketers where name = $1", [DEMO_MARKETER]);
      if (rowCount) return false;
      await createDemo(client, options);
      return true;
    });
  } catch (error) {
    throw new Error(`no demo was made (nothing of it is left): ${(error as Error).message}`, { cause: error });
  }
}

async function one<Row>(client: pg.ClientBase, text: string, values: unknown[]): Promise<Row> {
  const { rows } = await client.query(text, values);
  if (rows.length !== 1) throw new Error(`expected one row, got ${rows.length}: ${text}`);
  return rows[0] as Row;
}

async function createDemo(client: pg.ClientBase, { participants, onStep = () => {} }: DemoOptions): Promise<void> {
  // As an operator: the users, as `npm run token` makes them, and the audience, as an import does.
  onStep("users: owner, member, gamemaster, admin");
  const db = kyselyOnClient(client);
  const users = {} as Record<DemoRole, TokenUser>;
  for (const [role, email] of Object.entries(DEMO_USERS) as [DemoRole, string][]) {
    users[role] = await ensureUser(db, email, { admin: role === "admin" });
  }
  const count = (n: number) => n.toLocaleString("en-US");
  onStep(`importing ${count(participants)} participants`);
  const imported = await importAudience(client, participants);
  onStep(
    `imported ${count(imported.rows)} rows: ${count(imported.inserted)} new participants, ${count(imported.updated)} changed, ${count(imported.unchanged)} unchanged`,
  );

  const as = (role: DemoRole) => actAs(client, { sub: users[role].id, is_admin: users[role].is_admin });
  const createCampaign = (campaign: { name: string; description: string }, marketerId: string | null) =>
    one<{ id: string }>(client, "select id from app_public.create_campaign($1, $2, $3)", [campaign.name, campaign.description, marketerId]);

  // The gamemaster first, so their campaigns are the ones the pool hands over when it is small.
  onStep("the gamemaster's campaigns");
  await as("gamemaster");
  for (const campaign of GAMEMASTER_CAMPAIGNS) await createCampaign(campaign, null);

  onStep("the marketer, its member and its target");
  await as("owner");
  const { id: marketerId } = await one<{ id: string }>(client, "select id from app_public.create_marketer($1)", [DEMO_MARKETER]);
  await client.query("select app_public.add_marketer_member($1, $2, 'member')", [marketerId, DEMO_USERS.member]);
  const { id: targetId } = await one<{ id: string }>(
    client,
    "insert into app_public.targets (marketer_id, name) values ($1, $2) returning id",
    [marketerId, DEMO_TARGET],
  );
  const bandIds: string[] = [];
  for (const [position, band] of DEMO_BANDS.entries()) {
    const { id } = await one<{ id: string }>(
      client,
      "insert into app_public.target_bands (target_id, position, name, required_tags) values ($1, $2, $3, $4) returning id",
      [targetId, position, band.name, band.requiredTags],
    );
    bandIds.push(id);
  }

  /** A campaign of the marketer for the current user, at the target, with a bid on every band. */
  const marketerCampaign = async (campaign: { name: string; description: string }) => {
    const { id } = await createCampaign(campaign, marketerId);
    await one(client, "update app_public.campaigns set target_id = $2 where id = $1 returning id", [id, targetId]);
    for (const [index, band] of DEMO_BANDS.entries()) {
      await client.query("insert into app_public.bids (campaign_id, band_id, offer_amount, marketer_cost) values ($1, $2, $3, $4)", [
        id,
        bandIds[index],
        band.offerAmount,
        band.marketerCost,
      ]);
    }
    return id;
  };

  onStep("the marketer's campaigns: launched, scheduled, closed with rewards open");
  const launched = await marketerCampaign(DEMO_CAMPAIGNS.launched);
  await client.query("select app_public.launch_campaign($1)", [launched]);

  // Rewards are enabled by scheduling; launching starts it at once, then it closes and opens its claims.
  const closed = await marketerCampaign(DEMO_CAMPAIGNS.closed);
  await client.query("select app_public.schedule_campaign($1, now(), 24, true, true, 72)", [closed]);
  await client.query("select app_public.launch_campaign($1)", [closed]);
  await client.query("select app_public.close_campaign($1)", [closed]);
  await client.query("select app_public.open_reward_claim($1)", [closed]);

  await as("member");
  const scheduled = await marketerCampaign(DEMO_CAMPAIGNS.scheduled);
  await client.query("select app_public.schedule_campaign($1, now() + interval '1 minute', 48, true, true, 72)", [scheduled]);
}

async function importAudience(client: pg.ClientBase, participants: number): Promise<ImportResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "campaign-engine-demo-"));
  try {
    const file = path.join(dir, "participants.csv");
    await writeParticipantsCsv(file, participants);
    return await importParticipantsWithin(client, file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
