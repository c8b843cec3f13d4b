// GraphiQL in a real browser (Debian's chromium through playwright-core,
// test tooling only) against a running gateway: the page GET /graphql
// gives a browser loads, a query given to it runs and its data shows.
//
//   node tests/graphql/graphiql.mjs http://127.0.0.1:8080/graphql
import { withBrowser } from './browser.mjs';

const url = process.argv[2];
let ok = false;
await withBrowser(async (browser) => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // the browser's own favicon.ico probe is not the page's
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) errors.push(`${r.status()} ${r.url()}`);
  });
  await page.goto(`${url}?query=${encodeURIComponent('{ themes { code label } }')}`);
  try {
    await page.waitForSelector('.graphiql-execute-button', { timeout: 30000 });
  } catch (e) {
    console.log(`graphiql: no page: ${errors.join('; ')} ${(await page.content()).slice(0, 300)}`);
    throw e;
  }
  await page.click('.graphiql-execute-button');
  await page.waitForFunction(
    () => (document.querySelector('.result-window')?.textContent || '').includes('"themes"'),
    null, { timeout: 30000 });
  const text = await page.$eval('.result-window', (e) => e.textContent);
  ok = text.includes('economic') && errors.length === 0;
  console.log(`graphiql: page loaded, query ran, ${ok ? 'data shown' : 'unexpected: ' + text.slice(0, 200) + errors.join('; ')}`);
});
process.exit(ok ? 0 : 1);
