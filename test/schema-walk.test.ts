// Every mutation of the generated schema, through HTTP as clients call it: the party the rules
// allow succeeds, and a stranger and an anonymous caller are refused with a code and change
// nothing. The mutations come from introspecting the schema (as an admin); the table below says,
// for each one, who may call it and with which input, so a new mutation fails this test until it
// is added. A fresh app: no connection has cached a plan from an earlier, more privileged call.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { graphql, tokenFor, useTestApp } from "./support/app.ts";
import { useTestDatabase } from "./support/database.ts";
import { type FakeImageKit, startFakeImageKit } from "./support/fake-imagekit.ts";
import { runDueJobs } from "./support/jobs.ts";

// replaceImage uploads; everything else ignores ImageKit.
const fake: FakeImageKit = await startFakeImageKit();
process.env.IMAGEKIT_PRIVATE_KEY = "private_test_key";
process.env.IMAGEKIT_API_BASE_URL = fake.baseUrl;
afterAll(() => fake.close());

const database = useTestDatabase("schema_walk");
const server = useTestApp(database, { worker: false });

type Party = "owner" | "member" | "admin" | "self" | "participant";
type Caller = Party | "stranger" | "anonymous";
type Input = Record<string, unknown>;

interface Case {
  /** Who the rules let call it: the campaign's owner, a member of its marketer, an admin, the user themself, the participant. */
  party: Party;
  /** The input all three callers send; `keys` are the input fields that find the row (update and delete). */
  input(keys: string[]): Input | Promise<Input>;
  /**
   * The codes a stranger (signed in, no rights here) and an anonymous caller are refused with; null
   * for the stranger when any signed-in user may.
   */
  refused: [stranger: string | null, anonymous: string];
  /** Background work the allowed call starts, waited for before the next mutation. */
  starts?: "jobs";
}

// Tables the API changes directly, with their GraphQL type names (for global node ids).
const TYPES: Record<string, string> = {
  campaigns: "Campaign",
  users: "User",
  participants: "Participant",
  targets: "Target",
  target_bands: "TargetBand",
  bids: "Bid",
  factions: "Faction",
  junctures: "Juncture",
  schticks: "Schtick",
  weapons: "Weapon",
  characters: "Character",
  vehicles: "Vehicle",
  sites: "Site",
  parties: "Party",
  character_schticks: "CharacterSchtick",
  carries: "Carry",
};
const NAMED_CONTENT = ["factions", "junctures", "schticks", "weapons", "characters", "vehicles", "sites", "parties"];

let tokens: Record<Caller, string | undefined>;
let ids: Record<string, string>;
let primaryKeys: Record<string, string[]>;
let serial = 0;
const unique = (label: string) => `${label} ${++serial}`;

const one = async (text: string, values: unknown[] = []) => (await database.query<Record<string, any>>(text, values))[0]!;
const timerOf = async (campaign: string, type: string) =>
  (
    await one("select id from app_public.campaign_timers where campaign_id = $1 and timer_type = $2 and status = 'PENDING'", [
      campaign,
      type,
    ])
  ).id as string;

/** A new campaign of the owner in the marketer, in `status` (moved through the state machine). */
async function campaignIn(status: string, extra: { target?: string; rewards?: boolean; launched?: boolean } = {}): Promise<string> {
  const { id } = await one(
    `insert into app_public.campaigns (user_id, marketer_id, name, target_id, rewards_enabled, launched_at)
     values ($1, $2, $3, $4, $5, case when $6 then now() end) returning id`,
    [ids.owner, ids.marketer, unique("Campaign"), extra.target ?? null, extra.rewards ?? false, extra.launched ?? false],
  );
  const path = { CREATED: [], RUNNING: ["RUNNING"], CLOSED: ["RUNNING", "CLOSED"], REWARD_CLAIM: ["RUNNING", "CLOSED", "REWARD_CLAIM"] }[
    status
  ]!;
  for (const step of path) await database.query("select app_private.transition_campaign($1, $2, 'test', '{}')", [id, step]);
  return id;
}

