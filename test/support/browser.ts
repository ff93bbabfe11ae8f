// Headless Chromium for page tests: Debian's `chromium` (installed by .ci/run), driven by
// playwright-core. CHROMIUM_PATH points elsewhere if needed.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { projectRoot } from "../../src/config.ts";

/** Screenshots and other things a test leaves to look at afterwards (not committed). */
export const ARTIFACTS_DIR = path.join(projectRoot, "test-artifacts");

export function useBrowser(): { readonly browser: Browser } {
  let browser: Browser | undefined;
  beforeAll(async () => {
    await mkdir(ARTIFACTS_DIR, { recursive: true });
    const executablePath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
    try {
      // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
      browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
    } catch (error) {
      throw new Error(
        `cannot start Chromium at ${executablePath} (install Debian's chromium, or set CHROMIUM_PATH): ${(error as Error).message}`,
      );
    }
  });
  afterAll(async () => {
    await browser?.close();
  });
  return {
    get browser() {
      return browser!;
    },
  };
}
