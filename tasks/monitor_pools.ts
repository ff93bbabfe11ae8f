// monitor_pools (cron, every minute): pool metrics, pool alerts, refilling and clean-up of stale
// pool campaigns (sql/520_monitor_pools.sql).
import { sqlFunctionTask } from "../src/sql-function-task.ts";

export default sqlFunctionTask("app_private.monitor_pools()");
