// Fault benchmark: what the reliability contract (DESIGN.md, "Reliability contract") promises,
// measured against the real entry points on a private PostgreSQL cluster that this run starts and
// removes (test/support/private-cluster.ts), never the machine's own server.
//
// Processes: `npm start` (startMain: API + worker) and a separate `npm run worker`
// (startWorkerProcess), both on the cluster's owner URL, each with a scratch DATA_DIR.
// Load (from this process): BENCH_USERS (5) users sending createCampaign over HTTP at BENCH_RATE
// (20) per second in total, open loop (a user skips a beat while 10 of its requests are in flight),
// each on its own keep-alive agent, never retrying. Meanwhile a websocket subscription
// (graphql-ws, `campaignEvents` of a watched campaign) and a server-sent event stream
// (`/campaigns/events` of the watched campaign's marketer) stay open, reconnecting like a browser
// would, and the watched campaign is renamed in SQL every RENAME_EVERY_MS, one transaction each.
//   (a) PostgreSQL restarts with `-m fast`, then with `-m immediate`;
//   (b) every other backend of the database is terminated (pg_terminate_backend);
//   (c) BENCH_TIMERS (200) START timers due over BENCH_TIMER_WINDOW_S (20) s, scheduled in SQL;
//       the separate worker is SIGKILLed in the middle of the window and started again 2 s later
//       (the main process's worker keeps firing meanwhile); firings are counted per timer;
//   (d) SIGTERM to the server while BENCH_SHUTDOWN_CLIENTS (4) clients send createCampaign back to
//       back on keep-alive sockets: time to exit, exit code, how the streams were closed.
// After each of (a) and (b) the load runs on for STEADY_S seconds.
//
// How things are counted:
//   requests / failed          createCampaign requests sent / answered without a rowId. In (d), a
//                              connection refused after SIGTERM is the server no longer accepting,
//                              as asked: printed, not counted.
//   failed_without_retryable_code
//                              failed ones whose GraphQL errors carry neither extensions.code
//                              DATABASE_UNAVAILABLE nor extensions.retryable (socket errors included).
//   recovery_s                 per fault, from PostgreSQL accepting connections again (a probe
//                              connecting every PROBE_EVERY_MS; after (b): the termination's end)
//                              to the first successful createCampaign sent after it; the worst.
//   events_lost_after_resync   per stream: a rename is owed to the stream when it started after
//                              the stream's latest sync point (`subscribed`, `ready`, `resync`)
//                              and committed before any disruption (a fault, a drop of that
//                              stream). Owed renames of one sync epoch are compared with the
//                              campaign_updated events that arrived in that epoch after the first
//                              owed rename started (within EVENT_GRACE_MS of the next disruption);
//                              the shortfall is lost. Renames are sequential and one per
//                              transaction, so each gives exactly one event per stream. A stream
//                              that gets no sync point after a database fault is owed every rename
//                              from a second after the service is back (and the fault is named).
//   timers_fired_twice         timers with more than one COMPLETED execution.
//   assigned_twice             campaigns with more than one pool_assignments row, plus campaign
//                              ids returned twice.
//   incomplete_campaigns       campaigns owned by the load users (handed over) whose row count in
//                              some content table differs from the master template's.
//   orphans                    processes still running after everything stopped that carry this
//                              run's marker in their environment (children and their children).
//   locked_jobs_left           graphile_worker._private_jobs rows still locked once every process
//                              stopped.
//   npm run bench -- faults
import { randomUUID } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { createClient } from "graphql-ws";
import pg from "pg";
import WebSocket from "ws";
import { signToken } from "../../src/auth/jwt.ts";
import { DATABASE_UNAVAILABLE } from "../../src/db/unavailable.ts";
import { type PrivateCluster, startPrivateCluster } from "../support/private-cluster.ts";
import { isRunning, type Started, startMain, startWorkerProcess } from "../support/process.ts";

const USERS = Number(process.env.BENCH_USERS || 5);
const RATE = Number(process.env.BENCH_RATE || 20);
const TIMERS = Number(process.env.BENCH_TIMERS || 200);
const TIMER_WINDOW_S = Number(process.env.BENCH_TIMER_WINDOW_S || 20);
const SHUTDOWN_CLIENTS = Number(process.env.BENCH_SHUTDOWN_CLIENTS || 4);
const STEADY_S = 5;
const WARM_UP_S = 5;
const MAX_IN_FLIGHT_PER_USER = 10;
const REQUEST_TIMEOUT_MS = 30_000;
const RENAME_EVERY_MS = 250;
const PROBE_EVERY_MS = 50;
const EVENT_GRACE_MS = 3_000;
/** A fault the service has not recovered from after this long is reported with this figure. */
const RECOVERY_GIVE_UP_S = 30;
/** How long after the last timer is due the run waits for every timer to complete. */
const TIMERS_GIVE_UP_S = 90;
const SHUTDOWN_GIVE_UP_S = 30;
/** The whole run is abandoned (and cleaned up) after this long. */
const RUN_GIVE_UP_MS = 12 * 60_000;
const JWT_SECRET = "faults-bench-secret-that-is-long-enough-for-hs256";
const RUN_ID = randomUUID();
const CREATE = `mutation ($name: String!) { createCampaign(input: {name: $name, description: "faults"}) { result { rowId } } }`;
const WATCH = `subscription ($id: UUID!) { campaignEvents(campaignId: $id) { event campaignId campaign { name } } }`;

const TARGETS = { recovery_s: 3, shutdown_s: 5 };

const now = () => performance.now();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
const seconds = (ms: number) => round(ms / 1000);
const log = (message: string) =>
  console.log(
    `[${seconds(now() - runStarted)
      .toFixed(1)
      .padStart(6)} s] ${message}`,
  );
const runStarted = now();

// ---------------------------------------------------------------------------------------------
// Processes: the ones this run started, whether each was asked to stop, and what they printed.

interface Supervised {
  name: string;
  started: Started;
  pid: number;
  /** Set before this run signals it. */
  asked: boolean;
  alive: boolean;
  exitCode?: number | null;
  exitSignal?: NodeJS.Signals | null;
  exitedAt?: number;
  exited: Promise<void>;
}

const processes: Supervised[] = [];
const deaths: string[] = [];

function supervise(name: string, started: Started): Supervised {
  let resolveExited!: () => void;
  const entry: Supervised = {
    name,
    started,
    pid: started.child.pid!,
    asked: false,
    alive: true,
    exited: new Promise<void>((resolve) => (resolveExited = resolve)),
  };
  started.child.once("exit", (code, signal) => {
    entry.alive = false;
    entry.exitCode = code;
    entry.exitSignal = signal;
    entry.exitedAt = now();
    if (!entry.asked) {
      deaths.push(`${name} (pid ${entry.pid}) exited unasked with ${signal ?? `code ${code}`}`);
      log(`!! ${name} (pid ${entry.pid}) exited without being asked (${signal ?? `code ${code}`})`);
    }
    resolveExited();
  });
  processes.push(entry);
  return entry;
}

