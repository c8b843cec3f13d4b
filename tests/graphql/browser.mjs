// Shared by the browser checks of tests/graphql: the test tooling's
// require (tools/node) and Debian's chromium, headless, through
// playwright-core.
import { createRequire } from 'node:module';
import { join } from 'node:path';

export const require = createRequire(join(process.cwd(), 'tools/node/package.json'));

// Runs fn(browser) and closes the browser whatever happens.
export async function withBrowser(fn) {
  const { chromium } = require('playwright-core');
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  try {
    return await fn(browser);
  } finally {
    await browser.close();
  }
}
