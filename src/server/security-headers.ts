// Security headers on every response (helmet, through koa-helmet): no other site may frame a page
// (frame-ancestors 'none', X-Frame-Options DENY), browsers must not guess content types (nosniff),
// no referrer leaves, and the pages run only scripts and styles served from here. The pages under
// src/pages/ are built for that policy: no inline script, style or style attribute. GraphiQL (in
// development only) needs inline scripts and blob: workers, so its two paths get a looser policy.
import type { Middleware } from "koa";
import helmet from "koa-helmet";

type Directives = Record<string, string[]>;

const STRICT: Directives = {
  "default-src": ["'self'"],
  "script-src": ["'self'"],
  "style-src": ["'self'"],
  "img-src": ["'self'", "data:"],
  "font-src": ["'self'"],
  "connect-src": ["'self'"],
  "object-src": ["'none'"],
  "base-uri": ["'none'"],
  "form-action": ["'self'"],
  "frame-ancestors": ["'none'"],
};

const GRAPHIQL: Directives = {
  ...STRICT,
  "script-src": ["'self'", "'unsafe-inline'", "blob:"],
  "worker-src": ["'self'", "blob:"],
  "style-src": ["'self'", "'unsafe-inline'"],
  "font-src": ["'self'", "data:"],
  "connect-src": ["'self'", "ws:", "wss:"],
};

const withPolicy = (directives: Directives) =>
  helmet({
    // useDefaults off: helmet's defaults add upgrade-insecure-requests, which breaks a server
    // reached over plain HTTP (a laptop, a health check inside the cluster).
    contentSecurityPolicy: { useDefaults: false, directives },
    frameguard: { action: "deny" },
    referrerPolicy: { policy: "no-referrer" },
  });

/** `graphiql`: the GraphiQL page and its static files are served at these paths. */
export function securityHeaders(graphiql: { page: string; staticPrefix: string } | null): Middleware {
  const strict = withPolicy(STRICT);
  const loose = withPolicy(GRAPHIQL);
  return (ctx, next) =>
    graphiql && (ctx.path === graphiql.page || ctx.path.startsWith(graphiql.staticPrefix)) ? loose(ctx, next) : strict(ctx, next);
}
