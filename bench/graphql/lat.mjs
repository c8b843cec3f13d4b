// make bench-graphql: latency at one connection, one operation at a time.
//   node lat.mjs SECONDS gql URL BODY.json [TOKEN]
//   node lat.mjs SECONDS rest-flat BASE REGION LIMIT [TOKEN]
//   node lat.mjs SECONDS rest-nested BASE REGION L1,L2,L3 [TOKEN]
// gql: POST of the GraphQL request BODY.json. rest-*: the REST calls a client
// makes for the same answer, one after the other on its one connection:
// flat = GET /v1/funding/calls?region=&limit=; nested = that (limit L1),
// then each call's /applications?limit=L2, then each application's
// /v1/funding/appraisals?application_id=&limit=L3. Prints "p50 p99 n" in ms
// of whole operations (an operation with a non-2xx or GraphQL errors aborts).
import { readFileSync } from 'node:fs';

const [secs, mode, base, a4, a5, a6] = process.argv.slice(2);
// (Node's fetch keeps its connection alive: sequential operations reuse one.)
async function get(url, token) {
  const r = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const body = await r.json();
  if (r.status !== 200) throw new Error(`GET ${url}: ${r.status}`);
  return body;
}
let op;
if (mode === 'gql') {
  const body = readFileSync(a4, 'utf8');
  const headers = { 'content-type': 'application/json', accept: 'application/json' };
  if (a5) headers.authorization = `Bearer ${a5}`;
  op = async () => {
    const r = await fetch(base, { method: 'POST', headers, body });
    const j = await r.json();
    if (r.status !== 200 || j.errors) throw new Error(`POST ${base}: ${r.status} ${JSON.stringify(j.errors)}`);
  };
} else {
  const [region, token] = [a4, a6];
  const [l1, l2 = l1, l3 = l1] = a5.split(',');
  op = async () => {
    const calls = await get(`${base}/v1/funding/calls?region=${region}&limit=${l1}`, token);
    if (mode !== 'rest-nested') return;
    for (const c of calls.items) {
      const apps = await get(`${base}/v1/funding/calls/${c.id}/applications?limit=${l2}`, token);
      for (const a of apps.items) await get(`${base}/v1/funding/appraisals?application_id=${a.id}&limit=${l3}`, token);
    }
  };
}
for (let i = 0; i < 20; i++) await op(); // warm-up
const t = [], end = Date.now() + secs * 1000;
while (Date.now() < end) {
  const s = process.hrtime.bigint();
  await op();
  t.push(Number(process.hrtime.bigint() - s) / 1e6);
}
t.sort((x, y) => x - y);
const q = (p) => t[Math.min(t.length - 1, Math.floor(p * t.length))];
console.log(`${q(0.5).toFixed(2)} ${q(0.99).toFixed(2)} ${t.length}`);