/** A campaign ready to launch (or to refresh): at the test's target, with a bid on its band. */
async function launchableCampaignIn(status: string, extra: { launched?: boolean } = {}): Promise<{ campaignId: string }> {
  const campaignId = await campaignIn(status, { target: ids.target, ...extra });
  await database.query("insert into app_public.bids (campaign_id, band_id, offer_amount, marketer_cost) values ($1, $2, 4, 1)", [
    campaignId,
    ids.band,
  ]);
  return { campaignId };
}

/** A fresh row of `table` (inserted by the owner in psql), as its columns. */
async function newRow(table: string): Promise<Record<string, unknown>> {
  const campaign = ids.editable;
  switch (table) {
    case "schticks":
      return one("insert into app_public.schticks (campaign_id, name, category) values ($1, $2, 'Guns') returning *", [
        campaign,
        unique("Schtick"),
      ]);
    case "weapons":
      return one("insert into app_public.weapons (campaign_id, name, damage) values ($1, $2, 9) returning *", [campaign, unique("Weapon")]);
    case "character_schticks": {
      const [character, schtick] = [await newRow("characters"), await newRow("schticks")];
      return one("insert into app_public.character_schticks (campaign_id, character_id, schtick_id) values ($1, $2, $3) returning *", [
        campaign,
        character.id,
        schtick.id,
      ]);
    }
    case "carries": {
      const [character, weapon] = [await newRow("characters"), await newRow("weapons")];
      return one("insert into app_public.carries (campaign_id, character_id, weapon_id) values ($1, $2, $3) returning *", [
        campaign,
        character.id,
        weapon.id,
      ]);
    }
    case "campaigns":
      return one("select * from app_public.campaigns where id = $1", [await campaignIn("CREATED")]);
    case "participants":
      return one("insert into app_public.participants (name, tags, external_id) values ($1, '{gamer}', $1) returning *", [
        unique("Participant"),
      ]);
    case "targets":
      return one("insert into app_public.targets (marketer_id, name) values ($1, $2) returning *", [ids.marketer, unique("Target")]);
    case "target_bands":
      return one(
        "insert into app_public.target_bands (target_id, position, name, required_tags) values ($1, 0, 'Bullseye', '{gamer}') returning *",
        [(await newRow("targets")).id],
      );
    case "bids": {
      // A new ring of the editable campaign's target (every ring requires the same tag, so any order is valid).
      const band = await one(
        `insert into app_public.target_bands (target_id, position, name, required_tags)
         select $1, coalesce(max(position), -1) + 1, $2, '{gamer}' from app_public.target_bands where target_id = $1 returning id`,
        [ids.editableTarget, unique("Ring")],
      );
      return one("insert into app_public.bids (campaign_id, band_id, offer_amount, marketer_cost) values ($1, $2, 3, 1) returning *", [
        campaign,
        band.id,
      ]);
    }
    default:
      return one(`insert into app_public.${table} (campaign_id, name) values ($1, $2) returning *`, [campaign, unique(TYPES[table]!)]);
  }
}

const camel = (column: string) => column.replace(/_(\w)/g, (_, letter: string) => letter.toUpperCase());
const snake = (field: string) => field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/** The input fields that find `row`: its global node id, its rowId, or a unique key. */
function keysOf(table: string, row: Record<string, unknown>, keys: string[]): Input {
  return Object.fromEntries(
    keys.map((key) => {
      if (key === "id") {
        const nodeId = Buffer.from(JSON.stringify([TYPES[table], ...primaryKeys[table]!.map((column) => row[column])])).toString("base64");
        return [key, nodeId];
      }
      return [key, row[key === "rowId" ? "id" : snake(key)]];
    }),
  );
}

const update = (
  party: Party,
  table: string,
  patch: (row: Record<string, unknown>) => Input,
  row: () => Promise<Record<string, unknown>>,
): Case => ({
  party,
  input: async (keys) => {
    const found = await row();
    return { ...keysOf(table, found, keys), [`${camel(TYPES[table]!.replace(/^./, (c) => c.toLowerCase()))}Patch`]: patch(found) };
  },
  refused: ["CE020", "CE020"],
});
const remove = (party: Party, table: string): Case => ({
  party,
  input: async (keys) => keysOf(table, await newRow(table), keys),
  refused: ["CE021", "CE021"],
});

