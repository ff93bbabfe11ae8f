// What a request's claims become in SQL: the visitor role and the jwt.claims.* settings that the
// policies and functions read (sql/100_current_user.sql). GraphQL gets them from PostGraphile
// (pgSettings); every other connection that acts as a user applies them with actAs.
import type pg from "pg";
import { VISITOR_ROLE } from "../db/roles.ts";
import type { Claims } from "./jwt.ts";

/** The settings every statement of a request runs with; anonymous without claims. */
export function pgSettingsFor(claims: Claims | null): Record<string, string> {
  return {
    role: VISITOR_ROLE,
    "jwt.claims.user_id": claims?.sub ?? "",
    "jwt.claims.is_admin": String(claims?.is_admin ?? false),
  };
}

/** Applies them for the rest of the transaction `client` is in (set_config's `is_local`). */
export async function actAs(client: Pick<pg.ClientBase, "query">, claims: Claims | null): Promise<void> {
  await client.query("select set_config(key, value, true) from jsonb_each_text($1::jsonb)", [JSON.stringify(pgSettingsFor(claims))]);
}