/** Signals a running process (asked to stop from then on); false when it was gone already. */
function signal(entry: Supervised, sig: NodeJS.Signals): boolean {
  if (!entry.alive) return false;
  entry.asked = true;
  entry.started.child.kill(sig);
  return true;
}

/** Resolves true once the process printed `ready` (false when it exits first or takes a minute). */
async function started(entry: Supervised, ready: RegExp): Promise<boolean> {
  const deadline = now() + 60_000;
  while (entry.alive && now() < deadline) {
    if (ready.test(entry.started.output())) return true;
    await sleep(100);
  }
  return entry.alive && ready.test(entry.started.output());
}

/** What a process printed last, without graphile-worker's INFO lines. */
function tail(entry: Supervised, lines = 30): string[] {
  return entry.started
    .output()
    .trimEnd()
    .split("\n")
    .filter((line) => !/\] INFO: /.test(line))
    .slice(-lines);
}

/** Distinct lines of a process's output that look like trouble, with how often each came. */
function troubleDigest(output: string, limit = 25): string[] {
  const counts = new Map<string, number>();
  for (const line of output.split("\n")) {
    if (!/error|unreachable|lost|fail|warn|refused|terminat|exit|SIG|timeout|unhandled/i.test(line)) continue;
    const key = line
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "<uuid>")
      .replace(/\d+(\.\d+)?/g, "N")
      .slice(0, 220);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([line, count]) => `${String(count).padStart(5)}× ${line}`);
}

// ---------------------------------------------------------------------------------------------
// HTTP.

interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function httpRequest(
  url: string,
  options: { method: string; headers?: Record<string, string>; body?: string; agent?: http.Agent },
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: options.method, headers: options.headers, agent: options.agent, timeout: REQUEST_TIMEOUT_MS },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk) => (body += chunk));
        response.on("end", () => resolve({ status: response.statusCode!, headers: response.headers, body }));
        response.on("error", reject);
      },
    );
    request.on("timeout", () =>
      request.destroy(Object.assign(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`), { code: "TIMEOUT" })),
    );
    request.on("error", reject);
    request.end(options.body);
  });
}

interface Attempt {
  phase: string;
  user: number;
  sentAt: number;
  doneAt: number;
  ok: boolean;
  campaignId?: string;
  status?: number;
  /** extensions.code values of the GraphQL errors. */
  codes: string[];
  retryAfter?: string;
  /** Socket error code or a short description. */
  error?: string;
  /** Whether the server process was alive when the failure came back. */
  serverAlive: boolean;
  /** (d): the answer asked the client to close the connection. */
  connectionClose?: boolean;
  retryable?: boolean;
}

const attempts: Attempt[] = [];
let phase = "setup";
let main!: Supervised;
let mainUrl = "";
/** The server process that listens on mainUrl (the previous one while a new one starts). */
let mainUrlOwner!: Supervised;
/** The separate worker process of the moment. */
let worker!: Supervised;

async function createCampaign(user: number, token: string, agent: http.Agent, name: string): Promise<Attempt> {
  const sentAt = now();
  const server = mainUrlOwner;
  const attempt: Attempt = { phase, user, sentAt, doneAt: 0, ok: false, codes: [], serverAlive: true };
  try {
    const answer = await httpRequest(`${mainUrl}/graphql`, {
      method: "POST",
      agent,
      headers: {
        "content-type": "application/json",
        accept: "application/graphql-response+json, application/json",
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({ query: CREATE, variables: { name } }),
    });
    attempt.status = answer.status;
    attempt.connectionClose = answer.headers.connection === "close";
    if (answer.headers["retry-after"]) attempt.retryAfter = String(answer.headers["retry-after"]);
    let parsed: { data?: any; errors?: { message: string; extensions?: { code?: string; retryable?: boolean } }[] } = {};
    try {
      parsed = JSON.parse(answer.body);
    } catch {
      attempt.error = `HTTP ${answer.status}, not JSON: ${answer.body.slice(0, 80)}`;
    }
    attempt.codes = (parsed.errors ?? []).map((error) => error.extensions?.code ?? "(no code)");
    attempt.retryable = (parsed.errors ?? []).some((error) => error.extensions?.retryable === true);
    const id = parsed.data?.createCampaign?.result?.rowId;
    if (!parsed.errors?.length && typeof id === "string") {
      attempt.ok = true;
      attempt.campaignId = id;
    } else if (!attempt.error) {
      attempt.error = `HTTP ${answer.status}: ${
        parsed.errors
          ?.map((error) => error.message)
          .join("; ")
          .slice(0, 160) || "no rowId"
      }`;
    }
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    attempt.error = code ?? message;
  }
  attempt.doneAt = now();
  if (!attempt.ok) attempt.serverAlive = server.alive;
  attempts.push(attempt);
  return attempt;
}

/** Told to retry: DATABASE_UNAVAILABLE, or another error marked retryable (a transaction that lost a race). */
const retryable = (attempt: Attempt) => attempt.codes.includes(DATABASE_UNAVAILABLE) || attempt.retryable === true;

// ---------------------------------------------------------------------------------------------
// The load: USERS users at RATE per second in total.

interface User {
  id: string;
  token: string;
  agent: http.Agent;
}

function startLoad(users: User[]) {
  let stopping = false;
  let skipped = 0;
  const inFlight = new Set<Promise<unknown>>();
  const perUser = users.map(() => 0);
  const intervalMs = (1000 * users.length) / RATE;
  let serial = 0;
  const timers = users.map((user, i) => {
    const beat = () => {
      if (stopping) return;
      if (perUser[i]! >= MAX_IN_FLIGHT_PER_USER) return void skipped++;
      perUser[i] = perUser[i]! + 1;
      const request = createCampaign(i, user.token, user.agent, `load ${i}-${serial++}`).finally(() => {
        perUser[i] = perUser[i]! - 1;
        inFlight.delete(request);
      });
      inFlight.add(request);
    };
    let interval: NodeJS.Timeout | undefined;
    const offset = setTimeout(
      () => {
        beat();
        interval = setInterval(beat, intervalMs);
      },
      (intervalMs / users.length) * i,
    );
    return () => {
      clearTimeout(offset);
      clearInterval(interval);
    };
  });
  return {
    skipped: () => skipped,
    async stop() {
      stopping = true;
      for (const stop of timers) stop();
      await Promise.allSettled([...inFlight]);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The streams: when they were in sync, when they broke, when the watched campaign's events came.

interface StreamLog {
  name: string;
  /** Arrivals of subscribed / ready / resync. */
  syncs: number[];
  /** When the stream itself dropped (closed, errored, ended). */
  breaks: number[];
  /** Arrivals of campaign_updated of the watched campaign. */
  events: number[];
  notes: string[];
  reconnects: number;
}

function newStreamLog(name: string): StreamLog {
  return { name, syncs: [], breaks: [], events: [], notes: [], reconnects: 0 };
}

function watchOverWebsocket(url: () => string, token: string, campaignId: string) {
  const stream = newStreamLog("websocket campaignEvents");
  let stopping = false;
  const closeCodes: { at: number; code: number; reason: string }[] = [];
  const client = createClient({
    url: () => `${url().replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    lazy: false,
    retryAttempts: Number.MAX_SAFE_INTEGER,
    shouldRetry: () => !stopping,
    retryWait: () => sleep(500),
    // The default prints the whole close event of a socket that is not retried.
    onNonLazyError: () => {},
    on: {
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        closeCodes.push({ at: now(), code, reason: String(reason ?? "") });
        stream.breaks.push(now());
      },
      connected: () => void stream.reconnects++,
    },
  });
  let eventErrors = 0;
  const subscribe = () => {
    client.subscribe<{ campaignEvents: { event: string; campaignId: string | null } | null }>(
      { query: WATCH, variables: { id: campaignId } },
      {
        next: (result) => {
          const at = now();
          if (result.errors?.length) eventErrors++;
          const event = result.data?.campaignEvents?.event;
          if (event === "subscribed" || event === "resync") stream.syncs.push(at);
          else if (event === "campaign_updated") stream.events.push(at);
        },
        error: (error) => {
          stream.breaks.push(now());
          const { code, reason, message } = error as { code?: number; reason?: string; message?: string };
          stream.notes.push(
            `subscription ended by ${code ? `close ${code} ${reason ?? ""}` : (message ?? JSON.stringify(error))}`.slice(0, 160),
          );
          if (!stopping) setTimeout(subscribe, 500);
        },
        complete: () => {
          stream.breaks.push(now());
          if (!stopping) {
            stream.notes.push("subscription completed by the server; subscribing again");
            setTimeout(subscribe, 500);
          }
        },
      },
    );
  };
  subscribe();
  return {
    stream,
    closeCodes,
    eventErrors: () => eventErrors,
    /** No more reconnecting: whatever closes the socket now is final. */
    stopReconnecting: () => {
      stopping = true;
    },
    dispose: () => client.dispose(),
  };
}

