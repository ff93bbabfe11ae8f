// For the developer commands that read the schema (db:types, schema:print): the product's
// database, opened as every command opens it and migrated first, so what they read is current.
import { type Database, openDatabase } from "./database.ts";
import { migrate } from "./migrate.ts";

export async function withMigratedDatabase<T>(work: (database: Database) => Promise<T>): Promise<T> {
  const database = await openDatabase();
  try {
    await migrate(database.ownerUrl, database.secrets.authenticatorPassword);
    return await work(database);
  } finally {
    await database.close();
  }
}
