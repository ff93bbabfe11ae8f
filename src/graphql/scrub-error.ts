// Production only: what an error says to a client, without the names of internal schemas,
// internal tables and constraints. A constraint's name describes the table behind it, and
// app_private is no client's business. It runs after maskError (src/graphql/mask-error.ts), which
// decides what reaches the client and with which code: this step changes wording only, never
// extensions.code, so a client tells the same refusals apart in development and production.
import type { GraphQLError } from "postgraphile/graphql";
import { withExtensions } from "./mask-error.ts";

/** Schemas whose names, and whose objects' names, no client reads. app_public is the API. */
const INTERNAL_SCHEMAS = ["app_private", "app_hidden", "ops", "graphile_worker", "graphile_migrate", "pg_catalog", "pg_toast"];
const SCHEMA = `(?:${INTERNAL_SCHEMAS.join("|")})`;
const IDENTIFIER = `(?:"[^"]+"|\\w+)`;
// "function app_private.x(uuid)", "schema app_private", "table app_hidden.y": the kind is kept.
const KIND_AND_NAME = new RegExp(
  `\\b(schema|function|procedure|table|relation|view|sequence|type|column|trigger) "?${SCHEMA}"?(?:\\.${IDENTIFIER})*(?:\\([^)]*\\))?`,
  "g",
);
// Whatever is left: a qualified name anywhere, or a schema's bare name.
const QUALIFIED_NAME = new RegExp(`"?\\b${SCHEMA}"?(?:\\.${IDENTIFIER})+(?:\\([^)]*\\))?`, "g");
const BARE_SCHEMA = new RegExp(`\\b${SCHEMA}\\b`, "g");

/** The fields of a PostgreSQL error (pg's DatabaseError) that name things. */
interface DatabaseErrorFields {
  schema?: unknown;
  table?: unknown;
  constraint?: unknown;
  hint?: unknown;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** `text` with every internal name replaced by what kind of thing it was. */
export function withoutInternalNames(text: string, fields: DatabaseErrorFields = {}): string {
  let result = text;
  if (typeof fields.constraint === "string" && fields.constraint) {
    const name = escapeRegExp(fields.constraint);
    // `violates check constraint "x"` → `violates a check constraint`
    result = result
      .replace(new RegExp(`\\b(check|unique|foreign key|exclusion|not-null) constraint "${name}"`, "g"), "a $1 constraint")
      .replace(new RegExp(`constraint "${name}"`, "g"), "a constraint")
      .replace(new RegExp(`"?\\b${name}\\b"?`, "g"), "a constraint");
  }
  if (typeof fields.table === "string" && fields.table && typeof fields.schema === "string" && INTERNAL_SCHEMAS.includes(fields.schema)) {
    const name = escapeRegExp(fields.table);
    result = result
      .replace(new RegExp(`\\b(?:relation|table) "${name}"`, "g"), "an internal table")
      .replace(new RegExp(`"${name}"`, "g"), "an internal table");
  }
  return result
    .replace(KIND_AND_NAME, (_match, kind: string) => `an internal ${kind}`)
    .replace(QUALIFIED_NAME, "an internal name")
    .replace(BARE_SCHEMA, "an internal schema");
}

/**
 * The client's error as maskError made it, with internal names scrubbed from its message and
 * hint. A unique violation names its table instead of its constraint (Postgres' message names
 * nothing else, and under row-level security it gives no detail either).
 */
export function scrubInternalNames(error: GraphQLError): GraphQLError {
  const original = (error.originalError ?? {}) as DatabaseErrorFields & { code?: unknown };
  let message = withoutInternalNames(error.message, original);
  if (original.code === "23505" && typeof original.table === "string" && original.schema === "app_public")
    message += ` of "${original.table}"`;
  const hint = error.extensions?.hint;
  const extensions = typeof hint === "string" ? { ...error.extensions, hint: withoutInternalNames(hint, original) } : error.extensions;
  if (message === error.message && extensions === error.extensions) return error;
  return withExtensions(error, message, extensions);
}
