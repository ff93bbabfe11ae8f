// The master template's content, generated: the shape and volumes of the real template (see the
// README's "Campaign content"), with invented names and texts. Deterministic: the same seed gives
// the same rows, ids included, on every machine.
import { seededRandom } from "./random.ts";

export const TEMPLATE_VOLUMES = {
  categories: 42,
  paths: 76,
  schticks: 643,
  prerequisites: 130,
  weapons: 140,
  factions: 12,
  junctures: 7,
  characters: 40,
  templateCharacters: 10,
  characterSchticks: 157,
  carries: 48,
  vehicles: 6,
  sites: 8,
  parties: 5,
  schticksWithoutImage: 43,
} as const;

type Row = Record<string, unknown> & { id: string };
type JoinRow = Record<string, unknown>;

export interface TemplateContent {
  images: Row[];
  factions: Row[];
  junctures: Row[];
  schticks: Row[];
  weapons: Row[];
  characters: Row[];
  vehicles: Row[];
  sites: Row[];
  parties: Row[];
  character_schticks: JoinRow[];
  carries: JoinRow[];
}

const ROOTS = [
  "Iron",
  "Jade",
  "Thunder",
  "Ember",
  "Shadow",
  "Silver",
  "Storm",
  "Crane",
  "Tiger",
  "Lotus",
  "Ghost",
  "Crimson",
  "Stone",
  "River",
  "Neon",
  "Chrome",
  "Ash",
  "Golden",
  "Hollow",
  "Falling",
  "Burning",
  "Quiet",
  "Wild",
  "Broken",
];
const THINGS = [
  "Palm",
  "Fist",
  "Step",
  "Wind",
  "Blade",
  "Mirror",
  "Lantern",
  "Fang",
  "Veil",
  "Echo",
  "Spiral",
  "Gate",
  "Bell",
  "Thread",
  "Crown",
  "Mask",
  "Wheel",
  "Root",
  "Spark",
  "Tide",
  "Coil",
  "Shell",
  "Horn",
  "Needle",
];
const FLOURISHES = [
  "Fortune",
  "Lightning Reload",
  "Second Wind",
  "Sure Footing",
  "Hard Target",
  "Last Stand",
  "Open Hand",
  "Deep Breath",
  "Quick Draw",
  "Iron Will",
  "Cold Focus",
  "Long Shadow",
];
const COLORS = ["#b03a2e", "#1f618d", "#117a65", "#b7950b", "#6c3483", "#ca6f1e", "#2e4053", "#a93226"];
const ARCHETYPES = ["Brawler", "Drifter", "Gunslinger", "Sorcerer", "Spy", "Scrapper", "Medium", "Pilot", "Bodyguard", "Cyborg"];
const JUNCTURE_NAMES = ["Ancient", "Past", "Modern", "Future", "Netherworld", "Shattered Court", "Drowned Age"];
const WEAPON_KINDS: Record<string, string[]> = {
  Ancient: ["blades", "polearms", "bows", "thrown"],
  Past: ["muskets", "sabres", "revolvers", "shotguns"],
  Modern: ["autoloader handguns", "revolvers", "shotguns", "rifles", "submachine guns"],
  Future: ["beam pistols", "rail rifles", "plasma shotguns", "smart blades"],
};
const MAKERS = [
  "Harrow",
  "Kestrel",
  "Volkov",
  "Tanaka",
  "Moreau",
  "Okafor",
  "Lindqvist",
  "Castellan",
  "Barros",
  "Quill",
  "Yamada",
  "Ferro",
  "Aldine",
  "Crowe",
];
const GIVEN = ["Mara", "Jun", "Tobias", "Ines", "Kofi", "Lena", "Wei", "Sasha", "Dario", "Noor", "Ryo", "Elif", "Cass", "Ilya"];
const FAMILY = ["Vance", "Okoro", "Lin", "Petrova", "Saito", "Mendes", "Hale", "Duarte", "Kaur", "Brandt", "Ferreira", "Lau"];

