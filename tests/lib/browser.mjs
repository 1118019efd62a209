// Debian's Chromium driven by playwright-core, for the browser tests.
// CHROMIUM names the browser binary (default /usr/bin/chromium).
import { chromium } from 'playwright-core';

/** Launches headless Chromium with the flags every browser test uses. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

/** Polls fn until it returns a truthy value; throws with the message (and the last value) otherwise. */
export async function waitUntil(fn, message, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out: ${message} (last value: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
