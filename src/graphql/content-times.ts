// createdAt and updatedAt of the content types: what `<table>_created_at(row)` says
// (sql/112_content_shown_times.sql), planned as a join. The function looks up the campaign once per
// row, a call that Postgres cannot inline; here the list's query joins the row's campaign (row-level
// security applies: whoever sees the row sees its campaign) and passes its activation to
// content_shown_time, which it inlines. Reading a campaign's 643 schticks costs a few tenths of a
// millisecond more than reading the columns, instead of about five.
import { TYPES } from "postgraphile/@dataplan/pg";
import { sql } from "postgraphile/pg-sql2";

export const ContentTimesPlugin: GraphileConfig.Plugin = {
  name: "ContentTimesPlugin",
  description: "Plans the content types' createdAt and updatedAt as a join to the row's campaign",
  version: "1.0.0",
  schema: {
    hooks: {
      GraphQLObjectType_fields_field(field, build, context) {
        const resource = context.scope.pgFieldResource;
        const column = resource?.extensions?.tags?.shownTimeOf;
        if (typeof column !== "string") return field;
        const table = resource!.parameters?.[0]?.codec;
        const campaigns = build.input.pgRegistry.pgResources.campaigns;
        const relations = Object.entries(build.input.pgRegistry.pgRelations[table?.name ?? ""] ?? {});
        const [relationName] =
          relations.find(
            ([, relation]) =>
              relation.remoteResource === campaigns && relation.isUnique && relation.localAttributes.join() === "campaign_id",
          ) ?? [];
        if (!relationName) throw new Error(`ContentTimesPlugin: ${resource!.name} has no relation to its campaign`);
        return {
          ...field,
          plan($row: any) {
            const $rows = $row.getClassStep();
            const campaign = $rows.singleRelation(relationName);
            return $row.select(
              sql`app_public.content_shown_time(${$rows.alias}.${sql.identifier(column)}, ${campaign}.activated_at)`,
              TYPES.timestamptz,
              true,
            );
          },
        };
      },
    },
  },
};
