// Event stream clients for the realtime benchmark, in a process of their own so that they share
// neither the server's event loop nor its file descriptors: forked with IPC, told
// {url, token, count}, they open `count` streams with plain node:http (as lean as a browser's
// EventSource) and say {type: "ready", open, refused} once each stream said `ready` or was
// refused. Told {type: "report", committedAt}, they answer with the latency of every event they
// read (commit → read, on this machine's clock) and their own CPU time.
import http from "node:http";

interface Start {
  type: "start";
  url: string;
  token: string;
  count: number;
}
interface Report {
  type: "report";
  /** When each campaign's change was committed (ms since the epoch). */
  committedAt: Record<string, number>;
}

const now = () => performance.timeOrigin + performance.now();
const FRAME_END = Buffer.from("\n\n");
const READY = Buffer.from("event: ready\n");
const MARKETER_EVENT = Buffer.from("event: marketer:");
const CAMPAIGN_ID = Buffer.from('"campaign_id":"');
const send = (message: unknown) => process.send!(message);

const received: { campaignId: string; at: number }[] = [];
let open = 0;
let refused = 0;
const refusedStatuses: Record<number, number> = {};

function follow(url: string, token: string, count: number, settled: () => void) {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  for (let i = 0; i < count; i++) {
    http
      .get(url, { agent, headers: { authorization: `Bearer ${token}` } }, (response) => {
        if (response.statusCode !== 200) {
          refused += 1;
          refusedStatuses[response.statusCode!] = (refusedStatuses[response.statusCode!] ?? 0) + 1;
          response.resume();
          return settled();
        }
        // Bytes, not strings: each event is one write of the server, so usually one chunk; the
        // campaign's id is found in it natively, and nothing else is decoded.
        let pending: Buffer | undefined;
        response.on("data", (chunk: Buffer) => {
          const at = now();
          let data = pending ? Buffer.concat([pending, chunk]) : chunk;
          pending = undefined;
          for (let end = data.indexOf(FRAME_END); end !== -1; end = data.indexOf(FRAME_END)) {
            const frame = data.subarray(0, end);
            data = data.subarray(end + 2);
            if (frame.indexOf(READY) !== -1) {
              open += 1;
              settled();
              continue;
            }
            const idAt = frame.indexOf(CAMPAIGN_ID);
            if (idAt !== -1 && frame.indexOf(MARKETER_EVENT) !== -1) {
              const from = idAt + CAMPAIGN_ID.length;
              received.push({ campaignId: frame.toString("latin1", from, from + 36), at });
            }
          }
          if (data.length > 0) pending = Buffer.from(data);
        });
      })
      .on("error", (error) => {
        refused += 1;
        refusedStatuses[0] = (refusedStatuses[0] ?? 0) + 1;
        console.error(`event stream client: ${error.message}`);
        settled();
      });
  }
}

process.on("message", (message: Start | Report) => {
  if (message.type === "start") {
    const settled = () => {
      if (open + refused === message.count) send({ type: "ready", open, refused, refusedStatuses });
    };
    follow(message.url, message.token, message.count, settled);
  } else if (message.type === "report") {
    const latencies = received
      .filter((event) => event.campaignId in message.committedAt)
      .map((event) => event.at - message.committedAt[event.campaignId]!);
    const cpu = process.cpuUsage();
    send({ type: "report", latencies, cpuMs: (cpu.user + cpu.system) / 1000 });
  }
});
