// prune_campaign_events (cron, daily): removes stored campaign events older than
// event_retention_days (sql/655_campaign_event_history.sql).
import { sqlFunctionTask } from "../src/sql-function-task.ts";

export default sqlFunctionTask("app_private.prune_campaign_events()");
