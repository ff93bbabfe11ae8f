// The timer alarm sleeps as long as it must: a timer further ahead than setTimeout can wait (2^31-1
// ms, 24.8 days) must not make it ring in a loop (Node fires such a timeout after 1 ms, with a
// TimeoutOverflowWarning each time), while timers due soon still wake the worker on time.
import { afterAll, expect, test } from "vitest";
import { createKysely } from "../src/db/kysely.ts";
import { NotificationHub } from "../src/notifications/hub.ts";
import { startTimerAlarm } from "../src/timers/alarm.ts";
import { useTestDatabase } from "./support/database.ts";
import { waitFor } from "./support/wait.ts";

const database = useTestDatabase("timer_alarm");
const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
});

test("a timer 30 days ahead: no overflowing timeout, and nearer timers still ring", async () => {
  const [campaign] = await database.query<{ id: string }>(`
    with owner as (insert into app_public.users (email) values ('far@example.com') returning id)
    insert into app_public.campaigns (user_id, name) select id, 'far ahead' from owner returning id`);
  const overflows: Error[] = [];
  const onWarning = (warning: Error) => warning.name === "TimeoutOverflowWarning" && overflows.push(warning);
  process.on("warning", onWarning);
  stops.push(async () => void process.off("warning", onWarning));

  const db = createKysely(database.ownerUrl, { part: "alarm", max: 1 });
  stops.push(() => db.destroy());
  const hub = new NotificationHub(database.ownerUrl);
  stops.push(() => hub.close());
  await hub.connect();
  let woken = 0;
  const alarm = await startTimerAlarm({ db, hub, wake: (count) => (woken += count) });
  stops.push(() => alarm.stop());

  const schedule = (type: string, dueIn: string) =>
    database.query(`insert into app_public.campaign_timers (campaign_id, timer_type, scheduled_at) values ($1, $2, now() + $3::interval)`, [
      campaign!.id,
      type,
      dueIn,
    ]);
  await schedule("EXPIRE_CAMPAIGN", "30 days");
  // Two timers due soon, one after the other: between them the alarm holds only the far one.
  await schedule("START_CAMPAIGN", "300 milliseconds");
  await waitFor(
    async () => woken,
    (count) => count === 1,
  );
  await schedule("CLOSE_CAMPAIGN", "300 milliseconds");
  await waitFor(
    async () => woken,
    (count) => count === 2,
  );

  expect(overflows).toEqual([]);
});
