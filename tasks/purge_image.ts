// purge_image { image_id }: deletes an image's file on ImageKit, then its row, once no record of
// any campaign points at it. Enqueued by the triggers of sql/330_image_purge.sql. The image row is
// locked while it decides, so no record can start pointing at it meanwhile (the foreign key check
// waits). An ImageKit failure throws: graphile-worker retries with exponential backoff, and the
// row stays until the file is really gone.
import type { Task } from "graphile-worker";
import { compileOnly } from "../src/db/compile.ts";
import { deleteFile } from "../src/images/imagekit.ts";
import { sql } from "kysely";
import { isUuid } from "../src/uuid.ts";

const task: Task = async (payload, helpers) => {
  const imageId = (payload as { image_id?: unknown } | null)?.image_id;
  if (!isUuid(imageId)) {
    throw new Error(`purge_image needs {"image_id": "<uuid>"}, got ${JSON.stringify(payload)}`);
  }
  const lock = compileOnly.selectFrom("app_public.images").select("file_id").where("id", "=", imageId).forUpdate().compile();
  const referenced = sql<{ referenced: boolean }>`select app_private.image_is_referenced(${imageId}) as referenced`.compile(compileOnly);
  const remove = compileOnly.deleteFrom("app_public.images").where("id", "=", imageId).compile();

  await helpers.withPgClient(async (client) => {
    await client.query("begin");
    try {
      const { rows: [image] } = await client.query<{ file_id: string }>(lock.sql, lock.parameters as unknown[]);
      const { rows: [usage] } = await client.query<{ referenced: boolean }>(referenced.sql, referenced.parameters as unknown[]);
      if (image && !usage!.referenced) {
        await deleteFile(image.file_id);
        await client.query(remove.sql, remove.parameters as unknown[]);
        helpers.logger.info(`purged image ${imageId} (ImageKit file ${image.file_id})`);
      }
      await client.query("commit");
    } catch (error) {
      await client.query("rollback");
      throw error;
    }
  });
};

export default task;
