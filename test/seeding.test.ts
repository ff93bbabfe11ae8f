// seed_campaign: a complete, self-consistent copy of the master template, all or nothing.
import pg from "pg";
import { beforeAll, describe, expect, test } from "vitest";
import { TEMPLATE_VOLUMES } from "../src/template/generate.ts";
import { emptyCampaign, masterTemplateId, rowCounts, seededCampaign } from "./support/content.ts";
import { useTestDatabase } from "./support/database.ts";

const database = useTestDatabase("seeding");
let template: string;
let copy: string;

beforeAll(async () => {
  template = await masterTemplateId(database);
  copy = await seededCampaign(database, "gm@example.com");
});

describe("the master template", () => {
  test("has the real template's shape: volumes, chains of prerequisites, names repeated across categories", async () => {
    expect(await rowCounts(database, template)).toEqual({
      factions: 12,
      junctures: 7,
      schticks: 643,
      weapons: 140,
      characters: 40,
      vehicles: 6,
      sites: 8,
      parties: 5,
      character_schticks: 157,
      carries: 48,
    });
    const [shape] = await database.query<Record<string, number>>(
      `select count(distinct category)::int as categories, count(distinct (category, path))::int as paths,
              count(prerequisite_id)::int as prerequisites,
              (select count(*)::int from app_public.schticks s join app_public.schticks p on p.id = s.prerequisite_id
                where s.campaign_id = $1 and p.prerequisite_id is not null) as second_links,
              (select count(*)::int from (select name from app_public.schticks where campaign_id = $1
                group by name having count(distinct category) > 1) repeated) as names_in_several_categories,
              (select count(*)::int from app_public.images) as images
       from app_public.schticks where campaign_id = $1`,
      [template],
    );
    expect(shape).toMatchObject({ categories: 42, paths: 76, prerequisites: TEMPLATE_VOLUMES.prerequisites });
    expect(shape!.second_links).toBeGreaterThan(0); // chains, not just pairs
    expect(shape!.names_in_several_categories).toBeGreaterThan(10);
    expect(shape!.images).toBeGreaterThanOrEqual(780);
    expect(shape!.images).toBeLessThanOrEqual(820);
  });
});

describe("seed_campaign", () => {
  test("copies exactly the template's rows per table and records when and how long", async () => {
    expect(await rowCounts(database, copy)).toEqual(await rowCounts(database, template));
    const [campaign] = await database.query<{ seeded_at: Date | null; seeding_duration_ms: number | null }>(
      "select seeded_at, seeding_duration_ms from app_public.campaigns where id = $1",
      [copy],
    );
    expect(campaign!.seeded_at).toBeInstanceOf(Date);
    expect(campaign!.seeding_duration_ms).toBeGreaterThanOrEqual(0);
  });

  test("remaps every prerequisite by identity, though names repeat: each copy's prerequisite is the copy of the original's", async () => {
    // Compared on (category, name), which is unique within a campaign, rather than on ids.
    const mismatches = await database.query(
      `select t.category, t.name
       from app_public.schticks t
       left join app_public.schticks tp on tp.id = t.prerequisite_id
       join app_public.schticks c on c.campaign_id = $2 and c.category = t.category and c.name = t.name
       left join app_public.schticks cp on cp.id = c.prerequisite_id
       where t.campaign_id = $1
         and (cp.category, cp.name, cp.campaign_id) is distinct from (tp.category, tp.name, case when tp.id is null then null else $2::uuid end)`,
      [template, copy],
    );
    expect(mismatches).toEqual([]);
  });

  test("points every faction, juncture, equipped weapon, schtick and carry of the copy at the copy's own rows", async () => {
    const [references] = await database.query<Record<string, number>>(
      `select
         (select count(*)::int from app_public.junctures j join app_public.factions f on f.id = j.faction_id where j.campaign_id = $1 and f.campaign_id = $1) as juncture_factions,
         (select count(*)::int from app_public.characters c join app_public.factions f on f.id = c.faction_id where c.campaign_id = $1 and f.campaign_id = $1) as character_factions,
         (select count(*)::int from app_public.characters c join app_public.junctures j on j.id = c.juncture_id where c.campaign_id = $1 and j.campaign_id = $1) as character_junctures,
         (select count(*)::int from app_public.characters c join app_public.weapons w on w.id = c.equipped_weapon_id where c.campaign_id = $1 and w.campaign_id = $1) as equipped_weapons,
         (select count(*)::int from app_public.character_schticks cs join app_public.characters c on c.id = cs.character_id join app_public.schticks s on s.id = cs.schtick_id
            where cs.campaign_id = $1 and c.campaign_id = $1 and s.campaign_id = $1) as character_schticks,
         (select count(*)::int from app_public.carries k join app_public.characters c on c.id = k.character_id join app_public.weapons w on w.id = k.weapon_id
            where k.campaign_id = $1 and c.campaign_id = $1 and w.campaign_id = $1) as carries,
         (select count(*)::int from (select faction_id from app_public.vehicles where campaign_id = $1 union all select faction_id from app_public.sites where campaign_id = $1
            union all select faction_id from app_public.parties where campaign_id = $1) x join app_public.factions f on f.id = x.faction_id where f.campaign_id = $1) as placed_factions`,
      [copy],
    );
    const [expected] = await database.query<Record<string, number>>(
      `select
         (select count(faction_id)::int from app_public.junctures where campaign_id = $1) as juncture_factions,
         (select count(faction_id)::int from app_public.characters where campaign_id = $1) as character_factions,
         (select count(juncture_id)::int from app_public.characters where campaign_id = $1) as character_junctures,
         (select count(equipped_weapon_id)::int from app_public.characters where campaign_id = $1) as equipped_weapons,
         (select count(*)::int from app_public.character_schticks where campaign_id = $1) as character_schticks,
         (select count(*)::int from app_public.carries where campaign_id = $1) as carries,
         (select count(faction_id)::int from (select faction_id from app_public.vehicles where campaign_id = $1 union all select faction_id from app_public.sites where campaign_id = $1
            union all select faction_id from app_public.parties where campaign_id = $1) x) as placed_factions`,
      [template],
    );
    expect(expected!.equipped_weapons).toBeGreaterThan(0);
    expect(references).toEqual(expected);
  });

  test("shares images: the copy uses the template's image ids and adds no image row", async () => {
    const [images] = await database.query<{ rows: number; differing: number }>(
      `select (select count(*)::int from app_public.images) as rows,
              (select count(*)::int from app_public.weapons t join app_public.weapons c on c.campaign_id = $2 and c.name = t.name
                where t.campaign_id = $1 and c.image_id is distinct from t.image_id) as differing`,
      [template, copy],
    );
    expect(images!.differing).toBe(0);
    const before = images!.rows;
    await seededCampaign(database, "another@example.com");
    const [after] = await database.query<{ rows: number }>("select count(*)::int as rows from app_public.images");
    expect(after!.rows).toBe(before);
  });
});

