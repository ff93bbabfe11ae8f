// The members of the marketer shown: every member sees who the others are (by email) and their
// role; owners add members by email, as owners or members, and remove them (leaving is the page's,
// campaigns.js: it changes which marketer the page follows). The database refuses what may not be
// (the last owner, a member twice, a member who is no owner managing), and the page flashes its
// message.
import { $, button, cell, flash, graphql, onSubmit } from "./api.js";

const MEMBERS = `query ($id: UUID!) {
  allMarketerMembers(condition: { marketerId: $id }) { nodes { userId email role } }
}`;
const ADD = `mutation ($id: UUID!, $email: String!, $role: MarketerRole!) {
  addMarketerMember(input: { marketerId: $id, email: $email, role: $role }) { result { role } }
}`;
const REMOVE = `mutation ($id: UUID!, $userId: UUID!) {
  removeMarketerMember(input: { marketerId: $id, userId: $userId }) { clientMutationId }
}`;

let shown = null; // { marketerId, me }

export async function showMembers(marketerId, me) {
  shown = { marketerId, me };
  const data = await graphql(MEMBERS, { id: marketerId });
  if (shown.marketerId !== marketerId) return; // another marketer was chosen meanwhile
  const members = data.allMarketerMembers.nodes.sort(
    (a, b) => (a.role === b.role ? 0 : a.role === "owner" ? -1 : 1) || a.email.localeCompare(b.email),
  );
  const iAmOwner = members.some((member) => member.userId === me && member.role === "owner");
  $("#add-member").hidden = !iAmOwner;
  $("#members tbody").replaceChildren(
    ...members.map((member) => {
      const tr = document.createElement("tr");
      tr.dataset.userId = member.userId;
      const actions = document.createElement("td");
      if (member.userId === me) actions.append("(you)");
      else if (iAmOwner) {
        actions.append(
          button("Remove", async () => {
            await graphql(REMOVE, { id: marketerId, userId: member.userId });
            flash(`${member.email} is no longer a member.`);
            await refreshMembers();
          }),
        );
      }
      tr.append(cell(member.email, "email"), cell(member.role, "role"), actions);
      return tr;
    }),
  );
}

const refreshMembers = () => showMembers(shown.marketerId, shown.me);

onSubmit($("#add-member"), async () => {
  const email = $("#member-email");
  const role = $("#member-role").value;
  await graphql(ADD, { id: shown.marketerId, email: email.value, role });
  flash(`${email.value.trim()} added as ${role}.`);
  email.value = "";
  await refreshMembers();
});
