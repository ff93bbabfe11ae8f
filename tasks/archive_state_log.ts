// archive_state_log (cron, monthly): moves state log rows older than a year to
// app_private.campaign_state_log_archive (sql/460_state_log_partitions.sql).
import { sqlFunctionTask } from "../src/sql-function-task.ts";

export default sqlFunctionTask("app_private.archive_state_log()");