// The rows every update of a table changes (one per table, updated by each variant in turn).
const edited: Record<string, Record<string, unknown>> = {};
const editedRow = (table: string) => async () => (edited[table] ??= await newRow(table));

const contentCases = (
  table: string,
  typeName: string,
  create: () => Promise<Input>,
  patch: (row: Record<string, unknown>) => Input,
): Record<string, Case> => {
  const field = typeName.replace(/^./, (c) => c.toLowerCase());
  return {
    [`create${typeName}`]: { party: "owner", input: async () => ({ [field]: await create() }), refused: ["42501", "42501"] },
    ...Object.fromEntries(UPDATE_VARIANTS[typeName]!.map((name) => [name, update("owner", table, patch, editedRow(table))])),
    ...Object.fromEntries(DELETE_VARIANTS[typeName]!.map((name) => [name, remove("owner", table)])),
  };
};

// Each generated update and delete mutation by type, as the schema names them.
const UPDATE_VARIANTS: Record<string, string[]> = {
  Faction: ["updateFaction", "updateFactionByRowId", "updateFactionByCampaignIdAndRowId"],
  Juncture: ["updateJuncture", "updateJunctureByRowId", "updateJunctureByCampaignIdAndRowId"],
  Schtick: ["updateSchtick", "updateSchtickByRowId", "updateSchtickByCampaignIdAndRowId", "updateSchtickByCampaignIdAndCategoryAndName"],
  Weapon: ["updateWeapon", "updateWeaponByRowId", "updateWeaponByCampaignIdAndRowId", "updateWeaponByCampaignIdAndName"],
  Character: ["updateCharacter", "updateCharacterByRowId", "updateCharacterByCampaignIdAndRowId"],
  Vehicle: ["updateVehicle", "updateVehicleByRowId", "updateVehicleByCampaignIdAndRowId"],
  Site: ["updateSite", "updateSiteByRowId", "updateSiteByCampaignIdAndRowId", "updateSiteByCampaignIdAndName"],
  Party: ["updateParty", "updatePartyByRowId", "updatePartyByCampaignIdAndRowId"],
  CharacterSchtick: ["updateCharacterSchtick", "updateCharacterSchtickByCampaignIdAndCharacterIdAndSchtickId"],
  Carry: ["updateCarry", "updateCarryByCampaignIdAndCharacterIdAndWeaponId"],
};
const DELETE_VARIANTS = Object.fromEntries(
  Object.entries(UPDATE_VARIANTS).map(([type, names]) => [type, names.map((name) => name.replace(/^update/, "delete"))]),
);

const PNG = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000", "hex").toString("base64");
const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