describe("seed_campaign refuses, and changes nothing", () => {
  test("a campaign that is already seeded", async () => {
    await expect(database.query("select app_private.seed_campaign($1)", [copy])).rejects.toMatchObject({
      code: "CE104",
      message: expect.stringMatching(/already seeded/),
    });
    expect(await rowCounts(database, copy)).toEqual(await rowCounts(database, template));
  });

  test("a campaign that does not exist, with the code every missing campaign has (CE003)", async () => {
    const missing = "00000000-0000-4000-8000-000000000000";
    await expect(database.query("select app_private.seed_campaign($1)", [missing])).rejects.toMatchObject({
      code: "CE003",
      message: `campaign ${missing} does not exist`,
    });
  });

  test("when no master template was loaded (no version of it published), naming npm run template:load", async () => {
    const target = await emptyCampaign(database, "early@example.com");
    const client = new pg.Client({ connectionString: database.ownerUrl });
    await client.connect();
    try {
      await client.query("begin");
      await client.query("update app_public.campaigns set template_version = null; delete from app_public.template_versions");
      const error = await client.query("select app_private.seed_campaign($1)", [target]).catch((e) => e);
      expect(error).toMatchObject({ code: "CE101", hint: expect.stringMatching(/npm run template:load/) });
    } finally {
      await client.query("rollback");
      await client.end();
    }
    expect(Object.values(await rowCounts(database, target)).every((count) => count === 0)).toBe(true);
  });

  test("a failure in the middle rolls back every table copied before it", async () => {
    const target = await emptyCampaign(database, "unlucky@example.com");
    // Weapons come after factions, junctures and schticks: make their copy fail.
    await database.query(`
      create function pg_temp_fail_weapons() returns trigger language plpgsql as $$
      begin raise exception 'injected failure while copying weapons'; end $$;
      create trigger fail_weapons before insert on app_public.weapons for each row
        when (NEW.campaign_id = '${target}') execute function pg_temp_fail_weapons();
    `);
    try {
      await expect(database.query("select app_private.seed_campaign($1)", [target])).rejects.toThrow(/injected failure/);
    } finally {
      await database.query("drop trigger fail_weapons on app_public.weapons; drop function pg_temp_fail_weapons()");
    }
    expect(Object.values(await rowCounts(database, target)).every((count) => count === 0)).toBe(true);
    const [campaign] = await database.query<{ seeded_at: Date | null }>("select seeded_at from app_public.campaigns where id = $1", [
      target,
    ]);
    expect(campaign!.seeded_at).toBeNull();
    // And it can then be seeded for real.
    await database.query("select app_private.seed_campaign($1)", [target]);
    expect(await rowCounts(database, target)).toEqual(await rowCounts(database, template));
  });
});
