// Errors a client can act on reach it whole: the rules' own codes (CE…), data and constraint
// errors (SQLSTATE classes 22 and 23) and permission refusals (42501), with the SQLSTATE as
// extensions.code and Postgres' hint when there is one. A database that is unavailable (restarting,
// unreachable, a dropped connection) is DATABASE_UNAVAILABLE, retryable; so is a transaction that
// lost a race (SQLSTATE class 40: a deadlock's victim, a serialization failure), with its own code,
// rolled back whole. Refusals made in TypeScript are SafeErrors carrying their code (CE020/CE021 of
// src/graphql/refused-changes.ts, replaceImage's) or errors without an original (CE005 of
// src/graphql/input-values.ts): grafserv's default passes both as they are. Anything else (a bug)
// is masked by that default, which logs it under an id the client is shown.
import { defaultMaskError } from "postgraphile/grafserv";
import { GraphQLError } from "postgraphile/graphql";
import { isDatabaseUnavailable, unavailableError } from "../db/unavailable.ts";

const ACTIONABLE = /^(CE\d{3}|22[0-9A-Z]{3}|23[0-9A-Z]{3}|42501)$/;
const LOST_A_RACE = /^40[0-9A-Z]{3}$/;

/** `error` with another message and extensions: where it happened (nodes, path) and its cause stay. */
export function withExtensions(error: GraphQLError, message: string, extensions: Record<string, unknown>): GraphQLError {
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions,
  });
}

export function maskError(error: GraphQLError): GraphQLError {
  const original = error.originalError as { code?: unknown; hint?: unknown } | undefined;
  if (isDatabaseUnavailable(original)) return withExtensions(error, unavailableError.message, unavailableError.extensions);
  if (typeof original?.code === "string" && LOST_A_RACE.test(original.code)) {
    return withExtensions(error, `${error.message}: nothing was changed, retry`, { code: original.code, retryable: true });
  }
  if (typeof original?.code !== "string" || !ACTIONABLE.test(original.code)) return defaultMaskError(error);
  return withExtensions(error, error.message, {
    code: original.code,
    ...(typeof original.hint === "string" ? { hint: original.hint } : {}),
  });
}
