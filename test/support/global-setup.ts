// Once per test run: a migrated database with the master template, which every test file clones.
import type { TestProject } from "vitest/node";
import { type PreparedDatabase, prepareDatabase, SCRATCH_PASSWORD } from "./prepared-database.ts";

declare module "vitest" {
  export interface ProvidedContext {
    templateUrl: string;
    authenticatorPassword: string;
  }
}

let prepared: PreparedDatabase | undefined;

export async function setup(project: TestProject) {
  prepared = await prepareDatabase("campaign_engine_test_template", "test");
  project.provide("templateUrl", prepared.url);
  project.provide("authenticatorPassword", SCRATCH_PASSWORD);
}

export async function teardown() {
  await prepared?.close();
}
