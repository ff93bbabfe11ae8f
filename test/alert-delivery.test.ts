// Alert delivery end to end: alerts raised and resolved in SQL are posted to a webhook and emailed
// by the real tasks in a real graphile-worker, to a local HTTP receiver and a local SMTP server.
import { EventEmitter, once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo, Server as NetServer } from "node:net";
import { type Runner, run, type WorkerEvents } from "graphile-worker";
import { simpleParser } from "mailparser";
import type pg from "pg";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import preset from "../graphile.config.ts";
import { createPool } from "../src/db/connection.ts";
import { useTestDatabase } from "./support/database.ts";
import { waitFor } from "./support/wait.ts";

const database = useTestDatabase("alert_delivery");

const ALERT_EMAIL_TO = "ops@example.com";
const SMTP_USER = "alerts";
const SMTP_PASSWORD = "smtp-secret";

// The webhook receiver records every POST; `failures` makes the next ones answer 500.
const posts: { contentType?: string; body: { text: string; attachments?: unknown } }[] = [];
let failures = 0;
const webhook: Server = createServer(async (request, response) => {
  let body = "";
  for await (const chunk of request) body += chunk;
  posts.push({ contentType: request.headers["content-type"], body: JSON.parse(body) });
  const fail = failures > 0;
  if (fail) failures--;
  response.writeHead(fail ? 500 : 200).end(fail ? "receiver is down" : "ok");
});

// A real SMTP server that insists on the configured login (over plain text: it is loopback).
const mails: { to: string[]; user?: string; subject?: string; text?: string }[] = [];
const smtp = new SMTPServer({
  disabledCommands: ["STARTTLS"],
  allowInsecureAuth: true,
  onAuth(auth, _session, callback) {
    if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) callback(null, { user: auth.username });
    else callback(new Error("invalid login"));
  },
  onData(stream, session, callback) {
    simpleParser(stream).then((mail) => {
      mails.push({ to: session.envelope.rcptTo.map((r) => r.address), user: session.user, subject: mail.subject, text: mail.text });
      callback();
    }, callback);
  },
});

const listen = (server: NetServer) => new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));

