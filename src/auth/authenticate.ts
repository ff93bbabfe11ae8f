// Turns an Authorization header into claims: null for an anonymous request, a TokenError (HTTP 401)
// for a token that is malformed, badly signed, expired or names a user who does not exist.
import type { Kysely } from "kysely";
import type { DB } from "../db/kysely.ts";
import { isUuid } from "../uuid.ts";
import { type Claims, TokenError, verifyToken } from "./jwt.ts";

export type Authenticate = (authorization: string | undefined) => Promise<Claims | null>;

export function makeAuthenticate(db: Kysely<DB>, secret: string): Authenticate {
  return async (authorization) => {
    if (!authorization) return null;
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!match) throw new TokenError('Authorization header must be "Bearer <token>"');
    const claims = await verifyToken(match[1]!, secret);
    if (!isUuid(claims.sub)) throw new TokenError("token is malformed: its subject is not a user id");
    const user = await db.selectFrom("app_public.users").select(["id", "is_admin"]).where("id", "=", claims.sub).executeTakeFirst();
    if (!user) throw new TokenError("token names an unknown user: it may have been deleted");
    // Admin rights are the database's to grant and withdraw, effective at once, not when a token expires.
    return { sub: user.id, is_admin: user.is_admin, exp: claims.exp };
  };
}
