// A graphile-worker task that is one SQL function call: the rule lives in sql/, the task file only
// says when it runs (crontab) and records what it did.
import type { Task } from "graphile-worker";

export function sqlFunctionTask(call: string): Task {
  return async (_payload, helpers) => {
    const { rows } = await helpers.withPgClient((client) => client.query(`select ${call} as result`));
    helpers.logger.debug(`${call} → ${JSON.stringify(rows[0]?.result)}`);
  };
}
