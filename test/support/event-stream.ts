// A page's event stream (/campaigns/events, /admin/events) read as a browser's EventSource reads it:
// the token as the session cookie, each block's id, event and data; closed after each test.
import http from "node:http";
import { afterEach } from "vitest";
import { waitFor } from "./wait.ts";

export interface EventStream {
  status: number;
  events: { event: string; data: string; id?: string }[];
  ended: boolean;
  body: string;
  close(): void;
}

const open: EventStream[] = [];
afterEach(() => {
  for (const stream of open.splice(0)) stream.close();
});

/** GET `path` of the server at `url`, with `lastEventId` sent as Last-Event-ID (as EventSource does on reconnect). */
export function openStream(url: string, path: string, token: string, { lastEventId }: { lastEventId?: string } = {}): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { cookie: `campaign_engine_token=${token}`, accept: "text/event-stream" };
    if (lastEventId !== undefined) headers["last-event-id"] = lastEventId;
    const request = http.get(`${url}${path}`, { headers }, (response) => {
      const stream: EventStream = { status: response.statusCode!, events: [], ended: false, body: "", close: () => request.destroy() };
      open.push(stream);
      let buffer = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        stream.body += chunk;
        buffer += chunk;
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const id = /^id: (.*)$/m.exec(block)?.[1];
          if (event) stream.events.push({ event, data: /^data: (.*)$/m.exec(block)?.[1] ?? "", ...(id === undefined ? {} : { id }) });
        }
      });
      response.on("end", () => (stream.ended = true));
      response.on("close", () => (stream.ended = true));
      resolve(stream);
    });
    request.on("error", reject);
  });
}

/** Resolves once the stream said `ready`. */
export const ready = (stream: EventStream) => waitFor(async () => stream.events.some((e) => e.event === "ready"), Boolean);
