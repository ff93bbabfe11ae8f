// Prometheus metrics of the live updates, and the reports behind the slow_broadcast alert.
// Campaign events carry their transaction's time (sent_at, sql/130_campaign_notifications.sql);
// the hub says when it has handed a notification to every event stream and subscription of this
// process, and the delay is observed then, once per notification (not per stream). Every
// REALTIME_LATENCY_REPORT_MS the p99 over the last 5 minutes goes to the database, whose rule
// raises or resolves slow_broadcast (sql/645_delivery_latency.sql). Open streams are counted
// when Prometheus scrapes.
import { type Kysely, sql } from "kysely";
import { Gauge, Histogram, type Registry } from "prom-client";
import { realtimeLatencyReportMs } from "../config.ts";
import type { DB } from "../db/kysely.ts";
import type { NotificationHub } from "../notifications/hub.ts";
import type { StreamCaps } from "./stream-caps.ts";

const WINDOW_MS = 5 * 60_000;
/** Enough for a busy process's 5 minutes; past it the oldest go first. */
const MAX_SAMPLES = 100_000;
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The p99 of `values` (from a sort, not a spread). */
export function p99(values: number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)] ?? 0;
}

/** Registers the metrics and starts observing; returns what stops it. */
export function observeRealtime(registry: Registry, { db, hub, caps }: { db: Kysely<DB>; hub: NotificationHub; caps: StreamCaps }) {
  const registers = [registry];
  const delivery = new Histogram({
    name: "realtime_delivery_seconds",
    help: "Commit to delivery of live updates: from the notifying transaction's time to this process having handed the event to every stream and subscription, by channel",
    labelNames: ["channel"],
    buckets: BUCKETS,
    registers,
  });
  new Gauge({
    name: "realtime_open_streams",
    help: "Open websockets, event streams (server-sent events) and GraphQL subscriptions in this process",
    labelNames: ["kind"],
    registers,
    collect() {
      this.set({ kind: "websocket" }, caps.openOf("websocket"));
      this.set({ kind: "event_stream" }, caps.openOf("event_stream"));
      this.set({ kind: "subscription" }, hub.subscriptions);
    },
  });
  new Gauge({
    name: "realtime_max_open_streams",
    help: "The most websockets and event streams this process holds together (MAX_OPEN_STREAMS); past it new ones are refused",
    registers,
    collect() {
      this.set(caps.capacity);
    },
  });

  const samples: { at: number; ms: number }[] = [];
  const stopObserving = hub.onDelivered((channel, payload) => {
    if (!channel.startsWith("campaign:") && !channel.startsWith("marketer:")) return;
    let sentAt: unknown;
    try {
      sentAt = (JSON.parse(payload) as { sent_at?: unknown }).sent_at;
    } catch {
      return;
    }
    if (typeof sentAt !== "number") return;
    const now = Date.now();
    const ms = Math.max(0, now - sentAt);
    delivery.observe({ channel: channel.startsWith("campaign:") ? "campaign" : "marketer" }, ms / 1000);
    samples.push({ at: now, ms });
    if (samples.length > MAX_SAMPLES) samples.splice(0, samples.length - MAX_SAMPLES);
  });

  let reporting: Promise<void> = Promise.resolve();
  const report = async () => {
    const since = Date.now() - WINDOW_MS;
    const first = samples.findIndex((sample) => sample.at >= since);
    samples.splice(0, first === -1 ? samples.length : first);
    const latencies = samples.map((sample) => sample.ms);
    try {
      await sql`select app_private.report_delivery_latency(${p99(latencies)}, ${latencies.length})`.execute(db);
    } catch (error) {
      console.error(`realtime metrics: could not report the delivery latency: ${(error as Error).message}`);
    }
  };
  const timer = setInterval(() => {
    reporting = reporting.then(report);
  }, realtimeLatencyReportMs());
  timer.unref();

  return async () => {
    clearInterval(timer);
    stopObserving();
    await reporting;
  };
}
