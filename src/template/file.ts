// The master template as a file: `npm run template:export -- FILE.json` writes its content,
// `npm run template:load -- FILE.json` validates a file and publishes it as the next template
// version (the README's "Template files" documents the format). What goes in the file comes from
// the catalogue: every column of every content table but id, campaign_id and the timestamps, a
// reference to another row (a foreign key) as that row's key under the column's name without
// `_id`, an image as its ImageKit file id. Keys are stable: a row's key is its id in the master
// template (a key that is not a UUID names the row id md5(table:key)), so an exported file loads
// back as the same rows, and loading the same file twice publishes nothing the second time.
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { type Kysely, sql } from "kysely";
import type { DB } from "../db/kysely.ts";
import { isUuid } from "../uuid.ts";

export const TEMPLATE_FORMAT = "campaign-engine/template";
export const TEMPLATE_FORMAT_VERSION = 1;
/** Larger files are refused before they are read: the real template is about 1 MB. */
export const MAX_TEMPLATE_FILE_BYTES = 20 * 1024 * 1024;

const IMAGE_COLUMNS = ["file_path", "url", "width", "height", "content_hash"] as const;
const NOT_IN_FILE = new Set(["id", "campaign_id", "created_at", "updated_at"]);

interface Field {
  column: string;
  /** The name in the file: the column's, or for a reference the column's without `_id`. */
  name: string;
  required: boolean;
  /** A jsonb column: its value is any JSON, sent as text. */
  jsonb: boolean;
  /** The content table a reference points to, or "images". */
  references?: string;
}

interface ContentTable {
  name: string;
  /** Whether rows have an id (and so a key); join tables are identified by their references. */
  keyed: boolean;
  fields: Field[];
}

export interface TemplateFile {
  format: string;
  version: number;
  images: Record<string, unknown>[];
  tables: Record<string, Record<string, unknown>[]>;
}

export class TemplateFileError extends Error {}

/** The content tables in seeding order, with their fields, as the database describes them. */
async function contentTables(db: Kysely<DB>): Promise<ContentTable[]> {
  const { rows } = await sql<{ table_name: string; column_name: string; required: boolean; jsonb: boolean; references: string | null }>`
    select t.name as table_name, a.attname as column_name,
           a.attnotnull and not a.atthasdef as required, a.atttypid = 'jsonb'::regtype as jsonb,
           (select r.relname from pg_constraint f join pg_class r on r.oid = f.confrelid
             where f.conrelid = a.attrelid and f.contype = 'f' and a.attnum = any(f.conkey)
               and (r.relname = 'images' or array_length(f.conkey, 1) = 2)
               and a.attname <> 'campaign_id' limit 1) as references
      from unnest(app_private.content_tables()) with ordinality as t(name, position)
      join pg_attribute a on a.attrelid = ('app_public.' || quote_ident(t.name))::regclass and a.attnum > 0 and not a.attisdropped
     order by t.position, a.attnum`.execute(db);
  const tables = new Map<string, ContentTable>();
  for (const row of rows) {
    const table = tables.get(row.table_name) ?? { name: row.table_name, keyed: false, fields: [] };
    tables.set(row.table_name, table);
    if (row.column_name === "id") table.keyed = true;
    if (NOT_IN_FILE.has(row.column_name)) continue;
    const name = row.references ? row.column_name.replace(/_id$/, "") : row.column_name;
    table.fields.push({ column: row.column_name, name, required: row.required, jsonb: row.jsonb, references: row.references ?? undefined });
  }
  return [...tables.values()];
}

