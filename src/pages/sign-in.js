// The sign-in form: exchanges the pasted token for the page's session cookie, then loads the address
// it was shown at again (a campaign's page, say), which now opens.
// A file of its own, not an inline script, so that the content security policy allows scripts
// from this server only. The form names its page in data-page.
const form = document.querySelector("#sign-in");
const page = form.dataset.page;
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const response = await fetch(`${page}/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token: document.querySelector("#token").value }),
  });
  if (response.ok) location.reload();
  else document.querySelector("#error").textContent = (await response.json()).error;
});
