// cleanup_timer_executions (cron, daily): deletes timer executions older than 6 months
// (sql/480_lifecycle_maintenance.sql).
import { sqlFunctionTask } from "../src/sql-function-task.ts";

export default sqlFunctionTask("app_private.cleanup_timer_executions()");
