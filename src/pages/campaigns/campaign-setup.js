// Setting a campaign up before its launch: its target (one of its marketer's) and a bid per band
// of it (what each participant there is offered, and what that costs the marketer). Saving
// replaces the campaign's bids: a band left empty gets none, so its people get no offer.
import { $, cell, flash, graphql, onSubmit } from "./api.js";
import { currentTargets } from "./targets.js";

const BIDS = "query ($id: UUID!) { campaignByRowId(rowId: $id) { bidsByCampaignId { nodes { bandId } } } }";
const DELETE_BID = `mutation ($campaignId: UUID!, $bandId: UUID!) {
  deleteBidByCampaignIdAndBandId(input: { campaignId: $campaignId, bandId: $bandId }) { clientMutationId }
}`;
const SET_TARGET = `mutation ($id: UUID!, $targetId: UUID) {
  updateCampaignByRowId(input: { rowId: $id, campaignPatch: { targetId: $targetId } }) { clientMutationId }
}`;
const CREATE_BID = "mutation ($bid: BidInput!) { createBid(input: { bid: $bid }) { clientMutationId } }";

let editing = null; // { campaign, saved }

function amountInput(className, label, value) {
  const input = document.createElement("input");
  input.type = "number";
  input.step = "0.01";
  input.className = className;
  input.setAttribute("aria-label", label);
  input.value = value ?? "";
  return input;
}

function showBands() {
  const target = currentTargets().find((t) => t.rowId === $("#setup-target").value);
  // The bids the list shows are those of the campaign's current target.
  const sameTarget = target && target.rowId === editing.campaign.target?.id;
  const bids = new Map(sameTarget ? editing.campaign.stats.bands.map((band) => [band.band_id, band]) : []);
  $("#setup-bids tbody").replaceChildren(
    ...(target?.bands ?? []).map((band) => {
      const tr = document.createElement("tr");
      tr.dataset.bandId = band.rowId;
      const bid = bids.get(band.rowId);
      tr.append(
        cell(band.name, "name"),
        cell(band.requiredTags.join(", "), "tags"),
        cell(amountInput("offer-amount", `Offer amount for ${band.name}`, bid?.offer_amount)),
        cell(amountInput("marketer-cost", `Marketer cost for ${band.name}`, bid?.marketer_cost)),
      );
      return tr;
    }),
  );
}

/** Opens the form for a campaign of the marketer shown; saved() runs after it is saved. */
export function openSetup(campaign, saved) {
  editing = { campaign, saved };
  $("#setup-name").textContent = campaign.name;
  $("#setup-target").replaceChildren(
    new Option("no target", ""),
    ...currentTargets().map((target) => new Option(target.name, target.rowId)),
  );
  $("#setup-target").value = campaign.target?.id ?? "";
  showBands();
  $("#campaign-setup").hidden = false;
}

$("#setup-target").addEventListener("change", showBands);
$("#setup-cancel").addEventListener("click", () => ($("#campaign-setup").hidden = true));

onSubmit($("#campaign-setup"), async () => {
  const { campaign, saved } = editing;
  const targetId = $("#setup-target").value || null;
  const existing = await graphql(BIDS, { id: campaign.id });
  for (const { bandId } of existing.campaignByRowId.bidsByCampaignId.nodes) {
    await graphql(DELETE_BID, { campaignId: campaign.id, bandId });
  }
  await graphql(SET_TARGET, { id: campaign.id, targetId });
  // A bid is for a band of the campaign's target, so the target comes first.
  let bids = 0;
  for (const tr of $("#setup-bids tbody").children) {
    const offerAmount = tr.querySelector(".offer-amount").value;
    const marketerCost = tr.querySelector(".marketer-cost").value;
    if (offerAmount === "" && marketerCost === "") continue;
    await graphql(CREATE_BID, {
      bid: { campaignId: campaign.id, bandId: tr.dataset.bandId, offerAmount: offerAmount || null, marketerCost: marketerCost || null },
    });
    bids += 1;
  }
  $("#campaign-setup").hidden = true;
  flash(`"${campaign.name}" is set up: ${bids} bid${bids === 1 ? "" : "s"}${targetId ? "" : ", no target"}.`);
  await saved();
});
