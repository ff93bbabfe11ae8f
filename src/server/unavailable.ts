// Koa's answer when the database is unavailable: HTTP 503 with Retry-After and a JSON GraphQL
// error (extensions.code DATABASE_UNAVAILABLE), on every route, never a text/plain 500. A GraphQL
// response whose only errors are that one (the masked resolver errors, src/graphql/mask-error.ts)
// and that carries no data is turned into the same 503, so a client can tell "retry in a second"
// from "your request is wrong" by the status alone.
import type { Context, Middleware } from "koa";
import { DATABASE_UNAVAILABLE, isDatabaseUnavailable, RETRY_AFTER_SECONDS, unavailableError } from "../db/unavailable.ts";

function answerUnavailable(ctx: Context): void {
  ctx.status = 503;
  ctx.set("Retry-After", String(RETRY_AFTER_SECONDS));
  ctx.body = { errors: [unavailableError] };
}

interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: { extensions?: { code?: unknown } }[];
}

/** Whether a GraphQL response failed only because the database was unavailable, with nothing done. */
function failedForUnavailability(body: unknown): boolean {
  let result: GraphQLBody;
  if (Buffer.isBuffer(body) || typeof body === "string") {
    // Cheap test first: almost every response is not one of these.
    if (!body.includes(DATABASE_UNAVAILABLE)) return false;
    result = JSON.parse(body.toString());
  } else if (body && typeof body === "object") result = body as GraphQLBody;
  else return false;
  const { data, errors } = result;
  if (!errors?.length || !errors.every((error) => error.extensions?.code === DATABASE_UNAVAILABLE)) return false;
  return data == null || Object.values(data).every((value) => value === null);
}

export function databaseUnavailable(): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      return answerUnavailable(ctx);
    }
    if (failedForUnavailability(ctx.body)) {
      ctx.status = 503;
      ctx.set("Retry-After", String(RETRY_AFTER_SECONDS));
    }
  };
}
