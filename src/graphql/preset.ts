// The PostGraphile preset: the Amber preset over app_public, websockets for subscriptions, and
// the request's JWT claims turned into the visitor role's settings.

import type { Kysely } from "kysely";
import { makePgService } from "postgraphile/adaptors/pg";
import type { GrafastSubscriber } from "postgraphile/grafast";
// Type-only imports that declare the koav3 and ws members of Grafast.RequestContext.
import type {} from "postgraphile/grafserv/koa/v3";
import type {} from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import type { Claims } from "../auth/jwt.ts";
import { pgSettingsFor } from "../auth/pg-settings.ts";
import { namedUrl } from "../db/connection.ts";
import type { DB } from "../db/kysely.ts";
import type { Exposure } from "../server/exposure.ts";
import { CampaignEventsPlugin } from "./campaign-events.ts";
import { ContentTimesPlugin } from "./content-times.ts";
import { makeImagesPlugin } from "./images.ts";
import { InputValuesPlugin } from "./input-values.ts";
import { makeIntrospectionPlugin } from "./introspection.ts";
import { makeOperationLimitsPlugin, type OperationLimits } from "./limits.ts";
import { maskError } from "./mask-error.ts";
import { RefusedChangesPlugin } from "./refused-changes.ts";
import { scrubInternalNames } from "./scrub-error.ts";

export interface PresetOptions {
  authenticatorUrl: string;
  ownerUrl: string;
  pgSubscriber: GrafastSubscriber<Record<string, string>>;
  /** Owner connection, for what the visitor's role may not do itself (recording uploaded images). */
  db: Kysely<DB>;
  /** Verifies the credentials of a request (HTTP header or websocket connection params). */
  authenticate(authorization: string | undefined): Promise<Claims | null>;
  exposure: Exposure;
  /** What an operation may ask for (src/graphql/limits.ts). */
  limits: OperationLimits;
  /** The largest request body, in bytes. */
  maxRequestLength: number;
  /**
   * The subscriber one websocket subscription listens with (src/server/websockets.ts), so that a
   * re-check of its rights can end it alone; pgSubscriber when there is none. Asked before the
   * subscription's token is checked, then given its claims.
   */
  subscriberFor?(socket: unknown): ((claims: Claims | null) => GrafastSubscriber<Record<string, string>>) | undefined;
}

export const GRAPHQL_PATH = "/graphql";
export const GRAPHIQL_PATH = "/graphiql";
export const GRAPHIQL_STATIC_PATH = "/ruru-static/";

/**
 * The preset, and `releasePools` to call after `pgl.release()`: PostGraphile does not end the
 * pools that makePgService opened, and an idle connection would keep the process alive.
 */
export function makePreset(options: PresetOptions): { preset: GraphileConfig.Preset; releasePools(): Promise<void> } {
  const pgService = makePgService({
    connectionString: namedUrl(options.authenticatorUrl, "api"),
    superuserConnectionString: namedUrl(options.ownerUrl, "api"),
    schemas: ["app_public"],
    pgSubscriber: options.pgSubscriber as never,
  });
  const preset: GraphileConfig.Preset = {
    extends: [PostGraphileAmberPreset],
    plugins: [
      CampaignEventsPlugin,
      ContentTimesPlugin,
      makeImagesPlugin(options.db),
      makeOperationLimitsPlugin(options.limits),
      RefusedChangesPlugin,
      InputValuesPlugin,
      makeIntrospectionPlugin(options.exposure.introspection),
    ],
    pgServices: [pgService],
    grafserv: {
      graphqlPath: GRAPHQL_PATH,
      graphiqlPath: GRAPHIQL_PATH,
      graphiqlStaticPath: GRAPHIQL_STATIC_PATH,
      eventStreamPath: "/graphql/stream",
      websockets: true,
      // Both: grafserv serves GraphiQL on GET /graphql (to a browser) even with graphiql off.
      graphiql: !options.exposure.production,
      graphiqlOnGraphQLGET: !options.exposure.production,
      maxRequestLength: options.maxRequestLength,
      // Production scrubs internal names as a separate step, after maskError chose what to show.
      maskError: options.exposure.production ? (error) => scrubInternalNames(maskError(error)) : maskError,
    },
    grafast: {
      async context(requestContext) {
        // HTTP requests were authenticated by the Koa middleware; websockets present their token
        // in the connection params of graphql-ws.
        // Before the token is checked: a change of rights from then on is not missed.
        const subscriberOf = requestContext.ws ? options.subscriberFor?.(requestContext.ws.socket) : undefined;
        const claims: Claims | null =
          requestContext.koav3?.ctx.state.claims ??
          (requestContext.ws
            ? await options.authenticate(requestContext.ws.normalizedConnectionParams?.authorization as string | undefined)
            : null);
        const pgSubscriber = subscriberOf?.(claims);
        // Grafast only asks for a subscriber; the type of the context names PostGraphile's own.
        return { pgSettings: pgSettingsFor(claims), claims, ...(pgSubscriber ? { pgSubscriber: pgSubscriber as never } : {}) };
      },
    },
  };
  return { preset, releasePools: async () => void (await pgService.release?.()) };
}
