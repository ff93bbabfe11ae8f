// Where a request's credentials come from: the Authorization header (API clients), else the
// session cookie that the pages' sign-in sets (browsers; EventSource cannot send headers).
// The cookie is HttpOnly and SameSite=Strict, so other sites can neither read nor send it.
import type { Context } from "koa";

export const SESSION_COOKIE = "campaign_engine_token";

/** The Authorization header, or `Bearer <session cookie>`; undefined when neither is there. */
export function credentialsOf(ctx: Context): string | undefined {
  const header = ctx.get("authorization");
  if (header) return header;
  const token = ctx.cookies.get(SESSION_COOKIE);
  return token ? `Bearer ${token}` : undefined;
}

export function setSessionCookie(ctx: Context, token: string | null): void {
  ctx.cookies.set(SESSION_COOKIE, token, { httpOnly: true, sameSite: "strict", secure: ctx.secure, path: "/", overwrite: true });
}
