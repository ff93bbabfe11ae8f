// Live-update metrics, as an operator reads them (src/server/realtime-metrics.ts): /metrics shows
// the commit-to-delivery latency of the events a stream received and the open streams by kind;
// the slow_broadcast alert opens while the p99 over 5 minutes is above slow_broadcast_ms, and
// resolves by itself once it is not.
import { afterEach, beforeAll, expect, test } from "vitest";
import { tokenFor, useTestApp } from "./support/app.ts";
import { useTestDatabase } from "./support/database.ts";
import { waitFor } from "./support/wait.ts";

// Reports every 100 ms instead of every 30 s, read when the app starts.
process.env.REALTIME_LATENCY_REPORT_MS = "100";
const database = useTestDatabase("realtime_metrics");
const server = useTestApp(database, { worker: false });

let token: string, marketer: string, campaign: string;
const open: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of open.splice(0)) await close();
});

beforeAll(async () => {
  token = await tokenFor(database, "mia@example.com");
  const [{ id: userId }] = await database.query<{ id: string }>("select id from app_public.users where email = 'mia@example.com'");
  [{ id: marketer }] = await database.query<{ id: string }>("insert into app_public.marketers (name) values ('Acme') returning id");
  await database.query("insert into app_public.marketer_members (marketer_id, user_id) values ($1, $2)", [marketer, userId]);
  [{ id: campaign }] = await database.query<{ id: string }>(
    "insert into app_public.campaigns (user_id, marketer_id, name) values ($1, $2, 'Live') returning id",
    [userId, marketer],
  );
});

/** An open event stream of the marketer, and the text it has received. */
async function stream() {
  const response = await fetch(`${server.url}/campaigns/events?marketerId=${marketer}`, { headers: { authorization: `Bearer ${token}` } });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const received = { text: "" };
  const reading = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      received.text += value;
    }
  })().catch(() => {});
  open.push(async () => {
    await reader.cancel();
    await reading;
  });
  await waitFor(
    async () => received.text,
    (text) => text.includes("event: ready"),
  );
  return received;
}

const metric = async (pattern: RegExp) => {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(pattern.exec(text)?.[1] ?? Number.NaN);
};
const openAlert = () =>
  database.query("select message, details from app_public.alerts where kind = 'slow_broadcast' and resolved_at is null");

test("an event two streams receive is measured once, from its transaction's time; open streams are counted by kind", async () => {
  const before = await metric(/^realtime_delivery_seconds_count\{channel="marketer"\} (\d+)$/m);
  const received = await stream();
  await stream();
  expect(await metric(/^realtime_open_streams\{kind="event_stream"\} (\d+)$/m)).toBe(2);

  await database.query("update app_public.campaigns set name = 'Renamed' where id = $1", [campaign]);
  await waitFor(
    async () => received.text,
    (text) => text.includes(`"campaign_id":"${campaign}"`),
  );
  expect(received.text).toMatch(/"sent_at":\d{13}/);
  await waitFor(
    () => metric(/^realtime_delivery_seconds_count\{channel="marketer"\} (\d+)$/m),
    (count) => count === (Number.isNaN(before) ? 0 : before) + 1,
  );

  await open.pop()!();
  await waitFor(
    () => metric(/^realtime_open_streams\{kind="event_stream"\} (\d+)$/m),
    (count) => count === 1,
  );
});

test("slow_broadcast opens while the p99 is above slow_broadcast_ms, and resolves by itself", async () => {
  await stream();
  // An event whose transaction was 5 s ago: late by 5 s, over the default 1 s.
  await database.query(
    `select pg_notify('marketer:' || $1 || ':campaigns',
       json_build_object('event', 'campaign_updated', 'campaign_id', $2::uuid, 'sent_at', floor(extract(epoch from now()) * 1000) - 5000)::text)`,
    [marketer, campaign],
  );
  const [alert] = await waitFor(openAlert, (alerts) => alerts.length === 1);
  expect(alert).toMatchObject({ details: { threshold_ms: 1000 } });
  expect((alert as { message: string }).message).toMatch(/Live updates reach their clients late: p99 50\d\d ms/);

  // The same 5 minutes, judged against 10 s: resolved at the next report.
  await database.query("select app_private.set_setting('slow_broadcast_ms', '10000')");
  await waitFor(openAlert, (alerts) => alerts.length === 0);
});
