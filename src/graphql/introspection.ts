// Who may introspect the schema (`__schema`, `__type`, anywhere in the document: a mutation
// payload's `query` field reaches them too). The others get INTROSPECTION_DISABLED and nothing is
// executed. `__typename` is not introspection and always works. Checked when an operation is
// executed, over HTTP and websockets alike, because the caller is known only then: grafserv caches
// validation per document, for every caller.
import { type DocumentNode, GraphQLError, type GraphQLSchema, NoSchemaIntrospectionCustomRule, validate } from "postgraphile/graphql";
import type { Claims } from "../auth/jwt.ts";
import type { IntrospectionPolicy } from "../config.ts";

declare global {
  namespace Grafast {
    interface Context {
      /** The caller's verified claims; null for an anonymous request. */
      claims?: Claims | null;
    }
  }
}

export const INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED";

const REFUSAL: Record<IntrospectionPolicy, string> = {
  everyone: "",
  "signed-in": "introspection (__schema, __type) is open to signed-in users only: send your token",
  admins: "introspection (__schema, __type) is open to admins only: send an admin's token",
  nobody: "introspection (__schema, __type) is switched off on this server",
};

function mayIntrospect(policy: IntrospectionPolicy, claims: Claims | null | undefined): boolean {
  switch (policy) {
    case "everyone":
      return true;
    case "signed-in":
      return Boolean(claims);
    case "admins":
      return claims?.is_admin === true;
    case "nobody":
      return false;
  }
}

export function makeIntrospectionPlugin(policy: IntrospectionPolicy): GraphileConfig.Plugin {
  // Documents are cached and reused by grafserv, so each is walked once.
  const introspects = new WeakMap<DocumentNode, boolean>();
  const refusal = (schema: GraphQLSchema, document: DocumentNode, claims: Claims | null | undefined) => {
    if (mayIntrospect(policy, claims)) return null;
    let found = introspects.get(document);
    if (found === undefined) {
      found = validate(schema, document, [NoSchemaIntrospectionCustomRule]).length > 0;
      introspects.set(document, found);
    }
    if (!found) return null;
    return {
      errors: [
        new GraphQLError(REFUSAL[policy], {
          extensions: { code: INTROSPECTION_DISABLED },
        }),
      ],
    };
  };
  return {
    name: "IntrospectionAccessPlugin",
    version: "1.0.0",
    grafast: {
      middleware: {
        execute(next, { args }) {
          return refusal(args.schema, args.document, (args.contextValue as Grafast.Context | undefined)?.claims) ?? next();
        },
        subscribe(next, { args }) {
          return refusal(args.schema, args.document, (args.contextValue as Grafast.Context | undefined)?.claims) ?? next();
        },
      },
    },
  };
}
