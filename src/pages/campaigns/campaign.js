// One campaign, live: its offers (cards and a chart of offers made over time), population per
// band, lifecycle timeline, timers and a "What changed?" list read from the event history. It
// listens to /campaigns/events?campaignId=… first; on `ready` (first connection and every
// reconnect) and on every event it re-reads the campaign through GraphQL (one read at a time).
// Events missed while away are replayed by the server before `ready` (EventSource sends the last
// event's id back as Last-Event-ID), so each shows as a toast once.

import { $, button, flash, graphql, money } from "./api.js";
import { coalescedReads } from "./coalesced-reads.js";

const campaignId = location.pathname.split("/").filter(Boolean).at(-1);

const when = (time) => new Date(time).toLocaleString();
function row(...texts) {
  const tr = document.createElement("tr");
  for (const text of texts) {
    const td = document.createElement("td");
    td.textContent = text;
    tr.append(td);
  }
  return tr;
}

function item(text, title = "") {
  const li = document.createElement("li");
  li.textContent = text;
  if (title) li.title = title;
  return li;
}

// What an event says to a person; events without a sentence are listed by their name.
const SAYS = {
  campaign_updated: () => "Campaign updated",
  target_populated: (event) => `Target populated: ${event.count} people reached`,
  offers_created: (event) => `${event.count} offers created`,
  reward_reminder: () => "Reward claim reminder sent",
};
const say = (event) => SAYS[event.event]?.(event) ?? event.event;
// Toasts are for the work done in the background; campaign_updated follows every edit.
const TOASTED = new Set(["target_populated", "offers_created", "reward_reminder"]);

const READ = `query ($id: UUID!) {
  campaignByRowId(rowId: $id) {
    name status startTime endTime launchedAt
    targetByTargetId { name populationStatus }
    campaignStateLogsByCampaignId(orderBy: CREATED_AT_ASC) { nodes { fromState toState triggerEvent createdAt } }
    campaignTimersByCampaignId { nodes { timerType status scheduledAt nextAttemptAt } }
  }
  campaignStats(campaignId: $id)
  changes: allCampaignEventLogs(condition: { campaignId: $id }, orderBy: CURSOR_DESC, first: 50) {
    nodes { cursor event count occurredAt }
  }
  batches: allCampaignEventLogs(condition: { campaignId: $id, event: "offers_created" }, orderBy: CURSOR_DESC, first: 500) {
    nodes { count occurredAt }
  }
}`;

let chart = null;

// Offers made so far, after each of the latest offers_created batches (newest first), ending at
// every offer the campaign has made (pending, current, claimed or expired).
function drawOffers(batches, stats) {
  const made = stats.pending_offers + stats.current_offers + stats.claimed_rewards + stats.expired_offers;
  const xs = [];
  const ys = [];
  let total = made;
  for (const batch of batches) {
    xs.unshift(Date.parse(batch.occurredAt) / 1000);
    ys.unshift(total);
    total -= Number(batch.count ?? 0);
  }
  if (xs.length > 0) {
    xs.unshift(xs[0] - 1);
    ys.unshift(Math.max(0, total));
  }
  const element = $("#offers-chart");
  element.dataset.points = String(xs.length);
  element.dataset.offers = String(made);
  if (!chart) {
    chart = new uPlot(
      {
        width: Math.max(300, element.clientWidth || 600),
        height: 200,
        series: [{}, { label: "Offers made", stroke: "#2563eb", fill: "rgba(37, 99, 235, 0.1)" }],
        axes: [{}, { label: "offers" }],
      },
      [xs, ys],
      element,
    );
  } else {
    chart.setData([xs, ys]);
  }
}

function render({ campaignByRowId: campaign, campaignStats: stats, changes, batches }) {
  if (!campaign) {
    flash("This campaign does not exist, or you may not see it.", "error");
    return;
  }
  document.title = `campaign-engine · ${campaign.name}`;
  $("#name").textContent = campaign.name;
  $("#status").textContent = campaign.status;
  $("#population").textContent = String(stats.population);
  $("#pending-offers").textContent = String(stats.pending_offers);
  $("#current-offers").textContent = String(stats.current_offers);
  $("#claimed-rewards").textContent = String(stats.claimed_rewards);
  $("#reach").textContent = String(stats.unique_reach);
  $("#target").textContent = campaign.targetByTargetId
    ? `${campaign.targetByTargetId.name} (${campaign.targetByTargetId.populationStatus.toLowerCase().replace("_", " ")})`
    : "no target yet";

  const actions = [];
  if (campaign.status === "CREATED" && !campaign.launchedAt) {
    actions.push(
      button("Launch", async () => {
        await graphql("mutation ($id: UUID!) { launchCampaign(input: { campaignId: $id }) { clientMutationId } }", { id: campaignId });
        flash(`Launching "${campaign.name}"…`, "info");
      }),
    );
  }
  if (campaign.status === "RUNNING") {
    actions.push(
      button("Refresh Offers", async () => {
        await graphql("mutation ($id: UUID!) { refreshOffers(input: { campaignId: $id }) { clientMutationId } }", { id: campaignId });
        flash(`Refreshing the offers of "${campaign.name}"…`, "info");
      }),
    );
  }
  $("#actions").replaceChildren(...actions);

  const bands = stats.bands.map((band) =>
    row(
      band.name,
      String(band.population),
      band.offer_amount == null ? "–" : money(band.offer_amount),
      band.marketer_cost == null ? "–" : money(band.marketer_cost),
    ),
  );
  if (bands.length === 0) bands.push(row("No bands: set a target first.", "", "", ""));
  $("#bands tbody").replaceChildren(...bands);

  const timeline = [];
  for (const entry of campaign.campaignStateLogsByCampaignId.nodes) {
    timeline.push(item(`${when(entry.createdAt)}: ${entry.fromState} → ${entry.toState}`, entry.triggerEvent));
  }
  if (campaign.launchedAt) timeline.push(item(`${when(campaign.launchedAt)}: launched`));
  if (timeline.length === 0) timeline.push(item(`${campaign.status}: no change yet`));
  $("#timeline").replaceChildren(...timeline);

  const due = (timer) => timer.nextAttemptAt ?? timer.scheduledAt;
  const timers = [...campaign.campaignTimersByCampaignId.nodes]
    .sort((a, b) => Date.parse(due(a)) - Date.parse(due(b)))
    .map((timer) => row(timer.timerType, timer.status, when(due(timer))));
  if (timers.length === 0) timers.push(row("No timers: schedule the campaign to set them.", "", ""));
  $("#timers tbody").replaceChildren(...timers);

  const latest = changes.nodes.map((event) => item(`${when(event.occurredAt)}: ${say(event)}`, `cursor ${event.cursor}`));
  if (latest.length === 0) latest.push(item("Nothing yet."));
  $("#changes").replaceChildren(...latest);
  drawOffers(batches.nodes, stats);
}

const refresh = coalescedReads(async () => render(await graphql(READ, { id: campaignId })));
const showError = (error) => flash(error.message, "error");

function listen() {
  const events = new EventSource(`/campaigns/events?campaignId=${encodeURIComponent(campaignId)}`);
  events.addEventListener("ready", () => {
    refresh().then(() => {
      $("#live").dataset.state = "live";
      $("#live").textContent = "live";
    }, showError);
  });
  events.addEventListener(`campaign:${campaignId}`, (message) => {
    const event = JSON.parse(message.data);
    if (TOASTED.has(event.event)) flash(say(event));
    refresh().catch(showError);
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

// Read once at once too: a stream that is refused (403) never says ready, and the page should say why.
refresh().catch(showError);
listen();
