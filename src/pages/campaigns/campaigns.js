// The campaigns manager in the browser: a marketer's campaigns with their stats, live. It listens
// to /campaigns/events first; on `ready` (first connection and every reconnect) and on every event
// it re-reads the campaigns through GraphQL (one read at a time; events arriving meanwhile cause
// one more read), and turns target_populated and offers_created into flash messages. The user's
// own campaigns are in my-campaigns.js.
import { $, button, campaignLink, cell, flash, graphql, money } from "./api.js";
import { coalescedReads } from "./coalesced-reads.js";
import { showMine } from "./my-campaigns.js";

let previous = new Map();

function render(campaigns) {
  const rows = campaigns.map((campaign) => {
    const { stats } = campaign;
    const tr = document.createElement("tr");
    tr.dataset.campaignId = campaign.id;
    const bands = stats.bands.map((band) => `${band.name} ${band.population}`).join(" · ");
    const actions = document.createElement("td");
    if (campaign.status === "CREATED" && !campaign.launched_at) {
      actions.append(
        button("Launch", async () => {
          await graphql("mutation ($id: UUID!) { launchCampaign(input: { campaignId: $id }) { clientMutationId } }", { id: campaign.id });
          flash(`Launching "${campaign.name}"…`, "info");
        }),
      );
    }
    if (campaign.status === "RUNNING") {
      actions.append(
        button("Refresh Offers", async () => {
          await graphql("mutation ($id: UUID!) { refreshOffers(input: { campaignId: $id }) { clientMutationId } }", { id: campaign.id });
          flash(`Refreshing the offers of "${campaign.name}"…`, "info");
        }),
      );
    }
    tr.append(
      cell(campaignLink(campaign.id, campaign.name), "name"),
      cell(campaign.status, "status"),
      cell(campaign.target ? `${campaign.target.name} (${campaign.target.population_status.replace("_", " ")})` : "–"),
      cell(bands || "–"),
      cell(String(stats.pending_offers), "number pending-offers"),
      cell(money(stats.pending_spend), "number pending-spend"),
      cell(String(stats.current_offers), "number current-offers"),
      cell(String(stats.claimed_rewards), "number claimed-rewards"),
      cell(String(stats.unique_reach), "number reach"),
      actions,
    );
    const signature = JSON.stringify([campaign.status, stats]);
    if (previous.has(campaign.id) && previous.get(campaign.id) !== signature) tr.classList.add("changed");
    previous.set(campaign.id, signature);
    return tr;
  });
  if (rows.length === 0) {
    const tr = document.createElement("tr");
    const td = cell("No campaign yet.");
    td.colSpan = 10;
    tr.append(td);
    rows.push(tr);
  }
  $("#campaigns tbody").replaceChildren(...rows);
}

let marketerId = null;
const refresh = coalescedReads(async () => {
  const data = await graphql("query ($id: UUID!) { marketerCampaigns(marketerId: $id) }", { id: marketerId });
  render(data.marketerCampaigns);
});

const MESSAGES = {
  target_populated: () => "Target populated! Creating offers...",
  offers_created: (event) => `${event.count} offers created successfully`,
};

let events = null;

function listen() {
  events?.close();
  events = new EventSource(`/campaigns/events?marketerId=${encodeURIComponent(marketerId)}`);
  events.addEventListener("ready", () => {
    refresh().then(
      () => {
        $("#live").dataset.state = "live";
        $("#live").textContent = "live";
      },
      (error) => flash(error.message, "error"),
    );
  });
  events.addEventListener(`marketer:${marketerId}:campaigns`, (message) => {
    const event = JSON.parse(message.data);
    const text = MESSAGES[event.event]?.(event);
    if (text) flash(text);
    refresh().catch((error) => flash(error.message, "error"));
  });
  events.addEventListener("error", () => {
    $("#live").dataset.state = "connecting";
    $("#live").textContent = "reconnecting…";
  });
  // The server ended the stream for good (rights withdrawn, token expired): say why, stop.
  events.addEventListener("end", (message) => {
    events.close();
    $("#live").dataset.state = "ended";
    $("#live").textContent = "ended";
    flash(JSON.parse(message.data).message, "error");
  });
}

async function start() {
  const data = await graphql("{ currentUser { rowId } allMarketers(orderBy: NAME_ASC) { nodes { rowId name } } }");
  showMine(data.currentUser.rowId).catch((error) => flash(error.message, "error"));
  const marketers = data.allMarketers.nodes;
  const select = $("#marketer");
  select.replaceChildren(...marketers.map((m) => new Option(m.name, m.rowId)));
  if (marketers.length === 0) {
    flash("You are not a member of any marketer yet.", "info");
    return;
  }
  const wanted = new URLSearchParams(location.search).get("marketer");
  marketerId = marketers.some((m) => m.rowId === wanted) ? wanted : marketers[0].rowId;
  select.value = marketerId;
  select.addEventListener("change", () => {
    marketerId = select.value;
    previous = new Map();
    history.replaceState(null, "", `?marketer=${marketerId}`);
    listen();
  });
  listen();
}

$("#sign-out").addEventListener("click", async () => {
  await fetch("/campaigns/session", { method: "DELETE" });
  location.reload();
});
start().catch((error) => flash(error.message, "error"));
