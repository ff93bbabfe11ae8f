// Limits on GraphQL operations, enforced before anything is planned or run, over HTTP and
// websockets alike (both go through grafserv's parseAndValidate, which this plugin replaces):
//   1. a document longer than maxDocumentCharacters is refused before it is parsed;
//   2. parsing stops past maxTokens tokens (GraphQL's own parser option);
//   3. graphql-armor's rules (depth, aliases, directives, cost) and ours for repeated fields run on
//      their own, first, so that a flood of fields is refused before GraphQL's own rules (some
//      quadratic in the number of fields) ever see it;
//   4. only then GraphQL's standard validation.
// Each refusal is a GraphQL error with its own extensions.code (the codes below, listed in the
// README), its message naming the limit and what was found. Valid documents are cached, as grafserv
// does, so a repeated operation costs one lookup; refusals are not (see parseAndValidate).
import { createHash } from "node:crypto";
import { costLimitRule } from "@escape.tech/graphql-armor-cost-limit";
import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import { maxDirectivesRule } from "@escape.tech/graphql-armor-max-directives";
import { LRU } from "@graphile/lru";
import {
  type DocumentNode,
  GraphQLError,
  type GraphQLSchema,
  Kind,
  parse,
  type SelectionSetNode,
  TypeInfo,
  ValidationContext,
  type ValidationRule,
  validate,
  visit,
  visitInParallel,
} from "postgraphile/graphql";
import type { Limits } from "../config.ts";

/** extensions.code of each refusal; one code per limit. */
export const LIMIT_CODES = {
  /** An anonymous request's body over GRAPHQL_MAX_ANONYMOUS_REQUEST_BYTES (HTTP 413, src/server/app.ts). */
  requestTooLarge: "REQUEST_TOO_LARGE",
  documentTooLarge: "DOCUMENT_TOO_LARGE",
  tooManyTokens: "TOO_MANY_TOKENS",
  tooDeep: "DEPTH_LIMIT",
  tooManyAliases: "ALIAS_LIMIT",
  tooManyDirectives: "DIRECTIVE_LIMIT",
  tooManyRepeats: "REPEATED_FIELD_LIMIT",
  tooCostly: "COST_LIMIT",
  /** Too many open websockets or event streams (HTTP 429, or websocket close 1013). */
  tooManyStreams: "TOO_MANY_STREAMS",
  /** This process holds MAX_OPEN_STREAMS streams already (HTTP 503, or websocket close 1013). */
  streamsAtCapacity: "STREAMS_AT_CAPACITY",
  /** A stream ended because its user may no longer see what it follows. */
  rightsRevoked: "RIGHTS_REVOKED",
  /** A stream ended because its token expired. */
  tokenExpired: "TOKEN_EXPIRED",
} as const;

export type OperationLimits = Pick<
  Limits,
  "maxDocumentCharacters" | "maxTokens" | "maxDepth" | "maxAliases" | "maxRepeatedFields" | "maxDirectives" | "maxCost"
>;

const CACHE_SIZE = 500;

type ParseAndValidateResult = { document: DocumentNode; errors?: undefined } | { document?: undefined; errors: readonly GraphQLError[] };

export function limitError(code: string, message: string, limit: number): GraphQLError {
  return withoutStackTraces(() => new GraphQLError(`Operation refused: ${message}`, { extensions: { code, limit } }));
}

/** graphql-armor's rule, reporting (rather than throwing) its refusal under our code. */
function armorRule(code: string, limit: number, make: (options: any) => ValidationRule, options: object = {}): ValidationRule {
  return make({
    ...options,
    n: limit,
    maxCost: limit,
    exposeLimits: true,
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) =>
        context?.reportError(limitError(code, error.message.replace(/^Syntax Error: /, ""), limit)),
    ],
  });
}

/**
 * No field with a sub-selection selected more than `limit` times under one name in a selection
 * set, counting the fields of the fragments spread there. GraphQL's OverlappingFieldsCanBeMerged
 * compares every pair of such fields, and their sub-selections pair by pair: 240 repeats of
 * `campaignsByUserId { totalCount }` (under the token limit) took it about 100 ms. graphql-armor
 * has no rule for it; this is the one rule here that is ours.
 */
function maxRepeatedFieldsRule(limit: number): ValidationRule {
  return (context) => {
    const collect = (selectionSet: SelectionSetNode, counts: Map<string, number>, spread: Set<string>) => {
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          if (!selection.selectionSet) continue;
          const key = selection.alias?.value ?? selection.name.value;
          counts.set(key, (counts.get(key) ?? 0) + 1);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          collect(selection.selectionSet, counts, spread);
        } else if (!spread.has(selection.name.value)) {
          spread.add(selection.name.value);
          const fragment = context.getFragment(selection.name.value);
          if (fragment) collect(fragment.selectionSet, counts, spread);
        }
      }
    };
    return {
      SelectionSet(node) {
        const counts = new Map<string, number>();
        collect(node, counts, new Set());
        for (const [key, count] of counts) {
          if (count > limit) {
            context.reportError(
              limitError(
                LIMIT_CODES.tooManyRepeats,
                `"${key}" is selected ${count} times in one selection set; at most ${limit} times are allowed for a field with a selection.`,
                limit,
              ),
            );
          }
        }
      },
    };
  };
}

