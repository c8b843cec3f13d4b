// The graphql-http conformance audit (npm graphql-http, test tooling only)
// against a running gateway: every MUST audit must pass; a SHOULD or MAY
// that fails is printed and must be one the README explains (listed in
// EXPLAINED below by its audit id), else the run fails.
//
//   node tests/graphql/audit.mjs http://127.0.0.1:8080/graphql
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(join(process.cwd(), 'tools/node/package.json'));
const { auditServer } = require('graphql-http');

// SHOULD/MAY audits the README explains (id -> reason)
const EXPLAINED = {};

const url = process.argv[2];
const results = await auditServer({ url });
let must = 0, mustFailed = 0, other = 0, otherFailed = 0, unexplained = 0;
for (const r of results) {
  const isMust = r.name.startsWith('MUST');
  if (isMust) must++; else other++;
  if (r.status === 'ok') continue;
  let detail = r.reason;
  try {
    detail += ' ' + JSON.stringify(await r.response?.text?.());
  } catch {}
  if (isMust) {
    mustFailed++;
    console.log(`FAIL ${r.id} ${r.name}: ${detail}`);
  } else {
    otherFailed++;
    const why = EXPLAINED[r.id];
    if (!why) unexplained++;
    console.log(`${r.status} ${r.id} ${r.name}: ${detail}${why ? ` (explained: ${why})` : ' (NOT EXPLAINED)'}`);
  }
}
console.log(`graphql-http audit: MUST ${must - mustFailed}/${must} passed; ` +
  `SHOULD/MAY ${other - otherFailed}/${other} passed`);
process.exit(mustFailed || unexplained ? 1 : 0);