function watchOverSse(url: () => string, token: string, marketerId: string) {
  const stream = newStreamLog("SSE /campaigns/events");
  let stopping = false;
  let current: http.ClientRequest | undefined;
  const endings: { at: number; how: string }[] = [];
  const agent = new http.Agent({ keepAlive: false });
  const broke = (how: string) => {
    stream.breaks.push(now());
    endings.push({ at: now(), how });
    if (!stopping) setTimeout(connect, 500);
  };
  function connect() {
    if (stopping) return;
    let ended = false;
    const end = (how: string) => {
      if (ended) return;
      ended = true;
      broke(how);
    };
    current = http.get(
      `${url()}/campaigns/events?marketerId=${marketerId}`,
      { agent, headers: { authorization: `Bearer ${token}` } },
      (response) => {
        if (response.statusCode !== 200) {
          stream.notes.push(`answered ${response.statusCode}`);
          response.resume();
          return end(`HTTP ${response.statusCode}`);
        }
        stream.reconnects++;
        response.setEncoding("utf8");
        let buffer = "";
        response.on("data", (chunk: string) => {
          const at = now();
          buffer += chunk;
          for (let cut = buffer.indexOf("\n\n"); cut !== -1; cut = buffer.indexOf("\n\n")) {
            const message = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const event = /^event: (.*)$/m.exec(message)?.[1];
            const data = /^data: (.*)$/m.exec(message)?.[1] ?? "";
            if (event === "ready" || data.includes('"resync"')) stream.syncs.push(at);
            else if (data.includes('"campaign_updated"')) stream.events.push(at);
          }
        });
        response.on("end", () => end("ended"));
        response.on("error", (error) => end(`error ${(error as { code?: string }).code ?? error.message}`));
        response.on("close", () => end("closed"));
      },
    );
    current.on("error", (error) => end(`request error ${(error as { code?: string }).code ?? error.message}`));
  }
  connect();
  return {
    stream,
    endings,
    stopReconnecting: () => {
      stopping = true;
    },
    dispose: () => {
      stopping = true;
      current?.destroy();
      agent.destroy();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The watched campaign's renames, in SQL, one transaction each.

interface Rename {
  tStart: number;
  tEnd: number;
  committed: boolean;
}

async function shortQuery(url: string, text: string, values?: unknown[], connectTimeoutMs = 1_000) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs, application_name: "faults-bench" });
  client.on("error", () => {});
  try {
    await client.connect();
    return (await client.query(text, values)).rows;
  } finally {
    await client.end().catch(() => {});
  }
}

function startRenamer(url: string, campaignId: string) {
  const renames: Rename[] = [];
  let stopping = false;
  const done = (async () => {
    for (let n = 1; !stopping; n++) {
      const tStart = now();
      let committed = false;
      try {
        await shortQuery(url, "update app_public.campaigns set name = $1 where id = $2", [`watched ${n}`, campaignId]);
        committed = true;
      } catch {
        // Refused, or cut off: not owed to anyone (a cut-off commit may still have happened).
      }
      renames.push({ tStart, tEnd: now(), committed });
      await sleep(RENAME_EVERY_MS);
    }
  })();
  return {
    renames,
    async stop() {
      stopping = true;
      await done;
    },
  };
}

/**
 * A stream that gets no sync point after a database fault was never told to re-read: from one
 * second after the service is back (`backAt`) it is owed every rename as if it had resynced then,
 * so a stream that silently stopped delivering shows as lost events, and is named in `unsynced`.
 */
function lostEvents(stream: StreamLog, renames: Rename[], disruptions: number[], faults: { at: number; backAt: number }[]) {
  const breaks = [...stream.breaks, ...disruptions].sort((a, b) => a - b);
  const syncs = [...stream.syncs];
  let unsynced = 0;
  for (const fault of faults) {
    const next = disruptions.find((at) => at > fault.at) ?? Infinity;
    if (stream.syncs.some((at) => at > fault.at && at < next)) continue;
    unsynced += 1;
    syncs.push(fault.backAt + 1_000);
  }
  syncs.sort((a, b) => a - b);
  const owed = new Map<number, Rename[]>();
  for (const rename of renames) {
    if (!rename.committed) continue;
    let epoch = -1;
    for (let i = 0; i < syncs.length && syncs[i]! < rename.tStart; i++) epoch = i;
    if (epoch < 0) continue;
    if (breaks.some((at) => at > syncs[epoch]! && at < rename.tEnd)) continue;
    owed.set(epoch, [...(owed.get(epoch) ?? []), rename]);
  }
  let required = 0;
  let lost = 0;
  const epochsWithLoss: string[] = [];
  for (const [epoch, owedRenames] of owed) {
    const from = Math.max(syncs[epoch]!, owedRenames[0]!.tStart);
    const nextSync = syncs[epoch + 1] ?? Infinity;
    const nextBreak = breaks.find((at) => at > syncs[epoch]!) ?? Infinity;
    const to = Math.min(nextSync, nextBreak + EVENT_GRACE_MS);
    const arrived = stream.events.filter((at) => at > from && at < to).length;
    required += owedRenames.length;
    const short = Math.max(0, owedRenames.length - arrived);
    lost += short;
    if (short > 0)
      epochsWithLoss.push(`epoch from ${seconds(syncs[epoch]! - runStarted)} s: ${owedRenames.length} owed, ${arrived} arrived`);
  }
  return { required, lost, epochsWithLoss, unsynced };
}

