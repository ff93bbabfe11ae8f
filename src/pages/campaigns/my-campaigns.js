// My campaigns: the signed-in user's own campaigns, those of no marketer, with their status and
// content counts; created (at once, from the pool), renamed and scheduled through GraphQL.
import { $, button, campaignLink, cell, flash, graphql, onSubmit } from "./api.js";

const MY_CAMPAIGNS = `query ($me: UUID!) {
  allCampaigns(condition: { userId: $me, marketerId: null }, orderBy: ACTIVATED_AT_DESC) {
    nodes {
      rowId name status startTime
      schticksByCampaignId { totalCount } weaponsByCampaignId { totalCount } charactersByCampaignId { totalCount }
    }
  }
}`;
let me = null;

export async function showMine(userId) {
  me = userId;
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
        await showMine(me);
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
          await showMine(me);
        }),
      );
    }
    tr.append(
      cell(campaignLink(campaign.rowId, campaign.name), "name"),
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

onSubmit($("#new-campaign"), async () => {
  const input = $("#new-campaign-name");
  const data = await graphql("mutation ($name: String!) { createCampaign(input: { name: $name }) { result { name } } }", {
    name: input.value,
  });
  flash(`"${data.createCampaign.result.name}" is ready, with its content.`);
  input.value = "";
  await showMine(me);
});
