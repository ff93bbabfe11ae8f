// recover_timers (cron, every minute; and once at worker start): re-drives timers a crashed worker
// left behind (sql/440_recover_timers.sql).
import { sqlFunctionTask } from "../src/sql-function-task.ts";

export default sqlFunctionTask("app_private.recover_timers()");
