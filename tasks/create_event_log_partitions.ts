// create_event_log_partitions (cron, daily): creates the campaign_event_log partitions of this month
// and the next three ahead of time (sql/655_campaign_event_history.sql).
import { sqlFunctionTask } from "../src/sql-function-task.ts";

export default sqlFunctionTask("app_private.create_event_log_partitions(3)");
