// Images in the API: `imageUrl(width)` on every content type that has an image (built by the
// ImageKit SDK: resized and signed when ImageKit is configured, the stored URL otherwise), and the
// `replaceImage` mutation (copy-on-write: upload, then point only this record at the new file).
import type { Kysely } from "kysely";
import { access, context, lambda, SafeError, sideEffect } from "postgraphile/grafast";
import { extendSchema, gql } from "postgraphile/utils";
import type { DB } from "../db/kysely.ts";
import { imageUrl } from "../images/imagekit.ts";
import { type AsVisitor, ImageError, replaceImage } from "../images/replace-image.ts";

interface ReplaceImageArgs {
  table: string;
  recordId: string;
  fileName: string;
  contentBase64: string;
}

export function makeImagesPlugin(db: Kysely<DB>) {
  return extendSchema((build) => {
    const resources = build.input.pgRegistry.pgResources;
    const images = resources.images;
    if (!images) throw new Error("ImagesPlugin: app_public.images is not in the schema");
    // The tables whose rows have an image, as the introspected schema says (an image_id column).
    const tablesWithImages = Object.values(resources).filter(
      (resource) =>
        !resource.parameters && !resource.isUnique && (resource.codec.attributes as Record<string, unknown> | undefined)?.image_id,
    );
    const tableNames = tablesWithImages.map((resource) => resource.name);
    const typeNames = tablesWithImages.map((resource) => build.inflection.tableType(resource.codec));

    return {
      typeDefs: gql`
        ${typeNames
          .map(
            (type) => `extend type ${type} {
              """
              URL of the image, resized to \`width\` pixels when given (signed when ImageKit is configured).
              """
              imageUrl(width: Int): String
            }`,
          )
          .join("\n")}

        input ReplaceImageInput {
          """
          The table of the record: ${tableNames.join(", ")}.
          """
          table: String!
          recordId: UUID!
          fileName: String!
          """
          The file's bytes, base64-encoded.
          """
          contentBase64: String!
        }

        type ReplaceImagePayload {
          imageId: UUID!
          imageUrl: String!
        }

        extend type Mutation {
          """
          Gives one record a new image (uploaded to ImageKit); the file it shared with other
          campaigns stays. If the upload fails, the record keeps its image.
          """
          replaceImage(input: ReplaceImageInput!): ReplaceImagePayload
        }
      `,
      objects: {
        ...Object.fromEntries(
          typeNames.map((type) => [
            type,
            {
              plans: {
                imageUrl($record: any, fieldArgs: any) {
                  const $image = images.get({ id: $record.get("image_id") });
                  return lambda(
                    [$image.get("file_path"), $image.get("url"), fieldArgs.getRaw("width")],
                    ([filePath, url, width]: readonly [string | null, string | null, unknown]) =>
                      filePath && url ? imageUrl({ file_path: filePath, url }, { width: width as number | null }) : null,
                  );
                },
              },
            },
          ]),
        ),
        Mutation: {
          plans: {
            replaceImage(_$root: any, fieldArgs: any) {
              return sideEffect(
                [fieldArgs.getRaw("input"), context().get("withPgClient"), context().get("pgSettings")],
                async ([rawInput, withPgClient, pgSettings]: readonly [unknown, any, unknown]) => {
                  const input = rawInput as ReplaceImageArgs;
                  // The probe runs inside the visitor's transaction, undone by a savepoint.
                  const asVisitor: AsVisitor = (query) =>
                    withPgClient(pgSettings, async (client: any) => {
                      await client.query({ text: "savepoint image_probe" });
                      try {
                        return await query({ query: (text, values) => client.query({ text, values }) });
                      } finally {
                        await client.query({ text: "rollback to savepoint image_probe" });
                      }
                    });
                  try {
                    const replaced = await replaceImage(db, asVisitor, {
                      table: input.table,
                      recordId: input.recordId,
                      fileName: input.fileName,
                      content: Buffer.from(input.contentBase64, "base64"),
                    });
                    return { imageId: replaced.imageId, imageUrl: imageUrl({ file_path: replaced.filePath, url: replaced.url }) };
                  } catch (error) {
                    if (error instanceof ImageError) throw new SafeError(error.message, error.code ? { code: error.code } : undefined);
                    throw error;
                  }
                },
              );
            },
          },
        },
        ReplaceImagePayload: {
          plans: {
            imageId: ($payload: any) => access($payload, "imageId"),
            imageUrl: ($payload: any) => access($payload, "imageUrl"),
          },
        },
      },
    };
  });
}