const ENV = ["ALERT_WEBHOOK_URL", "ALERT_EMAIL_TO", "SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD"] as const;
const savedEnv = Object.fromEntries(ENV.map((name) => [name, process.env[name]]));
function configureDelivery() {
  Object.assign(process.env, {
    ALERT_WEBHOOK_URL: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`,
    ALERT_EMAIL_TO,
    SMTP_HOST: "127.0.0.1",
    SMTP_PORT: String((smtp.server.address() as AddressInfo).port),
    SMTP_USER,
    SMTP_PASSWORD,
  });
}

let worker: Runner | undefined;
// The worker's connections, as the product makes them: a connection the dropped test database
// ends while it is closing reports to its own listener instead of ending the test run.
let workerPool: pg.Pool | undefined;
beforeAll(async () => {
  await listen(webhook);
  await listen(smtp.server);
  configureDelivery();
  await database.query("select 1"); // creates the database
  // graphile-worker with this repository's tasks, but without the crontab: the minutely pool
  // monitor would raise and resolve pool_low on its own, in the middle of these tests.
  const events: WorkerEvents = new EventEmitter();
  // The worker registers its task names at its first poll; an alert raised meanwhile inserts two
  // of them too, and the two inserts can deadlock. The tests start once it has polled.
  const polled = once(events, "worker:getJob:empty");
  workerPool = createPool(database.ownerUrl, "worker");
  worker = await run({ preset, pgPool: workerPool, noHandleSignals: true, events }, undefined, []);
  await polled;
});
afterAll(async () => {
  await worker?.stop();
  await workerPool?.end();
  for (const name of ENV) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
  await new Promise((resolve) => webhook.close(resolve));
  await new Promise((resolve) => smtp.close(() => resolve(undefined)));
});

interface PendingJob {
  task_identifier: string;
  attempts: number;
  last_error: string | null;
}
const pendingDeliveries = () =>
  database.query<PendingJob>(
    "select task_identifier, attempts, last_error from graphile_worker.jobs where task_identifier like 'send_alert_%' order by id",
  );
const allDelivered = () => waitFor(pendingDeliveries, (jobs) => jobs.length === 0);
const postsAbout = (kind: string) => posts.filter((post) => post.body.text.includes(` ${kind}: `));
const mailsAbout = (kind: string) => mails.filter((mail) => mail.subject?.endsWith(`] ${kind}`));

describe("alert delivery", () => {
  test("a new alert is posted once and mailed once; raising it again sends nothing; resolving it sends both again", async () => {
    await database.query(`select app_private.raise_alert('CRITICAL', 'pool_low', 'The master pool has 0 ready campaigns', '{"ready":0}')`);
    await allDelivered();
    expect(postsAbout("pool_low")).toHaveLength(1);
    const [raised] = postsAbout("pool_low");
    expect(raised!.contentType).toBe("application/json");
    expect(raised!.body.text).toMatch(/^\[CRITICAL\] pool_low: The master pool has 0 ready campaigns \(raised \d{4}-/);

    expect(mailsAbout("pool_low")).toHaveLength(1);
    const [mail] = mailsAbout("pool_low");
    expect(mail).toMatchObject({ to: [ALERT_EMAIL_TO], user: SMTP_USER, subject: "[CRITICAL] pool_low" });
    expect(mail!.text).toContain("The master pool has 0 ready campaigns");
    expect(mail!.text).toContain(`"ready": 0`);
    expect(mail!.text).toContain("still open");

    // Still open: the alert is refreshed, and no delivery is enqueued.
    await database.query(`select app_private.raise_alert('CRITICAL', 'pool_low', 'The master pool has 1 ready campaigns', '{"ready":1}')`);
    expect(await pendingDeliveries()).toEqual([]);

    await database.query(`select app_private.resolve_alert('pool_low')`);
    await allDelivered();
    expect(postsAbout("pool_low")).toHaveLength(2);
    expect(postsAbout("pool_low")[1]!.body.text).toMatch(
      /^Resolved: pool_low: The master pool has 1 ready campaigns \(raised .*, resolved \d{4}-/,
    );
    expect(mailsAbout("pool_low").map((m) => m.subject)).toEqual(["[CRITICAL] pool_low", "[resolved] pool_low"]);
    expect(mailsAbout("pool_low")[1]!.text).toMatch(/Resolved: +\d{4}-/);
  });

  test("a webhook answering 500 fails the job, which is retried and then delivers", async () => {
    failures = 1;
    await database.query(`select app_private.raise_alert('WARNING', 'retry_check', 'Checking retries', '{}')`);
    const [failed] = await waitFor(
      () =>
        database.query<PendingJob>(
          "select task_identifier, attempts, last_error from graphile_worker.jobs where task_identifier = 'send_alert_webhook'",
        ),
      // attempts counts up when a worker takes the job, before it runs: wait for its error.
      (jobs) => jobs.length === 0 || jobs[0]!.last_error !== null,
    );
    expect(failed).toMatchObject({ attempts: 1, last_error: expect.stringContaining("answered 500") });
    // The email is a job of its own, not held back by the webhook's failure.
    await waitFor(
      async () => mailsAbout("retry_check").length,
      (count) => count === 1,
    );

    // Instead of graphile-worker's backoff (about 3 s before the second attempt): retry now.
    await database.query(
      "select graphile_worker.reschedule_jobs(array_agg(id), run_at => now()) from graphile_worker.jobs where task_identifier = 'send_alert_webhook'",
    );
    await allDelivered();
    expect(postsAbout("retry_check")).toHaveLength(2); // the refused one, then the delivered one
  });

  test("without ALERT_WEBHOOK_URL and ALERT_EMAIL_TO the jobs succeed and send nothing", async () => {
    delete process.env.ALERT_WEBHOOK_URL;
    delete process.env.ALERT_EMAIL_TO;
    try {
      await database.query(`select app_private.raise_alert('INFO', 'quiet_check', 'Nobody is told', '{}')`);
      await allDelivered();
      expect(postsAbout("quiet_check")).toEqual([]);
      expect(mailsAbout("quiet_check")).toEqual([]);
    } finally {
      configureDelivery();
    }
  });
});
