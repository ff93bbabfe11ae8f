// ImageKit: the one place that talks to it. URLs (with transformations, signed when a private key
// is configured), uploads and deletes. Without a private key, images are served from their stored
// URL and uploads are refused with a clear error.
import ImageKit, { NotFoundError } from "@imagekit/nodejs";
import { imageKitConfig } from "../config.ts";

export interface StoredImage {
  file_path: string;
  url: string;
}

function client(): ImageKit | null {
  const settings = imageKitConfig();
  if (!settings.privateKey) return null;
  return new ImageKit({ privateKey: settings.privateKey, baseURL: settings.apiBaseUrl, maxRetries: 2 });
}

/** The URL to show for an image; `width` asks ImageKit for a resized rendition. */
export function imageUrl(image: StoredImage, { width }: { width?: number | null } = {}): string {
  const imageKit = client();
  if (!imageKit) return image.url;
  const settings = imageKitConfig();
  return imageKit.helper.buildSrc({
    urlEndpoint: settings.urlEndpoint,
    src: image.file_path,
    transformation: width ? [{ width }] : undefined,
    signed: true,
    expiresIn: settings.signedUrlExpiresSeconds,
  });
}

export interface UploadedFile {
  fileId: string;
  filePath: string;
  url: string;
  width: number | null;
  height: number | null;
}

function requireClient(action: string): ImageKit {
  const imageKit = client();
  if (!imageKit) throw new Error(`cannot ${action}: ImageKit is not configured (set IMAGEKIT_PRIVATE_KEY)`);
  return imageKit;
}

export async function uploadFile(bytes: Buffer, fileName: string, folder: string): Promise<UploadedFile> {
  const uploaded = await requireClient("upload an image").files.upload({
    file: bytes.toString("base64"),
    fileName,
    folder,
    useUniqueFileName: true,
  });
  if (!uploaded.fileId || !uploaded.filePath || !uploaded.url) {
    throw new Error("ImageKit accepted the upload but did not return the file's id, path and URL");
  }
  return {
    fileId: uploaded.fileId,
    filePath: uploaded.filePath,
    url: uploaded.url,
    width: uploaded.width ?? null,
    height: uploaded.height ?? null,
  };
}

/** Deletes a file; one that is already gone counts as deleted (a retried purge must succeed). */
export async function deleteFile(fileId: string): Promise<void> {
  try {
    await requireClient("delete an image").files.delete(fileId);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
}