/** Who may call each mutation, and with which input. Table mutations first, then the functions. */
const MUTATIONS: Record<string, Case> = {
  // Content: the campaign's owner. Patches leave every unique key as it is, so each variant finds the row.
  ...Object.assign(
    {},
    ...NAMED_CONTENT.map((table) =>
      contentCases(
        table,
        TYPES[table]!,
        async () => ({
          campaignId: ids.editable,
          name: unique("Created"),
          ...(table === "schticks" ? { category: "Guns" } : {}),
          ...(table === "weapons" ? { damage: 7 } : {}),
        }),
        () => ({ active: false }),
      ),
    ),
  ),
  ...contentCases(
    "character_schticks",
    "CharacterSchtick",
    async () => ({ campaignId: ids.editable, characterId: (await newRow("characters")).id, schtickId: (await newRow("schticks")).id }),
    (row) => ({ schtickId: row.schtick_id }),
  ),
  ...contentCases(
    "carries",
    "Carry",
    async () => ({ campaignId: ids.editable, characterId: (await newRow("characters")).id, weaponId: (await newRow("weapons")).id }),
    (row) => ({ weaponId: row.weapon_id }),
  ),

  // Campaigns: their owner (created only by createCampaign, below).
  updateCampaign: update("owner", "campaigns", () => ({ name: "Renamed by its owner" }), editedRow("campaigns")),
  updateCampaignByRowId: update(
    "owner",
    "campaigns",
    () => ({ name: "Renamed again", targetId: ids.editableTarget }),
    editedRow("campaigns"),
  ),
  deleteCampaign: remove("owner", "campaigns"),
  deleteCampaignByRowId: remove("owner", "campaigns"),

  // Users: each their own name.
  updateUser: update(
    "self",
    "users",
    () => ({ name: "Olive" }),
    async () => one("select * from app_public.users where id = $1", [ids.owner]),
  ),
  updateUserByRowId: update(
    "self",
    "users",
    () => ({ name: "Olive O." }),
    async () => one("select * from app_public.users where id = $1", [ids.owner]),
  ),
  updateUserByEmail: update(
    "self",
    "users",
    () => ({ name: "O. Owner" }),
    async () => one("select * from app_public.users where id = $1", [ids.owner]),
  ),

  // Participants: admins.
  createParticipant: {
    party: "admin",
    input: () => ({ participant: { name: unique("Joined"), tags: ["gamer"] } }),
    refused: ["42501", "42501"],
  },
  updateParticipant: update("admin", "participants", () => ({ tags: ["gamer", "reader"] }), editedRow("participants")),
  updateParticipantByRowId: update("admin", "participants", () => ({ name: "Renamed participant" }), editedRow("participants")),
  updateParticipantByExternalId: update("admin", "participants", () => ({ tags: ["gamer"] }), editedRow("participants")),
  deleteParticipant: remove("admin", "participants"),
  deleteParticipantByRowId: remove("admin", "participants"),
  deleteParticipantByExternalId: remove("admin", "participants"),
  importParticipants: {
    party: "admin",
    input: () => ({ participants: [{ externalId: unique("imported").replace(" ", "-"), tags: ["gamer"] }] }),
    refused: ["42501", "42501"],
  },

  // Targets, their bands, and bids: the marketer's members.
  createTarget: {
    party: "member",
    input: () => ({ target: { marketerId: ids.marketer, name: unique("New target") } }),
    refused: ["42501", "42501"],
  },
  updateTarget: update("member", "targets", (row) => ({ name: row.name }), editedRow("targets")),
  updateTargetByRowId: update("member", "targets", (row) => ({ name: row.name }), editedRow("targets")),
  updateTargetByMarketerIdAndName: update("member", "targets", (row) => ({ name: row.name }), editedRow("targets")),
  deleteTarget: remove("member", "targets"),
  deleteTargetByRowId: remove("member", "targets"),
  deleteTargetByMarketerIdAndName: remove("member", "targets"),
  createTargetBand: {
    party: "member",
    input: async () => ({ targetBand: { targetId: (await newRow("targets")).id, position: 0, name: "Bullseye", requiredTags: ["gamer"] } }),
    refused: ["42501", "42501"],
  },
  updateTargetBand: update("member", "target_bands", () => ({ name: "Inner ring" }), editedRow("target_bands")),
  updateTargetBandByRowId: update("member", "target_bands", () => ({ name: "Inner ring" }), editedRow("target_bands")),
  updateTargetBandByTargetIdAndRowId: update("member", "target_bands", () => ({ name: "Inner ring" }), editedRow("target_bands")),
  updateTargetBandByTargetIdAndPosition: update("member", "target_bands", () => ({ name: "Inner ring" }), editedRow("target_bands")),
  deleteTargetBand: remove("member", "target_bands"),
  deleteTargetBandByRowId: remove("member", "target_bands"),
  deleteTargetBandByTargetIdAndRowId: remove("member", "target_bands"),
  deleteTargetBandByTargetIdAndPosition: remove("member", "target_bands"),
  createBid: {
    party: "member",
    // Numbers as a client writes them: 5, not "5". A stranger learns nothing of the target (CE003, not CE311).
    input: async () => {
      const { band_id: bandId } = await newRow("bids");
      await database.query("delete from app_public.bids where band_id = $1", [bandId]);
      return { bid: { campaignId: ids.editable, bandId, offerAmount: 5, marketerCost: 1.25 } };
    },
    refused: ["CE003", "CE003"],
  },
  updateBid: update("member", "bids", () => ({ offerAmount: 6 }), editedRow("bids")),
  updateBidByCampaignIdAndBandId: update("member", "bids", () => ({ marketerCost: 2 }), editedRow("bids")),
  deleteBid: remove("member", "bids"),
  deleteBidByCampaignIdAndBandId: remove("member", "bids"),

  // Marketers: any signed-in user creates one; its owners manage it (the campaigns' owner owns the
  // test's marketer); any member leaves.
  createMarketer: { party: "member", input: () => ({ name: unique("Marketer") }), refused: [null, "CE210"] },
  renameMarketer: { party: "owner", input: () => ({ marketerId: ids.marketer, name: unique("Acme") }), refused: ["CE203", "CE210"] },
  addMarketerMember: {
    party: "owner",
    input: () => ({ marketerId: ids.marketer, email: `${unique("joiner").replace(" ", "")}@example.com` }),
    refused: ["CE203", "CE210"],
  },
  removeMarketerMember: {
    party: "owner",
    input: async () => {
      const { id } = await one("insert into app_public.users (email) values ($1) returning id", [
        `${unique("leaver").replace(" ", "")}@example.com`,
      ]);
      await database.query("insert into app_public.marketer_members (marketer_id, user_id) values ($1, $2)", [ids.marketer, id]);
      return { marketerId: ids.marketer, userId: id };
    },
    refused: ["CE203", "CE210"],
  },
  setMarketerCampaignEmails: { party: "owner", input: () => ({ marketerId: ids.marketer, enabled: true }), refused: ["CE203", "CE210"] },
  leaveMarketer: {
    party: "member",
    input: async () => {
      const { id } = await one("insert into app_public.marketers (name) values ($1) returning id", [unique("Left")]);
      await database.query(
        "insert into app_public.marketer_members (marketer_id, user_id, role) values ($1, $2, 'owner'), ($1, $3, 'member')",
        [id, ids.owner, ids.member],
      );
      return { marketerId: id };
    },
    refused: ["CE203", "CE210"],
  },

  // Functions.
  replaceImage: {
    party: "owner",
    input: async () => ({ table: "factions", recordId: ids.factionWithImage, fileName: "new.png", contentBase64: PNG }),
    refused: ["CE020", "CE020"],
  },
  createCampaign: { party: "member", input: () => ({ name: "Made by a member", marketerId: ids.marketer }), refused: ["CE203", "CE201"] },
  scheduleCampaign: {
    party: "owner",
    input: async () => ({
      campaignId: await campaignIn("CREATED"),
      startTime: inAnHour(),
      durationHours: 48,
      rewardsEnabled: true,
      rewardClaimHours: 1.5,
    }),
    refused: ["CE003", "CE003"],
  },
  startCampaign: { party: "owner", input: async () => ({ campaignId: await campaignIn("CREATED") }), refused: ["CE003", "CE003"] },
  closeCampaign: { party: "owner", input: async () => ({ campaignId: await campaignIn("RUNNING") }), refused: ["CE003", "CE003"] },
  openRewardClaim: {
    party: "owner",
    input: async () => ({ campaignId: await campaignIn("CLOSED", { rewards: true }) }),
    refused: ["CE003", "CE003"],
  },
  expireCampaign: { party: "owner", input: async () => ({ campaignId: await campaignIn("CREATED") }), refused: ["CE003", "CE003"] },
  launchCampaign: {
    party: "member",
    input: () => launchableCampaignIn("CREATED"),
    refused: ["CE003", "CE003"],
    starts: "jobs",
  },
  refreshOffers: {
    party: "member",
    input: () => launchableCampaignIn("RUNNING", { launched: true }),
    refused: ["CE003", "CE003"],
    starts: "jobs",
  },
  cancelTimer: {
    party: "owner",
    input: async () => ({ timerId: await timerOf(ids.scheduled, "CLOSE_CAMPAIGN") }),
    refused: ["CE012", "CE012"],
  },
  executeTimerNow: {
    party: "owner",
    input: async () => ({ timerId: await timerOf(ids.scheduled, "START_CAMPAIGN") }),
    refused: ["CE012", "CE012"],
    starts: "jobs",
  },
  claimOffer: {
    party: "participant",
    input: async () => {
      const campaign = await campaignIn("REWARD_CLAIM", { target: ids.target, rewards: true });
      const { id } = await one(
        `insert into app_public.offers (campaign_id, participant_id, band_id, offer_amount, cost_amount, pending_until, status)
         values ($1, $2, $3, 4, 1, now(), 'current') returning id`,
        [campaign, ids.participant, ids.band],
      );
      return { offerId: id };
    },
    refused: ["CE308", "CE308"],
  },
  publishTemplate: {
    party: "admin",
    // Something to publish: a master template weapon one point stronger.
    input: async () => {
      await database.query(
        `update app_public.weapons set damage = damage + 1
          where id = (select w.id from app_public.weapons w join app_public.campaigns c on c.id = w.campaign_id where c.is_master_template limit 1)`,
      );
      return { note: "walked" };
    },
    refused: ["42501", "42501"],
  },
  recoverTimers: { party: "admin", input: () => ({}), refused: ["42501", "42501"] },
  replenishPools: { party: "admin", input: () => ({}), refused: ["42501", "42501"] },
  setPoolsEnabled: { party: "admin", input: () => ({ enabled: true }), refused: ["42501", "42501"] },
  setPoolTarget: { party: "admin", input: () => ({ size: 3 }), refused: ["42501", "42501"] },
  setPoolTargetMode: { party: "admin", input: () => ({ mode: "fixed" }), refused: ["42501", "42501"] },
};

