// Every setting the product reads from the environment, in one place. The README's
// configuration table documents each of them; every default works on a laptop.
import path from "node:path";
import { fileURLToPath } from "node:url";

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function integer(name: string, fallback: number): number;
function integer(name: string, fallback: undefined): number | undefined;
function integer(name: string, fallback: number | undefined): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  }
  return value;
}

function oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw new Error(`${name} must be one of ${allowed.join(", ")}, got "${raw}"`);
  return raw as T;
}

const production = process.env.GRAPHILE_ENV === "production";

/** Who may run introspection queries (`__schema`, `__type`). */
export const INTROSPECTION_POLICIES = ["everyone", "signed-in", "admins", "nobody"] as const;
export type IntrospectionPolicy = (typeof INTROSPECTION_POLICIES)[number];

export const config = {
  /** Owner or superuser connection; unset means "start an embedded PostgreSQL under dataDir". */
  databaseUrl: process.env.DATABASE_URL || undefined,
  dataDir: path.resolve(projectRoot, process.env.DATA_DIR || ".data"),
  host: process.env.HOST || "127.0.0.1",
  port: integer("PORT", 3000),
  /** HS256 secret; when unset, one is generated and kept in dataDir/secrets.json. */
  jwtSecret: process.env.JWT_SECRET || undefined,
  /** Lifetime of tokens printed by `npm run token`. */
  jwtExpiresIn: process.env.JWT_EXPIRES_IN || "12h",
  /** Password of the login role the API connects as; generated like the JWT secret when unset. */
  authenticatorPassword: process.env.AUTHENTICATOR_PASSWORD || undefined,
  /** Seconds a command keeps retrying, with backoff, a database that does not answer at start. */
  databaseStartupTimeoutSeconds: integer("DATABASE_STARTUP_TIMEOUT_SECONDS", 30),
  /** Seconds graceful shutdown waits for in-flight requests and jobs before giving up. */
  shutdownTimeoutSeconds: integer("SHUTDOWN_TIMEOUT_SECONDS", 20),
  /** "false": this process serves the API only, and `npm run worker` processes run the jobs. */
  runWorker: oneOf("RUN_WORKER", ["true", "false"], "true") === "true",
  graphileEnv: production ? "production" : "development",
  /** What production mode changes for clients (src/server/exposure.ts). */
  exposure: {
    production,
    introspection: oneOf("GRAPHQL_INTROSPECTION", INTROSPECTION_POLICIES, production ? "admins" : "everyone"),
    /** Bearer token for /metrics and for the detail of /health; unset: /metrics is open in development only. */
    metricsToken: process.env.METRICS_TOKEN || undefined,
    /** Serves /metrics on a port of its own (and not on PORT); unset: on PORT. */
    metricsPort: integer("METRICS_PORT", undefined),
  },
  /** Owner of the master template campaign. */
  masterOwnerEmail: (process.env.MASTER_OWNER_EMAIL || "master@localhost").toLowerCase(),
  /** Campaigns one user may create per hour; unset keeps app_private.settings' value (default 20). */
  campaignRateLimit: integer("CAMPAIGN_RATE_LIMIT", undefined),
} as const;

/**
 * Limits on what one client may ask of the server (src/graphql/limits.ts, src/server/stream-caps.ts),
 * read when called so that a benchmark or test can set its own before the server starts.
 */
export function limitsConfig() {
  return {
    /** An anonymous GraphQL request with a larger body is refused before it is read (images need a user). */
    maxAnonymousRequestBytes: integer("GRAPHQL_MAX_ANONYMOUS_REQUEST_BYTES", 100_000),
    /** A GraphQL document longer than this (in characters) is refused before it is parsed. */
    maxDocumentCharacters: integer("GRAPHQL_MAX_DOCUMENT_CHARACTERS", 100_000),
    /** Parsing stops, and the operation is refused, past this many tokens. */
    maxTokens: integer("GRAPHQL_MAX_TOKENS", 1000),
    /** How deeply fields may nest (introspection's __schema is not counted). */
    maxDepth: integer("GRAPHQL_MAX_DEPTH", 10),
    /** Aliases in one operation (fragments counted where they are spread). */
    maxAliases: integer("GRAPHQL_MAX_ALIASES", 20),
    /**
     * How often one field with a sub-selection may be selected under the same name in one selection
     * set (fragments included): GraphQL's own validation compares every such pair, recursively.
     */
    maxRepeatedFields: integer("GRAPHQL_MAX_REPEATED_FIELDS", 5),
    /** Directives in one operation. */
    maxDirectives: integer("GRAPHQL_MAX_DIRECTIVES", 20),
    /** graphql-armor's cost: 1 per scalar, 2 per object, ×1.5 per level of nesting, × `first`/`last`. */
    maxCost: integer("GRAPHQL_MAX_COST", 50_000),
    /** Open websockets and event streams one signed-in user may hold at once. */
    streamsPerUser: integer("STREAMS_PER_USER", 20),
    /** Open websockets one address may hold before they say who they are (or while anonymous). */
    streamsPerAnonymousAddress: integer("STREAMS_PER_ANONYMOUS_ADDRESS", 10),
    /** Open websockets and event streams this process holds at most, all users together. */
    maxOpenStreams: integer("MAX_OPEN_STREAMS", 15_000),
  };
}

export type Limits = ReturnType<typeof limitsConfig>;

/** How often an API process reports its live-update latency (the slow_broadcast alert), read when called. */
export function realtimeLatencyReportMs(): number {
  return integer("REALTIME_LATENCY_REPORT_MS", 30_000);
}

/**
 * ImageKit settings, read when called (a test points them at its fake server). Without a private
 * key the app runs on: images are served from their stored URL, and nothing is uploaded.
 */
export function imageKitConfig() {
  return {
    privateKey: process.env.IMAGEKIT_PRIVATE_KEY || undefined,
    urlEndpoint: (process.env.IMAGEKIT_URL_ENDPOINT || "https://ik.imagekit.io/campaign-engine").replace(/\/$/, ""),
    /** The API's base URL; only tests and proxies change it. */
    apiBaseUrl: process.env.IMAGEKIT_API_BASE_URL || undefined,
    signedUrlExpiresSeconds: integer("IMAGEKIT_SIGNED_URL_EXPIRES_SECONDS", 3600),
  };
}

/**
 * Where alerts go (tasks/send_alert_webhook.ts, send_alert_email.ts), read when called, so a test
 * can point them at its own receivers. Nothing set means no delivery: the laptop default.
 */
export function alertDeliveryConfig() {
  const smtpUser = process.env.SMTP_USER || undefined;
  return {
    /** Slack-compatible incoming webhook. */
    webhookUrl: process.env.ALERT_WEBHOOK_URL || undefined,
    emailTo: process.env.ALERT_EMAIL_TO || undefined,
    emailFrom: process.env.ALERT_EMAIL_FROM || "campaign-engine@localhost",
    smtp: {
      host: process.env.SMTP_HOST || "127.0.0.1",
      port: integer("SMTP_PORT", 587),
      // true: TLS from the first byte (usually port 465); false: plain, upgraded by STARTTLS when offered.
      secure: process.env.SMTP_SECURE === "true",
      auth: smtpUser ? { user: smtpUser, pass: process.env.SMTP_PASSWORD ?? "" } : undefined,
    },
  };
}

// PostGraphile reads GRAPHILE_ENV itself and warns when it is missing.
process.env.GRAPHILE_ENV = config.graphileEnv;
