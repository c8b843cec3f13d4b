// The REST reference in a real browser (Debian's chromium through
// playwright-core, test tooling only): /docs renders the merged OpenAPI
// document the gateway serves and lists every one of its operations.
//
//   node tests/graphql/docs.mjs http://127.0.0.1:8080
import { require, withBrowser } from './browser.mjs';
const YAML = require('yaml');

const base = process.argv[2].replace(/\/graphql$/, '');
const spec = YAML.parse(await (await fetch(`${base}/openapi/openapi.yaml`)).text());
const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
let expected = 0;
for (const item of Object.values(spec.paths || {}))
  for (const m of methods) if (item[m]) expected++;

let ok = false;
await withBrowser(async (browser) => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${base}/docs`);
  await page.waitForFunction((n) => document.querySelectorAll('.opblock').length >= n,
    expected, { timeout: 60000 }).catch(() => {});
  const shown = await page.$$eval('.opblock', (l) => l.length);
  ok = expected > 0 && shown === expected && errors.length === 0;
  console.log(`docs: ${shown} operations listed of the ${expected} in /openapi/openapi.yaml` +
    (errors.length ? `; page errors: ${errors.join('; ')}` : ''));
});
process.exit(ok ? 0 : 1);
