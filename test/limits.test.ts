// Operations are limited before they are planned: an oversized document, too many tokens, too deep
// a nesting, too many aliases or directives, too high a cost, each refused with its own code,
// over HTTP and websockets, and nothing of a refused mutation runs. Ordinary operations (and
// GraphiQL's introspection) still pass. The server runs with the default limits.
import { getIntrospectionQuery } from "postgraphile/graphql";
import { afterEach, beforeAll, describe, expect, test } from "vitest";
import { limitsConfig } from "../src/config.ts";
import { LIMIT_CODES } from "../src/graphql/limits.ts";
import { graphql, tokenFor, useTestApp } from "./support/app.ts";
import { useTestDatabase } from "./support/database.ts";
import { subscribe } from "./support/subscribe.ts";
import { waitFor } from "./support/wait.ts";

const database = useTestDatabase("limits");
const server = useTestApp(database, { worker: false });
const defaults = limitsConfig();

let token: string;
beforeAll(async () => {
  token = await tokenFor(database, "limits@example.com");
  // The hourly creation limit is not what this file is about.
  await database.query("select app_private.set_setting('campaign_rate_limit', '1000')");
});

const campaignsNamed = async (prefix: string) =>
  Number(
    (await database.query<{ count: string }>("select count(*) from app_public.campaigns where name like $1 || '%'", [prefix]))[0]!.count,
  );

/** Sends `query` and expects it refused with `code`, nothing created by it. */
async function expectRefused(query: string, code: string, namePrefix = "Limited") {
  const before = await campaignsNamed(namePrefix);
  const response = await graphql(server.url, query, { token });
  expect(response.data).toBeUndefined();
  // Only limit refusals (one per limit exceeded): GraphQL's own validation never ran.
  for (const error of response.errors!) expect(error.message).toMatch(/^Operation refused: /);
  const error = response.errors!.find((e) => e.extensions?.code === code);
  expect(error, JSON.stringify(response.errors)).toBeDefined();
  expect(await campaignsNamed(namePrefix)).toBe(before);
  return error!;
}

const create = (n: number) => `c${n}: createCampaign(input: {name: "Limited ${n}"}) { result { rowId } }`;

