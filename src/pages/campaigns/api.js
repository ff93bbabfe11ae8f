// What the parts of the campaigns manager share: GraphQL with the session cookie (row-level
// security decides what the page sees), flash messages, and table cells, links and buttons whose
// refusals are flashed with the database's own message.

export const $ = (selector) => document.querySelector(selector);

export async function graphql(query, variables = {}) {
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

export function flash(text, kind = "ok") {
  const item = document.createElement("li");
  item.className = kind;
  item.textContent = text;
  $("#flash").prepend(item);
  setTimeout(() => item.remove(), 15_000);
}

export const money = (amount) => Number(amount).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export function cell(content, className = "") {
  const td = document.createElement("td");
  td.append(content);
  if (className) td.className = className;
  return td;
}

/** A campaign's name, linking to its own page. */
export function campaignLink(id, name) {
  const anchor = document.createElement("a");
  anchor.href = `/campaigns/${encodeURIComponent(id)}`;
  anchor.textContent = name;
  return anchor;
}

/** Runs the action once at a time; a refusal is flashed. */
async function guarded(control, action) {
  control.disabled = true;
  try {
    await action();
  } catch (error) {
    flash(error.message, "error");
  } finally {
    control.disabled = false;
  }
}

export function button(label, action) {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = label;
  element.addEventListener("click", () => guarded(element, action));
  return element;
}

export function onSubmit(form, action) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    return guarded(form.querySelector("button[type=submit]"), action);
  });
}