// What a refusal must leave as it was: every row of the users' campaigns, audiences, settings and
// images. Pool campaigns (the worker refills them) and the pool monitor's records are left out.
const FINGERPRINT = `
  with mine as (select id from app_public.campaigns where not is_pool and not is_master_template)
  select md5(string_agg(row, '|' order by row)) as fingerprint from (
    select 'campaign ' || to_jsonb(c)::text as row from app_public.campaigns c where c.id in (select id from mine)
    ${Object.keys(TYPES)
      .filter((table) => !["campaigns", "users", "participants", "targets", "target_bands", "bids"].includes(table))
      .map(
        (table) =>
          `union all select '${table} ' || to_jsonb(t)::text from app_public.${table} t where t.campaign_id in (select id from mine)`,
      )
      .join("\n")}
    ${[
      "users",
      "participants",
      "targets",
      "target_bands",
      "target_populations",
      "marketers",
      "marketer_members",
      "images",
      "pool_assignments",
    ]
      .map((table) => `union all select '${table} ' || to_jsonb(t)::text from app_public.${table} t`)
      .join("\n")}
    ${["bids", "offers", "campaign_offer_stats", "campaign_timers", "timer_executions", "campaign_state_log", "campaign_metrics"]
      .map(
        (table) =>
          `union all select '${table} ' || to_jsonb(t)::text from app_public.${table} t where t.campaign_id in (select id from mine)`,
      )
      .join("\n")}
    union all select 'setting ' || to_jsonb(s)::text from app_private.settings s
  ) as rows`;
