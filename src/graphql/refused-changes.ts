// An update or delete the caller may not make is refused with a code. Row-level security hides the
// rows a visitor may not change, so the generated update* mutations matched nothing and answered a
// silent null, and delete* failed with PostGraphile's own error, which the API masks. Both now
// answer CE020 (update) or CE021 (delete), naming the record as the caller gave it; "does not
// exist or is not yours" alike, so a refusal never tells whether someone else's record exists.
import { lambda, object, SafeError, type Step, TRAP_ERROR, trap } from "postgraphile/grafast";

export const NOT_YOURS_TO_CHANGE = "CE020";
export const NOT_YOURS_TO_DELETE = "CE021";

// @dataplan/pg flags a delete that matched no row with this error (not a SafeError, so masked).
const DELETED_NOTHING = /^No values were deleted in collection /;

/** "Campaign rowId 1b2c…" from the mutation's input: every key but the patch and clientMutationId. */
function describeRecord(typeName: string, input: Record<string, unknown> | null | undefined): string {
  const keys = Object.entries(input ?? {}).filter(([name]) => name !== "clientMutationId" && !name.endsWith("Patch"));
  return [typeName, keys.map(([name, value]) => `${name} ${JSON.stringify(value)}`).join(", ")].filter(Boolean).join(" ");
}

export const RefusedChangesPlugin: GraphileConfig.Plugin = {
  name: "RefusedChangesPlugin",
  description: "Refuses update and delete mutations that matched no row the caller may change, with a code",
  version: "1.0.0",
  schema: {
    hooks: {
      GraphQLObjectType_fields_field(field, build, context) {
        const { scope } = context;
        const isUpdate = scope.isPgUpdateMutation === true;
        const isDelete = scope.isPgDeleteMutation === true;
        const resource = scope.pgFieldResource;
        if (!scope.isRootMutation || !(isUpdate || isDelete) || !resource || !field.plan) return field;
        const typeName = build.inflection.tableType(resource.codec);
        const planChange = field.plan;
        return {
          ...field,
          plan(...planArgs: Parameters<typeof planChange>) {
            const [, fieldArgs] = planArgs;
            const $payload = (planChange as (...args: unknown[]) => Step)(...planArgs) as ReturnType<typeof object>;
            const $result = $payload.getStepForKey("result" as never) as Step;
            // Errors are trapped only to tell "deleted nothing" apart; any other is thrown as it was.
            const $outcome = isDelete ? trap($result, TRAP_ERROR, { valueForError: "PASS_THROUGH" }) : $result;
            const $refusal = lambda([$outcome, fieldArgs.getRaw("input")], ([outcome, input]) => {
              if (outcome instanceof Error && !DELETED_NOTHING.test(outcome.message)) throw outcome;
              if (outcome == null || outcome instanceof Error) {
                const record = describeRecord(typeName, input as Record<string, unknown>);
                throw isUpdate
                  ? new SafeError(`${record} does not exist or is not yours to change`, { code: NOT_YOURS_TO_CHANGE })
                  : new SafeError(`${record} does not exist or is not yours to delete`, { code: NOT_YOURS_TO_DELETE });
              }
              return true;
            });
            // First: when both fail, grafast reports the first dependency's error.
            return object({ refusal: $refusal, result: $result });
          },
        };
      },
    },
  },
};
