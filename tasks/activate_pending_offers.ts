// activate_pending_offers (cron, every 5 minutes): pending offers whose pending_until has passed
// become current (sql/620_offers.sql), announced per campaign.
import { sqlFunctionTask } from "../src/sql-function-task.ts";

export default sqlFunctionTask("app_private.activate_pending_offers()");
