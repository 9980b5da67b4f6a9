/**
 * The real browser of the browser tests: GATEHOUSE_TEST_BROWSER, else Debian's chromium at
 * /usr/bin/chromium; without either, suites skip with SKIP_BROWSER as the reason.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const BROWSER = process.env.GATEHOUSE_TEST_BROWSER || (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);
export const SKIP_BROWSER: false | string = BROWSER ? false : 'GATEHOUSE_TEST_BROWSER is not set and /usr/bin/chromium does not exist (apt-get install chromium)';

/** Headless chromium with the flags this machine needs (no sandbox, no GPU, no network of its own). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: BROWSER!,
    timeout: 30_000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync', '--disable-component-update', '--disable-quic'],
  });
}