/** The row id a key names (see the top of this file). */
export function rowIdOf(table: string, key: string): string {
  if (isUuid(key)) return key.toLowerCase();
  const hex = createHash("md5").update(`${table}:${key}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The master template's content as a template file, rows in key order. */
export async function exportTemplate(db: Kysely<DB>): Promise<TemplateFile> {
  const tables = await contentTables(db);
  const {
    rows: [master],
  } = await sql<{ id: string }>`select id from app_private.master_template()`.execute(db);
  // The tables whose rows have an image, as the catalogue says (sql/105_content_tables.sql).
  const {
    rows: [imageTables],
  } = await sql<{ names: string[] }>`select app_private.image_tables() as names`.execute(db);
  const { rows: images } = await sql<Record<string, unknown> & { id: string; file_id: string }>`
    select i.* from app_public.images i
     where i.id in (${sql.join(
       imageTables!.names.map((table) => sql`select image_id from ${sql.table(`app_public.${table}`)} where campaign_id = ${master!.id}`),
       sql` union `,
     )})
     order by i.file_id`.execute(db);
  const imageKeys = new Map(images.map((image) => [image.id, image.file_id]));
  const file: TemplateFile = {
    format: TEMPLATE_FORMAT,
    version: TEMPLATE_FORMAT_VERSION,
    images: images.map((image) => ({ key: image.file_id, ...Object.fromEntries(IMAGE_COLUMNS.map((column) => [column, image[column]])) })),
    tables: {},
  };
  for (const table of tables) {
    const { rows } = await sql<Record<string, unknown>>`
      select * from ${sql.table(`app_public.${table.name}`)} where campaign_id = ${master!.id}`.execute(db);
    file.tables[table.name] = rows
      .map((row) => ({
        ...(table.keyed ? { key: row.id } : {}),
        ...Object.fromEntries(
          table.fields.map((field) => [
            field.name,
            field.references === "images" ? (imageKeys.get(row[field.column] as string) ?? null) : row[field.column],
          ]),
        ),
      }))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  return file;
}

/** Reads and checks a template file; throws TemplateFileError naming every problem (the first 20). */
export async function readTemplateFile(db: Kysely<DB>, filePath: string): Promise<{ file: TemplateFile; tables: ContentTable[] }> {
  const { size } = await stat(filePath);
  if (size > MAX_TEMPLATE_FILE_BYTES) {
    throw new TemplateFileError(`${filePath} is ${size} bytes, more than the ${MAX_TEMPLATE_FILE_BYTES} a template file may have`);
  }
  let file: TemplateFile;
  try {
    file = JSON.parse(await readFile(filePath, "utf8"));
  } catch (error) {
    throw new TemplateFileError(`${filePath} is not JSON: ${(error as Error).message}`);
  }
  if (file?.format !== TEMPLATE_FORMAT || file.version !== TEMPLATE_FORMAT_VERSION) {
    throw new TemplateFileError(`${filePath} is not a template file: it needs "format": "${TEMPLATE_FORMAT}", "version": 1`);
  }
  const tables = await contentTables(db);
  const problems = checkContent(file, tables);
  if (problems.length > 0) {
    const shown = problems.slice(0, 20).map((problem) => `  ${problem}`);
    const more = problems.length > 20 ? [`  … and ${problems.length - 20} more`] : [];
    throw new TemplateFileError([`${filePath} has ${problems.length} problem(s); nothing was loaded:`, ...shown, ...more].join("\n"));
  }
  return { file, tables };
}

function checkContent(file: TemplateFile, tables: ContentTable[]): string[] {
  const problems: string[] = [];
  const keys = new Map<string, Set<string>>([["images", new Set()]]);
  const collect = (table: string, rows: unknown) => {
    const seen = new Set<string>();
    keys.set(table, seen);
    if (!Array.isArray(rows)) return problems.push(`${table}: must be a list of rows`);
    for (const [index, row] of rows.entries()) {
      const key = (row as { key?: unknown })?.key;
      if (typeof key !== "string" || key === "") problems.push(`${table} row ${index + 1}: field "key" is missing`);
      else if (seen.has(key)) problems.push(`${table} key "${key}": the key appears more than once`);
      else seen.add(key);
    }
  };
  collect("images", file.images);
  for (const table of tables.filter((table) => table.keyed)) collect(table.name, file.tables?.[table.name] ?? []);
  for (const name of Object.keys(file.tables ?? {})) {
    if (!tables.some((table) => table.name === name))
      problems.push(`${name}: not a content table (${tables.map((t) => t.name).join(", ")})`);
  }
  for (const table of tables) {
    const rows = file.tables?.[table.name] ?? [];
    if (!Array.isArray(rows)) continue;
    for (const [index, row] of rows.entries()) {
      const where = table.keyed ? `${table.name} key "${(row as { key?: unknown }).key}"` : `${table.name} row ${index + 1}`;
      const known = new Set(["key", ...table.fields.map((field) => field.name)]);
      for (const name of Object.keys(row ?? {}))
        if (!known.has(name)) problems.push(`${where}: field "${name}" is not one of ${table.name}'s`);
      for (const field of table.fields) {
        const value = row?.[field.name];
        if (value === undefined || value === null) {
          if (field.required) problems.push(`${where}: field "${field.name}" is missing`);
        } else if (field.references && !keys.get(field.references)?.has(String(value))) {
          problems.push(`${where}: field "${field.name}" refers to ${field.references} key "${value}", which is not in the file`);
        }
      }
    }
  }
  return problems;
}

/**
 * Makes a checked file the master template's content and publishes it as the next version, in one
 * transaction; returns the version, or null when the content is that of the last version already
 * (nothing published, nothing changed).
 */
export async function loadTemplateFile(db: Kysely<DB>, filePath: string, note: string): Promise<number | null> {
  const { file, tables } = await readTemplateFile(db, filePath);
  return db
    .transaction()
    .execute(async (trx) => {
      const {
        rows: [master],
      } = await sql<{ id: string }>`select id from app_private.master_template()`.execute(trx);
      for (const table of [...tables].reverse()) {
        await sql`delete from ${sql.table(`app_public.${table.name}`)} where campaign_id = ${master!.id}`.execute(trx);
      }
      if (file.images.length > 0) {
        await trx
          .insertInto("app_public.images")
          .values(
            file.images.map((image) => ({
              file_id: image.key as string,
              ...Object.fromEntries(IMAGE_COLUMNS.map((column) => [column, image[column] ?? null])),
            })) as never,
          )
          .onConflict((conflict) => conflict.column("file_id").doNothing())
          .execute();
      }
      const { rows: images } = await sql<{ id: string; file_id: string }>`
        select id, file_id from app_public.images where file_id = any(${file.images.map((image) => image.key)})`.execute(trx);
      const imageIds = new Map(images.map((image) => [image.file_id, image.id]));
      for (const table of tables) {
        const rows = (file.tables[table.name] ?? []).map((row) => ({
          ...(table.keyed ? { id: rowIdOf(table.name, row.key as string) } : {}),
          campaign_id: master!.id,
          ...Object.fromEntries(
            table.fields.map((field) => {
              const value = row[field.name] ?? null;
              if (value === null) return [field.column, null];
              if (field.jsonb) return [field.column, JSON.stringify(value)];
              if (!field.references) return [field.column, value];
              return [field.column, field.references === "images" ? imageIds.get(String(value)) : rowIdOf(field.references, String(value))];
            }),
          ),
        }));
        if (rows.length > 0)
          await trx
            .insertInto(`app_public.${table.name}` as never)
            .values(rows as never)
            .execute();
      }
      const {
        rows: [published],
      } = await sql<{ version: number }>`select version from app_public.publish_template(${note})`.execute(trx);
      return published!.version;
    })
    .catch((error: { code?: string }) => {
      if (error.code === "CE105") return null;
      throw error;
    });
}
