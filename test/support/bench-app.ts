// The real app (startApp: Koa, PostGraphile and the worker, as `npm start` runs them) on a
// benchmark's prepared database, in the benchmark's own process.
import { type RunningApp, startApp } from "../../src/app.ts";
import { withUser } from "../../src/db/database.ts";
import { AUTHENTICATOR_ROLE } from "../../src/db/roles.ts";
import { SCRATCH_PASSWORD } from "./prepared-database.ts";

export function startBenchApp(ownerUrl: string, jwtSecret: string): Promise<RunningApp> {
  return startApp({
    ownerUrl,
    authenticatorUrl: withUser(ownerUrl, AUTHENTICATOR_ROLE, SCRATCH_PASSWORD),
    jwtSecret,
    host: "127.0.0.1",
    port: 0,
  });
}