function limitRules(limits: OperationLimits): ValidationRule[] {
  return [
    armorRule(LIMIT_CODES.tooDeep, limits.maxDepth, maxDepthRule),
    // __typename too: a flood of it is a flood all the same.
    armorRule(LIMIT_CODES.tooManyAliases, limits.maxAliases, maxAliasesRule, { allowList: [] }),
    maxRepeatedFieldsRule(limits.maxRepeatedFields),
    armorRule(LIMIT_CODES.tooManyDirectives, limits.maxDirectives, maxDirectivesRule),
    armorRule(LIMIT_CODES.tooCostly, limits.maxCost, costLimitRule),
  ];
}

/**
 * The limit rules' refusals. They read the document alone, never its types, so they are visited
 * as `validate` would, without the TypeInfo it keeps up to date at every node (most of its cost).
 */
function refusalsOf(schema: GraphQLSchema, document: DocumentNode, rules: readonly ValidationRule[]): GraphQLError[] {
  const refusals: GraphQLError[] = [];
  const context = new ValidationContext(schema, document, new TypeInfo(schema), (error) => refusals.push(error));
  visit(document, visitInParallel(rules.map((rule) => rule(context))));
  return refusals;
}

/**
 * Runs `refuse` without stack traces: a refusal is the client's error, its stack says nothing, and
 * capturing it (twice per GraphQLError) was the largest part of refusing a document.
 */
function withoutStackTraces<T>(refuse: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return refuse();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** grafserv's parseAndValidate with the limits in front; `standardRules` are grafserv's own. */
export function makeLimitedParseAndValidate(schema: GraphQLSchema, standardRules: readonly ValidationRule[], limits: OperationLimits) {
  const rules = limitRules(limits);
  const cache = new LRU<string, DocumentNode>({ maxLength: CACHE_SIZE });

  function limited(query: string): ParseAndValidateResult {
    let document: DocumentNode;
    try {
      document = parse(query, { maxTokens: limits.maxTokens });
    } catch (error) {
      // GraphQL's parser says so only in its message ("Document contains more that N tokens").
      if (error instanceof GraphQLError && / tokens\. Parsing aborted\.$/.test(error.message)) {
        return {
          errors: [limitError(LIMIT_CODES.tooManyTokens, `more than ${limits.maxTokens} tokens; parsing stopped there.`, limits.maxTokens)],
        };
      }
      return { errors: [error as GraphQLError] };
    }
    const refusals = refusalsOf(schema, document, rules);
    return refusals.length > 0 ? { errors: refusals } : { document };
  }

  function check(query: string): ParseAndValidateResult {
    const result = withoutStackTraces(() => limited(query));
    if (!result.document) return result;
    const errors = validate(schema, result.document, standardRules);
    return errors.length > 0 ? { errors } : result;
  }

  return function parseAndValidate(query: string): ParseAndValidateResult {
    // Before anything else, so that a huge document costs neither a hash nor a parse.
    if (query.length > limits.maxDocumentCharacters) {
      return {
        errors: [
          limitError(
            LIMIT_CODES.documentTooLarge,
            `the document has ${query.length} characters, more than the ${limits.maxDocumentCharacters} allowed (pass large values as variables).`,
            limits.maxDocumentCharacters,
          ),
        ],
      };
    }
    const key = query.length > 500 ? createHash("sha1").update(query).digest("base64") : query;
    const cached = cache.get(key);
    if (cached) return { document: cached };
    const result = check(query);
    // Only what will run is kept: a refusal's errors hold, through their stack traces, the whole
    // parsed document and validation state; kept for 500 documents more, a flood of distinct
    // refusals would fill the old generation and slow every garbage collection.
    if (result.document) cache.set(key, result.document);
    return result;
  };
}

/**
 * The grafserv plugin: wraps getExecutionConfig (as grafserv's own envelop plugin does) so that
 * every GraphQL request, over HTTP or websockets, is parsed and validated with the limits.
 */
export function makeOperationLimitsPlugin(limits: OperationLimits): GraphileConfig.Plugin {
  return {
    name: "OperationLimitsPlugin",
    description: "Refuses oversized, deep, alias-, directive- or cost-heavy operations before they are planned",
    version: "1.0.0",
    grafserv: {
      middleware: {
        setPreset(next, event) {
          // Read at each check, not copied: later plugins may still add rules to it.
          const standardRules = event.validationRules;
          const built = new WeakMap<GraphQLSchema, ReturnType<typeof makeLimitedParseAndValidate>>();
          const original = event.getExecutionConfig;
          event.getExecutionConfig = async function getExecutionConfig(ctx) {
            const config = await original.call(this, ctx);
            let parseAndValidate = built.get(config.schema);
            if (!parseAndValidate) {
              parseAndValidate = makeLimitedParseAndValidate(config.schema, standardRules, limits);
              built.set(config.schema, parseAndValidate);
            }
            return { ...config, parseAndValidate };
          };
          return next();
        },
      },
    },
  };
}
