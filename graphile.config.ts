// graphile-worker's settings, shared by `npm start`, `npm run worker` and the plain CLI
// (`npx graphile-worker -c "$DATABASE_URL"`), which reads this file from the repository root.
import path from "node:path";
import { fileURLToPath } from "node:url";
import type {} from "graphile-worker";

const root = path.dirname(fileURLToPath(import.meta.url));

const preset: GraphileConfig.Preset = {
  worker: {
    taskDirectory: path.join(root, "tasks"),
    crontabFile: path.join(root, "crontab"),
    // Tasks are TypeScript, run directly by Node 24's type stripping.
    fileExtensions: [".ts"],
    concurrentJobs: Number(process.env.WORKER_CONCURRENCY || 2),
    // In-flight jobs get this long to finish on shutdown before they are released for retry.
    gracefulShutdownAbortTimeout: 15_000,
  },
};

export default preset;
