// The headless Chromium the report's browser test drives (through playwright-core,
// which does not download browsers: it uses the system's).
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';

/** Why the browser test cannot run here, or undefined when it can (see mustHaveTools). */
export function missingChromium(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `the report's browser test needs ${CHROMIUM}`;
}

/**
 * Launch options. CI runs as root, where Chromium refuses to start with its
 * sandbox; the page under test is our own file, so no sandbox is acceptable.
 */
export const CHROMIUM_LAUNCH = { executablePath: CHROMIUM, args: ['--no-sandbox'] };
