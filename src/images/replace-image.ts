// Replacing a record's image: check the visitor may change the record, upload the new file, then
// swap it in (app_private.attach_uploaded_image). The upload comes before any write, so a failed
// upload leaves the record with its old image; a failed swap deletes the file it uploaded.
import { createHash } from "node:crypto";
import { type Kysely, sql } from "kysely";
import type { DB } from "../db/kysely.ts";
import { deleteFile, uploadFile } from "./imagekit.ts";

export interface ReplaceImageInput {
  table: string;
  recordId: string;
  fileName: string;
  content: Buffer;
}

/** Runs `query` as the requesting visitor (row-level security applies), in a transaction rolled back after. */
export type AsVisitor = <T>(
  query: (client: { query(text: string, values: unknown[]): Promise<{ rows: T[] }> }) => Promise<T[]>,
) => Promise<T[]>;

/** A refusal whose message is for the API's caller, with its code (the SQLSTATE when SQL refused). */
export class ImageError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code?: string) {
    super(message);
    this.code = code;
  }
}

const codeOf = (error: unknown) => (typeof (error as { code?: unknown }).code === "string" ? (error as { code: string }).code : undefined);

export async function replaceImage(db: Kysely<DB>, asVisitor: AsVisitor, input: ReplaceImageInput) {
  if (input.content.length === 0) throw new ImageError("contentBase64 must not be empty: the image has no bytes", "CE005");
  // Before the table name goes into the probe below.
  await sql`select app_private.assert_image_table(${input.table})`.execute(db).catch((error: Error) => {
    throw new ImageError(error.message, codeOf(error));
  });

  // The visitor's own update policy decides whether they may change this record.
  const [current] = await asVisitor<{ image_id: string | null }>((client) =>
    client
      .query(`update app_public.${input.table} set image_id = image_id where id = $1 returning image_id`, [input.recordId])
      .then((result) => result.rows),
  );
  // CE020, as for any update the caller may not make (src/graphql/refused-changes.ts).
  if (!current) throw new ImageError(`${input.table} ${input.recordId} does not exist, or you may not change it`, "CE020");

  let uploaded: Awaited<ReturnType<typeof uploadFile>>;
  try {
    uploaded = await uploadFile(input.content, input.fileName, `/campaigns/${input.table}`);
  } catch (error) {
    throw new ImageError(`the image could not be uploaded (${(error as Error).message}); the record keeps its image`);
  }

  try {
    const { rows: attached } = await sql<{ id: string }>`
      select app_private.attach_uploaded_image(
        ${input.table}, ${input.recordId}, ${current.image_id}, ${uploaded.fileId}, ${uploaded.filePath},
        ${uploaded.url}, ${uploaded.width}, ${uploaded.height}, ${createHash("sha256").update(input.content).digest("hex")}
      ) as id`.execute(db);
    return { imageId: attached[0]!.id, filePath: uploaded.filePath, url: uploaded.url };
  } catch (error) {
    await deleteFile(uploaded.fileId).catch(() => {}); // nothing points at it; the purge would never find it
    throw new ImageError((error as Error).message, codeOf(error));
  }
}
