// The API as clients see it: the committed schema.graphql is the schema the server builds from
// the migrated database, so a change to the API is never a surprise in review.
import { expect, test } from "vitest";
import { committedSchema, printApiSchema } from "../src/db/print-schema.ts";
import { useTestDatabase } from "./support/database.ts";

const database = useTestDatabase("graphql_schema");

test("schema.graphql matches the schema built from the migrated database", async () => {
  await database.query("select 1");
  const built = await printApiSchema(database.ownerUrl, database.authenticatorUrl);
  expect(built, "schema.graphql is stale: run `npm run schema:print` and commit the file").toBe(await committedSchema());
});
