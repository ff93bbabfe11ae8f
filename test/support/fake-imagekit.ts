// A stand-in for ImageKit's API on loopback: records every call, and can be told to fail.
// Tests point the SDK at it (IMAGEKIT_API_BASE_URL); nothing reaches the internet.
import { randomUUID } from "node:crypto";
import http from "node:http";

export interface FakeImageKit {
  baseUrl: string;
  calls: { method: string; path: string }[];
  /** Files uploaded and not deleted, by file id. */
  files: Map<string, { path: string; bytes: number }>;
  /** The next `count` requests matching `method` answer 500. */
  failNext(method: "POST" | "DELETE", count: number): void;
  close(): Promise<void>;
}

export async function startFakeImageKit(): Promise<FakeImageKit> {
  const calls: FakeImageKit["calls"] = [];
  const files: FakeImageKit["files"] = new Map();
  const failures = { POST: 0, DELETE: 0 } as Record<string, number>;

  const server = http.createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const path = new URL(request.url!, "http://fake").pathname;
    calls.push({ method: request.method!, path });
    const reply = (status: number, body?: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(body === undefined ? "" : JSON.stringify(body));
    };
    if ((failures[request.method!] ?? 0) > 0) {
      failures[request.method!]! -= 1;
      return reply(500, { message: "fake ImageKit: injected failure" });
    }
    if (request.method === "POST" && path === "/api/v1/files/upload") {
      const form = await new Request("http://fake", {
        method: "POST",
        headers: request.headers as HeadersInit,
        body: Buffer.concat(chunks),
      }).formData();
      const fileId = `fake-${randomUUID()}`;
      const folder = String(form.get("folder") ?? "/").replace(/\/$/, "");
      const filePath = `${folder}/${fileId}-${form.get("fileName")}`;
      files.set(fileId, { path: filePath, bytes: String(form.get("file")).length });
      return reply(200, {
        fileId,
        filePath,
        url: `https://ik.example.test/fake${filePath}`,
        width: 64,
        height: 48,
        name: form.get("fileName"),
      });
    }
    const deleting = /^\/v1\/files\/([^/]+)$/.exec(path);
    if (request.method === "DELETE" && deleting) {
      const fileId = decodeURIComponent(deleting[1]!);
      if (!files.delete(fileId)) return reply(404, { message: "The requested file does not exist." });
      return reply(204);
    }
    reply(404, { message: `fake ImageKit does not know ${request.method} ${path}` });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    calls,
    files,
    failNext: (method, count) => (failures[method] = count),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
