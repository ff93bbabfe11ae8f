// The demo's audience: participants numbered 1…n whose tags follow from their number, and the
// target's bands, which those tags fill. Every other participant is a gamer, every sixth a night
// owl too, every thirtieth also a big spender; every third reads, which no band asks for. So of
// 100,000, the bullseye reaches 3,333, the inner ring 13,333 and the outer ring 33,334.
import { once } from "node:events";
import { createWriteStream } from "node:fs";

export const DEMO_TARGET = "Night market regulars";

/** Innermost first: each ring outward requires a subset of the tags of the ring inside it (CE309). */
export const DEMO_BANDS = [
  { name: "Bullseye: night owls who spend", requiredTags: ["big-spender", "gamer", "night-owl"], offerAmount: 20, marketerCost: 5 },
  { name: "Inner ring: night owls", requiredTags: ["gamer", "night-owl"], offerAmount: 10, marketerCost: 2.5 },
  { name: "Outer ring: gamers", requiredTags: ["gamer"], offerAmount: 5, marketerCost: 1 },
] as const;

export function participantExternalId(number: number): string {
  return `demo-${String(number).padStart(6, "0")}`;
}

export function participantTags(number: number): string[] {
  const tags: string[] = [];
  if (number % 2 === 0) tags.push("gamer");
  if (number % 6 === 0) tags.push("night-owl");
  if (number % 30 === 0) tags.push("big-spender");
  if (number % 3 === 0) tags.push("reader");
  return tags;
}

/** Writes participants 1…count as a participants:import CSV (external_id,tags). */
export async function writeParticipantsCsv(file: string, count: number): Promise<void> {
  const out = createWriteStream(file);
  const ready = new Promise<void>((resolve, reject) => {
    out.once("error", reject);
    out.once("finish", resolve);
  });
  out.write("external_id,tags\n");
  const batch = 10_000;
  for (let first = 1; first <= count; first += batch) {
    const lines: string[] = [];
    for (let number = first; number < first + batch && number <= count; number++) {
      lines.push(`${participantExternalId(number)},${participantTags(number).join(";")}\n`);
    }
    if (!out.write(lines.join(""))) await once(out, "drain");
  }
  out.end();
  await ready;
}
