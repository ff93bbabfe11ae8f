// Tokens: HS256 JWTs whose claims name the user and whether they are an admin.
import { errors, jwtVerify, SignJWT } from "jose";

export interface Claims {
  /** The user's id. */
  sub: string;
  /** Whether the user is an admin (authentication re-reads it from the database). */
  is_admin: boolean;
  /** When the token expires, in seconds since the epoch: long-lived streams end then. */
  exp?: number;
}

/** A token the API refuses, with the reason a client can act on; answered with HTTP 401. */
export class TokenError extends Error {}

// Imported once per secret: jose would otherwise import the raw bytes anew on every verification.
const keys = new Map<string, Promise<CryptoKey>>();
function key(secret: string): Promise<CryptoKey> {
  let found = keys.get(secret);
  if (!found) {
    found = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    keys.set(secret, found);
  }
  return found;
}

export async function signToken(claims: Claims, secret: string, expiresIn: string): Promise<string> {
  return new SignJWT({ is_admin: claims.is_admin })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(await key(secret));
}

export async function verifyToken(token: string, secret: string): Promise<Claims> {
  try {
    const { payload } = await jwtVerify(token, await key(secret), { algorithms: ["HS256"], requiredClaims: ["exp", "sub"] });
    if (typeof payload.sub !== "string") throw new TokenError("token has no subject (sub) naming a user");
    return { sub: payload.sub, is_admin: payload.is_admin === true, exp: payload.exp };
  } catch (error) {
    if (error instanceof TokenError) throw error;
    if (error instanceof errors.JWTExpired) {
      throw new TokenError(`token expired at ${new Date(Number(error.payload.exp) * 1000).toISOString()}`);
    }
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      throw new TokenError("token signature is invalid: it was not signed with this server's secret");
    }
    throw new TokenError(`token is malformed: ${(error as Error).message}`);
  }
}
