// The bytes of one event on an event stream: `id: <cursor>` (stored events), `event: <channel>`,
// `data: <payload>`. A notification reaches every stream of its channel in one synchronous pass
// of the hub, so the first stream builds the frame and the others reuse it: one notification is
// parsed (for its cursor) and serialized once, however many streams it goes to, and each socket
// is handed the same buffer.
import { cursorOf } from "./event-history.ts";

export interface EventFrame {
  channel: string;
  payload: string;
  cursor: number | undefined;
  bytes: Buffer;
}

let last: EventFrame | undefined;
let built = 0;

/** The frame of `payload` on `channel`: the one built last when it is the same event. */
export function eventFrame(channel: string, payload: string): EventFrame {
  if (last && last.payload === payload && last.channel === channel) return last;
  const cursor = cursorOf(payload);
  const text = `${cursor === undefined ? "" : `id: ${cursor}\n`}event: ${channel}\ndata: ${payload}\n\n`;
  built += 1;
  last = { channel, payload, cursor, bytes: Buffer.from(text) };
  return last;
}

/** How many event frames this process has built: one per notification, not one per stream. */
export const framesBuilt = (): number => built;
