// createdAt and updatedAt of the content types: what `<table>_created_at(row)` says
// (sql/112_content_shown_times.sql), planned as a join. The function looks up the campaign once per
// row, a call that Postgres cannot inline; here the list's query joins the row's campaign (row-level
// security applies: whoever sees the row sees its campaign) and passes its activation to
// content_shown_time, which Postgres inlines. Reading a campaign's 643 schticks then costs a few
// tenths of a millisecond more than reading the columns, instead of about five.
import { PgSelectSingleStep, TYPES } from "postgraphile/@dataplan/pg";
import { sql } from "postgraphile/pg-sql2";

export const ContentTimesPlugin: GraphileConfig.Plugin = {
  name: "ContentTimesPlugin",
  description: "Plans the content types' createdAt and updatedAt as a join to the row's campaign",
  version: "1.0.0",
  schema: {
    hooks: {
      GraphQLObjectType_fields(fields, build, context) {
        const table = context.scope.pgCodec;
        if (!context.scope.isPgClassType || !table) return fields;
        const registry = build.input.pgRegistry;
        // The computed columns tagged @shownTimeOf <column> whose row is of this type.
        const shownTimes = Object.values(registry.pgResources).filter(
          (resource) => typeof resource.extensions?.tags?.shownTimeOf === "string" && resource.parameters?.[0]?.codec === table,
        );
        if (shownTimes.length === 0) return fields;
        const [relationName] =
          Object.entries(registry.pgRelations[table.name] ?? {}).find(
            ([, relation]) =>
              relation.remoteResource === registry.pgResources.campaigns &&
              relation.isUnique &&
              relation.localAttributes.join() === "campaign_id",
          ) ?? [];
        if (!relationName) throw new Error(`ContentTimesPlugin: ${table.name} has no relation to its campaign`);
        for (const resource of shownTimes) {
          const fieldName = build.inflection.computedAttributeField({ resource: resource as never });
          const column = resource.extensions!.tags!.shownTimeOf as string;
          const field = fields[fieldName];
          if (!field) throw new Error(`ContentTimesPlugin: ${table.name} has no field ${fieldName}`);
          const callFunction = field.plan!;
          fields[fieldName] = {
            ...field,
            plan($row, ...rest) {
              // A mutation's row (one, just written) calls the function, as PostGraphile would.
              if (!($row instanceof PgSelectSingleStep)) return callFunction($row, ...rest);
              const $rows = $row.getClassStep();
              const campaign = $rows.singleRelation(relationName);
              return $row.select(
                sql`app_public.content_shown_time(${$rows.alias}.${sql.identifier(column)}, ${campaign}.activated_at)`,
                TYPES.timestamptz,
                true,
              );
            },
          };
        }
        return fields;
      },
    },
  },
};
