// `npm run token -- <email> [--admin]`: creates the user when missing and signs a token for them.
import type { Kysely } from "kysely";
import { config } from "../config.ts";
import type { DB } from "../db/kysely.ts";
import { signToken } from "./jwt.ts";

export interface TokenUser {
  id: string;
  is_admin: boolean;
}

/** The user of this email, created when missing; `admin` promotes an existing user, and leaving it out never demotes one. */
export async function ensureUser(db: Kysely<DB>, email: string, options: { admin: boolean }): Promise<TokenUser> {
  return db
    .insertInto("app_public.users")
    .values({ email: email.trim().toLowerCase(), is_admin: options.admin })
    .onConflict((conflict) =>
      conflict
        .column("email")
        .doUpdateSet((eb) => ({ is_admin: eb.or([eb.ref("app_public.users.is_admin"), eb.ref("excluded.is_admin")]).$castTo<boolean>() })),
    )
    .returning(["id", "is_admin"])
    .executeTakeFirstOrThrow();
}

/** A token for a user who exists, as `npm run token` signs it (lasting JWT_EXPIRES_IN); writes nothing. */
export function signTokenFor(user: TokenUser, secret: string): Promise<string> {
  return signToken({ sub: user.id, is_admin: user.is_admin }, secret, config.jwtExpiresIn);
}

export async function issueToken(db: Kysely<DB>, email: string, options: { admin: boolean; secret: string }) {
  return signTokenFor(await ensureUser(db, email, options), options.secret);
}