// ---------------------------------------------------------------------------------------------
// Faults.

interface FaultResult {
  name: string;
  injectedAt: number;
  acceptingAt: number;
  recoveredAt?: number;
  recovery_s: number;
  failed: number;
  failedWithoutCode: number;
}

/**
 * The first createCampaign sent at or after `from` that succeeded, waiting up to RECOVERY_GIVE_UP_S.
 * A server that died meanwhile is started again at once, as an orchestrator would: the time that
 * takes is part of the recovery.
 */
async function firstSuccessAfter(from: number): Promise<Attempt | undefined> {
  const deadline = from + RECOVERY_GIVE_UP_S * 1000;
  for (;;) {
    await reviveMainIfDead().catch((error) => log(`!! ${(error as Error).message}`));
    const ok = attempts.filter((attempt) => attempt.ok && attempt.sentAt >= from).sort((a, b) => a.doneAt - b.doneAt)[0];
    if (ok) return ok;
    if (now() > deadline) return undefined;
    await sleep(50);
  }
}

async function measureFault(name: string, inject: () => Promise<number>, disruptions: number[]): Promise<FaultResult> {
  phase = name;
  log(`${name}...`);
  const before = attempts.length;
  const injectedAt = now();
  disruptions.push(injectedAt);
  const acceptingAt = await inject();
  const success = await firstSuccessAfter(acceptingAt);
  const recovery_s = success ? seconds(success.doneAt - acceptingAt) : RECOVERY_GIVE_UP_S;
  log(
    `   PostgreSQL accepting ${seconds(acceptingAt - injectedAt)} s after the fault; first creation succeeded ${success ? `${recovery_s} s after that` : `not within ${RECOVERY_GIVE_UP_S} s`}`,
  );
  await sleep(STEADY_S * 1000);
  await reviveMainIfDead();
  await reviveWorkerIfDead();
  const during = attempts.slice(before).filter((attempt) => attempt.sentAt >= injectedAt);
  const failed = during.filter((attempt) => !attempt.ok);
  return {
    name,
    injectedAt,
    acceptingAt,
    recoveredAt: success?.doneAt,
    recovery_s,
    failed: failed.length,
    failedWithoutCode: failed.filter((attempt) => !retryable(attempt)).length,
  };
}

async function restartFault(cluster: PrivateCluster, mode: "fast" | "immediate"): Promise<number> {
  let restarting = true;
  let sawDown = false;
  // A probe that fails shows the server went down; the first success after that is "accepting again".
  const probe = (async () => {
    for (;;) {
      const tried = now();
      try {
        await shortQuery(cluster.ownerUrl, "select 1", [], 500);
        if (sawDown) return tried;
      } catch {
        sawDown = true;
      }
      if (!restarting && !sawDown) return undefined;
      await sleep(Math.max(0, PROBE_EVERY_MS - (now() - tried)));
    }
  })();
  await cluster.restart(mode);
  const restartedAt = now();
  restarting = false;
  const probed = await Promise.race([probe, sleep(5_000).then(() => undefined)]);
  return Math.min(restartedAt, probed ?? Infinity);
}