const fingerprint = async () => (await one(FINGERPRINT)).fingerprint as string;

/** A GraphQL literal, as a client types it. */
function literal(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(literal).join(", ")}]`;
  if (value !== null && typeof value === "object")
    return `{${Object.entries(value)
      .map(([key, field]) => `${key}: ${literal(field)}`)
      .join(", ")}}`;
  return JSON.stringify(value);
}

const call = (name: string, input: Input, token: string | undefined) =>
  graphql(server.url, `mutation { ${name}(input: ${literal(input)}) { __typename } }`, { token });

let schemaMutations: Map<string, string[]>;

beforeAll(async () => {
  const [owner, member, admin, participant, stranger] = await Promise.all([
    tokenFor(database, "owner@example.com"),
    tokenFor(database, "member@example.com"),
    tokenFor(database, "admin@example.com", { admin: true }),
    tokenFor(database, "participant@example.com"),
    tokenFor(database, "stranger@example.com"),
  ]);
  tokens = { owner, self: owner, member, admin, participant, stranger, anonymous: undefined };
  const users = Object.fromEntries(
    (await database.query<{ email: string; id: string }>("select email, id from app_public.users")).map((user) => [
      user.email.split("@")[0],
      user.id,
    ]),
  );
  ids = { owner: users.owner!, member: users.member!, participantUser: users.participant! };
  ids.marketer = (await one("insert into app_public.marketers (name) values ('Acme') returning id")).id;
  await database.query(
    "insert into app_public.marketer_members (marketer_id, user_id, role) values ($1, $2, 'owner'), ($1, $3, 'member')",
    [ids.marketer, ids.owner, ids.member],
  );
  ids.participant = (
    await one("insert into app_public.participants (user_id, name, tags) values ($1, 'Pat', '{gamer}') returning id", [ids.participantUser])
  ).id;
  ids.target = (await one("insert into app_public.targets (marketer_id, name) values ($1, 'Gamers') returning id", [ids.marketer])).id;
  ids.band = (
    await one(
      "insert into app_public.target_bands (target_id, position, name, required_tags) values ($1, 0, 'Bullseye', '{gamer}') returning id",
      [ids.target],
    )
  ).id;
  ids.editableTarget = (
    await one("insert into app_public.targets (marketer_id, name) values ($1, 'Readers') returning id", [ids.marketer])
  ).id;
  ids.editable = await campaignIn("CREATED", { target: ids.editableTarget });
  // A faction sharing one of the template's images, for replaceImage.
  ids.factionWithImage = (
    await one(
      `insert into app_public.factions (campaign_id, name, image_id)
     select $1, 'Ascended', image_id from app_public.factions where image_id is not null limit 1 returning id`,
      [ids.editable],
    )
  ).id;
  // A campaign scheduled by an operator in psql (the owner's session), with START and CLOSE timers.
  ids.scheduled = await campaignIn("CREATED");
  await database.query("select app_public.schedule_campaign($1, now() + interval '1 hour', 2)", [ids.scheduled]);
  primaryKeys = Object.fromEntries(
    (
      await database.query<{ table: string; columns: string[] }>(
        `select c.relname as table, array_agg(a.attname::text order by k.n) as columns
       from pg_index i join pg_class c on c.oid = i.indrelid join pg_namespace s on s.oid = c.relnamespace
       cross join unnest(i.indkey) with ordinality as k(attnum, n) join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum
      where s.nspname = 'app_public' and i.indisprimary group by c.relname`,
      )
    ).map((row) => [row.table, row.columns]),
  );

  // The schema as a client sees it, introspected over HTTP as an admin.
  const introspection = await graphql(
    server.url,
    `{ __schema { mutationType { fields { name args { name type { ofType { inputFields { name } } } } } } } }`,
    { token: admin },
  );
  expect(introspection.errors).toBeUndefined();
  schemaMutations = new Map(
    introspection.data.__schema.mutationType.fields.map(
      (field: { name: string; args: { type: { ofType: { inputFields: { name: string }[] } } }[] }) => [
        field.name,
        field.args[0]!.type.ofType.inputFields.map((input) => input.name).filter(
          (name) => name !== "clientMutationId" && !name.endsWith("Patch"),
        ),
      ],
    ),
  );
});

describe("every mutation of the schema", () => {
  test("is in the table of who may call it, and the table names only mutations that exist", () => {
    expect([...schemaMutations.keys()].filter((name) => !(name in MUTATIONS))).toEqual([]);
    expect(Object.keys(MUTATIONS).filter((name) => !schemaMutations.has(name))).toEqual([]);
  });

  for (const [name, rule] of Object.entries(MUTATIONS)) {
    test(`${name}: the ${rule.party} may; a stranger is refused with ${rule.refused[0]}, an anonymous caller with ${rule.refused[1]}, and nothing changes`, async () => {
      const input = await rule.input(schemaMutations.get(name) ?? []);
      const before = await fingerprint();
      for (const [caller, code] of [
        ["stranger", rule.refused[0]],
        ["anonymous", rule.refused[1]],
      ] as const) {
        if (code === null) continue;
        const refused = await call(name, input, tokens[caller]);
        expect(
          refused.errors?.map((error) => error.extensions?.code),
          `${caller}: ${JSON.stringify(refused.errors)}`,
        ).toEqual([code]);
        expect(refused.data?.[name] ?? null).toBeNull();
      }
      expect(await fingerprint()).toBe(before);

      const allowed = await call(name, input, tokens[rule.party]);
      expect(allowed.errors, JSON.stringify(allowed.errors)).toBeUndefined();
      expect(allowed.data?.[name]).toBeTruthy();
      // The jobs it started (populating, offers, timers, purges) run now, as a worker would run them.
      if (rule.starts === "jobs") await runDueJobs(database);
    });
  }
});
