// The marketer's targets: each with its bands, the bullseye (position 0) first, their required
// tags and how many participants each holds; and the form for a new one, its bands entered
// innermost first. A band lists every tag it requires, so each band inward must require the tags
// of those outside it (the database says so, CE309, when one does not).
import { $, cell, flash, graphql, onSubmit } from "./api.js";

const TARGETS = `query ($id: UUID!) {
  allTargets(condition: { marketerId: $id }, orderBy: NAME_ASC) {
    nodes {
      rowId name populationStatus
      targetBandsByTargetId(orderBy: POSITION_ASC) { nodes { rowId name position requiredTags population } }
    }
  }
}`;
const CREATE_TARGET = `mutation ($marketerId: UUID!, $name: String!) {
  createTarget(input: { target: { marketerId: $marketerId, name: $name } }) { target { rowId } }
}`;
const CREATE_BAND = "mutation ($band: TargetBandInput!) { createTargetBand(input: { targetBand: $band }) { clientMutationId } }";
const DELETE_TARGET = "mutation ($id: UUID!) { deleteTargetByRowId(input: { rowId: $id }) { clientMutationId } }";

let marketerId = null;
let targets = [];

/** The targets last read, with their bands: what a campaign's setup chooses from. */
export const currentTargets = () => targets;

export async function showTargets(id) {
  marketerId = id;
  const data = await graphql(TARGETS, { id });
  if (marketerId !== id) return; // another marketer was chosen meanwhile
  targets = data.allTargets.nodes.map((target) => ({ ...target, bands: target.targetBandsByTargetId.nodes }));
  const rows = targets.map((target) => {
    const tr = document.createElement("tr");
    tr.dataset.targetId = target.rowId;
    const bands = target.bands.map((band) => `${band.name} [${band.requiredTags.join(", ")}] ${band.population}`).join(" · ");
    tr.append(cell(target.name, "name"), cell(bands || "no band", "bands"), cell(target.populationStatus.replace("_", " "), "status"));
    return tr;
  });
  if (rows.length === 0) {
    const tr = document.createElement("tr");
    const td = cell("No target yet: create one below.");
    td.colSpan = 3;
    tr.append(td);
    rows.push(tr);
  }
  $("#targets tbody").replaceChildren(...rows);
}

function addBandRow() {
  const list = $("#new-target-bands");
  const position = list.children.length;
  const item = document.createElement("li");
  const name = document.createElement("input");
  name.className = "band-name";
  name.value = position === 0 ? "Bullseye" : `Ring ${position}`;
  name.setAttribute("aria-label", `Name of band ${position}`);
  const tags = document.createElement("input");
  tags.className = "band-tags";
  tags.placeholder = "required tags, comma separated";
  tags.setAttribute("aria-label", `Tags of band ${position}`);
  item.append(name, tags);
  list.append(item);
}

$("#add-band").addEventListener("click", addBandRow);
addBandRow();

onSubmit($("#new-target"), async () => {
  const name = $("#new-target-name").value;
  const bands = [...$("#new-target-bands").children].map((item, position) => ({
    position,
    name: item.querySelector(".band-name").value,
    requiredTags: item
      .querySelector(".band-tags")
      .value.split(",")
      .map((tag) => tag.trim())
      .filter(Boolean),
  }));
  const created = await graphql(CREATE_TARGET, { marketerId, name });
  const targetId = created.createTarget.target.rowId;
  try {
    for (const band of bands) await graphql(CREATE_BAND, { band: { ...band, targetId } });
  } catch (error) {
    // A target is whole or not at all: the bands made so far go with it.
    await graphql(DELETE_TARGET, { id: targetId }).catch(() => {});
    throw error;
  }
  flash(`Target "${name}" created with ${bands.length} band${bands.length === 1 ? "" : "s"}.`);
  $("#new-target").reset();
  $("#new-target-bands").replaceChildren();
  addBandRow();
  await showTargets(marketerId);
});
