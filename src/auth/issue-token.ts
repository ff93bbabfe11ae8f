// `npm run token -- <email> [--admin]`: creates the user when missing and signs a token for them.
import type { Kysely } from "kysely";
import { config } from "../config.ts";
import type { DB } from "../db/kysely.ts";
import { signToken } from "./jwt.ts";

export async function issueToken(db: Kysely<DB>, email: string, options: { admin: boolean; secret: string }) {
  const user = await db
    .insertInto("app_public.users")
    .values({ email: email.trim().toLowerCase(), is_admin: options.admin })
    .onConflict((conflict) =>
      // --admin promotes an existing user; leaving it out never demotes one.
      conflict
        .column("email")
        .doUpdateSet((eb) => ({ is_admin: eb.or([eb.ref("app_public.users.is_admin"), eb.ref("excluded.is_admin")]).$castTo<boolean>() })),
    )
    .returning(["id", "is_admin"])
    .executeTakeFirstOrThrow();
  return signToken({ sub: user.id, is_admin: user.is_admin }, options.secret, config.jwtExpiresIn);
}
