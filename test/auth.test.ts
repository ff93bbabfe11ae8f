// Tokens: anonymous requests see no user data; bad tokens get 401 with a reason.
import { SignJWT } from "jose";
import { beforeAll, describe, expect, test } from "vitest";
import { signToken } from "../src/auth/jwt.ts";
import { graphql, TEST_JWT_SECRET, tokenFor, useTestApp } from "./support/app.ts";
import { useTestDatabase } from "./support/database.ts";

const database = useTestDatabase("auth");
const server = useTestApp(database, { worker: false });
const WHO_AND_WHAT = `{ currentUser { email } allUsers { totalCount } allCampaigns { totalCount } }`;

let validToken: string;
let userId: string;

beforeAll(async () => {
  validToken = await tokenFor(database, "dana@example.com");
  [{ id: userId }] = (await database.query<{ id: string }>(
    `insert into app_public.campaigns (user_id, name) select id, 'Dana''s' from app_public.users returning user_id as id`,
  )) as [{ id: string }];
});

describe("requests without a token", () => {
  test("are anonymous and see no user data", async () => {
    const response = await graphql(server.url, WHO_AND_WHAT);
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ currentUser: null, allUsers: { totalCount: 0 }, allCampaigns: { totalCount: 0 } });
  });
});

describe("requests with a valid token", () => {
  test("see the user's own data", async () => {
    const response = await graphql(server.url, WHO_AND_WHAT, { token: validToken });
    expect(response.data).toEqual({
      currentUser: { email: "dana@example.com" },
      allUsers: { totalCount: 1 },
      allCampaigns: { totalCount: 1 },
    });
  });
});

describe("admin rights", () => {
  test("follow the database, not the token: a demoted admin loses them at once", async () => {
    const adminToken = await tokenFor(database, "erin@example.com", { admin: true });
    expect((await graphql(server.url, WHO_AND_WHAT, { token: adminToken })).data.allUsers.totalCount).toBe(3); // erin, dana and the master template's owner
    await database.query("update app_public.users set is_admin = false where email = 'erin@example.com'");
    expect((await graphql(server.url, WHO_AND_WHAT, { token: adminToken })).data.allUsers.totalCount).toBe(1);
  });
});

describe("requests with a bad token get 401 saying why, and no data", () => {
  test("a bad signature", async () => {
    const forged = await signToken({ sub: userId, is_admin: true }, "not-the-server-secret", "1h");
    const response = await graphql(server.url, WHO_AND_WHAT, { token: forged });
    expect(response.status).toBe(401);
    expect(response.data).toBeUndefined();
    expect(response.errors?.[0]?.message).toMatch(/signature is invalid/);
  });

  test("an unknown user", async () => {
    const stranger = await signToken({ sub: "00000000-0000-4000-8000-000000000000", is_admin: false }, TEST_JWT_SECRET, "1h");
    const response = await graphql(server.url, WHO_AND_WHAT, { token: stranger });
    expect(response.status).toBe(401);
    expect(response.errors?.[0]?.message).toMatch(/unknown user/);
  });

  test("an expired token", async () => {
    const expired = await new SignJWT({ is_admin: false })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(userId)
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    const response = await graphql(server.url, WHO_AND_WHAT, { token: expired });
    expect(response.status).toBe(401);
    expect(response.errors?.[0]?.message).toMatch(/expired at \d{4}-/);
  });

  test("a token without an expiry", async () => {
    const forever = await new SignJWT({ is_admin: false })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(userId)
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    const response = await graphql(server.url, WHO_AND_WHAT, { token: forever });
    expect(response.status).toBe(401);
    expect(response.errors?.[0]?.message).toMatch(/malformed.*exp/);
  });

  test("a token that is not a JWT", async () => {
    const response = await graphql(server.url, WHO_AND_WHAT, { token: "not.a.jwt" });
    expect(response.status).toBe(401);
    expect(response.errors?.[0]?.message).toMatch(/malformed/);
  });
});

describe("a malformed GraphQL document", () => {
  test("gets the standard GraphQL syntax error", async () => {
    const response = await graphql(server.url, "{ allCampaigns { ", { token: validToken });
    expect(response.status).toBe(400);
    expect(response.errors?.[0]?.message).toMatch(/^Syntax Error: /);
  });
});
