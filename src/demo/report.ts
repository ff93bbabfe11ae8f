// What `npm run demo` prints: what the demo holds, then for each of its users a token (as
// `npm run token` signs one) and the pages and endpoint to use it on. Signing writes nothing, so a
// second run prints fresh tokens and still changes nothing.
import { signTokenFor } from "../auth/issue-token.ts";
import { config } from "../config.ts";
import { DEMO_CAMPAIGNS, DEMO_USERS, type DemoRole } from "./create.ts";
import type { Demo, DemoCampaign } from "./find.ts";

const count = (n: number) => n.toLocaleString("en-US");
const time = (at: Date) => `${at.toISOString().slice(0, 19)}Z`;

function campaignLine(campaign: DemoCampaign, width: number): string {
  const notes: string[] = [];
  if (campaign.launched_at) notes.push(`launched ${time(campaign.launched_at)}, ${count(campaign.pending_offers)} pending offers`);
  else if (campaign.status === "CREATED" && campaign.start_time) notes.push(`starts ${time(campaign.start_time)} (its START timer)`);
  return `${campaign.name.padEnd(width)}  ${campaign.status.padEnd(12)}  ${notes.join("")}`.trimEnd();
}

function summary(demo: Demo): string[] {
  const owners = demo.members.filter((m) => m.role === "owner").map((m) => m.email);
  const members = demo.members.filter((m) => m.role !== "owner").map((m) => m.email);
  const width = Math.max(...[...demo.campaigns, ...demo.gamemasterCampaigns].map((c) => c.name.length));
  const bandWidth = Math.max(...demo.target.bands.map((band) => band.name.length));
  return [
    `  marketer    "${demo.marketer.name}" (${demo.marketer.id}): owner ${owners.join(", ")}, member ${members.join(", ")}`,
    `  audience    ${count(demo.participants)} participants (demo-…), target "${demo.target.name}" (${demo.target.population_status}):`,
    ...demo.target.bands.map(
      (band) =>
        `                ${band.name.padEnd(bandWidth)}  ${count(band.population).padStart(7)} reached  (tags ${band.required_tags.join(", ")})`,
    ),
    ...demo.campaigns.map((campaign, i) => `  ${i === 0 ? "campaigns " : "          "}  ${campaignLine(campaign, width)}`),
    ...demo.gamemasterCampaigns.map((campaign, i) => `  ${i === 0 ? "gamemaster" : "          "}  ${campaignLine(campaign, width)}`),
  ];
}

/** The whole report; `created` says whether this run made the demo or found it. */
export async function demoReport(demo: Demo, { created, jwtSecret }: { created: boolean; jwtSecret: string }): Promise<string> {
  const base = `http://${config.host}:${config.port === 0 ? "<PORT>" : config.port}`;
  const launched = demo.campaigns.find((campaign) => campaign.name === DEMO_CAMPAIGNS.launched.name);
  const marketerPage = `${base}/campaigns?marketer=${demo.marketer.id}`;
  const pages: Record<DemoRole, [string, string][]> = {
    owner: [
      ["campaigns", marketerPage],
      ...(launched ? ([["launched", `${base}/campaigns/${launched.id}  ("${launched.name}", live)`]] as [string, string][]) : []),
    ],
    member: [["campaigns", marketerPage]],
    gamemaster: [["campaigns", `${base}/campaigns  (My campaigns)`]],
    admin: [
      ["admin", `${base}/admin`],
      ["campaigns", marketerPage],
    ],
  };
  const lines = [
    created
      ? "the demo is ready:"
      : `the demo is already here: marketer "${demo.marketer.name}" (${demo.marketer.id}); nothing changed. It holds:`,
    ...summary(demo),
    "",
    `Sign in on a page with a token (each lasts ${config.jwtExpiresIn}; run \`npm run demo\` again for new ones), or send it to`,
    `${base}/graphql as the header "Authorization: Bearer <token>" (or try it in ${base}/graphiql).`,
  ];
  for (const role of Object.keys(DEMO_USERS) as DemoRole[]) {
    const user = demo.users[role];
    lines.push("", `${role.padEnd(10)}  ${DEMO_USERS[role]}`);
    if (!user) {
      lines.push("  (this user was deleted since the demo was made)");
      continue;
    }
    for (const [label, url] of [...pages[role], ["graphql", `${base}/graphql`]]) lines.push(`  ${label!.padEnd(9)}  ${url}`);
    lines.push(`  token      ${await signTokenFor(user, jwtSecret)}`);
  }
  return lines.join("\n");
}
