// purge_image { image_id }: deletes an image's file on ImageKit, then its row, once no record of
// any campaign points at it. Enqueued by the triggers of sql/330_image_purge.sql. The image row is
// locked while it decides (lock_purgeable_image), so no record can start pointing at it meanwhile
// (the foreign key check waits). An ImageKit failure throws: graphile-worker retries with
// exponential backoff, and the row stays until the file is really gone.
import type { Task } from "graphile-worker";
import { inTransaction } from "../src/db/transaction.ts";
import { deleteFile } from "../src/images/imagekit.ts";
import { isUuid } from "../src/uuid.ts";

const task: Task = async (payload, helpers) => {
  const imageId = (payload as { image_id?: unknown } | null)?.image_id;
  if (!isUuid(imageId)) {
    throw new Error(`purge_image needs {"image_id": "<uuid>"}, got ${JSON.stringify(payload)}`);
  }
  await helpers.withPgClient((client) =>
    inTransaction(client, async () => {
      const {
        rows: [{ file_id: fileId }],
      } = await client.query<{ file_id: string | null }>("select app_private.lock_purgeable_image($1) as file_id", [imageId]);
      if (!fileId) return; // still used, or already gone
      await deleteFile(fileId);
      await client.query("delete from app_public.images where id = $1", [imageId]);
      helpers.logger.info(`purged image ${imageId} (ImageKit file ${fileId})`);
    }),
  );
};

export default task;
