// Prometheus metrics of the campaign pool. The database announces each creation, replenishment and
// alert on the `pool` channel (sql/500_create_campaign.sql, 510_replenish_pool.sql, 125_alerts.sql);
// this process counts what it hears, so a server counts the creations of every process sharing the
// database. Pool sizes are read from the database when Prometheus scrapes.
import { type Kysely, sql } from "kysely";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { DB } from "../db/kysely.ts";
import type { NotificationHub } from "../notifications/hub.ts";

interface PoolEvent {
  event?: string;
  source?: string;
  assignment_ms?: number;
  seeding_ms?: number;
  severity?: string;
}

const MS_BUCKETS = [0.002, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Registers the pool metrics and starts listening; returns what stops listening. */
export async function observePools(registry: Registry, { db, hub }: { db: Kysely<DB>; hub: NotificationHub }) {
  const registers = [registry];
  const assignmentSeconds = new Histogram({
    name: "pool_assignment_duration_seconds",
    help: "Time create_campaign took in the database, by source (master, user, inline)",
    labelNames: ["source"],
    buckets: MS_BUCKETS,
    registers,
  });
  const seedingSeconds = new Histogram({
    name: "pool_seeding_duration_seconds",
    help: "Time seeding a pool campaign took",
    buckets: MS_BUCKETS,
    registers,
  });
  const assignments = new Counter({
    name: "pool_assignments_total",
    help: "Campaigns created, by result: pool_hit (handed over from a pool) or inline (seeded on the spot)",
    labelNames: ["result"],
    registers,
  });
  const alerts = new Counter({
    name: "pool_alerts_raised_total",
    help: "Alerts raised (a refresh of an open alert counts again), by severity",
    labelNames: ["severity"],
    registers,
  });
  new Gauge({
    name: "pool_size",
    help: "Campaigns waiting in the pools: master ready, master target, user pools",
    labelNames: ["pool"],
    registers,
    async collect() {
      const {
        rows: [sizes],
      } = await sql<{ master_ready: number; master_target: number; user_pools: number }>`
        select sizes.master_ready, app_private.pool_target_size() as master_target, sizes.user_pools
          from app_private.pool_sizes() sizes
      `.execute(db);
      for (const [pool, value] of Object.entries(sizes!)) this.set({ pool }, value);
    },
  });

  return hub.listen("pool", (payload) => {
    const event = JSON.parse(payload) as PoolEvent;
    switch (event.event) {
      case "pool_assigned":
      case "inline_created":
        assignmentSeconds.observe({ source: event.source ?? "unknown" }, (event.assignment_ms ?? 0) / 1000);
        assignments.inc({ result: event.source === "inline" ? "inline" : "pool_hit" });
        break;
      case "pool_replenished":
        seedingSeconds.observe((event.seeding_ms ?? 0) / 1000);
        break;
      case "alert_raised":
        alerts.inc({ severity: event.severity ?? "unknown" });
        break;
    }
  });
}
