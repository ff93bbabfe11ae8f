// The real app (HTTP server, worker, notification hub) on a test database, and small clients.
import { afterAll, beforeAll } from "vitest";
import { type RunningApp, startApp } from "../../src/app.ts";
import { issueToken } from "../../src/auth/issue-token.ts";
import type { TestDatabase } from "./database.ts";

export const TEST_JWT_SECRET = "test-secret-that-is-long-enough-for-hs256";

/**
 * `worker: false` for files that test the API alone: no jobs, cron or pool seeding run behind them
 * (createCampaign then seeds inline, as it does whenever the pool is empty).
 */
export function useTestApp(database: TestDatabase, { worker = true }: { worker?: boolean } = {}): { readonly url: string } {
  let app: RunningApp | undefined;
  beforeAll(async () => {
    await database.query("select 1"); // creates the database
    app = await startApp({
      ownerUrl: database.ownerUrl,
      authenticatorUrl: database.authenticatorUrl,
      jwtSecret: TEST_JWT_SECRET,
      host: "127.0.0.1",
      port: 0,
      worker,
    });
  });
  afterAll(async () => {
    await app?.stop();
  });
  return {
    get url() {
      return app!.url;
    },
  };
}

export function tokenFor(database: TestDatabase, email: string, { admin = false } = {}): Promise<string> {
  return issueToken(database.db, email, { admin, secret: TEST_JWT_SECRET });
}

export interface GraphQLResponse<T = any> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

export async function graphql<T = any>(
  url: string,
  query: string,
  { token, variables }: { token?: string; variables?: Record<string, unknown> } = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/graphql-response+json, application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...(await response.json()) };
}
