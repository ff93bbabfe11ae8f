// The campaigns manager in the browser: a marketer's campaigns with their stats, live. It listens
// to /campaigns/events first; on `ready` (first connection and every reconnect) and on every event
// it re-reads the campaigns through GraphQL (one read at a time; events arriving meanwhile cause
// one more read), and turns target_populated and offers_created into flash messages.
import { coalescedReads } from "./coalesced-reads.js";

const $ = (selector) => document.querySelector(selector);

async function graphql(query, variables = {}) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json, application/json" },
    body: JSON.stringify({ query, variables }),
  });
  if (response.status === 401) location.reload();
  const body = await response.json();
  if (body.errors?.length) throw new Error(body.errors[0].message);
  return body.data;
}

function flash(text, kind = "ok") {
  const item = document.createElement("li");
  item.className = kind;
  item.textContent = text;
  $("#flash").prepend(item);
  setTimeout(() => item.remove(), 15_000);
}

const money = (amount) => Number(amount).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

function cell(text, className = "") {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function button(label, action) {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = label;
  element.addEventListener("click", async () => {
    element.disabled = true;
    try {
      await action();
    } catch (error) {
      flash(error.message, "error");
    } finally {
      element.disabled = false;
    }
  });
  return element;
}

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
      cell(campaign.name),
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

// ---- My campaigns: the signed-in user's own campaigns, those of no marketer ------------------

const MY_CAMPAIGNS = `query ($me: UUID!) {
  allCampaigns(condition: { userId: $me, marketerId: null }, orderBy: ACTIVATED_AT_DESC) {
    nodes {
      rowId name status startTime
      schticksByCampaignId { totalCount } weaponsByCampaignId { totalCount } charactersByCampaignId { totalCount }
    }
  }
}`;
let me = null;

async function refreshMine() {
  const data = await graphql(MY_CAMPAIGNS, { me });
  const rows = data.allCampaigns.nodes.map((campaign) => {
    const tr = document.createElement("tr");
    tr.dataset.campaignId = campaign.rowId;
    const content = [
      `${campaign.schticksByCampaignId.totalCount} schticks`,
      `${campaign.weaponsByCampaignId.totalCount} weapons`,
      `${campaign.charactersByCampaignId.totalCount} characters`,
    ].join(" · ");
    const actions = document.createElement("td");
    actions.append(
      button("Rename", async () => {
        const name = prompt("New name", campaign.name);
        if (!name) return;
        await graphql(
          "mutation ($id: UUID!, $name: String!) { updateCampaignByRowId(input: { rowId: $id, campaignPatch: { name: $name } }) { clientMutationId } }",
          {
            id: campaign.rowId,
            name,
          },
        );
        await refreshMine();
      }),
    );
    if (campaign.status === "CREATED") {
      actions.append(
        button("Schedule", async () => {
          const hours = Number(prompt("Run for how many hours, starting in an hour?", "48"));
          if (!hours) return;
          await graphql(
            "mutation ($id: UUID!, $start: Datetime!, $hours: BigFloat!) { scheduleCampaign(input: { campaignId: $id, startTime: $start, durationHours: $hours }) { clientMutationId } }",
            {
              id: campaign.rowId,
              start: new Date(Date.now() + 3_600_000).toISOString(),
              hours: String(hours),
            },
          );
          await refreshMine();
        }),
      );
    }
    tr.append(
      cell(campaign.name, "name"),
      cell(campaign.status, "status"),
      cell(content, "content"),
      cell(campaign.startTime ? new Date(campaign.startTime).toLocaleString() : "–", "starts"),
      actions,
    );
    return tr;
  });
  if (rows.length === 0) {
    const tr = document.createElement("tr");
    const td = cell("No campaign of your own yet: create one above.");
    td.colSpan = 5;
    tr.append(td);
    rows.push(tr);
  }
  $("#my-campaigns tbody").replaceChildren(...rows);
}

$("#new-campaign").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("#new-campaign-name");
  try {
    const data = await graphql("mutation ($name: String!) { createCampaign(input: { name: $name }) { result { name } } }", {
      name: input.value,
    });
    flash(`"${data.createCampaign.result.name}" is ready, with its content.`);
    input.value = "";
    await refreshMine();
  } catch (error) {
    flash(error.message, "error");
  }
});

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
  me = data.currentUser.rowId;
  refreshMine().catch((error) => flash(error.message, "error"));
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