describe("operation limits", () => {
  test("an ordinary query, a mutation and GraphiQL's introspection pass", async () => {
    const query = await graphql(server.url, "{ currentUser { email } allCampaigns(first: 10) { nodes { rowId name } } }", { token });
    expect(query.errors).toBeUndefined();
    expect(query.data.currentUser.email).toBe("limits@example.com");
    const introspection = await graphql(server.url, getIntrospectionQuery({ descriptions: true }), { token });
    expect(introspection.errors).toBeUndefined();
    expect(introspection.data.__schema.queryType.name).toBe("Query");
    const mutation = await graphql(server.url, `mutation { ${create(0)} }`, { token });
    expect(mutation.errors).toBeUndefined();
    expect(await campaignsNamed("Limited 0")).toBe(1);
  });

  test("10,000 aliases are refused with ALIAS_LIMIT, and none of the mutations runs", async () => {
    const flood = `mutation { ${Array.from({ length: 10_000 }, (_, i) => create(i + 1)).join(" ")} }`;
    // Over the document limit too: that refusal comes first, before anything is parsed.
    expect(flood.length).toBeGreaterThan(defaults.maxDocumentCharacters);
    await expectRefused(flood, LIMIT_CODES.documentTooLarge);
    const aliases = `mutation { ${Array.from({ length: defaults.maxAliases + 1 }, (_, i) => create(i + 1)).join(" ")} }`;
    const error = await expectRefused(aliases, LIMIT_CODES.tooManyAliases);
    expect(error.message).toMatch(`found ${defaults.maxAliases + 1}`);
    // At the limit, it runs.
    const allowed = await graphql(
      server.url,
      `mutation { ${Array.from({ length: defaults.maxAliases }, (_, i) => create(i + 1)).join(" ")} }`,
      { token },
    );
    expect(allowed.errors).toBeUndefined();
    expect(await campaignsNamed("Limited ")).toBe(1 + defaults.maxAliases);
  });

  test("a document over the size limit is refused with DOCUMENT_TOO_LARGE before it is parsed", async () => {
    // Not even valid GraphQL: it is never parsed.
    const error = await expectRefused(
      `mutation { ${create(900)} } ${"#".repeat(defaults.maxDocumentCharacters)} }}}`,
      LIMIT_CODES.documentTooLarge,
    );
    expect(error.message).toMatch(`more than the ${defaults.maxDocumentCharacters} allowed`);
  });

  test("too many tokens are refused with TOO_MANY_TOKENS", async () => {
    // No aliases: the same field, repeated (GraphQL merges the duplicates, but still has to compare them).
    const fields = "rowId ".repeat(defaults.maxTokens);
    await expectRefused(`mutation { createCampaign(input: {name: "Limited tokens"}) { result { ${fields} } } }`, LIMIT_CODES.tooManyTokens);
  });

  test("nesting deeper than the limit is refused with DEPTH_LIMIT", async () => {
    // query → campaign → user → campaigns → nodes → user → …, 34 levels as measured.
    const nested = (levels: number) => {
      let selection = "rowId";
      for (let i = 0; i < levels; i++) selection = `userByUserId { campaignsByUserId(first: 1) { nodes { ${selection} } } }`;
      return `{ allCampaigns(first: 1) { nodes { ${selection} } } }`;
    };
    const error = await expectRefused(nested(11), LIMIT_CODES.tooDeep);
    expect(error.message).toMatch(`depth limit of ${defaults.maxDepth} exceeded, found 36`);
    // Within the limit (depth 6), the same shape is an ordinary query.
    const shallow = await graphql(server.url, nested(1), { token });
    expect(shallow.errors).toBeUndefined();
    expect(shallow.data.allCampaigns.nodes).toBeInstanceOf(Array);
  });

  test("aliases of __typename count too", async () => {
    const aliases = Array.from({ length: defaults.maxAliases + 1 }, (_, i) => `t${i}: __typename`).join(" ");
    await expectRefused(`mutation { ${create(800)} ${aliases} }`, LIMIT_CODES.tooManyAliases);
  });

  test("a field with a selection repeated under one name more than the limit is refused with REPEATED_FIELD_LIMIT, fragments included", async () => {
    const repeated = (times: number) => "userByUserId { email } ".repeat(times);
    const error = await expectRefused(
      `mutation { createCampaign(input: {name: "Limited repeats"}) { result { ${repeated(defaults.maxRepeatedFields + 1)} } } }`,
      LIMIT_CODES.tooManyRepeats,
    );
    expect(error.message).toMatch(`"userByUserId" is selected ${defaults.maxRepeatedFields + 1} times`);
    const fragments = Array.from(
      { length: defaults.maxRepeatedFields + 1 },
      (_, i) => `fragment F${i} on Campaign { userByUserId { email } }`,
    );
    await expectRefused(
      `mutation { createCampaign(input: {name: "Limited repeats"}) { result { ${fragments.map((_, i) => `...F${i}`).join(" ")} } } } ${fragments.join(" ")}`,
      LIMIT_CODES.tooManyRepeats,
    );
    // At the limit it is an ordinary query (GraphQL merges the repeats); leaves may repeat freely.
    const allowed = await graphql(
      server.url,
      `{ allCampaigns(first: 1) { nodes { ${repeated(defaults.maxRepeatedFields)} ${"rowId ".repeat(50)} } } }`,
      { token },
    );
    expect(allowed.errors).toBeUndefined();
  });

  test("an anonymous request with a body over the limit is refused with REQUEST_TOO_LARGE before it is read; a user's is not", async () => {
    const variables = { padding: "x".repeat(defaults.maxAnonymousRequestBytes) };
    const anonymous = await graphql(server.url, "{ __typename }", { variables });
    expect(anonymous.status).toBe(413);
    expect(anonymous.errors).toEqual([
      expect.objectContaining({ extensions: { code: LIMIT_CODES.requestTooLarge, limit: defaults.maxAnonymousRequestBytes } }),
    ]);
    const signedIn = await graphql(server.url, "{ __typename }", { variables, token });
    expect(signedIn.errors).toBeUndefined();
    expect(signedIn.data).toEqual({ __typename: "Query" });
  });

  test("too many directives are refused with DIRECTIVE_LIMIT", async () => {
    const fields = "rowId @include(if: true) ".repeat(defaults.maxDirectives + 1);
    await expectRefused(
      `mutation { createCampaign(input: {name: "Limited directives"}) { result { ${fields} } } }`,
      LIMIT_CODES.tooManyDirectives,
    );
  });

  test("a cost over the limit is refused with COST_LIMIT", async () => {
    const error = await expectRefused(
      `mutation { createCampaign(input: {name: "Limited cost"}) { query { allSchticks(first: 100000) { nodes { name category } } } } }`,
      LIMIT_CODES.tooCostly,
    );
    expect(error.message).toMatch(`Cost limit of ${defaults.maxCost} exceeded`);
  });

  test("the same limits hold over websockets", async () => {
    const aliases = Array.from({ length: defaults.maxAliases + 1 }, (_, i) => `e${i}: campaignEvents(campaignId: $id) { event }`).join(" ");
    const subscription = subscribe(
      server.url,
      `subscription ($id: UUID!) { ${aliases} }`,
      { id: "00000000-0000-0000-0000-000000000000" },
      token,
    );
    try {
      await waitFor(
        async () => subscription.errors.length,
        (count) => count > 0,
      );
      expect(subscription.events).toEqual([]);
      expect(subscription.errors[0]).toMatchObject([{ extensions: { code: LIMIT_CODES.tooManyAliases } }]);
    } finally {
      await subscription.stop();
    }
  });
});

describe("limit settings", () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  test("are read from the environment, and a bad value names its variable", () => {
    process.env.GRAPHQL_MAX_DEPTH = "4";
    process.env.STREAMS_PER_USER = "3";
    expect(limitsConfig()).toMatchObject({ maxDepth: 4, streamsPerUser: 3, maxAliases: defaults.maxAliases });
    process.env.GRAPHQL_MAX_ALIASES = "lots";
    expect(() => limitsConfig()).toThrow(/GRAPHQL_MAX_ALIASES must be a non-negative integer, got "lots"/);
  });
});
