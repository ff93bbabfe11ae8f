// What the server shows to whom. Production mode (GRAPHILE_ENV=production) turns GraphiQL off,
// scrubs internal schema and constraint names from errors (src/graphql/scrub-error.ts), keeps the
// detail of /health for the monitoring token, and closes /metrics to anyone without it; who may
// introspect the schema is a setting of its own (GRAPHQL_INTROSPECTION).
import { timingSafeEqual } from "node:crypto";
import type { Context } from "koa";
import type { IntrospectionPolicy } from "../config.ts";

export interface Exposure {
  production: boolean;
  introspection: IntrospectionPolicy;
  /** Bearer token for /metrics and the detail of /health. */
  metricsToken?: string;
  /** /metrics on a port of its own instead of the server's. */
  metricsPort?: number;
}

/** What `npm start` does on a laptop: everything visible, to everyone. */
export const DEVELOPMENT: Exposure = { production: false, introspection: "everyone" };

/** Whether the request carries `Authorization: Bearer <token>` (compared in constant time). */
export function hasBearer(ctx: Context, token: string | undefined): boolean {
  if (!token) return false;
  const presented = Buffer.from(ctx.get("authorization"));
  const expected = Buffer.from(`Bearer ${token}`);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}
