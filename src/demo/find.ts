// What of the demo is in the database now, read as an operator: what `npm run demo` prints, after
// creating it or on finding it there. Reads only.
import type { Kysely } from "kysely";
import type { TokenUser } from "../auth/issue-token.ts";
import type { DB } from "../db/kysely.ts";
import { DEMO_TARGET } from "./audience.ts";
import { DEMO_MARKETER, DEMO_USERS, type DemoRole } from "./create.ts";

export interface DemoCampaign {
  id: string;
  name: string;
  status: string;
  start_time: Date | null;
  launched_at: Date | null;
  pending_offers: number;
}

export interface Demo {
  marketer: { id: string; name: string };
  members: { email: string; role: string }[];
  /** Participants the demo imported (external ids demo-…). */
  participants: number;
  target: { name: string; population_status: string; bands: { name: string; required_tags: string[]; population: number }[] };
  campaigns: DemoCampaign[];
  gamemasterCampaigns: DemoCampaign[];
  /** Its users as they are now; one somebody deleted since is missing. */
  users: Partial<Record<DemoRole, TokenUser & { email: string }>>;
}

export async function findDemo(db: Kysely<DB>): Promise<Demo | undefined> {
  const marketer = await db.selectFrom("app_public.marketers").where("name", "=", DEMO_MARKETER).select(["id", "name"]).executeTakeFirst();
  if (!marketer) return undefined;
  const members = await db
    .selectFrom("app_public.marketer_members as m")
    .innerJoin("app_public.users as u", "u.id", "m.user_id")
    .where("m.marketer_id", "=", marketer.id)
    .select(["u.email", "m.role"])
    .orderBy("m.role", "desc")
    .orderBy("u.email")
    .execute();
  const { participants } = await db
    .selectFrom("app_public.participants")
    .where("external_id", "like", "demo-%")
    .select((eb) => eb.fn.countAll<string>().as("participants"))
    .executeTakeFirstOrThrow();
  const target = await db
    .selectFrom("app_public.targets")
    .where("marketer_id", "=", marketer.id)
    .where("name", "=", DEMO_TARGET)
    .select(["id", "name", "population_status"])
    .executeTakeFirstOrThrow();
  const bands = await db
    .selectFrom("app_public.target_bands")
    .where("target_id", "=", target.id)
    .select(["name", "required_tags", "population"])
    .orderBy("position")
    .execute();
  const campaigns = db
    .selectFrom("app_public.campaigns as c")
    .leftJoin("app_public.campaign_offer_stats as s", "s.campaign_id", "c.id")
    .select((eb) => [
      "c.id",
      "c.name",
      "c.status",
      "c.start_time",
      "c.launched_at",
      eb.fn.coalesce("s.pending", eb.lit(0)).as("pending_offers"),
    ])
    .orderBy("c.created_at")
    .orderBy("c.name");
  const users = await db
    .selectFrom("app_public.users")
    .where("email", "in", Object.values(DEMO_USERS))
    .select(["id", "email", "is_admin"])
    .execute();
  const gamemaster = users.find((user) => user.email === DEMO_USERS.gamemaster);
  return {
    marketer,
    members,
    participants: Number(participants),
    target: { name: target.name, population_status: target.population_status, bands },
    campaigns: await campaigns.where("c.marketer_id", "=", marketer.id).execute(),
    gamemasterCampaigns: gamemaster
      ? await campaigns.where("c.user_id", "=", gamemaster.id).where("c.marketer_id", "is", null).where("c.is_pool", "=", false).execute()
      : [],
    users: Object.fromEntries(
      (Object.entries(DEMO_USERS) as [DemoRole, string][]).flatMap(([role, email]) => {
        const user = users.find((found) => found.email === email);
        return user ? [[role, user]] : [];
      }),
    ),
  };
}
