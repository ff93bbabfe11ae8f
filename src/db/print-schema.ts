// `npm run schema:print` writes schema.graphql: the GraphQL schema the API serves (the server's
// preset, development exposure), printed from the migrated database so that a change to the API
// shows in review. test/graphql-schema.test.ts fails when the committed file is stale.
// First: config.ts sets GRAPHILE_ENV, which PostGraphile reads when it loads.

import "../config.ts";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { makeSchema } from "postgraphile";
import { lexicographicSortSchema, printSchema } from "postgraphile/graphql";
import { limitsConfig, projectRoot } from "../config.ts";
import { makePreset } from "../graphql/preset.ts";
import { MAX_REQUEST_BYTES } from "../server/app.ts";
import { DEVELOPMENT } from "../server/exposure.ts";
import { createKysely } from "./kysely.ts";

export const schemaFile = path.join(projectRoot, "schema.graphql");

/** The API's schema as SDL, in name order (so the file does not depend on the order of catalog rows). */
export async function printApiSchema(ownerUrl: string, authenticatorUrl: string): Promise<string> {
  const db = createKysely(ownerUrl);
  const { preset, releasePools } = makePreset({
    authenticatorUrl,
    ownerUrl,
    db,
    exposure: DEVELOPMENT,
    limits: limitsConfig(),
    maxRequestLength: MAX_REQUEST_BYTES,
    // Building the schema serves no request: nobody signs in and nothing is subscribed to.
    authenticate: async () => null,
    pgSubscriber: { subscribe: () => Promise.reject(new Error("printing the schema serves no subscription")) },
  });
  try {
    const { schema } = await makeSchema(preset);
    return `${printSchema(lexicographicSortSchema(schema))}\n`;
  } finally {
    await releasePools();
    await db.destroy();
  }
}

/** The committed schema.graphql. */
export function committedSchema(): Promise<string> {
  return readFile(schemaFile, "utf8");
}

if (import.meta.main) {
  const { withMigratedDatabase } = await import("./migrated-database.ts");
  await withMigratedDatabase(async (database) => {
    await writeFile(schemaFile, await printApiSchema(database.ownerUrl, database.authenticatorUrl));
    console.log(`wrote ${path.relative(process.cwd(), schemaFile) || schemaFile}`);
  });
}