async function terminateFault(cluster: PrivateCluster): Promise<number> {
  const rows = await shortQuery(
    cluster.ownerUrl,
    `select count(*) filter (where pg_terminate_backend(pid))::int as terminated,
            array_agg(distinct application_name) filter (where application_name <> '') as who
       from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
  );
  log(`   terminated ${rows[0]!.terminated} backends (${(rows[0]!.who ?? []).join(", ")})`);
  return now();
}

// ---------------------------------------------------------------------------------------------
// (c): START timers of the timers' owner's campaigns, due over the window, scheduled as an admin
// would through app_public.schedule_campaign (one transaction); returns when the first is due.

async function scheduleTimers(url: string, ownerId: string, leadS: number): Promise<Date> {
  const client = new pg.Client({ connectionString: url, application_name: "faults-bench" });
  client.on("error", () => {});
  await client.connect();
  try {
    await client.query("begin");
    await client.query("select set_config('jwt.claims.is_admin', 'true', true)");
    const {
      rows: [first],
    } = await client.query<{ at: Date }>("select now() + $1 * interval '1 second' as at", [leadS]);
    await client.query(
      `select app_public.schedule_campaign(c.id, $2::timestamptz + (split_part(c.name, ' ', 2)::int - 1) * ($3::numeric / $4) * interval '1 second', 24, false)
         from app_public.campaigns c where c.user_id = $1`,
      [ownerId, first!.at, TIMER_WINDOW_S, TIMERS],
    );
    await client.query("commit");
    return first!.at;
  } finally {
    await client.end().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// Leftovers.

/** Processes (other than this one) whose environment carries this run's marker. */
async function markedProcesses(): Promise<{ pid: number; command: string }[]> {
  const found: { pid: number; command: string }[] = [];
  for (const entry of await readdir("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const environ = await readFile(`/proc/${pid}/environ`, "utf8");
      if (!environ.includes(`FAULTS_BENCH_RUN=${RUN_ID}`)) continue;
      if (!(await isRunning(pid))) continue;
      const command = (await readFile(`/proc/${pid}/cmdline`, "utf8")).replaceAll("\0", " ").trim();
      found.push({ pid, command });
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// The run.

let cluster: PrivateCluster | undefined;
let scratch: string | undefined;
let cleanedUp = false;

async function cleanUp() {
  if (cleanedUp) return;
  cleanedUp = true;
  for (const entry of processes) {
    if (entry.alive) {
      entry.asked = true;
      entry.started.child.kill("SIGKILL");
      await Promise.race([entry.exited, sleep(5_000)]);
    }
  }
  for (const { pid } of await markedProcesses().catch(() => [])) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  if (process.env.BENCH_LOG_DIR) {
    const { mkdir, writeFile } = await import("node:fs/promises");
    await mkdir(process.env.BENCH_LOG_DIR, { recursive: true });
    for (const entry of processes) {
      await writeFile(path.join(process.env.BENCH_LOG_DIR, `${entry.name.replace(/\W+/g, "-")}-${entry.pid}.log`), entry.started.output());
    }
  }
  await cluster?.remove().catch((error) => console.error(`removing the private cluster: ${(error as Error).message}`));
  if (scratch) await rm(scratch, { recursive: true, force: true }).catch(() => {});
}

for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    console.error(`${sig}: cleaning up`);
    void cleanUp().finally(() => process.exit(130));
  });
}
const giveUp = setTimeout(() => {
  console.error(`the run took longer than ${RUN_GIVE_UP_MS / 60_000} minutes: abandoned`);
  void cleanUp().finally(() => process.exit(1));
}, RUN_GIVE_UP_MS);
giveUp.unref();

function processEnv(dataDir: string): Record<string, string> {
  return {
    DATABASE_URL: cluster!.ownerUrl,
    DATA_DIR: dataDir,
    JWT_SECRET,
    AUTHENTICATOR_PASSWORD: cluster!.authenticatorPassword,
    PORT: "0",
    CAMPAIGN_RATE_LIMIT: "1000000",
    FAULTS_BENCH_RUN: RUN_ID,
  };
}

async function waitReady(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = now() + timeoutMs;
  for (;;) {
    try {
      const answer = await httpRequest(`${url}/health/ready`, { method: "GET" });
      if (answer.status === 200) return;
    } catch {
      // not yet
    }
    if (now() > deadline) throw new Error(`${url}/health/ready did not answer 200 within ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

// A process that exits during start-up is counted as a death (supervise) and started again, up to
// three times, so that the run goes on and measures the rest.
let mainGeneration = 0;
async function launchMain(): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    mainGeneration += 1;
    main = supervise(
      mainGeneration === 1 ? "server" : `server #${mainGeneration}`,
      startMain(processEnv(path.join(scratch!, `main-${mainGeneration}`))),
    );
    if (await started(main, /GraphQL\s+http:\/\//)) break;
    log(`!! ${main.name} did not start: ${tail(main, 3).join(" | ").slice(0, 300)}`);
    if (attempt === 3) throw new Error("the server does not start");
  }
  const url = await main.started.url();
  await waitReady(url);
  mainUrl = url;
  mainUrlOwner = main;
}

let workerGeneration = 0;
async function launchWorker(): Promise<Supervised> {
  for (let attempt = 1; ; attempt++) {
    workerGeneration += 1;
    const entry = supervise(
      `worker #${workerGeneration}`,
      startWorkerProcess(processEnv(path.join(scratch!, `worker-${workerGeneration}`))),
    );
    if (await started(entry, /worker running/)) return entry;
    log(`!! ${entry.name} did not start: ${tail(entry, 3).join(" | ").slice(0, 300)}`);
    if (attempt === 3) return entry;
  }
}

async function reviveMainIfDead() {
  if (!main.alive && !main.asked) {
    log("starting the server again after its unasked exit");
    await launchMain();
  }
}

async function reviveWorkerIfDead(): Promise<void> {
  if (worker.alive || worker.asked) return;
  log(`starting a worker again after the unasked exit of ${worker.name}`);
  worker = await launchWorker();
}

let report: Record<string, unknown> | undefined;
try {
  log("starting a private PostgreSQL cluster (migrated, with the master template)...");
  cluster = await startPrivateCluster("faults");
  scratch = await mkdtemp(path.join(os.tmpdir(), "campaign-engine-faults-"));

  // Users: the load's, the watcher (owner of the watched campaign, member of its marketer), the timers' owner.
  const userRows = await cluster.query<{ id: string; email: string }>(
    `insert into app_public.users (email)
     select 'load-' || n || '@faults.localhost' from generate_series(1, $1::int) as n
     union all select 'watcher@faults.localhost' union all select 'timers@faults.localhost'
     returning id, email`,
    [USERS],
  );
  const loadUsers: User[] = await Promise.all(
    userRows
      .filter((row) => row.email.startsWith("load-"))
      .map(async (row) => ({
        id: row.id,
        token: await signToken({ sub: row.id, is_admin: false }, JWT_SECRET, "2h"),
        agent: new http.Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT_PER_USER }),
      })),
  );
  const watcherId = userRows.find((row) => row.email.startsWith("watcher"))!.id;
  const timersOwnerId = userRows.find((row) => row.email.startsWith("timers"))!.id;
  const watcherToken = await signToken({ sub: watcherId, is_admin: false }, JWT_SECRET, "2h");
  const [marketer] = await cluster.query<{ id: string }>("insert into app_public.marketers (name) values ('Faults bench') returning id");
  await cluster.query("insert into app_public.marketer_members (marketer_id, user_id) values ($1, $2)", [marketer!.id, watcherId]);
  const [watched] = await cluster.query<{ id: string }>(
    "insert into app_public.campaigns (user_id, marketer_id, name) values ($1, $2, 'watched 0') returning id",
    [watcherId, marketer!.id],
  );

  log("starting the server (npm start) and a separate worker (npm run worker)...");
  await launchMain();
  worker = await launchWorker();
  log(`server at ${mainUrl} (pid ${main.pid}), worker pid ${worker.pid}`);

  const ws = watchOverWebsocket(() => mainUrl, watcherToken, watched!.id);
  const sse = watchOverSse(() => mainUrl, watcherToken, marketer!.id);
  const streamsSynced = now() + 15_000;
  while ((ws.stream.syncs.length === 0 || sse.stream.syncs.length === 0) && now() < streamsSynced) await sleep(50);
  if (ws.stream.syncs.length === 0 || sse.stream.syncs.length === 0) log("!! a stream did not get its first sync within 15 s");
  const renamer = startRenamer(cluster.ownerUrl, watched!.id);

  phase = "warm-up";
  log(`load: ${USERS} users, ${RATE} createCampaign/s in total; warming up for ${WARM_UP_S} s`);
  const load = startLoad(loadUsers);
  await sleep(WARM_UP_S * 1000);

  const disruptions: number[] = [];
  const faults: FaultResult[] = [];
  // measureFault starts a process that died again (counted as a death), so the next part runs.
  faults.push(await measureFault("(a) restart -m fast", () => restartFault(cluster!, "fast"), disruptions));
  faults.push(await measureFault("(a) restart -m immediate", () => restartFault(cluster!, "immediate"), disruptions));
  faults.push(await measureFault("(b) terminate every backend", () => terminateFault(cluster!), disruptions));

  // (c) Timers due over the window; the separate worker is killed in the middle of it.
  phase = "(c) worker SIGKILL";
  log(`(c) ${TIMERS} timers due over ${TIMER_WINDOW_S} s; SIGKILL of the worker in the middle, started again 2 s later`);
  const leadS = 3;
  await cluster.query(`insert into app_public.campaigns (user_id, name) select $1, 'timer ' || n from generate_series(1, $2::int) as n`, [
    timersOwnerId,
    TIMERS,
  ]);
  const firstDueAt = await scheduleTimers(cluster.ownerUrl, timersOwnerId, leadS);
  const windowStart = now() + (firstDueAt.getTime() - Date.now());
  await sleep(Math.max(0, windowStart + (TIMER_WINDOW_S * 1000) / 2 - now()));
  const [beforeKill] = await cluster.query<{ running: number; completed: number }>(
    `select count(*) filter (where t.status = 'RUNNING')::int as running, count(*) filter (where t.status = 'COMPLETED')::int as completed
       from app_public.campaign_timers t join app_public.campaigns c on c.id = t.campaign_id where c.user_id = $1`,
    [timersOwnerId],
  );
  await reviveWorkerIfDead();
  // Not a disruption of the streams: they are the server's, and the server's worker goes on.
  let killedAt: Date | undefined;
  if (signal(worker, "SIGKILL")) {
    await worker.exited;
    [{ at: killedAt }] = (await cluster.query<{ at: Date }>("select now() as at")) as [{ at: Date }];
    log(`   killed ${worker.name} (pid ${worker.pid}) with ${beforeKill!.completed} timers completed, ${beforeKill!.running} running`);
  } else {
    log(`!! ${worker.name} was not running when it was to be killed`);
  }
  await sleep(2_000);
  worker = await launchWorker();
  log(`   started ${worker.name} (pid ${worker.pid})${worker.alive ? "" : ": it did not stay up"}`);
  const timersDeadline = windowStart + (TIMER_WINDOW_S + TIMERS_GIVE_UP_S) * 1000;
  let timerState = { completed: 0, pending: 0, running: 0, failed: 0 };
  for (;;) {
    const [row] = await cluster.query<typeof timerState>(
      `select count(*) filter (where t.status = 'COMPLETED')::int as completed, count(*) filter (where t.status = 'PENDING')::int as pending,
              count(*) filter (where t.status = 'RUNNING')::int as running, count(*) filter (where t.status = 'FAILED')::int as failed
         from app_public.campaign_timers t join app_public.campaigns c on c.id = t.campaign_id where c.user_id = $1`,
      [timersOwnerId],
    );
    timerState = row!;
    if (timerState.completed >= TIMERS || now() > timersDeadline) break;
    await sleep(500);
  }
  const allTimersAt = seconds(now() - windowStart - TIMER_WINDOW_S * 1000);
  log(
    `   timers: ${JSON.stringify(timerState)} (${timerState.completed >= TIMERS ? `all done ${allTimersAt} s after the last was due` : "gave up waiting"})`,
  );
  if (killedAt) {
    // The killed worker's jobs are owed an unlock within a minute: a job locked by a pool that has
    // not beaten since the kill (live pools beat every few seconds) is still waiting on the dead one.
    const waitingOnTheDead = async () =>
      (
        await cluster!.query<{ n: number }>(
          `select count(*)::int as n from graphile_worker.jobs j join app_hidden.worker_heartbeats h on h.worker_id = j.locked_by
          where h.beat_at < $1`,
          [killedAt],
        )
      )[0]!.n;
    const deadline = Date.now() + 90_000;
    let left = await waitingOnTheDead();
    while (left > 0 && Date.now() < deadline) {
      await sleep(500);
      left = await waitingOnTheDead();
    }
    const [{ after }] = (await cluster.query<{ after: number }>("select extract(epoch from now() - $1::timestamptz)::float8 as after", [
      killedAt,
    ])) as [{ after: number }];
    log(
      `   jobs of the killed worker: ${left === 0 ? `none locked ${Math.round(after)} s after the kill` : `${left} still locked ${Math.round(after)} s after the kill`}`,
    );
  }

  phase = "after the faults";
  await load.stop();
  await renamer.stop();
  await sleep(1_000);
  const skipped = load.skipped();

  // The separate worker is asked to stop (SIGTERM) before the server's shutdown is measured.
  const workerSigtermAt = now();
  const workerWasRunning = signal(worker, "SIGTERM");
  await Promise.race([worker.exited, sleep(SHUTDOWN_GIVE_UP_S * 1000)]);
  const workerStop = !workerWasRunning
    ? `${worker.name} had exited already (${worker.exitSignal ?? `code ${worker.exitCode}`})`
    : worker.alive
      ? `still running ${SHUTDOWN_GIVE_UP_S} s after SIGTERM`
      : `exited ${seconds(worker.exitedAt! - workerSigtermAt)} s after SIGTERM with ${worker.exitSignal ?? `code ${worker.exitCode}`}`;
  log(`   ${worker.name} SIGTERM: ${workerStop}`);

  // (d) SIGTERM under keep-alive load.
  phase = "(d) SIGTERM";
  log(`(d) ${SHUTDOWN_CLIENTS} keep-alive clients creating back to back; SIGTERM to the server after 2 s`);
  let sigtermAt = Infinity;
  const refusedAfterSigterm: Attempt[] = [];
  const shutdownClients = Array.from({ length: SHUTDOWN_CLIENTS }, async (_, i) => {
    const user = loadUsers[i % loadUsers.length]!;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let n = 0; ; n++) {
        const attempt = await createCampaign(i, user.token, agent, `shutdown ${i}-${n}`);
        if (attempt.sentAt > sigtermAt && attempt.error === "ECONNREFUSED") {
          attempts.splice(attempts.indexOf(attempt), 1);
          refusedAfterSigterm.push(attempt);
          return;
        }
        if (now() > sigtermAt && (attempt.connectionClose || !attempt.ok)) return;
        if (now() > sigtermAt + SHUTDOWN_GIVE_UP_S * 1000) return;
      }
    } finally {
      agent.destroy();
    }
  });
  await sleep(2_000);
  const inFlightAtSigterm = attempts.length;
  ws.stopReconnecting();
  sse.stopReconnecting();
  disruptions.push(now());
  sigtermAt = now();
  signal(main, "SIGTERM");
  await Promise.race([main.exited, sleep(SHUTDOWN_GIVE_UP_S * 1000)]);
  const shutdownMs = main.alive ? SHUTDOWN_GIVE_UP_S * 1000 : main.exitedAt! - sigtermAt;
  if (main.alive) log(`!! the server did not exit within ${SHUTDOWN_GIVE_UP_S} s of SIGTERM`);
  await Promise.allSettled(shutdownClients);
  const exitCode = main.alive ? "still running" : (main.exitSignal ?? main.exitCode);
  log(`   server exited ${seconds(shutdownMs)} s after SIGTERM with ${main.exitSignal ?? `code ${main.exitCode}`}`);
  const shutdownAttempts = attempts.filter((attempt) => attempt.phase === "(d) SIGTERM");
  const cutInFlight = shutdownAttempts.filter((attempt) => !attempt.ok && attempt.sentAt < sigtermAt && attempt.doneAt > sigtermAt);
  const wsClose = ws.closeCodes.filter((close) => close.at >= sigtermAt);
  const sseEnd = sse.endings.filter((ending) => ending.at >= sigtermAt);
  void inFlightAtSigterm;
  await ws.dispose();
  sse.dispose();

  // Everything has stopped: processes still running now are orphans.
  for (const entry of processes) if (entry.alive) await Promise.race([entry.exited, sleep(2_000)]);
  await sleep(500);
  const orphans = await markedProcesses();

  // What the database says.
  const [locked] = await cluster.query<{ jobs: number; tasks: string[] | null }>(
    `select count(*)::int as jobs, array_agg(task_identifier || ' locked by ' || locked_by || ' since ' || locked_at) as tasks
       from graphile_worker.jobs where locked_at is not null`,
  );
  const ids = attempts.flatMap((attempt) => (attempt.campaignId ? [attempt.campaignId] : []));
  const returnedTwice = ids.length - new Set(ids).size;
  const [twice] = await cluster.query<{ campaigns: number }>(
    `select count(*)::int as campaigns from (select campaign_id from app_public.pool_assignments
      where campaign_id is not null group by campaign_id having count(*) > 1) as twice`,
  );
  const loadUserIds = loadUsers.map((user) => user.id);
  const owned = await cluster.query<{ id: string }>("select id from app_public.campaigns where user_id = any($1::uuid[]) and not is_pool", [
    loadUserIds,
  ]);
  const ownedIds = owned.map((row) => row.id);
  const returned = new Set(ids);
  const notReturned = ownedIds.filter((id) => !returned.has(id)).length;
  const ownedSet = new Set(ownedIds);
  const returnedButMissing = [...returned].filter((id) => !ownedSet.has(id)).length;
  const pools = await cluster.query<{ id: string }>("select id from app_public.campaigns where is_pool");
  const [{ tables }] = (await cluster.query<{ tables: string[] }>("select app_private.content_tables() as tables")) as [
    { tables: string[] },
  ];
  const [template] = await cluster.query<{ id: string }>("select id from app_public.campaigns where is_master_template");
  const checked = [...ownedIds, ...pools.map((row) => row.id)];
  const counts = new Map<string, Record<string, number>>();
  for (const table of tables) {
    const rows = await cluster.query<{ campaign_id: string; n: number }>(
      `select campaign_id, count(*)::int as n from app_public.${table} where campaign_id = any($1::uuid[]) or campaign_id = $2 group by campaign_id`,
      [checked, template!.id],
    );
    for (const row of rows) counts.set(row.campaign_id, { ...counts.get(row.campaign_id), [table]: row.n });
  }
  const expected = counts.get(template!.id) ?? {};
  const incomplete = (id: string) => tables.some((table) => (counts.get(id)?.[table] ?? 0) !== (expected[table] ?? 0));
  const incompleteOwned = ownedIds.filter(incomplete);
  const incompletePools = pools.map((row) => row.id).filter(incomplete);

  const [timerCheck] = await cluster.query<{
    twice: number;
    running_twice: number;
    not_completed: number;
    executions: Record<string, number> | null;
  }>(
    `with mine as (select t.id, t.campaign_id, t.status from app_public.campaign_timers t
                     join app_public.campaigns c on c.id = t.campaign_id where c.user_id = $1)
     select (select count(*) from (select e.timer_id from app_public.timer_executions e join mine on mine.id = e.timer_id
               where e.status = 'COMPLETED' group by e.timer_id having count(*) > 1) as x)::int as twice,
            (select count(*) from (select l.campaign_id from app_public.campaign_state_log l join mine on mine.campaign_id = l.campaign_id
               where l.to_state = 'RUNNING' group by l.campaign_id having count(*) > 1) as x)::int as running_twice,
            (select count(*) from mine where status <> 'COMPLETED')::int as not_completed,
            (select jsonb_object_agg(status || ' by ' || coalesce(worker_id, '?'), n) from (
               select e.status, e.worker_id, count(*) as n from app_public.timer_executions e join mine on mine.id = e.timer_id
                group by 1, 2) as x) as executions`,
    [timersOwnerId],
  );

  // Figures.
  const sent = attempts.length;
  const failed = attempts.filter((attempt) => !attempt.ok);
  const failedWithoutCode = failed.filter((attempt) => !retryable(attempt));
  const databaseFaults = faults.map((fault) => ({
    at: fault.injectedAt,
    backAt: fault.recoveredAt ?? fault.acceptingAt + RECOVERY_GIVE_UP_S * 1000,
  }));
  const lossWs = lostEvents(ws.stream, renamer.renames, disruptions, databaseFaults);
  const lossSse = lostEvents(sse.stream, renamer.renames, disruptions, databaseFaults);
  const worstRecovery = Math.max(...faults.map((fault) => fault.recovery_s));

  console.log("\nfaults:");
  console.table(
    Object.fromEntries(
      faults.map((fault) => [
        fault.name,
        {
          accepting_after_s: seconds(fault.acceptingAt - fault.injectedAt),
          recovery_s: fault.recovery_s,
          failed: fault.failed,
          failed_without_code: fault.failedWithoutCode,
        },
      ]),
    ),
  );
  console.log("requests per phase:");
  const phases = [...new Set(attempts.map((attempt) => attempt.phase))];
  console.table(
    Object.fromEntries(
      phases.map((name) => {
        const mine = attempts.filter((attempt) => attempt.phase === name);
        const ok = mine.filter((attempt) => attempt.ok);
        const latencies = ok.map((attempt) => attempt.doneAt - attempt.sentAt).sort((a, b) => a - b);
        return [
          name,
          {
            sent: mine.length,
            ok: ok.length,
            failed: mine.length - ok.length,
            with_retryable_code: mine.filter((attempt) => !attempt.ok && retryable(attempt)).length,
            p50_ms: round(latencies[Math.floor(latencies.length / 2)] ?? NaN),
            max_ms: round(latencies.at(-1) ?? NaN),
          },
        ];
      }),
    ),
  );
  const reasons = new Map<string, number>();
  for (const attempt of failed) {
    const key =
      `${attempt.phase}: ${attempt.codes.join(",") || "no code"} ${attempt.error ?? ""}${attempt.serverAlive ? "" : " (server dead)"}`.replace(
        /[0-9a-f]{8}-[0-9a-f-]{27}/g,
        "<uuid>",
      );
    reasons.set(key, (reasons.get(key) ?? 0) + 1);
  }
  if (reasons.size)
    console.log(
      `failures:\n${[...reasons]
        .sort((a, b) => b[1] - a[1])
        .map(([key, n]) => `  ${String(n).padStart(5)}× ${key.slice(0, 220)}`)
        .join("\n")}`,
    );
  const withoutRetryAfter = failed.filter((attempt) => retryable(attempt) && attempt.status === 503 && !attempt.retryAfter).length;
  const notServiceUnavailable = failed.filter((attempt) => retryable(attempt) && attempt.status !== 503).length;
  if (withoutRetryAfter || notServiceUnavailable) {
    console.log(`  retryable failures: ${withoutRetryAfter} with 503 but no Retry-After, ${notServiceUnavailable} not HTTP 503`);
  }
  console.log(`load: ${skipped} beats skipped (a user had ${MAX_IN_FLIGHT_PER_USER} requests in flight)`);
  console.log("streams:");
  console.table({
    [ws.stream.name]: {
      syncs: ws.stream.syncs.length,
      drops: ws.stream.breaks.length,
      connects: ws.stream.reconnects,
      events: ws.stream.events.length,
      owed: lossWs.required,
      lost: lossWs.lost,
      faults_without_sync: lossWs.unsynced,
      event_errors: ws.eventErrors(),
    },
    [sse.stream.name]: {
      syncs: sse.stream.syncs.length,
      drops: sse.stream.breaks.length,
      connects: sse.stream.reconnects,
      events: sse.stream.events.length,
      owed: lossSse.required,
      lost: lossSse.lost,
      faults_without_sync: lossSse.unsynced,
      event_errors: 0,
    },
  });
  for (const line of [
    ...lossWs.epochsWithLoss.map((l) => `websocket ${l}`),
    ...lossSse.epochsWithLoss.map((l) => `SSE ${l}`),
    ...ws.stream.notes,
    ...sse.stream.notes,
  ].slice(0, 20)) {
    console.log(`  ${line}`);
  }
  console.log(`renames: ${renamer.renames.length} tried, ${renamer.renames.filter((rename) => rename.committed).length} committed`);
  console.log(
    `timers: ${JSON.stringify(timerState)}; not completed ${timerCheck!.not_completed}; fired twice ${timerCheck!.twice}; RUNNING twice in the state log ${timerCheck!.running_twice}`,
  );
  console.log(`  executions: ${JSON.stringify(timerCheck!.executions)}`);
  console.log(
    `campaigns: ${ids.length} returned, ${ownedIds.length} owned by the load users (${notReturned} created but reported failed to the client, ${returnedButMissing} returned but not found); ${returnedTwice} ids returned twice, ${twice!.campaigns} assigned twice`,
  );
  console.log(`  incomplete: ${incompleteOwned.length} handed over, ${incompletePools.length} of ${pools.length} pool campaigns`);
  for (const id of [...incompleteOwned, ...incompletePools].slice(0, 5)) {
    console.log(
      `  ${id}: ${tables
        .filter((table) => (counts.get(id)?.[table] ?? 0) !== (expected[table] ?? 0))
        .map((table) => `${table} ${counts.get(id)?.[table] ?? 0}/${expected[table]}`)
        .join(", ")}`,
    );
  }
  console.log(
    `shutdown (d): exit ${JSON.stringify(exitCode)} after ${seconds(shutdownMs)} s; ${shutdownAttempts.length} requests, ${cutInFlight.length} in flight at SIGTERM cut off, ${refusedAfterSigterm.length} refused after SIGTERM (not counted)`,
  );
  for (const attempt of shutdownAttempts.filter((attempt) => !attempt.ok)) {
    console.log(
      `  failed: sent ${seconds(attempt.sentAt - sigtermAt)} s after SIGTERM, ${attempt.error ?? attempt.codes.join(",")} ${seconds(attempt.doneAt - sigtermAt)} s after it`,
    );
  }
  console.log(
    `  websocket closed with ${wsClose.map((close) => `${close.code} ${close.reason}`.trim()).join(", ") || "nothing (still open?)"}; SSE stream ${sseEnd.map((ending) => ending.how).join(", ") || "not ended"}`,
  );
  console.log(`separate worker: ${workerStop}`);
  console.log(`process deaths: ${deaths.length ? deaths.join("; ") : "none"}`);
  console.log(`orphans: ${orphans.length ? orphans.map((orphan) => `${orphan.pid} ${orphan.command.slice(0, 100)}`).join("; ") : "none"}`);
  console.log(`locked jobs left: ${locked!.jobs}${locked!.jobs ? ` (${locked!.tasks!.join(", ")})` : ""}`);
  for (const entry of processes) {
    const digest = troubleDigest(entry.started.output());
    console.log(
      `\noutput of ${entry.name} (pid ${entry.pid}, ${entry.asked ? "asked to stop" : "NOT asked to stop"}, exit ${entry.exitSignal ?? entry.exitCode}): ${digest.length ? "" : "nothing that looks like trouble"}`,
    );
    for (const line of digest) console.log(line);
    if (!entry.asked || (entry.exitCode !== 0 && entry.exitSignal !== "SIGKILL")) {
      console.log(
        `  last lines:\n${tail(entry)
          .map((line) => `    ${line.slice(0, 200)}`)
          .join("\n")}`,
      );
    }
  }
  const mainTail = main.started.output().trimEnd().split("\n").slice(-8);
  console.log(`\nlast lines of ${main.name}:\n${mainTail.map((line) => `  ${line.slice(0, 200)}`).join("\n")}`);

  report = {
    bench: "faults",
    process_deaths: deaths.length,
    requests: sent,
    failed: failed.length,
    failed_without_retryable_code: failedWithoutCode.length,
    recovery_s: worstRecovery,
    events_lost_after_resync: lossWs.lost + lossSse.lost,
    timers_fired_twice: timerCheck!.twice,
    assigned_twice: returnedTwice + twice!.campaigns,
    incomplete_campaigns: incompleteOwned.length,
    shutdown_s: seconds(shutdownMs),
    orphans: orphans.length,
    locked_jobs_left: locked!.jobs,
  };
  const missed: string[] = [];
  if (deaths.length) missed.push(`no process death (${deaths.length})`);
  if (failedWithoutCode.length) missed.push(`every failed request carries a retryable code (${failedWithoutCode.length} without)`);
  if (worstRecovery > TARGETS.recovery_s) missed.push(`service back within ${TARGETS.recovery_s} s (worst ${worstRecovery} s)`);
  if (lossWs.lost + lossSse.lost) missed.push(`no event lost after a resync (${lossWs.lost + lossSse.lost})`);
  if (lossWs.unsynced + lossSse.unsynced)
    missed.push(`every stream resyncs after a database fault (${lossWs.unsynced + lossSse.unsynced} faults without)`);
  if (timerCheck!.twice || timerCheck!.running_twice) missed.push(`timers fire once (${timerCheck!.twice} twice)`);
  if (timerCheck!.not_completed) missed.push(`no timer lost (${timerCheck!.not_completed} not completed)`);
  if (returnedTwice + twice!.campaigns) missed.push(`handed over once (${returnedTwice + twice!.campaigns} twice)`);
  if (incompleteOwned.length || incompletePools.length)
    missed.push(`nothing half-made (${incompleteOwned.length} handed over, ${incompletePools.length} pool campaigns incomplete)`);
  if (shutdownMs > TARGETS.shutdown_s * 1000) missed.push(`shutdown within ${TARGETS.shutdown_s} s (${seconds(shutdownMs)} s)`);
  if (exitCode !== 0) missed.push(`shutdown exits 0 (${exitCode})`);
  if (cutInFlight.length) missed.push(`shutdown lets in-flight requests finish (${cutInFlight.length} cut off)`);
  if (orphans.length) missed.push(`no orphan (${orphans.length})`);
  if (locked!.jobs) missed.push(`no job left locked (${locked!.jobs})`);
  console.log(`\ntargets missed: ${missed.length ? missed.join("; ") : "none"}`);
} finally {
  await cleanUp();
  clearTimeout(giveUp);
}
if (report) console.log(JSON.stringify(report));
process.exit(report ? 0 : 1);
