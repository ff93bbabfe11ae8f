// create_state_log_partitions (cron, daily): creates the campaign_state_log partitions of this month
// and the next three ahead of time (sql/460_state_log_partitions.sql).
import { sqlFunctionTask } from "../src/sql-function-task.ts";

export default sqlFunctionTask("app_private.create_state_log_partitions(3)");