function uuidFrom(random: () => number): string {
  const bytes = Array.from({ length: 16 }, () => Math.floor(random() * 256));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");

/** The template's rows; `urlEndpoint` prefixes the stored image URLs. */
export function generateTemplate(urlEndpoint: string, seed = 2026): TemplateContent {
  const rng = seededRandom(seed);
  const id = () => uuidFrom(rng.next);
  const content: TemplateContent = {
    images: [],
    factions: [],
    junctures: [],
    schticks: [],
    weapons: [],
    characters: [],
    vehicles: [],
    sites: [],
    parties: [],
    character_schticks: [],
    carries: [],
  };

  const image = (kind: string, name: string): string => {
    const imageId = id();
    const filePath = `/template/${kind}/${slug(name)}-${content.images.length + 1}.png`;
    content.images.push({
      id: imageId,
      file_id: `template-${String(content.images.length + 1).padStart(4, "0")}`,
      file_path: filePath,
      url: `${urlEndpoint}${filePath}`,
      width: 512,
      height: 512,
      content_hash: null,
    });
    return imageId;
  };

  for (let i = 0; i < TEMPLATE_VOLUMES.factions; i++) {
    const name = `The ${ROOTS[i]} ${THINGS[(i * 5) % THINGS.length]}`;
    content.factions.push({
      id: id(),
      name,
      description: `${name} schemes to hold the sites of power.`,
      image_id: image("factions", name),
    });
  }
  JUNCTURE_NAMES.forEach((name, i) => {
    content.junctures.push({
      id: id(),
      name,
      description: `The ${name} juncture.`,
      // Most junctures are held by a faction; two are contested.
      faction_id: i < 5 ? content.factions[i * 2]!.id : null,
      image_id: null,
    });
  });

  // 42 categories; 34 of them have two paths and 8 have one: 76 paths.
  const categories = Array.from(
    { length: TEMPLATE_VOLUMES.categories },
    (_, i) => `${ROOTS[i % ROOTS.length]} ${THINGS[(i * 7 + 3 + Math.floor(i / ROOTS.length)) % THINGS.length]} Arts`,
  );
  const paths = categories.flatMap((category, i) =>
    i < 34
      ? [
          [category, `Path of the ${THINGS[i % THINGS.length]}`],
          [category, `Path of the ${ROOTS[(i + 5) % ROOTS.length]} ${THINGS[(i + 11) % THINGS.length]}`],
        ]
      : [[category, `Path of the ${THINGS[(i + 2) % THINGS.length]}`]],
  ) as [string, string][];
  // Names are unique within a category but recur across categories, as in the real data.
  const namePool = [...FLOURISHES, ...ROOTS.flatMap((root) => THINGS.slice(0, 10).map((thing) => `${root} ${thing}`))];
  const usedInCategory = new Map<string, Set<string>>();
  let prerequisitesLeft = TEMPLATE_VOLUMES.prerequisites;
  paths.forEach(([category, path], pathIndex) => {
    const size = pathIndex < 35 ? 9 : 8; // 35 × 9 + 41 × 8 = 643
    // Chains along the path: 54 paths with a chain of three, 22 with a pair (130 prerequisites).
    const chained = Math.min(prerequisitesLeft, pathIndex < 54 ? 2 : 1);
    prerequisitesLeft -= chained;
    const used = usedInCategory.get(category) ?? new Set<string>();
    usedInCategory.set(category, used);
    let previous: string | null = null;
    for (let step = 0; step < size; step++) {
      let name = rng.pick(namePool);
      while (used.has(name)) name = rng.pick(namePool);
      used.add(name);
      const schtickId = id();
      const withImage = content.schticks.length >= TEMPLATE_VOLUMES.schticksWithoutImage;
      content.schticks.push({
        id: schtickId,
        name,
        description: `${name}: a technique of the ${path.toLowerCase()}.`,
        category,
        path,
        color: rng.pick(COLORS),
        bonus: rng.chance(0.08),
        archetypes: JSON.stringify(rng.sample(ARCHETYPES, rng.int(1, 3))),
        prerequisite_id: step >= 1 && step <= chained ? previous : null,
        image_id: withImage ? image("schticks", name) : null,
      });
      previous = schtickId;
    }
  });

  const weaponNames = new Set<string>();
  for (let i = 0; i < TEMPLATE_VOLUMES.weapons; i++) {
    const juncture = (["Ancient", "Past", "Modern", "Future"] as const)[i % 4];
    const category = rng.pick(WEAPON_KINDS[juncture]!);
    let name = `${rng.pick(MAKERS)} ${rng.pick(THINGS)} ${rng.int(2, 99)}`;
    while (weaponNames.has(name)) name = `${rng.pick(MAKERS)} ${rng.pick(THINGS)} ${rng.int(2, 99)}`;
    weaponNames.add(name);
    const shotgun = category.includes("shotgun");
    content.weapons.push({
      id: id(),
      name,
      description: `A ${juncture.toLowerCase()} ${category.replace(/s$/, "")}.`,
      damage: rng.int(7, 14),
      concealment: rng.int(0, 5),
      reload_value: category === "blades" || category === "smart blades" ? null : rng.int(1, 6),
      juncture,
      mook_bonus: rng.chance(0.15) ? 1 : 0,
      category,
      kachunk: shotgun && rng.chance(0.7),
      image_id: image("weapons", name),
    });
  }

  for (let i = 0; i < TEMPLATE_VOLUMES.characters; i++) {
    const isTemplate = i < TEMPLATE_VOLUMES.templateCharacters;
    const name = isTemplate ? `The ${ARCHETYPES[i]}` : `${GIVEN[i % GIVEN.length]} ${FAMILY[(i * 5) % FAMILY.length]}`;
    content.characters.push({
      id: id(),
      name,
      action_values: JSON.stringify({
        attack: rng.int(10, 15),
        defense: rng.int(11, 15),
        toughness: rng.int(5, 8),
        speed: rng.int(5, 8),
        fortune: rng.int(5, 8),
      }),
      skills: JSON.stringify({ driving: rng.int(7, 13), intrusion: rng.int(7, 13), notice: rng.int(7, 13) }),
      description: JSON.stringify({
        appearance: `${name} looks ready for trouble.`,
        melodramatic_hook: "Owes a debt to the wrong faction.",
      }),
      faction_id: isTemplate ? null : rng.pick(content.factions).id,
      juncture_id: rng.pick(content.junctures).id,
      is_template: isTemplate,
      equipped_weapon_id: i % 4 === 3 ? null : rng.pick(content.weapons).id,
      color: rng.pick(COLORS),
      image_id: image("characters", name),
    });
  }

  // 157 character_schticks: four per character, three for the last three.
  content.characters.forEach((character, i) => {
    const count = i < 37 ? 4 : 3;
    for (const schtick of rng.sample(content.schticks, count)) {
      content.character_schticks.push({ character_id: character.id, schtick_id: schtick.id });
    }
  });
  // Carries: every equipped weapon, plus spares, to 48.
  const carried = new Set<string>();
  const carry = (characterId: string, weaponId: string) => {
    const key = `${characterId}:${weaponId}`;
    if (carried.has(key)) return;
    carried.add(key);
    content.carries.push({ character_id: characterId, weapon_id: weaponId });
  };
  for (const character of content.characters) {
    if (character.equipped_weapon_id) carry(character.id, character.equipped_weapon_id as string);
  }
  while (content.carries.length < TEMPLATE_VOLUMES.carries) carry(rng.pick(content.characters).id, rng.pick(content.weapons).id);

  const placed = (
    kind: "vehicles" | "sites" | "parties",
    count: number,
    name: (i: number) => string,
    extra: (i: number) => Record<string, unknown>,
  ) => {
    for (let i = 0; i < count; i++) {
      content[kind].push({
        id: id(),
        name: name(i),
        faction_id: rng.chance(0.75) ? rng.pick(content.factions).id : null,
        juncture_id: rng.pick(content.junctures).id,
        image_id: kind === "parties" ? null : image(kind, name(i)),
        ...extra(i),
      });
    }
  };
  placed(
    "vehicles",
    TEMPLATE_VOLUMES.vehicles,
    (i) => `${MAKERS[i]} ${["Interceptor", "Junk", "Hovercar", "Sedan", "Gyrocopter", "Barge"][i]}`,
    () => ({
      action_values: JSON.stringify({ acceleration: rng.int(6, 12), handling: rng.int(6, 12), frame: rng.int(6, 12) }),
      color: rng.pick(COLORS),
    }),
  );
  placed(
    "sites",
    TEMPLATE_VOLUMES.sites,
    (i) =>
      `${ROOTS[(i * 3) % ROOTS.length]} ${["Temple", "Teahouse", "Dockyard", "Mountain Shrine", "Night Market", "Tower", "Garden", "Vault"][i]}`,
    (i) => ({ description: `A feng shui site of the ${JUNCTURE_NAMES[i % JUNCTURE_NAMES.length]} juncture.` }),
  );
  placed(
    "parties",
    TEMPLATE_VOLUMES.parties,
    (i) => `${["Red", "Blue", "Grey", "Gold", "Green"][i]} Lantern Crew`,
    () => ({ description: "A band of heroes." }),
  );

  return content;
}
