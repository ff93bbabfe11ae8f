// The campaigns manager in the browser: a marketer's campaigns with their stats, live. It listens
// to /campaigns/events first; on `ready` (first connection and every reconnect) and on every event
// it re-reads the campaigns through GraphQL (one read at a time; events arriving meanwhile cause
// one more read), and turns target_populated and offers_created into flash messages. The
// marketer's members (members.js), targets (targets.js, re-read on `ready` and when a population
// ends) and a campaign's target and bids (campaign-setup.js) are managed beside it, and the user's
// own campaigns in my-campaigns.js.
import { $, button, campaignLink, cell, flash, graphql, money, onSubmit } from "./api.js";
import { openSetup } from "./campaign-setup.js";
import { coalescedReads } from "./coalesced-reads.js";
import { showMembers } from "./members.js";
import { showMine } from "./my-campaigns.js";
import { showTargets } from "./targets.js";

let me = null;
let marketerId = null;
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
        button("Set up", async () => {
          await showTargets(marketerId); // another member may have made one since
          openSetup(campaign, refresh);
        }),
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
      cell(campaign.target ? `${campaign.target.name} (${campaign.target.population_status.replace("_", " ")})` : "–", "target"),
      cell(bands || "–", "population"),
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

const refresh = coalescedReads(async () => {
  const data = await graphql("query ($id: UUID!) { marketerCampaigns(marketerId: $id) }", { id: marketerId });
  render(data.marketerCampaigns);
});

const MESSAGES = {
  target_populated: () => "Target populated! Creating offers...",
  offers_created: (event) => `${event.count} offers created successfully`,
};

let events = null;

function setLive(state, text) {
  $("#live").dataset.state = state;
  $("#live").textContent = text;
}

function listen() {
  events?.close();
  events = new EventSource(`/campaigns/events?marketerId=${encodeURIComponent(marketerId)}`);
  events.addEventListener("ready", () => {
    showTargets(marketerId).catch((error) => flash(error.message, "error"));
    refresh().then(
      () => setLive("live", "live"),
      (error) => flash(error.message, "error"),
    );
  });
  events.addEventListener(`marketer:${marketerId}:campaigns`, (message) => {
    const event = JSON.parse(message.data);
    const text = MESSAGES[event.event]?.(event);
    if (text) flash(text);
    // Populations are the one change of a target that events announce.
    if (event.event === "target_populated") showTargets(marketerId).catch((error) => flash(error.message, "error"));
    refresh().catch((error) => flash(error.message, "error"));
  });
  events.addEventListener("error", () => setLive("connecting", "reconnecting…"));
  // The server ended the stream for good (rights withdrawn, token expired): say why, stop.
  events.addEventListener("end", (message) => {
    events.close();
    setLive("ended", "ended");
    flash(JSON.parse(message.data).message, "error");
  });
}

// What is shown only while the page follows a marketer.
const MARKETER_PARTS = ["#members-panel", "#targets-section", "#new-marketer-campaign"];

function follow(id) {
  marketerId = id;
  previous = new Map();
  $("#campaign-setup").hidden = true;
  for (const part of MARKETER_PARTS) $(part).hidden = false;
  listen();
  showMembers(marketerId, me).catch((error) => flash(error.message, "error"));
}

/** Reads the user's marketers and follows the wanted one, else the first. */
async function loadMarketers(wanted) {
  const data = await graphql("{ allMarketers(orderBy: NAME_ASC) { nodes { rowId name } } }");
  const marketers = data.allMarketers.nodes;
  const select = $("#marketer");
  select.replaceChildren(...marketers.map((m) => new Option(m.name, m.rowId)));
  if (marketers.length === 0) {
    events?.close();
    marketerId = null;
    for (const part of [...MARKETER_PARTS, "#campaign-setup"]) $(part).hidden = true;
    render([]);
    setLive("ended", "no marketer");
    flash("You are not a member of any marketer yet.", "info");
    return;
  }
  select.value = marketers.some((m) => m.rowId === wanted) ? wanted : marketers[0].rowId;
  follow(select.value);
}

$("#marketer").addEventListener("change", () => {
  history.replaceState(null, "", `?marketer=${$("#marketer").value}`);
  follow($("#marketer").value);
});

onSubmit($("#new-marketer"), async () => {
  const input = $("#new-marketer-name");
  const data = await graphql("mutation ($name: String!) { createMarketer(input: { name: $name }) { result { rowId name } } }", {
    name: input.value,
  });
  const created = data.createMarketer.result;
  flash(`Marketer "${created.name}" created: you are its owner.`);
  input.value = "";
  history.replaceState(null, "", `?marketer=${created.rowId}`);
  await loadMarketers(created.rowId);
});

onSubmit($("#new-marketer-campaign"), async () => {
  const input = $("#new-marketer-campaign-name");
  const data = await graphql(
    "mutation ($name: String!, $marketerId: UUID!) { createCampaign(input: { name: $name, marketerId: $marketerId }) { result { name } } }",
    { name: input.value, marketerId },
  );
  flash(`"${data.createCampaign.result.name}" is ready: set up its target and bids, then launch it.`);
  input.value = "";
  await refresh();
});

$("#leave-marketer").addEventListener("click", async () => {
  if (!confirm("Leave this marketer? Your campaigns of it go to one of its owners.")) return;
  // The stream ends as soon as the membership does: stop following first.
  events?.close();
  try {
    await graphql("mutation ($id: UUID!) { leaveMarketer(input: { marketerId: $id }) { clientMutationId } }", { id: marketerId });
    flash("You left the marketer.");
  } catch (error) {
    flash(error.message, "error");
  }
  await loadMarketers(marketerId).catch((error) => flash(error.message, "error"));
});

async function start() {
  const data = await graphql("{ currentUser { rowId } }");
  me = data.currentUser.rowId;
  showMine(me).catch((error) => flash(error.message, "error"));
  await loadMarketers(new URLSearchParams(location.search).get("marketer"));
}

$("#sign-out").addEventListener("click", async () => {
  await fetch("/campaigns/session", { method: "DELETE" });
  location.reload();
});
start().catch((error) => flash(error.message, "error"));
