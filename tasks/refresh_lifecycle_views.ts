// refresh_lifecycle_views (cron, every 5 minutes): refreshes ops.mv_active_campaigns and
// ops.mv_pending_timers concurrently (sql/480_lifecycle_maintenance.sql).
import { sqlFunctionTask } from "../src/sql-function-task.ts";

export default sqlFunctionTask("app_private.refresh_lifecycle_views()");
