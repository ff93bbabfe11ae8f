// What every page's script does the same way: GraphQL requests with the session cookie (a 401
// reloads the page, which then asks to sign in) and short-lived messages in a list.

/** The data of a GraphQL request; its first error's message is thrown. */
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

/** Shows `text` first in `list` for 15 seconds; `kind` (ok, info, error) is its class. */
export function flash(list, text, kind = "ok") {
  const item = document.createElement("li");
  item.className = kind;
  item.textContent = text;
  list.prepend(item);
  setTimeout(() => item.remove(), 15_000);
}
